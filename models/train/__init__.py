"""Offline training of the shipped camera model (needs torch; never imported at run time)."""
