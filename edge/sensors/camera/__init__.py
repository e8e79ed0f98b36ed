"""The camera sensor kind: capture and watchdog, its 8-bit BGR frames, motion gating, crops and
tiles, letterboxing, tamper checks, ground projection, its config; ``kind.CameraKind`` plugs it in.
"""
