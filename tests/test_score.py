"""The scorer (simulators/score/): hard gates, every alert counted, undefined ratios undefined.

Table-driven: each case is a truth, what the hub stored, and the figures expected of them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from borderwatch.contract import Alert, AlertState, EventKind, GeoPosition, Severity
from borderwatch.deploy.eval_run import library
from borderwatch.simulators.camera.server import SimClock
from borderwatch.simulators.scenario import load_scenario
from borderwatch.simulators.score.hubread import read_arrivals
from borderwatch.simulators.score.run import score_run, situations
from borderwatch.simulators.score.truthfile import DistressCase, Fault, read_truth
from borderwatch.simulators.site import full_truth
from borderwatch.simulators.truth import write_jsonl
from borderwatch.simulators.world import World
from tests.support.scoring import RECOVERY_S, T0, TOL, WARMUP_S, alert, at, crossing, event, hub, truth


def run(t, h, until=None):
    return score_run(t, h, TOL, WARMUP_S, RECOVERY_S, until)


CAMERA_CASES = {
    # name: (events, (found, expected, false), recall, precision)
    "exact": ([event(1, 31.5, east=2.0)], (1, 1, 0), 1.0, 1.0),
    "outside the position gate": ([event(1, 31.0, east=12.0)], (0, 1, 1), 0.0, 0.0),
    "outside the time gate": ([event(1, 36.0)], (0, 1, 1), 0.0, 0.0),
    "early beyond the gate": ([event(1, 24.0)], (0, 1, 1), 0.0, 0.0),
    "wrong direction": ([event(1, 31.0, direction="outbound")], (0, 1, 1), 0.0, 0.0),
    "wrong class": ([event(1, 31.0, cls="animal")], (0, 1, 1), 0.0, 0.0),
    "unpositioned, in time": ([event(1, 31.0, east=None)], (1, 1, 0), 1.0, 1.0),
    "nothing reported": ([], (0, 1, 0), 0.0, None),
    "twice reported": ([event(1, 31.0), event(2, 31.2)], (1, 1, 1), 1.0, 0.5),
}


@pytest.mark.parametrize("name", list(CAMERA_CASES))
def test_camera_line_crossings_against_the_gates(name):
    events, (found, expected, false), recall, precision = CAMERA_CASES[name]
    det = run(truth([crossing(30.0)]), hub(events)).sensors[0]
    assert (det.found, det.expected, det.false) == (found, expected, false)
    assert det.recall == recall and det.precision == precision


def test_position_error_is_measured_in_metres():
    r = run(truth([crossing(30.0)]), hub([event(1, 31.0, east=3.0)]))
    assert r.localisation_m == [pytest.approx(3.0, abs=0.01)]


def test_nothing_to_score_is_undefined_not_perfect():
    r = run(truth([]), hub())
    assert r.sensors[0].recall is None and r.sensors[0].precision is None
    assert r.crossing_alert_recall is None and r.crossing_alert_precision is None
    assert r.alert_precision is None and r.false_alerts == 0


ALERT_CASES = {
    # name: (crossings, alerts, faults, (situations, alerted, false alerts), recall, precision of crossing alerts)
    "one alert per person": ([crossing(30.0)], [alert(1, 31.0)], [], (1, 1, 0), 1.0, 1.0),
    "alert without direction": ([crossing(30.0)], [alert(1, 31.0, direction=None)], [], (1, 0, 1), 0.0, 0.0),
    "alert out of place": ([crossing(30.0)], [alert(1, 31.0, east=15.0)], [], (1, 0, 1), 0.0, 0.0),
    "a group is one situation": (
        [crossing(30.0, east=e, actor=f"g1-{k}", group="g1") for k, e in enumerate((0.0, 1.3, 2.6))],
        [alert(1, 31.0, east=2.6)],
        [],
        (1, 1, 0),
        1.0,
        1.0,
    ),
    "a second alert for a group is false": (
        [crossing(30.0, east=e, actor=f"g1-{k}", group="g1") for k, e in enumerate((0.0, 1.3))],
        [alert(1, 31.0), alert(2, 31.5, east=1.3)],
        [],
        (1, 1, 1),
        1.0,
        0.5,
    ),
    "animals raise no alert": (
        [crossing(30.0, cls="animal")],
        [alert(1, 31.0, cls="animal")],
        [],
        (0, 0, 1),
        None,
        0.0,
    ),
    "tamper alert without a fault is false": (
        [],
        [alert(1, 40.0, direction=None, rule="camera-tamper")],
        [],
        (0, 0, 1),
        None,
        None,
    ),
    "tamper alert for a covered lens is expected": (
        [],
        [alert(1, 42.0, direction=None, rule="camera-tamper")],
        [Fault(T0 + timedelta(seconds=40), "black", "cam-1", 15.0)],
        (0, 0, 0),
        None,
        None,
    ),
    "offline alert for a covered lens is false": (
        [],
        [alert(1, 42.0, direction=None, rule="sensor-offline")],
        [Fault(T0 + timedelta(seconds=40), "black", "cam-1", 15.0)],
        (0, 0, 1),
        None,
        None,
    ),
    "offline alert for a dead stream is expected": (
        [],
        [alert(1, 50.0, direction=None, rule="sensor-offline")],
        [Fault(T0 + timedelta(seconds=40), "kill", "cam-1", 20.0)],
        (0, 0, 0),
        None,
        None,
    ),
    "a crossing while the camera is dead is no miss": (
        [crossing(45.0)],
        [],
        [Fault(T0 + timedelta(seconds=40), "kill", "cam-1", 20.0)],
        (0, 0, 0),
        None,
        None,
    ),
    "a crossing during warm-up is no miss, its alert no false one": (
        [crossing(5.0)],
        [alert(1, 6.0)],
        [],
        (0, 0, 0),
        None,
        1.0,
    ),
}
KINDS = {"camera-tamper": EventKind.TAMPER.value, "sensor-offline": EventKind.SENSOR_OFFLINE.value}


def test_health_alerts_count_and_pending_ones_do_not():
    kill = Fault(T0 + timedelta(seconds=40), "kill", "cam-1", 20.0)
    degraded = alert(1, 45.0, direction=None, rule="sensor-degraded")
    offline = alert(2, 50.0, direction=None, rule="agent-offline", sensor=None)
    r = run(truth([], faults=[kill]), hub(alerts=[degraded, offline]))
    assert (r.fault_alerts_matched, r.false_alerts, r.alerts_total) == (1, 1, 2)
    waiting = offline.model_copy(update={"state": AlertState.PENDING})
    r = run(truth([]), hub(alerts=[waiting]))
    assert (r.false_alerts, r.alerts_total, r.alerts_pending) == (0, 0, 1)


@pytest.mark.parametrize("name", list(ALERT_CASES))
def test_alerts_per_situation_and_per_fault(name):
    crossings, alerts, faults, (sits, alerted, false), recall, precision = ALERT_CASES[name]
    kinds = {eid: KINDS.get(a.rule, EventKind.LINE_CROSSING.value) for a in alerts for eid in a.event_ids}
    r = run(truth(crossings, faults=faults), hub(alerts=alerts, kinds=kinds))
    assert (r.situations, r.situations_alerted, r.false_alerts) == (sits, alerted, false)
    assert r.crossing_alert_recall == recall and r.crossing_alert_precision == precision
    assert r.alerts_total == len(alerts)


def test_false_alerts_per_simulated_hour():
    t = truth([], duration_s=3600.0 + WARMUP_S)
    r = run(t, hub(alerts=[alert(1, 100.0, cls="animal"), alert(2, 900.0, cls="animal")]))
    assert r.false_alerts == 2 and r.false_alerts_per_hour == pytest.approx(2.0)


def test_latency_is_taken_to_the_alert_arrival_when_known():
    h = hub(alerts=[alert(1, 31.0)])
    assert run(truth([crossing(30.0)]), h).latency_s == [pytest.approx(1.0)]
    h.arrivals = {"alert-0001": T0 + timedelta(seconds=31.8)}
    r = run(truth([crossing(30.0)]), h)
    assert r.latency_s == [pytest.approx(1.8)] and r.latency_source == "arrival"
    h.arrivals = {}  # the subscriber never saw it (e.g. published while the broker restarted)
    r = run(truth([crossing(30.0)]), h)
    assert r.latency_s == [] and r.alerts_not_received == 1


def test_a_crossing_only_a_sensor_of_a_kind_not_built_covers_is_pending_not_missed():
    t = truth([crossing(30.0, seen=("lidar-1",))], sensors={"cam-1": "camera", "lidar-1": "lidar"})
    r = run(t, hub())
    assert (r.situations, r.situations_pending) == (0, 1)
    assert {s.sensor: s.status.split(":")[0] for s in r.sensors} == {"cam-1": "scored", "lidar-1": "pending"}


def test_a_crossing_only_a_thermal_imager_covers_is_scored():
    t = truth([crossing(30.0, seen=("thermal-1",))], sensors={"cam-1": "camera", "thermal-1": "thermal"})
    r = run(t, hub([event(1, 31.0, sensor="thermal-1")], [alert(1, 31.0, sensor="thermal-1")]))
    assert (r.situations, r.situations_alerted, r.situations_pending) == (1, 1, 0)
    assert {s.sensor: (s.status, s.found) for s in r.sensors} == {"cam-1": ("scored", 0), "thermal-1": ("scored", 1)}


def _rescue(n: int, t: float, east: float = 250.0, north: float = 32.0) -> Alert:
    a = alert(n, t, east=None, direction=None, sensor="thermal-1", rule="person-in-distress")
    lat, lon = at(east, north)
    return a.model_copy(update={"severity": Severity.HUMANITARIAN, "position": GeoPosition(lat=lat, lon=lon)})


DISTRESS_CASES = {
    # name: (humanitarian alerts, (situations, alerted, false alerts), recall, latencies)
    "answered in time and place": ([_rescue(1, 61.5)], (1, 1, 0), 1.0, [1.5]),
    "out of place": ([_rescue(1, 61.5, east=265.0)], (1, 0, 1), 0.0, []),
    "too late": ([_rescue(1, 66.0)], (1, 0, 1), 0.0, []),
    "no alert": ([], (1, 0, 0), 0.0, []),
    "a second alert for the same person is false": ([_rescue(1, 61.0), _rescue(2, 62.0)], (1, 1, 1), 1.0, [1.0]),
}


@pytest.mark.parametrize("name", list(DISTRESS_CASES))
def test_people_entering_water_are_answered_by_humanitarian_alerts(name):
    alerts, (sits, alerted, false), recall, latency = DISTRESS_CASES[name]
    t = truth([], sensors={"cam-1": "camera", "thermal-1": "thermal"})
    t.distress = [DistressCase(T0 + timedelta(seconds=60.0), "p1", "water", *at(250.0), ("thermal-1",))]
    r = run(t, hub(alerts=alerts))
    assert (r.distress_situations, r.distress_alerted, r.false_alerts) == (sits, alerted, false)
    assert r.distress_alert_recall == recall and r.distress_alerts == len(alerts)
    assert r.distress_latency_s == [pytest.approx(x) for x in latency]


def test_a_distress_alert_that_took_a_crossing_answers_the_crossing_at_the_crossings_time_and_place(tmp_path):
    """One alert for a person in distress who wades across (hub/alerts/fusion.py): its first event is a track
    update 8 s before the crossing, so the alert's own time is outside the 5 s gate; the crossing event inside
    it is what answers the crossing, and latency runs to the first arrival that showed the direction."""
    t = truth([crossing(40.0, east=250.0, seen=("thermal-1",))], sensors={"thermal-1": "thermal"})
    t.distress = [DistressCase(T0 + timedelta(seconds=32.0), "p1", "water", *at(250.0), ("thermal-1",))]
    walk = event(1, 32.5, east=250.0, kind=EventKind.TRACK_UPDATE, sensor="thermal-1")
    crossed = event(2, 40.4, east=250.5, sensor="thermal-1")
    merged = _rescue(1, 32.5).model_copy(update={"direction": "inbound", "event_ids": [walk.id, crossed.id]})
    path = tmp_path / "arrivals.jsonl"
    lines = [
        {"id": merged.id, "received": (T0 + timedelta(seconds=33.0)).isoformat(), "direction": None},
        {"id": merged.id, "received": (T0 + timedelta(seconds=41.0)).isoformat(), "direction": "inbound"},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    h = hub([walk, crossed], [merged])
    h.arrivals, h.crossing_arrivals = read_arrivals(path), read_arrivals(path, directed=True)
    r = run(t, h)
    assert (r.situations, r.situations_alerted, r.crossing_alerts) == (1, 1, 1)
    assert (r.distress_alerted, r.false_alerts, r.alerts_total) == (1, 0, 1)
    assert r.latency_s == [pytest.approx(1.0)] and r.distress_latency_s == [pytest.approx(1.0)]
    no_crossing = merged.model_copy(update={"event_ids": [walk.id]})  # a direction but no crossing behind it
    r = run(t, hub([walk, crossed], [no_crossing]))
    assert (r.situations_alerted, r.crossing_alerts, r.distress_alerted) == (0, 0, 1)


def test_a_humanitarian_alert_with_no_one_in_distress_is_false():
    r = run(truth([]), hub(alerts=[_rescue(1, 40.0)]))
    assert (r.distress_situations, r.false_alerts, r.distress_alert_recall) == (0, 1, None)


def test_a_demo_stopped_early_does_not_count_later_crossings_as_missed():
    r = run(
        truth([crossing(30.0), crossing(90.0, east=20.0)]),
        hub(alerts=[alert(1, 31.0)]),
        until=T0 + timedelta(seconds=60),
    )
    assert (r.situations, r.situations_alerted, r.crossing_alert_recall) == (1, 1, 1.0)


def test_situations_follow_the_truths_own_groups():
    group = [crossing(30.0 + k, east=1.3 * k, actor=f"g1-{k}", group="g1") for k in range(3)]
    back = [crossing(200.0, direction="outbound", actor="g1-0", group="g1")]
    apart = [crossing(40.0, east=3.0, actor="p2"), crossing(31.0, east=20.0, actor="p3")]  # 10 s / 17 m off
    assert len(situations(group + back + apart, TOL)) == 4


def test_people_crossing_within_the_gates_of_each_other_are_one_party():
    """4 m and 2 s from a group member: one party to any sensor or operator; single linkage along a file."""
    group = [crossing(30.0 + k, east=1.3 * k, actor=f"g1-{k}", group="g1") for k in range(3)]
    close = [crossing(34.0, east=6.6, actor="p2")]  # 4 m and 2 s after g1-2
    file_ = [crossing(37.0, east=10.0, actor="p3")]  # 3.4 m and 3 s after p2: the file goes on
    vehicle = [crossing(31.0, east=2.0, actor="v1", cls="vehicle")]  # another class: its own situation
    sits = situations(group + close + file_ + vehicle, TOL)
    assert sorted(len(s) for s in sits) == [1, 5]


def test_an_alert_for_the_last_member_of_a_party_matches_the_party():
    """A group the camera never saw, then a person 4 m and 4 s behind it that it did: one party, alerted."""
    group = [crossing(30.0 + k, east=1.3 * k, actor=f"g2-{k}", group="g2", seen=()) for k in range(4)]
    late = crossing(37.0, east=8.0, actor="p8")
    r = run(truth([*group, late]), hub(alerts=[alert(1, 38.0, east=8.0)]))
    assert (r.situations, r.situations_alerted, r.false_alerts) == (1, 1, 0)
    assert r.latency_s == [pytest.approx(1.0)]  # from p8's crossing, the one the alert is for


def test_a_fault_in_a_run_played_faster_than_real_time_is_lifted_after_its_wall_duration(tmp_path):
    # The site lifts a fault after duration_s / speed wall seconds (simulators/site.py); the truth file keeps
    # duration_s in scenario seconds. Read at speed 2, a 20 s kill ends 10 s after it began, not 20 s.
    scn = next(load_scenario(p) for p in library() if p.stem == "camera-failure")
    path = tmp_path / "truth.jsonl"
    write_jsonl(path, full_truth(scn, World(scn), SimClock(speed=2.0).start()))
    kill = read_truth(path).faults[0]
    assert (kill.kind, kill.duration_s) == ("kill", 20.0)
    assert kill.end - kill.ts == timedelta(seconds=10.0)


def test_alert_arrivals_read_back_first_receipt_kept(tmp_path):
    path = tmp_path / "arrivals.jsonl"
    lines = [
        {"id": "a1", "received": "2026-12-01T10:00:01.250000+00:00"},
        {"id": "a1", "received": "2026-12-01T10:00:09+00:00"},  # re-notified: the first receipt counts
        {"id": "a2", "received": "2026-12-01T10:00:02Z"},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    got = read_arrivals(path)
    assert got == {
        "a1": datetime(2026, 12, 1, 10, 0, 1, 250000, tzinfo=UTC),
        "a2": datetime(2026, 12, 1, 10, 0, 2, tzinfo=UTC),
    }
    assert read_arrivals(tmp_path / "none.jsonl") == {}
    assert read_arrivals(path, directed=True) == got  # records that do not say (an older recorder) all count
