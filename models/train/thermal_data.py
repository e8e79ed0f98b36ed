"""Training chips for the thermal classifier, cut by the edge's own hot-spot code from simulated frames.

Each scene (seeded) is one imager (160x120, 320x256 or 640x512; random mast height, tilt and field of
view; day or night) looking at 1-4 actors of random class at 12-220 m, plus 0-4 clutter patches
(sun-warmed rocks, puddles of warm water, a cooling engine block: 3-15 K above the ground, random
shapes) painted into the frame. The background is the same imager's empty scene. Hot spots, range
gates and chips come from ``edge/sensors/thermal/hotspots.py`` exactly as on the mast; a hot spot is
labelled with the actor whose box, snapped out to whole pixels, covers at least half of it, else ``clutter``.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.edge.config.pose import PoseConfig
from borderwatch.edge.pipeline.projection import PoseProjector
from borderwatch.edge.sensors.thermal import hotspots as hs
from borderwatch.simulators.scenario import ActorSpec, CameraPose, Scenario, ThermalSpec
from borderwatch.simulators.thermal.render import ThermalRenderer

CLASSES = ("person", "vehicle", "animal", "clutter")
CLUTTER = 3
SIZES = ((160, 120), (320, 256), (640, 512))
DELTA_CK, MIN_CK, MAX_CK = 300.0, (20 + 273.15) * 100, (150 + 273.15) * 100


def _scene(rng: np.random.Generator, seed: int) -> tuple[Scenario, ThermalSpec]:
    w, h = SIZES[int(rng.integers(len(SIZES)))]
    pose = CameraPose(
        height_m=float(rng.uniform(5, 12)), tilt_deg=float(rng.uniform(5, 14)), hfov_deg=float(rng.uniform(25, 100))
    )
    spec = ThermalSpec(id="th", pose=pose, width=w, height=h, ffc_every_s=0)
    actors = []
    for k in range(int(rng.integers(1, 5))):
        cls = ("person", "vehicle", "animal")[int(rng.choice(3, p=(0.45, 0.25, 0.3)))]
        rng_m = float(rng.uniform(12, 220 if cls != "animal" else 150))
        bearing = np.radians(rng.uniform(-0.4, 0.4) * pose.hfov_deg)
        e, n = rng_m * np.sin(bearing), rng_m * np.cos(bearing)
        heading = rng.uniform(0, 2 * np.pi)
        d = (np.sin(heading) * 3, np.cos(heading) * 3)
        temp = float(rng.uniform(30, 37)) if cls == "person" else None
        actors.append(
            ActorSpec(id=f"a{k}", cls=cls, waypoints=[(e, n), (e + d[0], n + d[1])], speed_mps=1.0, temp_c=temp)
        )
    lighting = "night" if rng.random() < 0.6 else "day"
    return Scenario(seed=seed, lighting=lighting, thermals=[spec], actors=actors, duration_s=10), spec


def _clutter(ck: npt.NDArray[np.uint16], rng: np.random.Generator) -> None:
    h, w = ck.shape
    for _ in range(int(rng.integers(0, 5))):
        cx, cy = float(rng.uniform(0, w)), float(rng.uniform(h * 0.3, h))
        ax, ay = float(rng.uniform(0.5, w / 30)), float(rng.uniform(0.5, h / 30))
        value = float(np.median(ck)) + float(rng.uniform(300, 1500))
        if rng.random() < 0.5:
            cv2.ellipse(
                ck, (round(cx), round(cy)), (round(ax), round(ay)), float(rng.uniform(0, 180)), 0, 360, value, -1
            )
        else:
            pts = np.stack((cx + rng.normal(0, ax, 5), cy + rng.normal(0, ay, 5)), axis=1).astype(np.int32)
            cv2.fillPoly(ck, [cv2.convexHull(pts)], value)


def scene_chips(seed: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """(N, 3, 32, 32) chips and their labels from one random scene."""
    rng = np.random.default_rng(seed)
    scn, spec = _scene(rng, seed)
    renderer = ThermalRenderer(scn, spec)
    empty = ThermalRenderer(scn.model_copy(update={"actors": []}), spec)
    frame = renderer.render(1.5)
    temp = frame.ck.copy()  # uint16 centikelvin, as the mast's frames
    _clutter(temp, rng)
    background = empty.render(0.0).ck.astype(np.float32)
    spots = hs.blobs(temp, hs.hot_mask(temp, hs.Thresholds.of(background, DELTA_CK, MIN_CK, MAX_CK)), 3)
    if not len(spots):
        return np.zeros((0, 3, hs.CHIP, hs.CHIP), np.float32), np.zeros(0, np.int64)
    projector = PoseProjector(PoseConfig(**spec.pose.model_dump(include={"height_m", "tilt_deg", "hfov_deg"})))
    spots = spots[hs.range_gate(spots.xyxy, (spec.width, spec.height), projector, 0.3, 8.0)]
    labels = np.full(len(spots), CLUTTER, np.int64)
    if len(frame.xyxy) and len(spots):
        # an actor heats every pixel it touches: its box snapped out to whole pixels, as the spots' boxes are
        # (a person 90 m away is a fraction of a pixel wide, and its spot a whole one: unsnapped it covered
        # less than half of its own spot and was labelled clutter)
        a, b = spots.xyxy, np.concatenate((np.floor(frame.xyxy[:, :2]), np.ceil(frame.xyxy[:, 2:])), axis=1)
        wh = np.clip(np.minimum(a[:, None, 2:], b[None, :, 2:]) - np.maximum(a[:, None, :2], b[None, :, :2]), 0, None)
        cover = wh[..., 0] * wh[..., 1] / np.maximum((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]), 1)[:, None]
        best = cover.argmax(axis=1)
        hit = cover[np.arange(len(a)), best] >= 0.5
        labels[hit] = frame.class_id[best[hit]]
    return hs.chips(temp, background, hs.chip_boxes(spots.xyxy), DELTA_CK), labels


def make_set(first_seed: int, scenes: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Chips and labels of ``scenes`` scenes with seeds ``first_seed``.. (disjoint ranges: disjoint sets)."""
    xs, ys = zip(*(scene_chips(first_seed + k) for k in range(scenes)), strict=True)
    return np.concatenate(xs), np.concatenate(ys)
