"""Scoring reports against ground truth: one-to-one, gated by class, direction, time and place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from borderwatch.simulators.score import Crossing, Reported, score

T0 = datetime(2026, 11, 27, 12, tzinfo=UTC)


def truth(dt: float, cls: str = "person", direction: str = "inbound", lat: float = 48.0, seen: bool = True):
    return Crossing(T0 + timedelta(seconds=dt), cls, direction, lat, 22.0, ("cam-1",) if seen else ())


def report(dt: float, cls: str = "person", direction: str | None = "inbound", lat: float | None = 48.0):
    return Reported(T0 + timedelta(seconds=dt), cls, direction, lat, None if lat is None else 22.0)


def test_two_people_close_together_each_claim_one_report() -> None:
    s = score([truth(0), truth(2, lat=48.0001)], [report(2.5, lat=48.0001), report(0.5)])
    assert (s.matched, s.missed, s.false_reports) == (2, 0, 0)
    assert sorted(s.pairs) == [(0, 1), (1, 0)]


def test_wrong_class_direction_time_or_place_do_not_match() -> None:
    t = [truth(0)]
    for r in (report(0, cls="animal"), report(0, direction="outbound"), report(60), report(0, lat=48.01)):
        s = score(t, [r])
        assert (s.matched, s.missed, s.false_reports) == (0, 1, 1)


def test_unseen_crossings_are_not_misses() -> None:
    s = score([truth(0, seen=False), truth(30)], [report(31)])
    assert (s.expected, s.matched, s.unseen, s.missed) == (1, 1, 1, 0)
    assert s.recall == 1.0 and s.precision == 1.0
    assert s.mean_error_m is not None and s.mean_error_m < 1.0


def test_nothing_reported() -> None:
    s = score([truth(0)], [])
    assert (s.matched, s.missed, s.recall) == (0, 1, 0.0)


def test_group_walking_over_together_is_one_situation() -> None:
    from borderwatch.simulators.score import situations

    group = [truth(0), truth(1, lat=48.00001), truth(2, lat=48.00002)]
    apart = [truth(100), truth(101, direction="outbound"), truth(102, cls="vehicle")]
    assert len(situations(group + apart, radius_m=40, window_s=30)) == 4
