"""Event settings: how often a track's update events go out, for every sensor kind."""

from __future__ import annotations

from pydantic import Field

from borderwatch.edge.config.settings import Settings


class EventsConfig(Settings):
    """Track-update throttling: on significant change, never faster than the minimum, with a heartbeat."""

    update_min_interval_s: float = Field(1.0, ge=0, le=3600, description="no two updates of a track sooner")
    heartbeat_s: float = Field(10.0, gt=0, le=86400, description="an update at least this often per track")
    significant_move_frac: float = Field(
        0.25, ge=0, le=10, description="moved more than this x box diagonal = significant"
    )
