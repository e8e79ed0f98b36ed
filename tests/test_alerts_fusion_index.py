"""The open-alert index fusion keeps between rounds: after any sequence of opens, new evidence and
closes, it answers every match exactly as an index built afresh from the same open situations,
each track points at the alerts holding it and each agent's count of open alerts is right
(Hypothesis drives the sequences)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.fusion import absorb, new_situation
from borderwatch.hub.alerts.fusion_index import OpenIndex
from borderwatch.hub.alerts.rules import Match, track_key
from tests.support.alerts import event

RULE = AlertsConfig().rules[1]  # the person crossing: 40 m gate, 30 s window

op = st.tuples(st.sampled_from(["open", "absorb", "adopt", "drop"]), st.integers(0, 7), st.integers(0, 5),
               st.integers(0, 3), st.integers(0, 60))  # fmt: skip


def match(place: int, track: int, dt: int) -> Match:
    return Match(RULE, event(dt, "camera", f"cam{track % 2}", lat=52.0 + 0.0003 * place, track=track,
                             agent=f"mast-0{place % 2}"))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(op, max_size=40), st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 60)),
                                           min_size=1, max_size=6))  # fmt: skip
def test_kept_index_answers_like_a_fresh_one(ops: list, probes: list) -> None:
    ix, n = OpenIndex(), 0
    for kind, pick, place, track, dt in ops:
        if kind == "open":
            ix.put(new_situation(match(place, track, dt), f"alert{n:04d}"))
            n += 1
        elif ix.ids:
            aid = ix.ids[pick % len(ix.ids)]
            if kind == "drop":
                ix.drop(aid)
            elif kind == "adopt":  # another instance's copy of the alert: its own tracks, maybe another agent
                ix.put(new_situation(match(place, track, dt), aid))
            else:
                ix.put(absorb(ix.sits[ix.ids.index(aid)], match(place, track, dt)))
    ms = [match(*p) for p in probes]
    fresh = OpenIndex.of(list(ix.sits))
    assert [ix.ids[i] if i >= 0 else None for i in ix.nearest(ms)] == [
        fresh.ids[i] if i >= 0 else None for i in fresh.nearest(ms)]  # fmt: skip
    for aid, s in zip(ix.ids, ix.sits, strict=True):
        assert aid == s.alert.id and aid in ix
        assert all(aid in ix._by_track[tk] for tk in s.tracks)
    assert {a for holders in ix._by_track.values() for a in holders} <= set(ix.ids)
    assert ix.per_agent == Counter((s.alert.site, s.alert.agent) for s in ix.sits)  # the flood cap's count
    assert all(n > 0 for n in ix.per_agent.values())


def test_a_dropped_alert_no_longer_joins() -> None:
    first = match(0, 1, 0)
    ix = OpenIndex.of([new_situation(first, "alert-a0"), new_situation(match(5, 2, 0), "alert-b0")])
    assert ix.nearest([match(0, 1, 1)]).tolist() == [0]
    ix.drop("alert-a0")
    assert len(ix) == 1 and "alert-a0" not in ix and track_key(first.event) not in ix._by_track
    assert ix.nearest([match(0, 1, 1)]).tolist() == [-1]
