"""Thermal hot path: hot spots at range from the simulator, range gates, chips, and the distress flag."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.contract.events import Distress, EventKind, ThermalReading
from borderwatch.edge.config.pose import PoseConfig
from borderwatch.edge.config.rules import ZoneConfig
from borderwatch.edge.pipeline.projection import PoseProjector
from borderwatch.edge.sensor.kind import BuildContext
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.thermal import hotspots as hs
from borderwatch.edge.sensors.thermal.config import DistressConfig, ThermalConfig
from borderwatch.edge.sensors.thermal.unit import ThermalUnit
from borderwatch.simulators.scenario import ActorSpec, CameraPose, Scenario, ThermalSpec
from borderwatch.simulators.thermal.render import ThermalRenderer

POSE = {"height_m": 8.0, "tilt_deg": 8.0, "hfov_deg": 40.0}
DELTA, LO, HI = 300.0, (20 + 273.15) * 100, (150 + 273.15) * 100


def _scene(w: int, h: int, actors: list[ActorSpec], lighting: str = "night") -> tuple[ThermalRenderer, ThermalRenderer]:
    spec = ThermalSpec(id="th", pose=CameraPose(**POSE), width=w, height=h, ffc_every_s=0)
    scn = Scenario(seed=5, lighting=lighting, thermals=[spec], actors=actors, duration_s=60)
    return ThermalRenderer(scn, spec), ThermalRenderer(scn.model_copy(update={"actors": []}), spec)


def _person(north: float) -> ActorSpec:
    return ActorSpec(id=f"p{north:g}", cls="person", waypoints=[(0.0, north), (3.0, north)], speed_mps=1.0, start_s=0)


@pytest.mark.parametrize(("w", "h"), [(160, 120), (320, 256), (640, 512)])
@pytest.mark.parametrize("north", [25.0, 120.0])
def test_a_person_is_one_hot_spot_at_range_and_passes_the_gate(w: int, h: int, north: float) -> None:
    scene, empty = _scene(w, h, [_person(north)])
    frame = scene.render(1.0)
    temp, bg = frame.ck, empty.render(0.0).ck.astype(np.float32)
    spots = hs.blobs(temp, hs.hot_mask(temp, hs.Thresholds.of(bg, DELTA, LO, HI)), 2)
    assert len(spots) == 1
    truth = frame.xyxy[0]
    assert abs((spots.xyxy[0, 0] + spots.xyxy[0, 2]) / 2 - (truth[0] + truth[2]) / 2) <= 2
    assert 29.0 <= spots.max_ck[0] / 100 - 273.15 <= 38.0
    projector = PoseProjector(PoseConfig(**POSE))
    assert hs.range_gate(spots.xyxy, (w, h), projector, 0.3, 8.0).all()


def test_range_gate_refuses_a_speck_close_by_and_a_wall_far_away() -> None:
    projector = PoseProjector(PoseConfig(**POSE))
    w, h = 320, 256
    near_speck = [150.0, 250.0, 151.0, 251.0]  # bottom rows: ~30 m away, 1 px is a few cm
    wall = [0.0, 130.0, 320.0, 140.0]  # 320 px wide near the horizon: hundreds of metres
    sky = [100.0, 5.0, 104.0, 15.0]  # above the horizon: not on the ground
    keep = hs.range_gate(np.array([near_speck, wall, sky]), (w, h), projector, 0.3, 8.0)
    assert keep.tolist() == [False, False, False]


def test_chips_are_one_batch_for_all_blobs() -> None:
    scene, empty = _scene(320, 256, [_person(30.0), _person(60.0)])
    temp, bg = scene.render(1.0).ck, empty.render(0.0).ck.astype(np.float32)
    spots = hs.blobs(temp, hs.hot_mask(temp, hs.Thresholds.of(bg, DELTA, LO, HI)), 2)
    chips = hs.chips(temp, bg, hs.chip_boxes(spots.xyxy), DELTA)
    assert chips.shape == (len(spots), 3, hs.CHIP, hs.CHIP) and chips.dtype == np.float32
    assert (chips[:, 2].reshape(len(spots), -1).max(axis=1) == 1).all()  # every chip holds its hot spot


def test_blob_temperatures_match_a_per_pixel_reference() -> None:
    rng = np.random.default_rng(3)
    temp = np.rint(rng.normal(29000, 30, (64, 80))).astype(np.uint16)
    temp[10:20, 10:14] += 600
    temp[40:45, 50:70] += 900
    bg = np.full(temp.shape, 29000, np.float32)
    spots = hs.blobs(temp, hs.hot_mask(temp, hs.Thresholds.of(bg, DELTA, LO, HI)), 3)
    assert len(spots) == 2
    for k in range(2):
        x1, y1, x2, y2 = spots.xyxy[k].astype(int)
        region = temp[y1:y2, x1:x2]
        hot = region[(region.astype(np.float64) - 29000) > DELTA]
        assert spots.max_ck[k] == pytest.approx(float(hot.max()))
        assert spots.mean_ck[k] == pytest.approx(float(hot.mean()), rel=1e-6)


def _frames(n: int, people: list[tuple[int, int]], ts0: float = 1_790_000_000.0) -> list[Frame]:
    """Synthetic 160x120 frames with still people (5x12 px at 34 C) at pixel positions."""
    out = []
    for k in range(n):
        data = np.full((120, 160), 28500, np.uint16)
        for x, y in people if k >= 3 else []:
            data[y : y + 12, x : x + 5] = 30715
        out.append(Frame("th-1", ts0 + k * 0.5, k, data))
    return out


def _unit(**distress: object) -> ThermalUnit:
    cfg = ThermalConfig(blob_class="person", distress=DistressConfig(**distress), evidence={"enabled": False})
    return ThermalUnit("th-1", cfg, BuildContext("west-1", "mast-01", 1))


def test_a_still_person_gets_rescue_priority_once_immobile_long_enough() -> None:
    unit = _unit(immobile_s=4.0)
    events = []
    for frame in _frames(30, [(40, 60)]):
        events += unit.finish(unit.plan(frame), None).events
    tracked = [e for e in events if e.track_id is not None]
    assert tracked and all(isinstance(e.temperature, ThermalReading) for e in tracked)
    assert 33.5 <= tracked[0].temperature.max_c <= 34.5
    flagged = [e for e in tracked if e.distress is not None]
    assert flagged, [e.kind for e in tracked]
    first = flagged[0]
    assert first.kind is EventKind.TRACK_UPDATE and first.distress.immobile_s >= 4.0
    assert not first.distress.in_water and 33.5 <= first.distress.body_temp_c <= 34.5
    assert all(e.distress is None for e in tracked if e.ts < first.ts)
    assert first.attributes["distress"] is True and first.attributes["distress_reason"] == "immobile"
    # the hub's default rules put it first: a humanitarian alert ahead of ordinary crossings
    from borderwatch.hub.alerts.config import default_rules
    from borderwatch.hub.alerts.rules import matches

    rule = next(r for r in default_rules() if matches(r, first))
    assert rule.name == "person-in-distress" and rule.severity.value == "humanitarian"


def test_a_person_in_a_water_zone_is_flagged_at_once() -> None:
    water = ZoneConfig(name="river", points=[(0, 0), (80, 0), (80, 119), (0, 119)])
    unit = _unit(immobile_s=600.0, water_zones=[water])
    events = []
    for frame in _frames(10, [(40, 60), (120, 60)]):
        events += unit.finish(unit.plan(frame), None).events
    flagged = {e.track_id for e in events if e.distress is not None}
    assert len(flagged) == 1
    ev = next(e for e in events if e.distress is not None)
    assert ev.distress.in_water and ev.box is not None and ev.box.x2 <= 80


def test_distress_field_is_bounded_and_finite() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Distress(body_temp_c=float("nan"), immobile_s=1.0)
    with pytest.raises(ValidationError):
        Distress(body_temp_c=36.0, immobile_s=-1.0)
    with pytest.raises(ValidationError):
        ThermalReading(max_c=float("inf"), mean_c=30.0)


def test_evidence_is_a_false_colour_picture_of_the_thermal_frame(tmp_path) -> None:
    cfg = ThermalConfig(blob_class="person", evidence={"dir": str(tmp_path)})
    unit = ThermalUnit("th-1", cfg, BuildContext("west-1", "mast-01", 1))
    snapshots = []
    for frame in _frames(8, [(40, 60)]):
        snapshots += unit.finish(unit.plan(frame), None).snapshots
    assert snapshots, "a new track wants evidence"
    assert snapshots[0].frame.shape == (120, 160, 3) and snapshots[0].frame.dtype == np.uint8
    x1, y1, x2, y2 = snapshots[0].boxes[0]
    assert 38 <= x1 <= 42 and 58 <= y1 <= 62 and x2 <= 47 and y2 <= 74


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    delta=st.integers(1, 800),
    bounds=st.tuples(st.integers(20000, 31000), st.integers(0, 40000)),
)
def test_integer_bounds_and_cropped_labelling_match_the_float_and_full_frame_reference(
    seed: int, shape: tuple[int, int], delta: int, bounds: tuple[int, int]
) -> None:
    """The per-pixel integer bounds give the float test's mask, and labelling only the hot pixels'
    bounding box gives OpenCV's full-frame components, boxes and areas."""
    rng = np.random.default_rng(seed)
    lo, hi = bounds[0], bounds[0] + bounds[1]
    bg = rng.uniform(25000, 31000, shape).astype(np.float32)
    frame = np.rint(bg + rng.normal(0, 600, shape)).clip(0, 65535).astype(np.uint16)
    mask = hs.hot_mask(frame, hs.Thresholds.of(bg, delta, lo, hi))
    t = frame.astype(np.float64)
    reference = ((t - bg) > delta) & (t >= lo) & (t <= hi)
    assert np.array_equal(mask > 0, reference)
    spots = hs.blobs(frame, mask, 1)
    n, _, stats, _ = cv2.connectedComponentsWithStats(reference.view(np.uint8), connectivity=8)
    x, y, w, h, area = (stats[1:, k] for k in range(5))
    expected = sorted(zip(x.tolist(), y.tolist(), (x + w).tolist(), (y + h).tolist(), area.tolist(), strict=True))
    got = sorted(
        (*(int(v) for v in box), int(a)) for box, a in zip(spots.xyxy.tolist(), spots.area.tolist(), strict=True)
    )
    assert got == expected and len(spots) == n - 1


