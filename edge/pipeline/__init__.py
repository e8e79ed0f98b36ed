"""The hot path: pure functions on numpy arrays, from frame to rule hits. No I/O here."""
