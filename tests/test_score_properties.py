"""Property tests of the scorer: the truth scored against itself is perfect, order does not matter,
and a report outside the gates never matches."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.simulators.score.match import Tolerances
from borderwatch.simulators.score.run import score_run, situations
from borderwatch.simulators.score.tracks import track_quality
from borderwatch.simulators.score.truthfile import Position
from tests.support.scoring import RECOVERY_S, T0, TOL, WARMUP_S, alert, at, crossing, event, hub, truth

crossings_st = st.lists(
    st.tuples(
        st.floats(min_value=0.0, max_value=40.0),  # seconds after the previous one
        st.floats(min_value=-200.0, max_value=200.0),  # east, metres
        st.sampled_from(["person", "vehicle", "animal"]),
        st.sampled_from(["inbound", "outbound"]),
    ),
    max_size=12,
)


def _truth_and_reports(spec):
    t, crossings, events, alerts = WARMUP_S + 1.0, [], [], []
    for n, (gap, east, cls, direction) in enumerate(spec):
        t += gap + 0.01
        crossings.append(crossing(t, east, cls, direction, actor=f"a{n}"))
        events.append(event(n, t, east, cls, direction, track=n))
    # one alert per party (crossings within the gates of each other are one situation), at its first member
    for n, party in enumerate(situations([c for c in crossings if c.object_class != "animal"], TOL)):
        first = party[0]
        east = next(e for c, e in zip(crossings, (x[1] for x in spec), strict=True) if c == first)
        alerts.append(alert(n, (first.ts - T0).total_seconds(), east, first.object_class, first.direction))
    return truth(crossings, duration_s=t + 60.0), events, alerts


@settings(max_examples=40, deadline=None)
@given(crossings_st)
def test_the_truth_against_itself_is_perfect(spec):
    t, events, alerts = _truth_and_reports(spec)
    r = score_run(t, hub(events, alerts), TOL, WARMUP_S, RECOVERY_S)
    det = r.sensors[0]
    assert det.found == det.expected == len(spec) and det.false == 0
    assert det.recall == (1.0 if spec else None) and det.precision == (1.0 if spec else None)
    assert r.false_alerts == 0 and r.situations_alerted == r.situations
    assert all(e < 1e-6 for e in r.localisation_m) and all(abs(x) < 1e-6 for x in r.latency_s)


@settings(max_examples=25, deadline=None)
@given(crossings_st, st.randoms(use_true_random=False))
def test_report_order_does_not_change_the_score(spec, rnd):
    t, events, alerts = _truth_and_reports(spec)
    a = score_run(t, hub(events, alerts), TOL, WARMUP_S, RECOVERY_S)
    rnd.shuffle(events)
    rnd.shuffle(alerts)
    b = score_run(t, hub(events, alerts), TOL, WARMUP_S, RECOVERY_S)
    assert a.summary() == b.summary()


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=10.01, max_value=500.0), st.floats(min_value=5.01, max_value=100.0), st.booleans())
def test_outside_either_gate_never_matches(dist_m, dt_s, late):
    t = truth([crossing(30.0)])
    far = event(1, 30.5, east=dist_m)
    off = event(2, 30.0 + (dt_s if late else -dt_s))
    for ev in (far, off):
        det = score_run(t, hub([ev]), Tolerances(10.0, 5.0), WARMUP_S, RECOVERY_S).sensors[0]
        assert (det.found, det.false) == (0, 1)


def test_a_perfect_track_has_mota_and_idf1_of_one():
    times = range(11, 60)
    positions = [Position(T0 + timedelta(seconds=s), "p1", "person", *at(0.0, s), ("cam-1",)) for s in times]
    track = [event(s, float(s), 0.0, kind=_kind(s, times), north=float(s), track=7) for s in times]
    r = score_run(truth([], duration_s=60.0, positions=positions), hub(track), TOL, WARMUP_S, RECOVERY_S)
    det = r.sensors[0]
    assert (det.mota, det.idf1, det.id_switches) == (1.0, 1.0, 0)
    half = [e.model_copy(update={"track_id": 8}) if e.ts.second >= 35 else e for e in track]
    det = score_run(truth([], duration_s=60.0, positions=positions), hub(half), TOL, WARMUP_S, RECOVERY_S).sensors[0]
    assert det.id_switches == 1 and det.idf1 is not None and det.idf1 < 1.0
    det = score_run(truth([], duration_s=60.0, positions=positions), hub([]), TOL, WARMUP_S, RECOVERY_S).sensors[0]
    assert det.mota == 0.0


def _kind(s, times):
    from borderwatch.contract import EventKind

    return EventKind.TRACK_NEW if s == times[0] else EventKind.TRACK_UPDATE


def test_a_track_with_nothing_in_view_scores_idf1_zero_and_mota_undefined():
    # IDF1 = 2 IDTP / (truth + tracked): a ghost track alone is 0, not "nothing to score"; MOTA divides
    # by the truth alone, so with none it is undefined. With neither, both are undefined.
    instants = [(T0 + timedelta(seconds=s)).timestamp() for s in range(11, 30)]
    ghost = [event(s, float(s), 0.0, kind=_kind(s, range(11, 30)), north=float(s), track=7) for s in range(11, 30)]
    tq = track_quality([], ghost, instants, TOL.position_m)
    assert (tq.objects, tq.false_positives, tq.mota, tq.idf1) == (0, len(instants), None, 0.0)
    empty = track_quality([], [], instants, TOL.position_m)
    assert (empty.mota, empty.idf1) == (None, None)
