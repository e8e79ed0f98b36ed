"""The agent's durable outbox: every event is on disk, with its sequence number, before it is sent.

Why SQLite in WAL mode with ``synchronous=FULL``: a commit returns only after the WAL is fsynced,
so a sequence number handed out is never handed out again, even after a power cut, and an
event the pipeline produced is never lost before the hub confirmed it. Appends are batched per
call so the fsync cost is paid per batch, not per event.

Lifecycle of an event row: appended (seq assigned) -> published by the link (maybe many times)
-> confirmed by the hub's DeliveryConfirm (``seq <= acked_seq``) -> kept for the replay window
-> trimmed. Bounds (``OutboxConfig``) drop, in order: confirmed events, oldest telemetry, oldest
unconfirmed events; only the last two are losses, and both are counted.

A full disk (SQLite's SQLITE_FULL, the OS's ENOSPC) is named as such, never raised to the caller:
events that could not be written are counted (``lost_disk_full``, reported in telemetry), the
outbox reports itself degraded, and the next event or telemetry row that fits ends that: no
restart needed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from borderwatch.contract import Event, Telemetry
from borderwatch.edge.config.link import OutboxConfig
from borderwatch.runtime.sqlite import connect, is_disk_full, transaction

log = logging.getLogger("borderwatch.outbox")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, created REAL NOT NULL, size INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS confirms (seq INTEGER PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS telemetry (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, size INTEGER NOT NULL, body TEXT NOT NULL);
"""
_META_DEFAULTS = {"next_seq": 0, "acked_seq": -1, "dropped_events": 0, "dropped_telemetry": 0, "lost_disk_full": 0}
_DROP_CHUNK = 512
_DISK_FULL_LOG_EVERY_S = 60.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """A snapshot of the outbox for telemetry and tests."""

    next_seq: int
    acked_seq: int
    depth: int
    rows: int
    bytes: int
    telemetry_depth: int
    dropped_events: int
    dropped_telemetry: int
    lost_disk_full: int = 0
    disk_full: bool = False

    @property
    def dropped(self) -> int:
        """What ``Telemetry.outbox_dropped`` reports: every loss, dropped events and telemetry and
        events a full disk kept out."""
        return self.dropped_events + self.dropped_telemetry + self.lost_disk_full


def _event_body(event: Event) -> str:
    return event.model_dump_json(by_alias=True, exclude_none=True)


