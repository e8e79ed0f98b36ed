"""Where an imaging sensor stands and looks: its mounting pose, or a calibrated image-to-ground homography.

Shared by every kind that puts image pixels on the ground (cameras, thermal imagers); the
projection that uses them is ``edge/pipeline/projection.py``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from borderwatch.edge.config.settings import Settings


class PoseConfig(Settings):
    """Mounting pose for ground projection (flat ground z=0, no roll, no lens distortion)."""

    lat: float = Field(0.0, ge=-90, le=90, description="camera latitude, WGS-84 degrees")
    lon: float = Field(0.0, ge=-180, le=180, description="camera longitude, WGS-84 degrees")
    height_m: float = Field(6.0, gt=0, le=1000, description="lens height above the ground plane")
    heading_deg: float = Field(0.0, ge=0, lt=360, description="optical axis azimuth, clockwise from north")
    tilt_deg: float = Field(10.0, gt=0, lt=90, description="depression below horizontal (down positive)")
    hfov_deg: float = Field(60.0, gt=1, lt=179, description="horizontal field of view")


class HomographyConfig(Settings):
    """A calibrated 3x3 homography from image pixels (u, v, 1) to ground east/north metres.

    Metres are relative to ``origin_lat``/``origin_lon`` (equirectangular, as for the pose).
    """

    matrix: list[Annotated[list[float], Field(min_length=3, max_length=3)]] = Field(
        default_factory=lambda: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        min_length=3,
        max_length=3,
        description="row-major 3x3, image px -> east/north metres",
    )
    origin_lat: float = Field(0.0, ge=-90, le=90, description="latitude of the metres' origin")
    origin_lon: float = Field(0.0, ge=-180, le=180, description="longitude of the metres' origin")
