"""SqliteStore: idempotent events, telemetry, dead letters, retention, durability across reopen."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from borderwatch.hub.store.base import AlertCount, DeadLetter, EventStore
from borderwatch.hub.store.retention import Retention
from borderwatch.hub.store.sqlite import SqliteStore
from borderwatch.runtime.sqlite import is_disk_full
from tests.support.builders import make_event, make_events, make_telemetry
from tests.support.waits import wait_until


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "hub.sqlite", run_retention=False)
    yield s
    s.close()


def test_is_an_event_store(store):
    assert isinstance(store, SqliteStore)
    sink: EventStore = store  # static check: the protocol is satisfied
    assert sink is store


@pytest.mark.parametrize(
    ("first", "second", "new_second", "total"),
    [
        ((0, 100), (0, 100), 0, 100),  # full replay
        ((0, 100), (50, 150), 50, 150),  # half overlap
        ((0, 10), (10, 20), 10, 20),  # disjoint
        ((0, 1), (0, 1), 0, 1),  # single event twice
    ],
    ids=["replay", "overlap", "disjoint", "single"],
)
def test_write_events_counts_new_and_never_duplicates(store, first, second, new_second, total):
    assert store.write_events(make_events(first[1] - first[0], start=first[0])) == first[1] - first[0]
    assert store.write_events(make_events(second[1] - second[0], start=second[0])) == new_second
    assert store.count_events() == total


def test_submit_events_returns_a_resolved_future(store):
    assert store.submit_events(make_events(3)).result(timeout=0) == 3
    assert store.submit_events(make_events(3)).result(timeout=0) == 0


def test_duplicate_inside_one_batch_counts_once(store):
    ev = make_event(5)
    assert store.write_events([ev, ev, make_event(6)]) == 2
    assert store.count_events() == 2


def test_replay_overwrites_content(store):
    store.write_events([make_event(1)])
    changed = make_event(1).model_copy(update={"confidence": 0.33})
    assert store.write_events([changed]) == 0
    assert store.events()[0].confidence == pytest.approx(0.33)


def test_events_round_trip_and_filters(store):
    cams = make_events(5, sensor="cam1")
    later = cams[-1].ts + timedelta(seconds=1)
    radar = make_events(3, start=100, sensor="radar1", radar=True, agent="a2", end=later)
    store.write_events(cams)
    store.write_events(radar)
    newest = store.events(limit=3)
    assert len(newest) == 3
    assert store.events(agent="a2", limit=10) == sorted(radar, key=lambda e: e.ts, reverse=True)
    assert store.count_events(sensor_kind="radar") == 3
    assert store.count_events(agent="a1", kind="track_update") == 5
    assert store.count_events(since=cams[3].ts) == 2 + 3
    counts = {(c.agent, c.sensor): c.events for c in store.counts_by_sensor()}
    assert counts == {("a1", "cam1"): 5, ("a2", "radar1"): 3}


def test_unknown_filter_is_refused(store):
    with pytest.raises(ValueError, match="unknown event filter"):
        store.count_events(colour="red")


def test_telemetry_is_idempotent_per_agent_and_ts(store):
    tm = make_telemetry()
    store.write_telemetry(tm)
    store.write_telemetry(tm)
    store.write_telemetry(make_telemetry(agent="a2"))
    assert store.count_rows("telemetry") == 2
    assert store.telemetry(agent="a1") == [tm]


def test_dead_letters_keep_raw_bytes_newest_first(store):
    now = datetime.now(UTC)
    store.write_dead_letter(DeadLetter(now, "bw/v1/s1/a1/events", "not_json", b"\x00\xffgarbage"))
    store.write_dead_letter(DeadLetter(now, "bw/v1/s1/a1/events", "oversized", b"x" * 10))
    letters = store.dead_letters(limit=10)
    assert [d.reason for d in letters] == ["oversized", "not_json"]
    assert letters[1].payload == b"\x00\xffgarbage"
    assert letters[1].received_at == now


def test_alert_counts_overwrite_same_interval(store):
    ts = datetime.now(UTC).replace(microsecond=0)
    store.write_alert_counts([AlertCount(ts, "s1", "border_line", "critical", 2)])
    store.write_alert_counts([AlertCount(ts, "s1", "border_line", "critical", 3)])
    assert store.count_rows("alerts") == 1


def test_retention_per_measurement(tmp_path):
    ret = Retention(events_days=1, telemetry_days=0.5, dead_letters_days=0, alerts_days=1)
    store = SqliteStore(tmp_path / "r.sqlite", retention=ret, run_retention=False)
    now = datetime.now(UTC)
    old, older = now - timedelta(hours=13), now - timedelta(days=2)
    store.write_events([make_event(1, ts=older), make_event(2, ts=old), make_event(3, ts=now)])
    store.write_telemetry(make_telemetry(ts=old))
    store.write_telemetry(make_telemetry(ts=now))
    store.write_dead_letter(DeadLetter(older, "t", "schema", b"{}"))
    deleted = store.enforce_retention(now)
    assert deleted == {"events": 1, "telemetry": 1, "alerts": 0}  # dead letters kept for ever (0 days)
    assert store.count_events() == 2
    assert store.count_rows("telemetry") == 1
    assert store.count_rows("dead_letters") == 1
    store.close()


def test_retention_runs_periodically(tmp_path):
    ret = Retention(events_days=1, check_interval_s=1)
    store = SqliteStore(tmp_path / "p.sqlite", retention=ret)
    store.write_events([make_event(1, ts=datetime.now(UTC) - timedelta(days=3)), make_event(2)])
    wait_until(lambda: store.count_events() == 1, 5, "the periodic retention to delete the old event")
    store.close()


def test_durable_mode_is_wal_full(store):
    mode = store._writer.execute("PRAGMA journal_mode").fetchone()[0]
    sync = store._writer.execute("PRAGMA synchronous").fetchone()[0]
    assert (mode, sync) == ("wal", 2)  # 2 = FULL


def test_events_survive_kill_without_close(tmp_path):
    """A writer process killed right after write_events returned: every event is there on reopen."""
    path = tmp_path / "kill.sqlite"
    code = textwrap.dedent(
        f"""
        import os, signal
        from borderwatch.hub.store.sqlite import SqliteStore
        from tests.support.builders import make_events
        s = SqliteStore({str(path)!r}, run_retention=False)
        s.write_events(make_events(500))
        s.write_events(make_events(500, start=500))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=".", timeout=60)
    assert proc.returncode == -9
    reopened = SqliteStore(path, run_retention=False)
    assert reopened.count_events() == 1000
    assert reopened.write_events(make_events(1000)) == 0  # replay after restart: nothing new
    reopened.close()
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_full_disk_raises_sqlites_error_and_the_store_writes_again(store):
    """SQLite rolls back by itself on SQLITE_FULL: the store must raise that error (the ingest loop
    keeps the batch and retries), not "cannot rollback - no transaction is active"."""
    store.write_events(make_events(50))
    store._writer.execute("PRAGMA max_page_count = 1")  # a full disk, portably: no page beyond those used
    with pytest.raises(sqlite3.OperationalError) as exc:
        store.write_events(make_events(500, start=1000))
    assert is_disk_full(exc.value), exc.value
    store._writer.execute("PRAGMA max_page_count = 1073741823")  # room again
    assert store.write_events(make_events(500, start=1000)) == 500
    assert store.count_events() == 550
