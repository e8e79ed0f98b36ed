"""Camera simulator: pinhole projection, renderer and device server (HTTP MJPEG, RTSP)."""