class Outbox:
    """Disk-backed, bounded, sequence-assigning store of outgoing events and telemetry.

    Thread-safe: the pipeline appends while the link publishes and confirms; one connection
    behind one lock keeps SQLite's single-writer rule trivially true.
    """

    def __init__(self, path: Path, cfg: OutboxConfig, clock: Callable[[], float] = time.time) -> None:
        self._cfg = cfg
        self._clock = clock
        self._lock = threading.Lock()
        self._db = connect(path, synchronous=cfg.synchronous, busy_timeout_s=5.0)
        self._db.executescript(_SCHEMA)
        # Reads (what to publish) go through their own connection: WAL lets them proceed while an
        # append waits for its fsync, and they only ever see committed rows.
        self._rlock = threading.Lock()
        self._rdb = connect(path, busy_timeout_s=5.0)
        self._path = path
        self._lost_unsaved = 0  # events lost to a full disk, not yet counted in meta (no room)
        self._disk_full = False
        self._disk_full_logged = 0.0
        self._db.executemany("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", _META_DEFAULTS.items())
        self._reload()
        log.info(
            "outbox open path=%s next_seq=%d acked_seq=%d rows=%d",
            path,
            self._meta["next_seq"],
            self._meta["acked_seq"],
            self._rows,
        )

    # -- meta ------------------------------------------------------------------------------
    def _reload(self) -> None:
        """Read the counters kept in memory from disk (at open, and after a rolled-back write)."""
        self._meta: dict[str, int] = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        self._rows, self._ev_bytes = self._db.execute("SELECT COUNT(*), COALESCE(SUM(size),0) FROM events").fetchone()
        self._tel_rows, self._tel_bytes = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(size),0) FROM telemetry"
        ).fetchone()

    def _set_meta(self, **values: int) -> None:
        self._db.executemany("UPDATE meta SET value=? WHERE key=?", [(v, k) for k, v in values.items()])
        self._meta.update(values)

    def _write(self, what: str, events: int, body: Callable[[], T], grows: bool = False) -> T | None:
        """Run ``body`` in one transaction under the lock; None when the disk is full.

        Losses are counted in memory while nothing fits and folded into ``meta`` by the first
        write that succeeds again, so a count survives a restart once there is room for it.
        Only a write that adds rows (``grows``) ends a disk-full episode: deletes and
        confirmations may still succeed on a full disk.
        """
        with self._lock:
            try:
                with transaction(self._db, on_rollback=self._reload):
                    out = body()
                    if self._lost_unsaved:
                        self._set_meta(lost_disk_full=self._meta["lost_disk_full"] + self._lost_unsaved)
            except (sqlite3.Error, OSError) as exc:
                if not is_disk_full(exc):
                    raise
                self._on_disk_full(what, events, exc)
                return None
            self._lost_unsaved = 0
            if self._disk_full and grows:
                self._disk_full = False
                log.warning("outbox writing again after disk full lost_events=%d", self._meta["lost_disk_full"])
            return out

    def _on_disk_full(self, what: str, events: int, exc: BaseException) -> None:
        self._lost_unsaved += events
        now = time.monotonic()
        if not self._disk_full or now - self._disk_full_logged >= _DISK_FULL_LOG_EVERY_S:
            log.error(
                "outbox disk full: %s not written lost_events=%d path=%s error=%s",
                what,
                self._meta["lost_disk_full"] + self._lost_unsaved,
                self._path,
                exc,
            )
            self._disk_full_logged = now
        self._disk_full = True

    # -- events ----------------------------------------------------------------------------
    def append(self, events: Sequence[Event]) -> list[Event]:
        """Assign the next sequence numbers and persist; returns the events as stored (with seq).

        On a full disk nothing is stored, the events are counted as lost and ``[]`` comes back.
        """
        if not events:
            return []
        now = self._clock()

        def insert() -> list[Event]:
            first = self._meta["next_seq"]
            out = [ev.model_copy(update={"seq": first + i}) for i, ev in enumerate(events)]
            bodies = [_event_body(ev) for ev in out]
            rows = [(ev.seq, now, len(b), b) for ev, b in zip(out, bodies, strict=True)]
            self._db.executemany("INSERT INTO events(seq, created, size, body) VALUES (?,?,?,?)", rows)
            self._rows += len(rows)
            self._ev_bytes += sum(r[2] for r in rows)
            self._set_meta(next_seq=first + len(out))
            self._enforce_size()
            return out

        return self._write("events", len(events), insert, grows=True) or []

    def pending_raw(self, limit: int, after: int | None = None) -> list[tuple[int, str]]:
        """Unconfirmed events after ``after`` (default: after the hub's confirmation) as (seq, JSON)."""
        floor = max(self._meta["acked_seq"], -1 if after is None else after)
        with self._rlock:
            return self._rdb.execute(
                "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (floor, limit)
            ).fetchall()

    def pending(self, limit: int, after: int | None = None) -> list[Event]:
        """Unconfirmed events in sequence order (the link uses the raw form to skip re-validation)."""
        return [Event.model_validate_json(body) for _, body in self.pending_raw(limit, after)]

    def replay_raw(self, from_seq: int, to_seq: int, limit: int | None = None) -> list[tuple[int, str]]:
        """Stored events in ``[from_seq, to_seq]``, confirmed ones within the replay window included."""
        with self._rlock:
            return self._rdb.execute(
                "SELECT seq, body FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq LIMIT ?",
                (from_seq, to_seq, -1 if limit is None else limit),
            ).fetchall()

    def replay(self, from_seq: int, to_seq: int) -> list[Event]:
        """Events still held in ``[from_seq, to_seq]``; seqs trimmed or dropped are simply absent."""
        return [Event.model_validate_json(body) for _, body in self.replay_raw(from_seq, to_seq)]

    def confirm(self, acked_seq: int) -> bool:
        """The hub holds everything up to ``acked_seq``; returns whether that moved the confirmation."""

        def record() -> bool:
            if acked_seq <= self._meta["acked_seq"]:
                return False
            if acked_seq >= self._meta["next_seq"]:
                self._renumber_above(acked_seq)
            self._db.execute("INSERT OR REPLACE INTO confirms(seq, at) VALUES (?, ?)", (acked_seq, self._clock()))
            self._set_meta(acked_seq=acked_seq)
            self._trim_confirmed()
            return True

        if acked_seq <= self._meta["acked_seq"]:  # the common repeat: no transaction at all
            return False
        return bool(self._write("confirmation", 0, record))

    def _renumber_above(self, acked_seq: int) -> None:
        """The hub confirmed seqs we never assigned: this outbox was replaced (new disk, wiped).

        Our unconfirmed events would look like duplicates to the hub and be dropped, so they move
        above the hub's confirmation, and new events continue from there.
        """
        local_acked = self._meta["acked_seq"]
        rows = self._db.execute("SELECT seq, body FROM events WHERE seq > ? ORDER BY seq", (local_acked,)).fetchall()
        offset = acked_seq + 1 - (rows[0][0] if rows else self._meta["next_seq"])
        log.warning(
            "outbox behind hub confirmation acked_seq=%d next_seq=%d renumbered=%d offset=%d",
            acked_seq,
            self._meta["next_seq"],
            len(rows),
            offset,
        )
        self._db.execute("DELETE FROM events WHERE seq > ?", (local_acked,))
        moved = [(seq + offset, self._clock(), *_reseq(body, seq + offset)) for seq, body in rows]
        self._db.executemany("INSERT INTO events(seq, created, size, body) VALUES (?,?,?,?)", moved)
        self._ev_bytes += sum(m[2] for m in moved) - sum(len(b) for _, b in rows)
        self._set_meta(next_seq=self._meta["next_seq"] + offset if rows else acked_seq + 1)

    def _trim_confirmed(self) -> None:
        """Drop confirmed events whose confirmation is older than the replay window (not a loss)."""
        cutoff = self._db.execute(
            "SELECT MAX(seq) FROM confirms WHERE at <= ?", (self._clock() - self._cfg.replay_window_s,)
        ).fetchone()[0]
        if cutoff is None:
            return
        self._delete_events_upto(cutoff, floor=-1)
        self._db.execute("DELETE FROM confirms WHERE seq < ?", (cutoff,))

    def _delete_events_upto(self, upto: int, floor: int) -> int:
        """Delete events with ``floor < seq <= upto``; returns the number of rows removed."""
        n, size = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(size),0) FROM events WHERE seq > ? AND seq <= ?", (floor, upto)
        ).fetchone()
        if n:
            self._db.execute("DELETE FROM events WHERE seq > ? AND seq <= ?", (floor, upto))
            self._rows -= n
            self._ev_bytes -= size
        return n

    # -- bounds ----------------------------------------------------------------------------
    def _over(self) -> tuple[int, int]:
        """(event rows, bytes) above the configured bounds."""
        return (self._rows - self._cfg.max_events, self._ev_bytes + self._tel_bytes - self._cfg.max_bytes)

    def _enforce_size(self) -> None:
        """Apply the full-outbox policy: confirmed events, then telemetry, then unconfirmed events."""
        rows_over, bytes_over = self._over()
        if rows_over <= 0 and bytes_over <= 0:
            return
        acked = self._meta["acked_seq"]
        self._drop_events_while_over(floor=-1, ceiling=acked, counted=False)
        while self._tel_rows and self._over()[1] > 0:
            self._drop_telemetry(_DROP_CHUNK)
        self._drop_events_while_over(floor=acked, ceiling=None, counted=True)

    def _drop_events_while_over(self, floor: int, ceiling: int | None, counted: bool) -> None:
        while True:
            rows_over, bytes_over = self._over()
            if rows_over <= 0 and bytes_over <= 0:
                return
            chunk = self._db.execute(
                "SELECT seq, size FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                (floor, ceiling if ceiling is not None else 2**62, _DROP_CHUNK),
            ).fetchall()
            if not chunk:
                return
            upto = _cutoff(chunk, max(rows_over, 0), max(bytes_over, 0))
            removed = self._delete_events_upto(upto, floor)
            if counted:
                self._count_event_drops(removed, "outbox full")

    def _count_event_drops(self, n: int, why: str) -> None:
        if n:
            self._set_meta(dropped_events=self._meta["dropped_events"] + n)
            log.warning(
                "outbox dropped unconfirmed events n=%d reason=%s total=%d",
                n,
                why,
                self._meta["dropped_events"],
            )

    def _drop_telemetry(self, n: int) -> None:
        ids = self._db.execute("SELECT id, size FROM telemetry ORDER BY id LIMIT ?", (n,)).fetchall()
        if ids:
            self._db.execute("DELETE FROM telemetry WHERE id <= ?", (ids[-1][0],))
            self._tel_rows -= len(ids)
            self._tel_bytes -= sum(s for _, s in ids)
            self._set_meta(dropped_telemetry=self._meta["dropped_telemetry"] + len(ids))

    def maintain(self) -> None:
        """Enforce age bounds and the replay window; the link calls this every few seconds."""
        now = self._clock()
        self._write("maintenance", 0, lambda: self._maintain(now))

    def _maintain(self, now: float) -> None:
        self._trim_confirmed()
        acked = self._meta["acked_seq"]
        oldest = self._db.execute("SELECT created FROM events WHERE seq > ? ORDER BY seq LIMIT 1", (acked,)).fetchone()
        if oldest and oldest[0] < now - self._cfg.max_event_age_s:
            upto = self._db.execute(
                "SELECT MAX(seq) FROM events WHERE seq > ? AND created < ?",
                (acked, now - self._cfg.max_event_age_s),
            ).fetchone()[0]
            self._count_event_drops(self._delete_events_upto(upto, acked), "too old")
        old = self._db.execute(
            "SELECT COUNT(*) FROM telemetry WHERE created < ?", (now - self._cfg.telemetry_max_age_s,)
        ).fetchone()[0]
        if old:
            self._drop_telemetry(old)

    # -- telemetry -------------------------------------------------------------------------
    def append_telemetry(self, telemetry: Telemetry) -> int | None:
        """Keep a telemetry snapshot until the link delivers it; returns its row id, or None when
        the disk is full (the caller may still send it unstored)."""
        body = telemetry.model_dump_json(by_alias=True, exclude_none=True)

        def insert() -> int:
            if self._tel_rows >= self._cfg.max_telemetry:
                self._drop_telemetry(self._tel_rows - self._cfg.max_telemetry + 1)
            cur = self._db.execute(
                "INSERT INTO telemetry(created, size, body) VALUES (?,?,?)", (self._clock(), len(body), body)
            )
            self._tel_rows += 1
            self._tel_bytes += len(body)
            self._enforce_size()
            return int(cur.lastrowid or 0)

        return self._write("telemetry", 0, insert, grows=True)

    def telemetry_raw(self, limit: int) -> list[tuple[int, str]]:
        """Undelivered telemetry, oldest first, as (row id, JSON)."""
        with self._rlock:
            return self._rdb.execute("SELECT id, body FROM telemetry ORDER BY id LIMIT ?", (limit,)).fetchall()

    def remove_telemetry(self, ids: Sequence[int]) -> None:
        """Forget telemetry the broker acknowledged (on a full disk it is simply sent again later)."""

        def delete() -> None:
            for i in ids:
                row = self._db.execute("SELECT size FROM telemetry WHERE id=?", (i,)).fetchone()
                if row:
                    self._db.execute("DELETE FROM telemetry WHERE id=?", (i,))
                    self._tel_rows -= 1
                    self._tel_bytes -= row[0]

        self._write("telemetry removal", 0, delete)

    # -- introspection ---------------------------------------------------------------------
    @property
    def last_seq(self) -> int | None:
        """Highest sequence number ever assigned (None before the first event)."""
        n = self._meta["next_seq"]
        return n - 1 if n else None

    @property
    def acked_seq(self) -> int:
        return self._meta["acked_seq"]

    def depth(self) -> int:
        """Events not yet confirmed by the hub."""
        with self._lock:
            return self._depth()

    def _depth(self) -> int:
        low = self._db.execute("SELECT MIN(seq) FROM events WHERE seq > ?", (self._meta["acked_seq"],)).fetchone()[0]
        return 0 if low is None else self._meta["next_seq"] - low

    def stats(self) -> OutboxStats:
        with self._lock:
            m = self._meta
            return OutboxStats(
                m["next_seq"],
                m["acked_seq"],
                self._depth(),
                self._rows,
                self._ev_bytes + self._tel_bytes,
                self._tel_rows,
                m["dropped_events"],
                m["dropped_telemetry"],
                m["lost_disk_full"] + self._lost_unsaved,
                self._disk_full,
            )

    def close(self) -> None:
        with self._lock, self._rlock:
            self._rdb.close()
            self._db.close()


def _cutoff(chunk: list[tuple[int, int]], rows_over: int, bytes_over: int) -> int:
    """Highest seq of the shortest prefix of ``chunk`` that removes the excess rows and bytes."""
    freed = 0
    for i, (seq, size) in enumerate(chunk):
        freed += size
        if i + 1 >= rows_over and freed >= bytes_over:
            return seq
    return chunk[-1][0]


def _reseq(body: str, seq: int) -> tuple[int, str]:
    data = json.loads(body)
    data["seq"] = seq
    out = json.dumps(data, separators=(",", ":"))
    return len(out), out
