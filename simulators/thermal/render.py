"""A thermal imager's view of the scenario world: radiometric frames in centikelvin, with labels.

The same world, the same pinhole model and the same actors at the same time as the cameras
(``simulators/world.py``, ``simulators/camera/projection.py``). Temperatures: the ground follows the
time of day (warm afternoon, cold night, a slow drift over the play) with a fixed low-frequency
texture and a road a little warmer; the sky above the horizon is far colder. Warm spots of the terrain
(rocks that kept the day's heat: clutter with no truth behind it) sit on the ground from their time
on. People are 30-37 C (clothed body cooler than the head), animals 28-32 C under fur, vehicles warm
bodies with a hot engine and exhaust. Noise per frame, fixed-pattern noise per pixel and column (fixed per imager).
Pure: ``render(t)`` is a function of t (noise seeded by frame time).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.simulators.camera.projection import Pinhole
from borderwatch.simulators.scenario import CameraSpec, Scenario, ThermalSpec, WarmSpotSpec
from borderwatch.simulators.world import World

F32 = npt.NDArray[np.float32]
ZERO_C_CK = 27315.0
_GROUND_C = {"day": 24.0, "night": 9.0}
_SKY_BELOW_GROUND_K = 25.0
_DRIFT_K_PER_S = {"day": 1.0 / 600, "night": -1.0 / 600}
PERSON, VEHICLE, ANIMAL = 0, 1, 2


@dataclass(frozen=True, slots=True)
class ThermalFrame:
    """One rendered frame: (H, W) uint16 centikelvin and the visible actors' boxes and classes."""

    ck: npt.NDArray[np.uint16]
    xyxy: npt.NDArray[np.float64]
    class_id: npt.NDArray[np.int64]
    ids: list[str]


