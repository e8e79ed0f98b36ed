"""Device simulators driven by one deterministic scenario world.

scenario (TOML / presets) -> world (actors, state(t) as arrays) -> truth (border crossings)
-> camera renderer -> device server (HTTP MJPEG, RTSP) with fault injection. See simulators/README.md.
"""
