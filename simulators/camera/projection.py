"""The camera model: world metres <-> pixels for a CameraPose (the edge inverts exactly this).

Convention: local east/north/up metres around the camera's own lat/lon (simulators.geo), camera
lens at (0, 0, height_m). Optical axis d = (sin h cos t, cos h cos t, -sin t) for heading h and
tilt t; image right r = (cos h, -sin h, 0); image down = d x r. Pixel u = cx + f (P.r)/(P.d),
v = cy + f (P.down)/(P.d) with f = (width/2)/tan(hfov/2) and (cx, cy) = (width/2, height/2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.runtime.geo import to_geo, to_local
from borderwatch.simulators.scenario import CameraSpec

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Pinhole:
    """A camera's intrinsics and axes, precomputed from its spec."""

    lat: float
    lon: float
    height_m: float
    f: float
    cx: float
    cy: float
    width: int
    height: int
    fwd: F64
    right: F64
    down: F64

    @classmethod
    def from_spec(cls, spec: CameraSpec) -> Pinhole:
        """Focal length and axes from the pose, once, so project() and ground() are plain dot products."""
        p = spec.pose
        h, t = np.radians(p.heading_deg), np.radians(p.tilt_deg)
        fwd = np.array([np.sin(h) * np.cos(t), np.cos(h) * np.cos(t), -np.sin(t)])
        right = np.array([np.cos(h), -np.sin(h), 0.0])
        f = (spec.width / 2) / np.tan(np.radians(p.hfov_deg) / 2)
        return cls(
            p.lat,
            p.lon,
            p.height_m,
            float(f),
            spec.width / 2,
            spec.height / 2,
            spec.width,
            spec.height,
            fwd,
            right,
            np.cross(fwd, right),
        )

    def project(self, east: F64, north: F64, up: F64) -> tuple[F64, F64, F64]:
        """Camera-local ENU points -> (u, v, depth along the optical axis); depth <= 0 is behind."""
        p = np.stack(np.broadcast_arrays(east, north, np.asarray(up) - self.height_m), axis=-1)
        depth = p @ self.fwd
        safe = np.where(depth > 1e-6, depth, np.nan)
        return self.cx + self.f * (p @ self.right) / safe, self.cy + self.f * (p @ self.down) / safe, depth

    def ground(self, u: npt.ArrayLike, v: npt.ArrayLike) -> tuple[F64, F64, npt.NDArray[np.bool_]]:
        """Pixels -> camera-local (east, north) on the ground; valid is False above the horizon."""
        du = (np.asarray(u, dtype=np.float64) - self.cx) / self.f
        dv = (np.asarray(v, dtype=np.float64) - self.cy) / self.f
        ray = self.fwd + du[..., None] * self.right + dv[..., None] * self.down
        valid = ray[..., 2] < -1e-9
        s = np.where(valid, -self.height_m / np.where(valid, ray[..., 2], -1.0), np.nan)
        return s * ray[..., 0], s * ray[..., 1], valid

    def row_distance(self) -> F64:
        """(H,) horizontal ground distance seen along each pixel row's centre column (inf above the horizon)."""
        v = np.arange(self.height, dtype=np.float64) + 0.5
        ray = self.fwd[None, :] + ((v - self.cy) / self.f)[:, None] * self.down[None, :]
        down = -ray[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(down > 1e-9, self.height_m / down * np.hypot(ray[:, 0], ray[:, 1]), np.inf)

    def horizon_v(self) -> float:
        """Image row of the horizon (may lie outside the image)."""
        return float(self.cy + self.f * self.fwd[2] / np.hypot(*self.fwd[:2]))

    def from_site(self, east: F64, north: F64, origin: tuple[float, float]) -> tuple[F64, F64]:
        """Site-local metres (around origin) -> this camera's local metres, through lat/lon."""
        lat, lon = to_geo(east, north, *origin)
        return to_local(lat, lon, self.lat, self.lon)

    def to_latlon(self, east: F64, north: F64) -> tuple[F64, F64]:
        """Camera-local metres -> (lat, lon)."""
        return to_geo(east, north, self.lat, self.lon)
