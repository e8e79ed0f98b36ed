"""Camera simulator: pinhole projection, renderer and HTTP MJPEG device server."""
