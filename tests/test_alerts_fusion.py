"""Fusion of synthetic multi-sensor events (pure): one place and time -> one situation whose
confidence rises with each independent sensor; order of arrival never changes the outcome."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.contract import Severity
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.fusion import fuse, fused_confidence
from borderwatch.hub.alerts.fusion_index import nearest_open
from borderwatch.hub.alerts.geo import pairwise_m
from borderwatch.hub.alerts.rules import Match, evaluate
from tests.support.alerts import event

RULES = AlertsConfig().rules
M_PER_DEG_LAT = 111_195.0


def matched(*events) -> list[Match]:
    ms, _ = evaluate(RULES, list(events))
    assert len(ms) == len(events)
    return ms


def ids(n: int) -> list[str]:
    return [f"alert{i:04d}" for i in range(n)]


def test_distances_are_one_broadcast_in_metres() -> None:
    d = pairwise_m(np.array([52.0, 52.001]), np.array([14.0, 14.0]), np.array([52.0]), np.array([14.0]))
    assert d.shape == (2, 1) and d[0, 0] == 0 and abs(d[1, 0] - 0.001 * M_PER_DEG_LAT) < 0.5


@pytest.mark.parametrize(
    ("sensors", "confidence"),
    [
        ({"a/radar": 0.6}, 0.6),
        ({"a/radar": 0.6, "a/cam": 0.6}, 0.84),
        ({"a/radar": 0.6, "a/cam": 0.6, "a/thermal": 0.6}, 0.936),
        ({}, 0.0),
    ],
)
def test_confidence_rises_with_each_independent_sensor(sensors: dict[str, float], confidence: float) -> None:
    assert fused_confidence(sensors) == pytest.approx(confidence)


def test_radar_cue_is_upgraded_when_a_camera_confirms_it() -> None:
    radar = event(0, "radar", "rad1", conf=0.6)
    cue = fuse(matched(radar), ids(1))
    assert len(cue) == 1 and cue[0].alert.severity is Severity.WARNING and cue[0].alert.object_class.value == "unknown"
    cam = event(2, "camera", "cam1", conf=0.6, lat=52.00005)  # 5.6 m away, 2 s later
    (both,) = fuse(matched(radar, cam), ids(1))
    a = both.alert
    assert a.severity is Severity.CRITICAL and a.object_class.value == "person"
    assert a.confidence == pytest.approx(0.84) and a.sensors == ["mast-01/cam1", "mast-01/rad1"]
    assert sorted(a.event_ids) == sorted([radar.id, cam.id])
    by_kind = {e.sensor_kind.value: e for e in a.evidence}
    assert by_kind["radar"].speed_mps == 1.4 and by_kind["camera"].snapshot == f"/api/v1/evidence/{cam.id}"


def test_thermal_evidence_keeps_its_temperature() -> None:
    th = event(0, "thermal", "th1", attributes={"temperature_c": 34.5})
    (s,) = fuse(matched(th, event(1, "camera", "cam1")), ids(1))
    assert [e.temperature_c for e in s.alert.evidence if e.sensor_kind.value == "thermal"] == [34.5]


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        (dict(dt=1, lat=52.00005), 1),  # 5.6 m: inside the crossing rules' 10 m gate
        (dict(dt=1, lat=52.0002), 2),  # 22 m: another crossing, another alert
        (dict(dt=1, lat=52.002), 2),  # 222 m away
        (dict(dt=8, lat=52.0), 2),  # same place, after the 5 s window: someone else crossing there
        (dict(dt=100, lat=52.0), 2),  # long after
        (dict(dt=1, direction="outbound"), 2),  # other direction: another situation
        (dict(dt=1, lat=52.002, sensor="cam1", track=1), 1),  # far, but the same track
    ],
)
def test_gate_window_direction_track(second: dict, expected: int) -> None:
    first = event(0, "camera", "cam1", track=1)
    other = event(**{"sensor_kind": "camera", "sensor": "cam2", "track": 7, **second})
    assert len(fuse(matched(first, other), ids(2))) == expected


def test_distress_follows_the_person_across_the_line_and_takes_the_first_crossing_direction() -> None:
    distress = {"attributes": {"distress": True}}
    walk = [
        event(0, "thermal", "th1", kind="track_update", track=3, **distress),
        event(4, "thermal", "th1", kind="line_crossing", track=3, direction="inbound", **distress),
        event(9, "thermal", "th1", kind="line_crossing", track=3, direction="outbound", **distress),
    ]
    for order in (walk, walk[::-1], [walk[2], walk[0], walk[1]]):
        (s,) = fuse(matched(*order), ids(1))
        assert s.alert.rule == "person-in-distress" and s.alert.direction == "inbound"
        assert s.alert.ts == walk[0].ts and len(s.alert.event_ids) == 3


def test_a_distress_alert_without_a_crossing_has_no_direction() -> None:
    (s,) = fuse(matched(event(0, "thermal", "th1", kind="track_update", attributes={"distress": True})), ids(1))
    assert s.alert.direction is None and s.crossed is None


def test_one_sensor_seeing_twice_counts_once() -> None:
    (s,) = fuse(matched(event(0, sensor="cam1", conf=0.6), event(1, sensor="cam1", conf=0.6)), ids(1))
    assert s.alert.confidence == pytest.approx(0.6)


def test_new_matches_join_the_nearest_open_situation() -> None:
    open_ = fuse(matched(event(0, lat=52.0), event(0, lat=52.01, track=2)), ids(2))
    near_second = matched(event(3, sensor="cam9", lat=52.01005, track=3))
    assert nearest_open(open_, near_second).tolist() == [1]
    assert nearest_open(open_, matched(event(3, lat=52.05, track=4))).tolist() == [-1]


def _scene(seed: int) -> list:
    rng = np.random.default_rng(seed)
    kinds = [("camera", "cam1"), ("radar", "rad1"), ("thermal", "th1"), ("camera", "cam2")]
    out = []
    for i in range(int(rng.integers(1, 12))):
        kind, sensor = kinds[int(rng.integers(0, 4))]
        out.append(event(float(rng.uniform(0, 60)), kind, sensor, conf=float(rng.uniform(0.3, 1.0)),
                         lat=52.0 + float(rng.uniform(0, 0.002)), track=i))  # fmt: skip
    return out


def _outcome(situations) -> set:
    return {(frozenset(s.alert.event_ids), round(s.alert.confidence, 9), s.alert.severity) for s in situations}


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_fusion_does_not_depend_on_arrival_order(seed: int, rnd) -> None:
    ms_a = matched(*_scene(seed))
    ms_b = list(ms_a)
    rnd.shuffle(ms_b)
    assert _outcome(fuse(ms_a, ids(len(ms_a)))) == _outcome(fuse(ms_b, ids(len(ms_b))))


def test_a_situation_stamped_ahead_does_not_swallow_real_matches() -> None:
    # 200 s ahead is inside the hub's default clock-skew limit (300 s), so such an event reaches fusion
    ahead = fuse(matched(event(200, track=5)), ids(1))
    assert nearest_open(ahead, matched(event(0, track=6))).tolist() == [-1]
