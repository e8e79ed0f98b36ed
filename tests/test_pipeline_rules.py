"""Zone and image-line rules: entry/exit/loitering, crossings in both directions, hysteresis, pruning."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.contract.common import ObjectClass
from borderwatch.edge.pipeline.classes import CLASS_INDEX
from borderwatch.edge.pipeline.rules import LineCrossingRule, ZoneRule
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.scene import Scene
from borderwatch.runtime.geometry import (
    iou_matrix,
    paths_cross_polyline,
    points_in_polygon,
    signed_distance_to_polyline,
)

PERSON = CLASS_INDEX[ObjectClass.PERSON]
VEHICLE = CLASS_INDEX[ObjectClass.VEHICLE]


def _scene(**rules) -> Scene:
    return Scene(CameraConfig.model_validate(rules), (640, 480))


def _walk(scene: Scene, xs: list[float], ys: list[float], cls: int = PERSON) -> list[str]:
    """Move one track's bottom centre along (x, y) points; return the crossing directions seen."""
    rule, coords = scene.lines[0]
    out = []
    for x, y in zip(xs, ys, strict=True):
        box = np.array([[x - 10, y - 40, x + 10, y]])
        hit = rule.update(np.array([7]), scene.rule_points(scene.anchors(box), coords), np.array([cls]))
        out += ["inbound" if b else "outbound" for b in hit.inbound]
    return out


VERTICAL = {"points": [[320, 0], [320, 480]]}  # walking down the screen: left hand = screen right
HORIZONTAL = {"points": [[0, 240], [640, 240]]}  # walking right: left hand = screen top


@pytest.mark.parametrize(
    ("line", "side", "xs", "ys", "expected"),
    [
        (VERTICAL, "left", [100, 200, 300, 400, 500], [300] * 5, ["inbound"]),
        (VERTICAL, "left", [500, 400, 300, 200, 100], [300] * 5, ["outbound"]),
        (VERTICAL, "right", [100, 200, 300, 400, 500], [300] * 5, ["outbound"]),
        (VERTICAL, "right", [500, 400, 300, 200, 100], [300] * 5, ["inbound"]),
        (HORIZONTAL, "left", [300] * 5, [450, 350, 250, 150, 50], ["inbound"]),
        (HORIZONTAL, "left", [300] * 5, [50, 150, 250, 350, 450], ["outbound"]),
        (HORIZONTAL, "left", [300, 300, 300, 300], [450, 350, 150, 450], ["inbound", "outbound"]),
        (VERTICAL, "left", [100, 200, 300, 200, 100], [300] * 5, []),  # turned back before the line
    ],
)
def test_image_line_directions(line: dict, side: str, xs: list, ys: list, expected: list):
    scene = _scene(lines=[{"name": "border", **line, "inbound_side": side}])
    assert _walk(scene, xs, ys) == expected


def test_jitter_on_the_line_never_counts():
    scene = _scene(lines=[{"name": "b", **VERTICAL, "hysteresis": 12}])
    xs = [200] + [320 + (8 if i % 2 else -8) for i in range(40)] + [200]
    assert _walk(scene, xs, [300] * len(xs)) == []
    xs = [200] + [320 + (30 if i % 2 else -30) for i in range(6)]  # real back-and-forth crossings count
    assert len(_walk(scene, xs, [300] * len(xs))) == 5  # 290 -> 350 -> 290 ... five flips


def test_a_track_first_seen_inside_the_dead_band_counts_when_it_leaves_by_the_other_side():
    """Out of fog or range 8 px before the line (band 12 px), then well past it: it crossed."""
    scene = _scene(lines=[{"name": "b", **VERTICAL, "hysteresis": 12}])
    assert _walk(scene, [312, 316, 330, 360, 420], [300] * 5) == ["inbound"]
    assert _walk(_scene(lines=[{"name": "b", **VERTICAL, "hysteresis": 12}]), [328, 400], [300] * 2) == []
    scene = _scene(lines=[{"name": "b", **VERTICAL, "hysteresis": 12}])  # in the band, then back out: nothing
    assert _walk(scene, [312, 325, 315, 280, 200], [300] * 5) == []