def test_a_far_person_is_drawn_on_its_truth_box_and_placed_where_the_world_has_it() -> None:
    """river-distress: the person 250 m out wading into the river. The feet were drawn 1.5 px below the
    truth box (cv2's filled ellipses take a row beyond the shape), which the agent read, correctly, as
    6-8 m nearer the mast: 1 m further into the river, and a distress alert "1.2 s before" the entry."""
    from borderwatch.deploy.eval_run import LIBRARY
    from borderwatch.simulators.scenario import load_scenario

    scn = load_scenario(LIBRARY / "river-distress.toml")
    spec = scn.thermals[0]
    scene, empty = ThermalRenderer(scn, spec), ThermalRenderer(scn.model_copy(update={"actors": []}), spec)
    bg = empty.render(0.0).ck.astype(np.float32)
    pose = spec.pose.model_dump(include={"lat", "lon", "height_m", "heading_deg", "tilt_deg", "hfov_deg"})
    projector = PoseProjector(PoseConfig(**pose))
    for t in np.arange(20.0, 66.0, 2.3):  # the walk to the river and through it
        frame = scene.render(float(t))
        spots = hs.blobs(frame.ck, hs.hot_mask(frame.ck, hs.Thresholds.of(bg, DELTA, LO, HI)), 2)
        assert len(spots) == 1 and frame.ids == ["p1"]
        assert -1.0 <= spots.xyxy[0, 3] - frame.xyxy[0, 3] <= 0.5  # its feet: the truth box's bottom, to a pixel
        state = scene.world.state(float(t))
        i = [str(a) for a in state.ids].index("p1")
        b = spots.xyxy[0]
        ground = projector.to_ground([((b[0] + b[2]) / 2, b[3])], spec.width, spec.height)[0]
        truth = np.array([state.east_m[i], state.north_m[i]])
        assert abs(np.hypot(*ground) - np.hypot(*truth)) <= 3.0  # a pixel row is ~4 m of range out there


