"""Stall and reconnect settings of a streaming sensor (``[watchdog]`` of cameras and thermal imagers).

One section for every kind whose reader watches a stream, so the pacing of reconnects is the same
everywhere (``edge/sensor/reader.py`` applies it).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from borderwatch.edge.config.settings import Settings


class WatchdogConfig(Settings):
    """When a stream counts as stalled and how reconnects are paced."""

    stall_timeout_s: float = Field(5.0, ge=0.2, le=300, description="no frame for this long = stall, reconnect")
    open_timeout_s: float = Field(5.0, ge=0.2, le=120, description="give up opening the stream after this")
    backoff_initial_s: float = Field(0.5, ge=0.05, le=60, description="first wait before a reconnect")
    backoff_max_s: float = Field(30.0, ge=0.1, le=3600, description="cap of the doubling reconnect wait")
    offline_after_s: float = Field(3.0, ge=0, le=3600, description="video loss lasting this long raises sensor_offline")

    @model_validator(mode="after")
    def _ordered(self) -> WatchdogConfig:
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("watchdog.backoff_max_s must be >= watchdog.backoff_initial_s")
        return self
