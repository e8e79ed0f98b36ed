"""Ground projection: image pixels -> ground east/north metres -> latitude/longitude.

Convention (shared with the camera simulator, which renders with the forward model): local
east/north metres around the camera by the equirectangular approximation (runtime/geo.py);
camera at height h above flat ground z = 0; heading = azimuth of the optical axis clockwise from
north; tilt = depression below horizontal; principal point at the image centre, square pixels,
no roll, no distortion; focal f = (W / 2) / tan(hfov / 2). A pixel's ray that does not reach the
ground (at or above the horizon) has no position (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt

from borderwatch.edge.config.pose import HomographyConfig, PoseConfig
from borderwatch.runtime.geo import to_geo, to_local

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """Equirectangular east/north metres around an origin (lat0, lon0)."""

    lat0: float
    lon0: float

    def to_metres(self, latlon: npt.ArrayLike) -> F64:
        """(N, 2) (lat, lon) degrees -> (N, 2) (east, north) metres."""
        ll = np.asarray(latlon, np.float64).reshape(-1, 2)
        return np.stack(to_local(ll[:, 0], ll[:, 1], self.lat0, self.lon0), axis=1)

    def to_latlon(self, en: npt.ArrayLike) -> F64:
        """(N, 2) (east, north) metres -> (N, 2) (lat, lon) degrees; NaN stays NaN."""
        en = np.asarray(en, np.float64).reshape(-1, 2)
        return np.stack(to_geo(en[:, 0], en[:, 1], self.lat0, self.lon0), axis=1)


class GroundProjector(Protocol):
    """Maps image pixels (N, 2) of a W x H frame to ground east/north metres (N, 2), NaN if none."""

    frame: LocalFrame

    def to_ground(self, uv: npt.ArrayLike, width: int, height: int) -> F64:
        """(N, 2) east/north metres of pixels ``uv`` in a ``width`` x ``height`` frame; NaN where no ground is hit."""


@lru_cache(maxsize=256)
def camera_axes(heading_deg: float, tilt_deg: float) -> tuple[F64, F64, F64]:
    """Forward, right and image-down unit vectors in east/north/up coordinates.

    Cached per pose (read-only arrays): every projection of every frame asks for the same few poses,
    and the cross product cost more than the projection itself.
    """
    psi, theta = np.radians(heading_deg), np.radians(tilt_deg)
    forward = np.array([np.sin(psi) * np.cos(theta), np.cos(psi) * np.cos(theta), -np.sin(theta)])
    right = np.array([np.cos(psi), -np.sin(psi), 0.0])
    down = np.cross(forward, right)
    for axis in (forward, right, down):
        axis.flags.writeable = False
    return forward, right, down


@lru_cache(maxsize=256)
def focal_px(width: int, hfov_deg: float) -> np.float64:
    """Focal length in pixels of a ``width``-pixel image with a horizontal field of view of ``hfov_deg``.

    Cached per (width, field of view): every projection of every frame asks for the same value, and its
    three scalar numpy calls cost more than the projection of a handful of points.
    """
    return np.float64((width / 2) / np.tan(np.radians(hfov_deg) / 2))


@dataclass(frozen=True, slots=True)
class PoseProjector:
    """Ray casting from the configured mounting pose."""

    pose: PoseConfig

    @property
    def frame(self) -> LocalFrame:
        """The metres' origin is the camera itself."""
        return LocalFrame(self.pose.lat, self.pose.lon)

    def rays(self, uv: npt.ArrayLike, width: int, height: int) -> F64:
        """(N, 3) east/north/up ray directions through pixels ``uv``."""
        pts = np.asarray(uv, np.float64).reshape(-1, 2)
        f = focal_px(width, self.pose.hfov_deg)
        forward, right, down = camera_axes(self.pose.heading_deg, self.pose.tilt_deg)
        x = (pts[:, 0:1] - width / 2) / f
        y = (pts[:, 1:2] - height / 2) / f
        return forward[None] + x * right[None] + y * down[None]

    def to_ground(self, uv: npt.ArrayLike, width: int, height: int) -> F64:
        """Rays meeting the ground at the mast's height below the camera; NaN at or above the horizon."""
        d = self.rays(uv, width, height)
        down = d[:, 2] < -1e-9
        t = np.where(down, self.pose.height_m / np.where(down, -d[:, 2], 1.0), np.nan)
        return d[:, :2] * t[:, None]


@dataclass(frozen=True, slots=True)
class HomographyProjector:
    """A calibrated image -> ground-metres homography."""

    config: HomographyConfig

    @property
    def frame(self) -> LocalFrame:
        """The metres' origin is the one the calibration was measured from, not the camera."""
        return LocalFrame(self.config.origin_lat, self.config.origin_lon)

    def to_ground(self, uv: npt.ArrayLike, width: int, height: int) -> F64:
        """Apply the matrix; ``width``/``height`` are ignored: the matrix is tied to the calibrated resolution, so a
        camera streaming another resolution needs a new calibration. NaN where the point maps to infinity.
        """
        pts = np.asarray(uv, np.float64).reshape(-1, 2)
        h = np.asarray(self.config.matrix, np.float64)
        p = np.concatenate((pts, np.ones((len(pts), 1))), axis=1) @ h.T
        ok = np.abs(p[:, 2]) > 1e-12
        return np.where(ok[:, None], p[:, :2] / np.where(ok, p[:, 2], 1.0)[:, None], np.nan)


def make_projector(pose: PoseConfig | None, homography: HomographyConfig | None) -> GroundProjector | None:
    """The calibration homography wins over the pose; None when the camera has neither."""
    if homography is not None:
        return HomographyProjector(homography)
    return PoseProjector(pose) if pose is not None else None