def test_a_warm_spot_sits_on_the_ground_where_the_world_has_it_from_its_time_on() -> None:
    """Terrain warm spots (thermal clutter, simulators/scenario.py): a hot spot at the spot's temperature,
    standing on the ground point the agent's projection finds, absent before ``from_s``; no truth box."""
    from borderwatch.simulators.scenario import TerrainSpec, WarmSpotSpec

    spot = WarmSpotSpec(at=(4.0, 40.0), radius_m=0.5, delta_k=10.0, from_s=5.0)
    spec = ThermalSpec(id="th", pose=CameraPose(**POSE), width=640, height=512, ffc_every_s=0)
    scn = Scenario(seed=5, lighting="night", thermals=[spec], duration_s=60, terrain=TerrainSpec(warm_spots=[spot]))
    scene = ThermalRenderer(scn, spec)
    bg = scene.render(0.0).ck.astype(np.float32)
    early = scene.render(4.9).ck
    assert not hs.blobs(early, hs.hot_mask(early, hs.Thresholds.of(bg, DELTA, 0.0, HI)), 1).xyxy.size
    frame = scene.render(5.0)
    spots = hs.blobs(frame.ck, hs.hot_mask(frame.ck, hs.Thresholds.of(bg, DELTA, 0.0, HI)), 1)
    assert len(spots) == 1 and not frame.ids and not len(frame.xyxy)
    assert spots.max_ck[0] / 100 - scene.ground_c(5.0) - 273.15 == pytest.approx(10.0, abs=0.5)
    b = spots.xyxy[0]
    projector = PoseProjector(PoseConfig(**POSE))
    ground = projector.to_ground([((b[0] + b[2]) / 2, b[3])], spec.width, spec.height)[0]
    assert np.hypot(*(np.asarray(ground) - np.array(spot.at))) <= 2.0


def test_a_masked_hot_spot_costs_no_chip_and_makes_no_track() -> None:
    """``masks`` on an imager (a chimney, a warm outlet, clutter that keeps coming back): hot spots standing
    inside are dropped before classification and tracking; others are untouched."""
    from borderwatch.edge.config.rules import MaskConfig

    mask = MaskConfig(points=[(30, 50), (60, 50), (60, 80), (30, 80)], applies_to="objects")
    cfg = ThermalConfig(blob_class="person", masks=[mask], evidence={"enabled": False})
    unit = ThermalUnit("th-1", cfg, BuildContext("west-1", "mast-01", 1))
    events = []
    for frame in _frames(12, [(40, 60), (120, 60)]):  # feet at (42, 72): inside; (122, 72): outside
        planned = unit.plan(frame)
        assert all(b[0] >= 60 for b in planned.state.spots.xyxy)
        events += unit.finish(planned, None).events
    boxes = {(e.track_id, e.box.x1) for e in events if e.track_id is not None}
    assert boxes and all(x1 >= 100 for _, x1 in boxes)
    with pytest.raises(ValueError, match="no motion gate"):
        ThermalConfig(masks=[MaskConfig(points=mask.points, applies_to="motion")])
