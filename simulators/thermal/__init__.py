"""Thermal imager simulator: radiometric rendering of the scenario world and the Y16 network stream."""
