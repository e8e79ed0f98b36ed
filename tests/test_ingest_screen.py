"""Admission, time window, poison isolation, health and dead-letter clipping of the ingest loop."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.hub.ingest.config import IngestConfig
from borderwatch.hub.ingest.decode import Reason
from borderwatch.hub.ingest.health import IngestHealth
from borderwatch.hub.ingest.isolate import verdict, write_isolating
from borderwatch.hub.ingest.screen import AgentGate, TimeWindow
from borderwatch.hub.store.base import DeadLetter, StoreError, StoreRefusedError
from borderwatch.hub.store.sqlite import SqliteStore
from tests.support.builders import make_event, make_events

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_gate_with_allow_list_admits_only_listed_agents():
    gate = AgentGate(IngestConfig(allow_agents=["s1/a1", "s2/a9"]).allowed(), cap=1)
    assert [gate.admit(k) for k in [("s1", "a1"), ("s2", "a9"), ("s1", "a2"), ("s2", "a1")]] == [1, 1, 0, 0]


def test_gate_without_list_learns_up_to_the_cap_and_keeps_the_ledger_agents():
    gate = AgentGate(None, cap=3, known=[("s", "old")])
    got = [gate.admit(("s", f"a{i}")) for i in range(4)]
    assert got == [True, True, False, False]  # old + a0 + a1 = cap
    assert gate.admit(("s", "old")) and gate.admit(("s", "a0"))


@pytest.mark.parametrize("bad", ["s1", "s1/", "/a", "s 1/a", "s1/a/b", "s1/a\n"])
def test_allow_list_entries_are_site_slash_agent(bad):
    with pytest.raises(ValueError, match="allow_agents"):
        IngestConfig(allow_agents=[bad])


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (timedelta(seconds=0), None),
        (timedelta(seconds=299), None),
        (timedelta(seconds=301), Reason.CLOCK_AHEAD),
        (timedelta(days=3650), Reason.CLOCK_AHEAD),
        (-timedelta(days=89), None),
        (-timedelta(days=91), Reason.TOO_OLD),
        (-timedelta(days=20000), Reason.TOO_OLD),
    ],
)
def test_time_window_table(offset, reason):
    window = TimeWindow(timedelta(seconds=300), timedelta(days=90))
    events = [make_event(0, ts=NOW), make_event(1, ts=NOW + offset), make_event(2, ts=NOW)]
    good, bad = window.split(events, NOW)
    if reason is None:
        assert good == events and bad == []
    else:
        assert [e.seq for e in good] == [0, 2] and bad == [(events[1], reason)]


@given(
    st.lists(
        st.tuples(st.integers(-100 * 86_400, 400), st.sampled_from([0, 60, -300, 14 * 60, -12 * 60])),
        min_size=1,
        max_size=6,
    )
)
def test_time_window_judges_instants_whatever_offset_the_events_carry(stamps):
    """The window takes its bounds into the first event's offset (a fast path): events sent in
    other offsets must still be judged by the instant they name, exactly at the edges too."""
    window = TimeWindow(timedelta(seconds=300), timedelta(days=90))
    events = [
        make_event(i, ts=(NOW + timedelta(seconds=s)).astimezone(timezone(timedelta(minutes=m))))
        for i, (s, m) in enumerate(stamps)
    ]
    good, bad = window.split(events, NOW)
    ahead, old = NOW + timedelta(seconds=300), NOW - timedelta(days=90)
    expected = [Reason.CLOCK_AHEAD if e.ts > ahead else Reason.TOO_OLD if e.ts < old else None for e in events]
    assert [e for e, r in zip(events, expected, strict=True) if r is None] == good
    assert [(e, r) for e, r in zip(events, expected, strict=True) if r is not None] == bad


def test_verdict_tells_down_from_refused():
    down = [StoreError("x"), sqlite3.OperationalError("disk I/O error"), OSError(28, "full"), TimeoutError()]
    refused = [StoreRefusedError("id_taken", "x"), sqlite3.IntegrityError("x"), OverflowError("x"), TypeError("x")]
    assert {verdict(e) for e in down} == {"down"}
    assert {verdict(e) for e in refused} == {"refused"}


def _poison_store(tmp_path: Path, poison_track: int = 666) -> SqliteStore:
    """The real SQLite store with a trigger that refuses one kind of row (as a constraint would)."""
    store = SqliteStore(tmp_path / "s.sqlite3", run_retention=False)
    with sqlite3.connect(store.path) as db:
        db.execute(
            f"CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.track_id = {poison_track} "
            "BEGIN SELECT RAISE(ABORT, 'poison row'); END"
        )
    return store


def test_bisection_dead_letters_only_the_refused_events(tmp_path):
    store = _poison_store(tmp_path)
    events = make_events(40)
    events[7] = events[7].model_copy(update={"track_id": 666})
    events[31] = events[31].model_copy(update={"track_id": 666})
    calls: list[int] = []

    def write(items):
        calls.append(len(items))
        return store.write_events(items)

    refused = write_isolating(write, events, tries=3)
    assert [(ev.seq, reason) for ev, (reason, _) in refused] == [(7, "store_refused"), (31, "store_refused")]
    assert "poison row" in refused[0][1][1]
    assert store.count_events() == 38
    assert calls.count(1) >= 2 * 3  # each poison event was tried 3 times alone
    store.close()


def test_a_down_store_is_raised_not_isolated():
    def write(items):
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError):
        write_isolating(write, make_events(4), tries=3)


def test_event_id_stays_with_its_first_owner_in_sqlite(tmp_path):
    store = SqliteStore(tmp_path / "s.sqlite3", run_retention=False)
    mine = make_event(1, site="s1", agent="a1")
    assert store.write_events([mine]) == 1
    assert store.write_events([mine.model_copy(update={"confidence": 0.5})]) == 0  # own replay: fine
    thief = mine.model_copy(update={"agent": "a2", "confidence": 0.1})
    with pytest.raises(StoreRefusedError) as err:
        store.write_events([make_event(2, site="s1", agent="a2"), thief])
    assert err.value.reason == "id_taken"
    [kept] = store.events()
    assert (kept.agent, kept.confidence) == ("a1", 0.5)
    assert store.count_events() == 1  # the whole batch was rolled back; bisection finds the thief
    store.close()


def test_dead_letters_keep_the_first_bytes_size_and_hash(tmp_path):
    store = SqliteStore(tmp_path / "s.sqlite3", run_retention=False)
    payload = b"x" * 1_000_000
    store.write_dead_letter(DeadLetter(NOW, "bw/v1/s/a/events", "schema", payload, detail="why"))
    [got] = store.dead_letters()
    assert (len(got.payload), got.size, got.detail) == (4096, 1_000_000, "why")
    assert got.sha256 == hashlib.sha256(payload).hexdigest()
    assert DeadLetter(NOW, "t", "r", b"abc").clipped(2).clipped(1).payload == b"ab"  # idempotent
    store.close()


def test_health_reports_each_reason_and_recovers():
    now = [0.0]
    health = IngestHealth(lag_s=10, hold_s=60, clock=lambda: now[0])
    assert health.report(0) == {"status": "ok", "reasons": []}
    health.store_down("OperationalError: disk I/O error")
    health.refused(1, "id_taken")
    health.round_started()
    now[0] = 11.0
    report = health.report(5)
    assert report["status"] == "degraded"
    assert [r.split(":")[0].split(" ")[1] for r in report["reasons"]] == ["down", "refused", "lags"]
    health.store_ok()
    health.round_ended()
    now[0] = 80.0
    assert health.report(0)["status"] == "ok"


def test_knows_never_learns_and_follows_the_allow_list() -> None:
    learning = AgentGate(None, cap=2)
    assert not learning.knows(("s", "a"))  # a side channel (evidence) cannot introduce an agent
    assert learning.admit(("s", "a")) and learning.knows(("s", "a"))
    listed = AgentGate(frozenset({("s", "b")}), cap=2)
    assert listed.knows(("s", "b")) and not listed.knows(("s", "a"))
