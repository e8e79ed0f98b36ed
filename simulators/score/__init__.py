"""Scoring a simulated run: what the hub stored against the scenario's ground truth (`borderwatch sim score`)."""
