"""Sensor readers: the I/O shell around cameras, thermal imagers and radars."""
