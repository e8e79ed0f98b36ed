"""Tracker settings: shared by every sensor kind whose detections are tracked (camera, thermal, radar)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from borderwatch.edge.config.settings import Settings


class TrackerConfig(Settings):
    """Kalman + assignment tracker parameters."""

    association: Literal["iou", "distance"] = Field("iou", description="cost: 1-IoU or normalised distance")
    max_cost: float = Field(0.8, gt=0, le=10, description="matches costing more are refused (0.8 = IoU>0.2)")
    min_hits: int = Field(3, ge=1, le=100, description="updates before a tentative track is confirmed")
    max_age_s: float = Field(2.0, gt=0, le=600, description="unseen this long = track ends")
    min_init_confidence: float = Field(0.3, ge=0, le=1, description="weakest detection that starts a track")
    class_aware: bool = Field(True, description="never associate detections of another class")
    stationary_s: float = Field(5.0, gt=0, le=3600, description="still this long = stationary")
    stationary_frac: float = Field(0.15, gt=0, le=5, description="'still' = moved less than this x box height")
