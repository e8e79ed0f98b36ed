"""Render BGR frames of the world for one camera, with ground-truth boxes of the visible actors.

Why this split: the background (scene.py) is built once, the actors (shapes.py) are a few
cv2.fillPoly calls each, and lighting and sensor noise are whole-frame array operations. A
label buffer drawn with the same polygons gives each actor's visible fraction under occlusion.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.simulators.camera import shapes
from borderwatch.simulators.camera.projection import Pinhole
from borderwatch.simulators.camera.scene import HAZE, background, ground_texture
from borderwatch.simulators.camera.weather import apply_fog, apply_rain, fog_layers
from borderwatch.simulators.scenario import CameraSpec, Scenario
from borderwatch.simulators.world import ActorState, World

U8 = npt.NDArray[np.uint8]
SKIN_BGR, DARK_BGR, GLASS_BGR, LIGHT_BGR = (84, 118, 168), (28, 28, 30), (96, 82, 70), (210, 232, 240)


@dataclass(frozen=True, slots=True)
class RenderResult:
    """One frame and the boxes (xyxy pixels, clipped to the image) of actors visible in it."""

    frame: U8
    xyxy: npt.NDArray[np.float32]
    class_id: npt.NDArray[np.int64]
    ids: npt.NDArray[np.object_]
    visible_frac: npt.NDArray[np.float32]
    depth_m: npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Placed:
    """Actors projected into the image, nearest last (drawing order)."""

    index: npt.NDArray[np.int64]
    u: npt.NDArray[np.float64]
    v: npt.NDArray[np.float64]
    ppm: npt.NDArray[np.float64]
    ppm_y: npt.NDArray[np.float64]
    depth: npt.NDArray[np.float64]
    profile: npt.NDArray[np.float64]
    facing: npt.NDArray[np.float64]


def place(cam: Pinhole, state: ActorState, origin: tuple[float, float]) -> Placed:
    """Project every visible actor's feet and head; keep those in front of and near the image."""
    e, n = cam.from_site(state.east_m, state.north_m, origin)
    u, v, depth = cam.project(e, n, np.zeros_like(e))
    _, vt, _ = cam.project(e, n, state.height_m)
    hd = np.radians(state.heading_deg)
    vel = np.stack([np.sin(hd), np.cos(hd)], axis=1)
    los = np.stack([e, n], axis=1) / np.maximum(np.hypot(e, n), 1e-9)[:, None]
    profile = np.abs(vel[:, 0] * los[:, 1] - vel[:, 1] * los[:, 0])
    facing = np.where(vel @ cam.right[:2] >= 0, 1.0, -1.0)
    ppm = cam.f / np.where(depth > 0, depth, np.inf)
    reach = ppm * np.maximum(state.length_m, state.width_m)
    ok = (
        state.visible
        & (depth > 1.0)
        & (u + reach > 0)
        & (u - reach < cam.width)
        & (v > 0)
        & (vt < cam.height)
        & (v - vt >= 2.0)
    )
    idx = np.nonzero(np.nan_to_num(ok, nan=0).astype(bool))[0]
    idx = idx[np.argsort(-depth[idx], kind="stable")]
    hgt = state.height_m[idx]
    return Placed(idx, u[idx], v[idx], ppm[idx], (v[idx] - vt[idx]) / hgt, depth[idx], profile[idx], facing[idx])


def part_colors(
    main: npt.NDArray, kinds: list[int], haze: float, night: bool, light: float = 1.0
) -> list[tuple[float, ...]]:
    """Colour of each part kind, hazed with distance; at night IR grey, brighter than the ground, times the
    share of the illuminator's light reaching it (``light``)."""
    base = np.asarray(main, np.float32)
    table = np.array([base, base[::-1] * 0.55 + 20, SKIN_BGR, DARK_BGR, GLASS_BGR, LIGHT_BGR], np.float32)
    cols = table[kinds] * (1 - haze) + np.asarray(HAZE, np.float32) * haze
    if night:
        lum = cols @ np.array([0.114, 0.587, 0.299], np.float32)
        cols = np.repeat((70 + 0.55 * lum)[:, None], 3, axis=1) * light
    return [tuple(map(float, c)) for c in cols]


