"""Thermal imagers as a sensor kind: Y16 readers (network stream, UVC), hot spots, chip classifier, distress."""