def test_going_around_the_end_of_a_polyline_is_no_crossing():
    scene = _scene(lines=[{"name": "fence", "points": [[320, 200], [320, 480]]}])
    assert _walk(scene, [200, 250, 320, 400, 450], [300, 150, 100, 150, 300]) == []
    assert _walk(scene, [450, 200], [300, 300]) == ["outbound"]


def test_line_classes_filter():
    scene = _scene(lines=[{"name": "b", **VERTICAL, "classes": ["vehicle"]}])
    assert _walk(scene, [100, 500], [300, 300], PERSON) == []
    assert _walk(scene, [100, 500], [300, 300], VEHICLE) == ["inbound"]


def test_line_state_is_forgotten_for_ended_tracks():
    rule = LineCrossingRule("b", np.array([[0.0, 0.0], [0.0, 10.0]]), True, 0.5, None)
    rule.update(np.array([1, 2, 3]), np.array([[-5.0, 1], [5.0, 1], [-5.0, 2]]), np.zeros(3, np.int64))
    assert len(rule.state) == 3
    rule.forget(np.array([1, 3]))
    assert rule.state.ids.tolist() == [2]


def _zone(inertia: int = 2, loiter_s: float = 3.0, classes=None) -> ZoneRule:
    square = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    return ZoneRule("z", square, loiter_s, inertia, classes)


def test_zone_entry_exit_and_loitering_once_per_visit():
    zone = _zone()
    path = [(-5, 5), (5, 5), (5, 5), (5, 5), (5, 5), (5, 5), (5, 5), (20, 5), (20, 5), (5, 5), (5, 5)]
    log = []
    for t, p in enumerate(path):
        hits = zone.update(np.array([4]), np.array([p], float), np.array([PERSON]), float(t))
        log += [("entry", t)] * len(hits.entered) + [("exit", t)] * len(hits.exited)
        log += [("loiter", t, float(d)) for d in hits.dwell_s]
    assert log == [("entry", 2), ("loiter", 5, 3.0), ("exit", 8), ("entry", 10)]


def test_zone_inertia_ignores_a_single_jittery_frame_and_nan_positions():
    zone = _zone(inertia=3)
    pts = [(-1, 5), (1, 5), (-1, 5), (1, 5), (np.nan, np.nan), (1, 5), (1, 5)]
    entered = [
        t
        for t, p in enumerate(pts)
        if len(zone.update(np.array([1]), np.array([p], float), np.array([PERSON]), float(t)).entered)
    ]
    assert entered == [6]


def test_zone_classes_and_many_tracks_at_once():
    zone = _zone(inertia=1, classes=np.array([VEHICLE]))
    ids = np.arange(5)
    pts = np.array([[5, 5], [5, 5], [50, 5], [5, 5], [2, 2]], float)
    cls = np.array([VEHICLE, PERSON, VEHICLE, VEHICLE, PERSON])
    hits = zone.update(ids, pts, cls, 0.0)
    assert hits.entered.tolist() == [0, 3]


def test_geometry_primitives():
    square = np.array([[0, 0], [4, 0], [4, 4], [0, 4]], float)
    assert points_in_polygon(np.array([[2, 2], [5, 2], [-1, -1]]), square).tolist() == [True, False, False]
    d = signed_distance_to_polyline(np.array([[-3.0, 5.0], [2.0, 5.0]]), np.array([[0.0, 0.0], [0.0, 10.0]]))
    assert np.allclose(d, [3.0, -2.0])  # walking north along x=0: west is on the left
    assert paths_cross_polyline(np.array([[-1.0, 5]]), np.array([[1.0, 5]]), np.array([[0.0, 0], [0, 10]])).all()
    iou = iou_matrix(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10], [20, 20, 30, 30]]))
    assert np.allclose(iou, [[1 / 3, 0.0]])
    assert iou_matrix(np.zeros((0, 4)), np.zeros((3, 4))).shape == (0, 3)