def illumination(distance_m: npt.ArrayLike, reach_m: float | None) -> npt.NDArray[np.float64]:
    """Share of the light at ``distance_m`` a night camera's illuminator gives: 1 / (1 + (d / reach)^2)
    (inverse square beyond ``reach_m``, where it has halved); 0 everywhere without one (``reach_m`` 0) and at
    infinity (the sky); 1 everywhere when the scenario leaves it unset (the whole scene lit).
    """
    d = np.asarray(distance_m, np.float64)
    if reach_m is None:
        return np.ones_like(d)
    if reach_m <= 0:
        return np.zeros_like(d)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + (d / reach_m) ** 2)


def night_frame(img: U8) -> U8:
    """Day picture -> dark low-contrast IR grey with an illuminator hot spot."""
    h, w = img.shape[:2]
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    yy, xx = np.ogrid[:h, :w]
    spot = np.exp(-(((xx - w / 2) / (0.7 * w)) ** 2 + ((yy - 0.65 * h) / (0.7 * h)) ** 2))
    out = (gray * 0.3 + 12) * (0.55 + 0.6 * spot)
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


class CameraRenderer:
    """Renders one camera of a scenario; build once (background cached), call render(t) per frame."""

    def __init__(
        self,
        scenario: Scenario,
        camera: CameraSpec | str,
        world: World | None = None,
        blur_sigma: float = 0.0,
        min_visible: float = 0.3,
        texture_px: int = 2048,
    ) -> None:
        self.scenario = scenario
        self.spec = scenario.camera(camera) if isinstance(camera, str) else camera
        self.world = world or World(scenario)
        self.cam = Pinhole.from_spec(self.spec)
        self.night = scenario.lighting == "night"
        self.blur_sigma = blur_sigma
        self.min_visible = min_visible
        tex = ground_texture(scenario.terrain, self.world.border_en, scenario.seed, texture_px)
        day_bg = background(scenario, self.cam, tex, self.world.border_en)
        self.background = night_frame(day_bg) if self.night else day_bg
        self.reach_m = self.spec.illuminator_m if self.night else None
        if self.reach_m is not None:  # rows fade with their ground distance, the sky is dark
            rows = illumination(self.cam.row_distance(), self.reach_m)[:, None, None]
            self.background = np.round(self.background * rows).astype(np.uint8)
        sigma = self.spec.noise_sigma * (3.0 if self.night else 1.0)
        rng = np.random.default_rng([scenario.seed, 404])
        shape = (self.spec.height + 8, self.spec.width + 8, 3)
        self._noise = [rng.normal(0, sigma, shape).astype(np.int16) for _ in range(3)] if sigma > 0 else []
        self.weather = scenario.weather
        self._fog = fog_layers(self.cam, scenario.visibility_m) if self.weather == "fog" else None

    def render(self, t: float, seed: int | None = None) -> RenderResult:
        """The frame at scenario time t; the noise pattern is drawn from `seed` (default: from t)."""
        return self.render_state(self.world.state(t), seed if seed is not None else int(t * 1000))

    def render_state(self, state: ActorState, seed: int = 0) -> RenderResult:
        """The frame for an explicit actor state (the dataset generator builds its own states)."""
        frame = self.background.copy()
        labels = np.zeros(frame.shape[:2], np.int32)
        p = place(self.cam, state, self.world.origin)
        boxes, areas = self._draw_actors(frame, labels, state, p)
        counts = np.bincount(labels.ravel(), minlength=len(p.index) + 1)[1:]
        vis = (counts / np.maximum(areas, 1)).astype(np.float32)
        frame = self._weather(frame, seed)
        frame = self._sensor(frame, seed)
        return self._result(frame, boxes, vis, state, p)

    def _draw_actors(
        self,
        frame: U8,
        labels: npt.NDArray[np.int32],
        state: ActorState,
        p: Placed,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        boxes = np.zeros((len(p.index), 4), np.float32)
        areas = np.zeros(len(p.index), np.int64)
        for k, i in enumerate(p.index):
            parts = shapes.silhouette(
                int(state.class_id[i]),
                np.array([state.height_m[i], state.width_m[i], state.length_m[i]]),
                float(p.profile[k]),
                float(p.facing[k]),
                float(state.gait_phase[i]),
            )
            scale = np.array([p.ppm[k], -p.ppm_y[k]])
            pts = [poly * scale + (p.u[k], p.v[k]) for poly, _ in parts]
            allp = np.vstack(pts)
            boxes[k] = (*allp.min(0), *allp.max(0))
            polys = [np.round(q * 16).astype(np.int32) for q in pts]
            self._shadow(frame, boxes[k])
            haze = float(1 - np.exp(-p.depth[k] / 700.0))
            light = float(illumination(p.depth[k], self.reach_m))
            colors = part_colors(state.color_bgr[i], [c for _, c in parts], haze, self.night, light)
            shapes.fill_parts(frame, polys, colors)
            areas[k] = _area(polys, boxes[k])
            cv2.fillPoly(labels, polys, k + 1, cv2.LINE_8, shift=4)
        return boxes, areas

    def _shadow(self, frame: U8, box: npt.NDArray[np.float32]) -> None:
        cx, by, w = (box[0] + box[2]) / 2, box[3], box[2] - box[0]
        axes = (max(1, int(w * 0.6)), max(1, int(w * 0.12)))
        if 0 <= by < frame.shape[0] and 0 <= cx < frame.shape[1]:
            col = frame[int(by), int(cx)].astype(np.float32) * 0.6
            cv2.ellipse(frame, (int(cx), int(by)), axes, 0, 0, 360, tuple(map(float, col)), -1, cv2.LINE_AA)

    def _weather(self, frame: U8, seed: int) -> U8:
        if self._fog is not None:
            return apply_fog(frame, self._fog)
        return apply_rain(frame, seed) if self.weather == "rain" else frame

    def _sensor(self, frame: U8, seed: int) -> U8:
        """Sensor noise (pre-drawn fields at a random offset: cheap) and optional defocus."""
        if self._noise:
            rng = np.random.default_rng(seed)
            nz = self._noise[int(rng.integers(len(self._noise)))]
            oy, ox = (int(x) for x in rng.integers(0, 8, 2))
            h, w = frame.shape[:2]
            frame = np.clip(frame.astype(np.int16) + nz[oy : oy + h, ox : ox + w], 0, 255).astype(np.uint8)
        if self.blur_sigma > 0:
            frame = cv2.GaussianBlur(frame, (0, 0), self.blur_sigma)
        return frame

    def _result(
        self,
        frame: U8,
        boxes: npt.NDArray[np.float32],
        vis: npt.NDArray[np.float32],
        state: ActorState,
        p: Placed,
    ) -> RenderResult:
        h, w = frame.shape[:2]
        clipped = np.clip(boxes, 0, [w, h, w, h]).astype(np.float32)
        full = np.prod(np.maximum(boxes[:, 2:] - boxes[:, :2], 1e-6), axis=1)
        inside = np.prod(np.maximum(clipped[:, 2:] - clipped[:, :2], 0), axis=1) / full
        keep = (vis >= self.min_visible) & (inside >= 0.4) & np.all(clipped[:, 2:] - clipped[:, :2] >= 2, axis=1)
        i = p.index[keep]
        return RenderResult(
            frame, clipped[keep], state.class_id[i], state.ids[i], vis[keep], p.depth[keep].astype(np.float32)
        )


def _area(polys: list[npt.NDArray[np.int32]], box: npt.NDArray[np.float32]) -> int:
    """Pixel count of an actor's own silhouette, drawn alone into a box-sized mask."""
    x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
    w, h = int(np.ceil(box[2])) - x0 + 2, int(np.ceil(box[3])) - y0 + 2
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, polys, 1, cv2.LINE_8, shift=4, offset=(-x0 * 16, -y0 * 16))
    return int(mask.sum())