class ThermalRenderer:
    """Renders one imager of a scenario; construct once (pattern noise, ground texture), render often."""

    def __init__(self, scenario: Scenario, spec: ThermalSpec | str, world: World | None = None) -> None:
        self.scenario = scenario
        self.spec = spec if isinstance(spec, ThermalSpec) else _find(scenario, spec)
        self.world = world or World(scenario)
        s = self.spec
        self.cam = pinhole(s)
        rng = np.random.default_rng([scenario.seed, 9173, s.width])
        h, w = s.height, s.width
        column = rng.normal(0, 1, (1, w)).astype(np.float32)
        self.pattern = (s.fixed_pattern_k * 100.0 * (0.6 * column + 0.8 * rng.normal(0, 1, (h, w)))).astype(np.float32)
        texture = cv2.resize(rng.normal(0, 1, (max(h // 16, 2), max(w // 16, 2))).astype(np.float32), (w, h))
        rows = np.arange(h, dtype=np.float32)[:, None]
        horizon = self.cam.horizon_v()
        self.sky = np.broadcast_to(rows < horizon, (h, w))
        self.texture = (texture * 80.0).astype(np.float32)  # +-0.8 K of sun-warmed patches and wet spots
        self.origin = scenario.origin.lat, scenario.origin.lon
        self._spots = self._place_spots()

    def ground_c(self, t: float) -> float:
        """Ground temperature at scenario time ``t``: the time of day plus a slow drift."""
        light = self.scenario.lighting
        return _GROUND_C[light] + _DRIFT_K_PER_S[light] * t

    def render(self, t: float) -> ThermalFrame:
        """The frame at scenario time ``t`` (seconds)."""
        s = self.spec
        ground_ck = ZERO_C_CK + self.ground_c(t) * 100.0
        img = np.where(self.sky, ground_ck - _SKY_BELOW_GROUND_K * 100.0, ground_ck + self.texture).astype(np.float32)
        self._warm_spots(img, t, ground_ck)
        xyxy, cls, ids = self._actors(img, t, ground_ck)
        rng = np.random.default_rng([self.scenario.seed, round(float(t) * 1000) & 0x7FFFFFFF])
        img += self.pattern + rng.normal(0, s.noise_k * 100.0, img.shape).astype(np.float32)
        ck = np.clip(np.rint(img), 1, 65534).astype(np.uint16)
        return ThermalFrame(ck, xyxy, cls, ids)

    def _warm_spots(self, img: F32, t: float, ground_ck: float) -> None:
        """Each warm spot shown by ``t`` as a low mound (as tall as its radius) at its temperature."""
        for (centre, axes), spot in self._spots:
            if spot.from_s <= t:
                _ellipse(img, centre, axes, ground_ck + spot.delta_k * 100.0)

    def _place_spots(self) -> list[tuple[tuple[tuple[float, float], tuple[float, float]], WarmSpotSpec]]:
        """((centre, semi-axes) in pixels, spot) of each warm spot in the picture, far first: the ground does not
        move, so they are projected once per imager."""
        spots = self.scenario.terrain.warm_spots
        if not spots:
            return []
        east, north = self.cam.from_site(
            np.array([w.at[0] for w in spots]), np.array([w.at[1] for w in spots]), self.origin
        )
        radius = np.array([w.radius_m for w in spots])
        u, v0, depth = self.cam.project(east, north, np.zeros(len(spots)))
        _, v1, _ = self.cam.project(east, north, radius)
        h, w = self.spec.height, self.spec.width
        placed = []
        for k in np.argsort(-depth):
            if not (depth[k] > 1 and np.isfinite(u[k]) and np.isfinite(v1[k])):
                continue
            half_w = float(self.cam.f * radius[k] / depth[k])
            if u[k] + half_w < 0 or u[k] - half_w >= w or v0[k] < 0 or v1[k] >= h:
                continue
            centre = (float(u[k]), float((v0[k] + v1[k]) / 2))
            placed.append(((centre, (half_w, float((v0[k] - v1[k]) / 2))), spots[k]))
        return placed

    def _actors(
        self, img: F32, t: float, ground_ck: float
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], list[str]]:
        st = self.world.state(t)
        vis = np.flatnonzero(st.visible)
        if not len(vis):
            return np.zeros((0, 4)), np.zeros(0, np.int64), []
        east, north = self.cam.from_site(st.east_m[vis], st.north_m[vis], self.origin)
        u0, v0, depth = self.cam.project(east, north, np.zeros(len(vis)))
        _, v1, _ = self.cam.project(east, north, st.height_m[vis])
        rel = np.radians(st.heading_deg[vis]) - np.arctan2(self.cam.fwd[0], self.cam.fwd[1])
        across = np.abs(st.length_m[vis] * np.sin(rel)) + np.abs(st.width_m[vis] * np.cos(rel))
        half_w = self.cam.f * across / np.where(depth > 1e-6, depth, np.nan) / 2
        boxes, classes, names = [], [], []
        for k in np.argsort(-depth):  # far first: near actors cover far ones
            i = vis[k]
            if not (depth[k] > 1 and np.isfinite(u0[k]) and np.isfinite(v1[k])):
                continue
            box = (u0[k] - half_w[k], v1[k], u0[k] + half_w[k], v0[k])
            if box[2] < 0 or box[0] >= img.shape[1] or box[3] < 0 or box[1] >= img.shape[0]:
                continue
            _draw(img, int(st.class_id[i]), box, float(st.temp_c[i]), ground_ck, float(st.gait_phase[i]))
            boxes.append(box)
            classes.append(int(st.class_id[i]))
            names.append(str(st.ids[i]))
        return np.array(boxes, np.float64).reshape(-1, 4), np.array(classes, np.int64), names


def pinhole(spec: ThermalSpec) -> Pinhole:
    """The imager's projection: the camera's pinhole model with the imager's pose and resolution."""
    return Pinhole.from_spec(CameraSpec(id=spec.id, pose=spec.pose, width=spec.width, height=spec.height, fps=spec.fps))


def _find(scenario: Scenario, thermal_id: str) -> ThermalSpec:
    for spec in scenario.thermals:
        if spec.id == thermal_id:
            return spec
    raise KeyError(
        f"no thermal imager {thermal_id!r} in scenario {scenario.name!r}: {[t.id for t in scenario.thermals]}"
    )


def _ck(temp_c: float) -> float:
    return ZERO_C_CK + temp_c * 100.0


def _draw(
    img: F32, cls: int, box: tuple[float, float, float, float], temp_c: float, ground_ck: float, gait: float
) -> None:
    """One actor as filled shapes at their surface temperatures (sub-pixel sizes still cover one pixel)."""
    x1, y1, x2, y2 = box
    w, h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    cx = (x1 + x2) / 2
    if cls == PERSON:
        body = _ck(min(max(temp_c - 2.5, 29.5), 34.0))
        head = _ck(min(max(temp_c + 1.5, 33.0), 37.0))
        # the feet on the ground point: a filled ellipse ends on the row of centre + axis (both rounded), the
        # pixel beyond the shape, so the legs reached 1-2 px below y2 -- 250 m out at a 2 degree look-down
        # the agent read that, rightly, as 6-8 m nearer the mast. The whole figure moves up by whole rows, so
        # its shape (what the thermal classifier was trained on) stays as it was.
        y1 += round(y2) - (round(y1 + h * 0.85) + max(round(h * 0.15), 0) + 1)
        _ellipse(img, (cx, y1 + h * 0.55), (w * 0.45, h * 0.42), body)
        swing = (gait - 0.5) * w * 0.4
        _ellipse(img, (cx + swing, y1 + h * 0.85), (w * 0.12, h * 0.15), body - 150)
        _ellipse(img, (cx - swing, y1 + h * 0.85), (w * 0.12, h * 0.15), body - 150)
        _ellipse(img, (cx, y1 + h * 0.1), (w * 0.22, h * 0.1), head)
    elif cls == VEHICLE:
        shell = max(ground_ck + 600.0, _ck(18.0))
        _rect(img, (x1, y1 + h * 0.15, x2, y2 - h * 0.1), shell)
        _rect(img, (x1 + w * 0.05, y1 + h * 0.45, x1 + w * 0.35, y2 - h * 0.2), _ck(max(temp_c, 40.0) + 20.0))
        _rect(img, (x1 + w * 0.1, y2 - h * 0.2, x2 - w * 0.1, y2), _ck(max(temp_c, 40.0)))  # tyres, exhaust
    else:
        fur = _ck(min(max(temp_c - 8.0, 27.0), 32.0))
        _ellipse(img, (cx, y1 + h * 0.4), (w * 0.45, h * 0.25), fur)
        _ellipse(img, (x2 - w * 0.08, y1 + h * 0.2), (w * 0.1, h * 0.15), fur + 200)
        for f in (0.2, 0.4, 0.6, 0.8):
            _rect(img, (x1 + w * f - w * 0.03, y1 + h * 0.55, x1 + w * f + w * 0.03, y2), fur - 150)


def _ellipse(img: F32, centre: tuple[float, float], axes: tuple[float, float], value: float) -> None:
    c = (round(float(centre[0])), round(float(centre[1])))
    a = (max(round(float(axes[0])), 0), max(round(float(axes[1])), 0))
    cv2.ellipse(img, c, a, 0, 0, 360, float(value), -1)


def _rect(img: F32, box: tuple[float, float, float, float], value: float) -> None:
    x1, y1, x2, y2 = (round(float(v)) for v in box)
    cv2.rectangle(img, (x1, y1), (max(x2 - 1, x1), max(y2 - 1, y1)), float(value), -1)
