"""``[toys.<id>]``: the toy kind's own settings plus the shared tracker and event settings."""

from __future__ import annotations

from pydantic import Field

from borderwatch.edge.config.events import EventsConfig
from borderwatch.edge.config.settings import Settings
from borderwatch.edge.config.tracker import TrackerConfig


class ToyConfig(Settings):
    """A field of ``targets`` points moving in straight lines, ``frames`` frames at ``fps``, then end of data."""

    fps: float = Field(50.0, gt=0, le=1000, description="frames per second the reader produces")
    frames: int = Field(60, ge=1, le=100_000, description="frames before the reader reports end of data")
    targets: int = Field(3, ge=0, le=100, description="moving points per frame")
    seed: int = Field(0, description="random start positions and velocities")
    tracker: TrackerConfig = Field(
        default_factory=lambda: TrackerConfig(association="distance", max_cost=3.0, min_hits=2),
        description="the shared tracker settings",
    )
    events: EventsConfig = Field(default_factory=EventsConfig, description="the shared event settings")
