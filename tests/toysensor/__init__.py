"""A toy sensor kind (frames of random points) that plugs into the agent through the sensor registry.

It exists to prove the seam: nothing outside this package and its ``[toys.<id>]`` config section
knows it, yet it runs through the real ``SensorService`` (and the real agent and outbox) and its
detections go through the shared point tracker and event factory. See docs/adding-a-sensor-kind.md.
"""
