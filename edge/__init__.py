"""borderwatch edge agent: runs on a mast computer, reads its sensors, detects, tracks, publishes.

Shares nothing with the hub but the wire contract (``contract``).
"""
