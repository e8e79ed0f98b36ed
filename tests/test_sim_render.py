"""Camera model and renderer: projection round trip, boxes that match the drawn actors, night."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.runtime.geo import to_geo
from borderwatch.simulators.camera.projection import Pinhole
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.scenario import ActorSpec, CameraPose, CameraSpec, GeoPoint, Scenario, TerrainSpec

ORIGIN = GeoPoint(lat=48.0, lon=16.0)


def _camera(width: int = 640, height: int = 360, heading: float = 0.0, east: float = 0.0) -> CameraSpec:
    lat, lon = to_geo(east, 0.0, ORIGIN.lat, ORIGIN.lon)
    pose = CameraPose(lat=float(lat), lon=float(lon), height_m=6.0, heading_deg=heading, tilt_deg=10.0, hfov_deg=50)
    return CameraSpec(id="c1", pose=pose, width=width, height=height, noise_sigma=0.0)


def _scene(actors: list[ActorSpec], lighting: str = "day", **cam: float) -> Scenario:
    return Scenario(
        origin=ORIGIN,
        cameras=[_camera(**cam)],
        actors=actors,
        lighting=lighting,
        terrain=TerrainSpec(bushes=0, border_posts_every_m=0, extent_m=150),
    )


def test_projection_round_trip_and_optical_axis() -> None:
    cam = Pinhole.from_spec(_camera(heading=30.0))
    d = 6.0 / np.tan(np.radians(10.0))  # where the optical axis meets the ground
    u, v, _ = cam.project(
        np.array([d * np.sin(np.radians(30))]), np.array([d * np.cos(np.radians(30))]), np.array([0.0])
    )
    assert (u[0], v[0]) == pytest.approx((320.0, 180.0), abs=1e-6)
    assert cam.f == pytest.approx(320 / np.tan(np.radians(25)))
    uu, vv = np.meshgrid(np.linspace(0, 639, 9), np.linspace(120, 359, 7))
    e, n, ok = cam.ground(uu, vv)
    assert ok.all()
    u2, v2, _ = cam.project(e, n, np.zeros_like(e))
    assert np.allclose(u2, uu, atol=1e-6) and np.allclose(v2, vv, atol=1e-6)
    assert not cam.ground(np.array([320.0]), np.array([cam.horizon_v() - 1]))[2][0]


def test_person_box_matches_projection_and_pixels() -> None:
    scn = _scene([ActorSpec(id="p", cls="person", waypoints=[(2, 30), (2, 31)], speed_mps=0.5)])
    r = CameraRenderer(scn, "c1", texture_px=512)
    res = r.render(1.0)
    assert list(res.ids) == ["p"] and res.class_id.tolist() == [0]
    x0, y0, x1, y1 = res.xyxy[0]
    cam, st = r.cam, r.world.state(1.0)
    e, n = cam.from_site(st.east_m, st.north_m, r.world.origin)
    u, v, _ = cam.project(e, n, np.zeros(1))
    _, vt, _ = cam.project(e, n, st.height_m)
    assert y1 == pytest.approx(v[0], abs=1.0) and y0 == pytest.approx(vt[0], abs=1.0)
    assert x0 < u[0] < x1 and 0.15 < (x1 - x0) / (y1 - y0) < 0.6
    diff = np.abs(res.frame.astype(int) - r.background.astype(int)).sum(2) > 10
    ys, xs = np.nonzero(diff)
    assert ys.min() >= y0 - 3 and ys.max() <= y1 + 6 and xs.min() >= x0 - 12 and xs.max() <= x1 + 12
    inner = diff[int(y0) : int(y1), int(x0) : int(x1)]
    assert inner.mean() > 0.3  # the box is filled by the figure, not empty


def test_classes_have_their_shapes() -> None:
    actors = [
        ActorSpec(id="v", cls="vehicle", waypoints=[(-10, 40), (10, 40)], speed_mps=5),
        ActorSpec(id="a", cls="animal", waypoints=[(8, 25), (-8, 25)], speed_mps=1),
    ]
    res = CameraRenderer(_scene(actors), "c1", texture_px=512).render(1.0)
    w = {i: (b[2] - b[0]) / (b[3] - b[1]) for i, b in zip(res.ids, res.xyxy, strict=True)}
    assert w["v"] > 2.0 and w["a"] > 1.0  # side-on car and quadruped are wider than tall


def test_occluded_actor_is_dropped_or_partial() -> None:
    actors = [
        ActorSpec(id="near", cls="vehicle", waypoints=[(0, 20), (0.1, 20)], speed_mps=0.05),
        ActorSpec(id="far", cls="person", waypoints=[(0, 22), (0.1, 22)], speed_mps=0.05),
    ]
    res = CameraRenderer(_scene(actors), "c1", texture_px=512).render(0.5)
    vis = dict(zip(res.ids, res.visible_frac, strict=True))
    assert vis["near"] == pytest.approx(1.0, abs=0.02)
    assert "far" not in vis or vis["far"] < 0.9


def test_night_is_dark_grey_and_world_is_deterministic() -> None:
    a = [ActorSpec(id="p", cls="person", waypoints=[(0, 30), (0, 31)], speed_mps=0.5)]
    day = CameraRenderer(_scene(a), "c1", texture_px=512).render(1.0)
    night = CameraRenderer(_scene(a, "night"), "c1", texture_px=512).render(1.0, seed=1)
    night2 = CameraRenderer(_scene(a, "night"), "c1", texture_px=512).render(1.0, seed=1)
    assert night.frame.mean() < day.frame.mean() * 0.6
    assert np.array_equal(night.frame[..., 0], night.frame[..., 1])
    assert np.array_equal(night.frame, night2.frame)
    assert np.allclose(day.xyxy, night.xyxy)


def _person_contrast(reach_m: float | None, north: float) -> float:
    """Mean grey of a person's pixels minus the ground's just beside them, at night."""
    a = [ActorSpec(id="p", cls="person", waypoints=[(0, north), (0, north + 1)], speed_mps=0.5)]
    scn = _scene(a, "night")
    cam = scn.cameras[0].model_copy(update={"illuminator_m": reach_m})
    r = CameraRenderer(scn.model_copy(update={"cameras": [cam]}), "c1", texture_px=512).render(1.0, seed=1)
    x1, y1, x2, y2 = (round(float(v)) for v in r.xyxy[0])
    grey = r.frame[..., 0].astype(np.float64)
    person = grey[y1:y2, x1 + (x2 - x1) // 3 : x2 - (x2 - x1) // 3].mean()
    beside = grey[y1:y2, max(0, x1 - (x2 - x1)) : x1].mean()
    return float(person - beside)


def test_night_darkness_follows_the_illuminator() -> None:
    """Without an illuminator a visible camera sees the dark: a person in view leaves no trace; with one, the
    light falls with the inverse square beyond its reach; unset, the whole scene stays lit as before."""
    assert abs(_person_contrast(0.0, 30.0)) < 1.0
    lit, near, far = _person_contrast(None, 60.0), _person_contrast(40.0, 20.0), _person_contrast(40.0, 60.0)
    assert lit > 20.0 and near > 20.0
    assert far < 0.5 * lit


@pytest.mark.parametrize("cls", ["person", "vehicle", "animal"])
def test_the_drawn_figure_ends_on_its_box_within_half_a_pixel(cls: str) -> None:
    # The thermal renderer once drew feet a row below the ground point (the agent then read the
    # target metres nearer): the camera's filled polygons must end where the truth box says, near
    # and far, on every edge. Read from the label mask the renderer fills with the same polygons.
    actors = [ActorSpec(id=f"a{k}", cls=cls, waypoints=[(-6 + 6 * k, d), (-6 + 6 * k, d + 1)], speed_mps=0.5)
              for k, d in enumerate((25.0, 60.0, 110.0))]  # fmt: skip
    r = CameraRenderer(_scene(actors), "c1", texture_px=512)
    seen: dict[str, np.ndarray] = {}
    draw = r._draw_actors

    def keep(frame: np.ndarray, labels: np.ndarray, state: object, p: object) -> tuple[np.ndarray, np.ndarray]:
        boxes, areas = draw(frame, labels, state, p)
        seen["labels"], seen["boxes"] = labels.copy(), boxes.copy()
        return boxes, areas

    r._draw_actors = keep  # type: ignore[method-assign]
    r.render(1.0)
    labels, boxes = seen["labels"], seen["boxes"]
    assert len(boxes) == 3
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        ys, xs = np.nonzero(labels == k + 1)
        assert len(ys) > 0
        assert ys.max() == pytest.approx(y1, abs=0.51) and ys.min() == pytest.approx(y0, abs=0.51)
        assert xs.max() == pytest.approx(x1, abs=0.51) and xs.min() == pytest.approx(x0, abs=0.51)
