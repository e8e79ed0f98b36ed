"""The agent's outbox: sequence numbers that never repeat, durability, trimming and the drop policy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.contract import Event, EventBatch, Telemetry
from borderwatch.edge.config.link import OutboxConfig
from borderwatch.edge.outbox import Outbox
from tests.support.builders import outbox_events


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def _box(tmp_path: Path, clock: Clock | None = None, **cfg) -> Outbox:
    return Outbox(tmp_path / "outbox.sqlite3", OutboxConfig(**cfg), clock=clock or Clock())


def _tel(n: int = 0) -> Telemetry:
    return Telemetry(site="s1", agent="a1", ts=datetime.now(UTC), outbox_depth=n)


def test_append_assigns_consecutive_seqs_that_continue_after_reopen(tmp_path):
    box = _box(tmp_path)
    first = box.append(outbox_events("s1", "a1", 0, 5))
    assert [e.seq for e in first] == [0, 1, 2, 3, 4]
    box.close()
    box = _box(tmp_path)
    again = box.append(outbox_events("s1", "a1", 5, 3))
    assert [e.seq for e in again] == [5, 6, 7]
    assert box.last_seq == 7
    assert [e.id for e in box.pending(100)] == [e.id for e in first + again]


def test_seqs_survive_sigkill_right_after_append(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from borderwatch.edge.config.link import OutboxConfig
        from borderwatch.edge.outbox import Outbox
        from tests.support.builders import outbox_events
        box = Outbox(Path({str(tmp_path / "outbox.sqlite3")!r}), OutboxConfig())
        for i in range(10):
            box.append(outbox_events("s1", "a1", i * 7, 7))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1], check=False)
    assert proc.returncode == -signal.SIGKILL
    box = _box(tmp_path)
    assert box.last_seq == 69
    assert [e.seq for e in box.pending(1000)] == list(range(70))
    assert box.append(outbox_events("s1", "a1", 70, 1))[0].seq == 70


def test_pending_skips_confirmed_and_honours_after(tmp_path):
    box = _box(tmp_path, replay_window_s=60)
    box.append(outbox_events("s1", "a1", 0, 10))
    assert box.confirm(3) is True
    assert box.confirm(2) is False
    assert [e.seq for e in box.pending(100)] == [4, 5, 6, 7, 8, 9]
    assert [s for s, _ in box.pending_raw(3, after=6)] == [7, 8, 9]
    assert box.depth() == 6


def test_confirmed_events_stay_for_the_replay_window_then_go(tmp_path):
    clock = Clock()
    box = _box(tmp_path, clock, replay_window_s=60)
    box.append(outbox_events("s1", "a1", 0, 10))
    box.confirm(4)
    assert [e.seq for e in box.replay(2, 6)] == [2, 3, 4, 5, 6]
    clock.t += 61
    box.maintain()
    assert [e.seq for e in box.replay(0, 9)] == [5, 6, 7, 8, 9]
    assert box.stats().dropped == 0


def test_confirm_with_zero_window_trims_at_once(tmp_path):
    box = _box(tmp_path, replay_window_s=0)
    box.append(outbox_events("s1", "a1", 0, 10))
    box.confirm(9)
    assert box.stats().rows == 0
    assert box.depth() == 0
    assert box.append(outbox_events("s1", "a1", 10, 1))[0].seq == 10


def test_row_bound_drops_confirmed_first_uncounted_then_unconfirmed_counted(tmp_path):
    box = _box(tmp_path, max_events=100, replay_window_s=3600)
    box.append(outbox_events("s1", "a1", 0, 80))
    box.confirm(29)
    box.append(outbox_events("s1", "a1", 80, 40))  # 120 rows: 20 confirmed go, nothing counted
    st = box.stats()
    assert (st.rows, st.dropped_events) == (100, 0)
    assert box.replay(0, 19) == []
    box.append(outbox_events("s1", "a1", 120, 30))  # 10 confirmed left, then 20 unconfirmed oldest
    st = box.stats()
    assert (st.rows, st.dropped_events) == (100, 20)
    assert box.pending(1)[0].seq == 50


def test_byte_bound_drops_telemetry_before_unconfirmed_events(tmp_path):
    box = _box(tmp_path, max_bytes=1024 * 1024)
    for i in range(200):
        box.append_telemetry(_tel(i))
    event_size = len(box.pending_raw(1)[0][1]) if box.append(outbox_events("s1", "a1", 0, 1)) else 0
    n = (1024 * 1024) // event_size + 400  # over by more than all the telemetry
    box.append(outbox_events("s1", "a1", 1, n))
    st = box.stats()
    assert st.telemetry_depth == 0
    assert st.dropped_telemetry == 200
    assert st.bytes <= 1024 * 1024
    assert st.dropped_events > 0
    assert st.dropped == st.dropped_events + 200


def test_unconfirmed_events_past_max_age_are_dropped_and_counted(tmp_path):
    clock = Clock()
    box = _box(tmp_path, clock, max_event_age_s=3600)
    box.append(outbox_events("s1", "a1", 0, 5))
    clock.t += 1800
    box.append(outbox_events("s1", "a1", 5, 5))
    clock.t += 1801
    box.maintain()
    assert [e.seq for e in box.pending(100)] == [5, 6, 7, 8, 9]
    assert box.stats().dropped_events == 5


def test_telemetry_is_kept_bounded_and_removed_when_delivered(tmp_path):
    clock = Clock()
    box = _box(tmp_path, clock, max_telemetry=10, telemetry_max_age_s=60)
    ids = [box.append_telemetry(_tel(i)) for i in range(12)]
    rows = box.telemetry_raw(100)
    assert [r[0] for r in rows] == ids[2:]
    assert Telemetry.model_validate_json(rows[0][1]).outbox_depth == 2
    box.remove_telemetry([r[0] for r in rows[:3]])
    assert box.stats().telemetry_depth == 7
    clock.t += 61
    box.maintain()
    assert box.stats().telemetry_depth == 0
    assert box.stats().dropped_telemetry == 2 + 7


def test_confirm_beyond_our_seqs_renumbers_unconfirmed_events_above_it(tmp_path):
    box = _box(tmp_path)
    box.append(outbox_events("s1", "a1", 0, 3))
    box.confirm(500)  # the hub remembers a previous life of this agent
    assert [e.seq for e in box.pending(10)] == [501, 502, 503]
    assert box.append(outbox_events("s1", "a1", 3, 1))[0].seq == 504
    box.close()
    box = _box(tmp_path)
    assert box.last_seq == 504
    assert box.pending(10)[0].id == "a1-b0-000000000"


def test_raw_rows_join_into_a_valid_event_batch(tmp_path):
    box = _box(tmp_path)
    box.append(outbox_events("s1", "a1", 0, 4))
    body = ",".join(b for _, b in box.pending_raw(10))
    payload = f'{{"v":1,"site":"s1","agent":"a1","sent_at":"2026-01-01T00:00:00Z","events":[{body}]}}'
    batch = EventBatch.model_validate_json(payload)
    assert [e.seq for e in batch.events] == [0, 1, 2, 3]
    assert isinstance(batch.events[0], Event)


@pytest.mark.parametrize("sync", ["full", "normal"])
def test_synchronous_mode_is_applied(tmp_path, sync):
    box = _box(tmp_path, synchronous=sync)
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == {"full": 2, "normal": 1}[sync]
    assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert os.path.exists(tmp_path / "outbox.sqlite3")
