"""The hub's own index of who first stored each event id, for stores that cannot check it.

Why: a time-series server (InfluxDB, VictoriaMetrics) overwrites a point with the same series and
timestamp and knows nothing about event ids, so "an event id belongs to the site/agent that first
stored it" is kept here, in a small local SQLite file next to the dead letters. The SQLite store
checks the same rule in its own events table (hub/store/sqlite.py).

Cost: this runs on the ingest thread for every message, and a SQLite row per event id made the
hub's CPU per event half again as large (bench/bench_ingest.py). So:
- ids are kept as runs of consecutive numbers under one prefix (hub/store/id_runs.py): exact,
  whatever the ids look like, and one row for a message of numbered ids (agents number theirs);
- one statement per message (its own transaction): it upserts the message's runs, passed as one
  JSON array, unless another sender's run overlaps one of them (a bounded key range each); every
  ``execute`` releases and retakes the GIL, which under load costs more than the SQL;
- a row names its sender by a small integer (``owner_names``) and carries the hour it is kept
  from; no index beside the primary key. Retention is by hour: ``claim_hours`` lists the hours
  that hold runs, so the (chunked) scan that deletes old runs only runs once an hour has expired.

Each run is dated by the hour of its claim and kept :data:`KEEP_AFTER` past the events' retention,
so it outlives every event it protects: an event may be stamped ahead of the hub's clock by up to
the ingest skew (at most a day, ``[ingest] max_clock_skew_s``), plus an hour for the rounding.

Durability: ``synchronous=NORMAL`` (no fsync per claim). After a power cut the index may miss the
last claims; the worst case is that a stranger could then reuse one of those ids once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from borderwatch.contract import Event
from borderwatch.contract.common import utc_now
from borderwatch.hub.store.base import StoreError, StoreRefusedError
from borderwatch.hub.store.id_runs import MAX_RUN, Run, id_runs, join_id, split_id
from borderwatch.hub.store.points import epoch_us
from borderwatch.runtime.sqlite import connect, transaction

_HOUR_US = 3_600_000_000
_SENDER, _ID = attrgetter("site", "agent"), attrgetter("id")
_DELETE_CHUNK = 5000
KEEP_AFTER = timedelta(days=1, hours=1)
"""How long a run outlives the events' retention: the largest allowed clock skew and an hour."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claim_runs (
    prefix TEXT NOT NULL, width INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
    owner INTEGER NOT NULL, hour INTEGER NOT NULL, PRIMARY KEY (prefix, width, first)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS owner_names (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS claim_hours (hour INTEGER PRIMARY KEY);
"""
# Runs come as one JSON array of [prefix, width, first, last]. Another sender's run overlaps
# [first, last] only if it starts at most MAX_RUN - 1 before ``first``: a bounded key range.
_OTHERS = f"""
SELECT c.prefix, c.width, max(c.first, j.value ->> 2) FROM json_each(?1) j JOIN claim_runs c
    ON c.prefix = j.value ->> 0 AND c.width = j.value ->> 1
    AND c.first BETWEEN (j.value ->> 2) - {MAX_RUN - 1} AND j.value ->> 3
WHERE c.last >= j.value ->> 2 AND c.owner != ?2 LIMIT 1
"""
# One statement, so one commit and one trip out of Python: every run is recorded (a replay by
# the owner extends or keeps its run), or none is when any id is someone else's.
_CLAIM = f"""
INSERT INTO claim_runs (prefix, width, first, last, owner, hour)
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, ?2, ?3 FROM json_each(?1)
    WHERE NOT EXISTS ({_OTHERS})
ON CONFLICT (prefix, width, first) DO UPDATE SET last = max(last, excluded.last), hour = max(hour, excluded.hour)
    WHERE owner = excluded.owner
"""
# The owner of one id: its run starts at most MAX_RUN - 1 before it (a bounded key range).
OWNER_OF = (
    "SELECT n.name FROM claim_runs c JOIN owner_names n ON n.code = c.owner WHERE c.prefix = ? "
    f"AND c.width = ? AND c.first BETWEEN ? - {MAX_RUN - 1} AND ? AND c.last >= ? LIMIT 1"
)
# The first version of this index: one row per id with the owner's name and a claim time.
_V1_TABLE = "event_owners"


def by_sender(events: Sequence[Event]) -> dict[str, list[str]]:
    """The ids of ``events`` under their sender's name (``site/agent``), the owner they claim for."""
    out: dict[str, list[str]] = {}
    for (site, agent), same in groupby(events, _SENDER):
        out.setdefault(f"{site}/{agent}", []).extend(map(_ID, same))
    return out


def claim_hour() -> int:
    """The hour a claim made now is dated by (retention forgets whole hours)."""
    return epoch_us(utc_now()) // _HOUR_US


def first_kept_hour(cutoff: datetime) -> int:
    """The oldest hour whose runs are kept when events older than ``cutoff`` are gone: runs outlive
    their events by :data:`KEEP_AFTER`."""
    return epoch_us(cutoff - KEEP_AFTER) // _HOUR_US


class RunIndex:
    """What the local and the shared index share: one connection behind a lock, closed once, the
    hours that hold runs (``claim_hours``, mirrored in ``_hours``) and retention by those hours."""

    _db: Any  # sqlite3.Connection or SqlDb: both ``execute(sql, args)`` and ``close()``
    _lock: threading.Lock
    _hours: set[int]
    _closed: bool

    def forget_before(self, cutoff: datetime) -> int:
        """Drop runs of events older than the events' retention (``KEEP_AFTER`` late); returns how many.

        Cheap while no hour has expired (:meth:`_expired`); otherwise one pass over the index in
        chunks of a few thousand runs (a key range each), each its own short transaction, so claims
        wait milliseconds, not the whole pass: they share this connection and its lock.
        """
        last = first_kept_hour(cutoff)  # runs of hours before this one are forgotten
        with self._lock:
            if self._closed or not self._expired(last):
                return 0
        removed, start = 0, ("", 0, -1)
        while True:
            with self._lock:
                if self._closed:
                    return removed
                end = self._db.execute(
                    "SELECT prefix, width, first FROM claim_runs WHERE (prefix, width, first) > (?, ?, ?) "
                    "ORDER BY prefix, width, first LIMIT 1 OFFSET ?",
                    (*start, _DELETE_CHUNK),
                ).fetchone()
                upper = "" if end is None else "AND (prefix, width, first) <= (?, ?, ?)"
                removed += self._db.execute(
                    f"DELETE FROM claim_runs WHERE (prefix, width, first) > (?, ?, ?) {upper} AND hour < ?",
                    (*start, *(end or ()), last),
                ).rowcount
            if end is None:
                break
            start = tuple(end)
        with self._lock:
            if not self._closed:
                self._drop_hours(last)
        return removed

    def _expired(self, last: int) -> bool:
        """Whether an hour before ``last`` still holds runs (caller holds the lock)."""
        raise NotImplementedError

    def _drop_hours(self, last: int) -> None:
        """The hours before ``last`` hold no runs any more (caller holds the lock)."""
        self._db.execute("DELETE FROM claim_hours WHERE hour < ?", (last,))
        self._hours = {h for h in self._hours if h >= last}

    def close(self) -> None:
        """Release the connection; later claims raise StoreError (the store is closed)."""
        with self._lock:
            self._closed = True
            self._db.close()


class OwnerIndex(RunIndex):
    """``claim`` records the owners of a batch's ids, or refuses the whole batch (``id_taken``)."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._db = connect(path, synchronous="NORMAL")
        try:
            with transaction(self._db):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._migrate_v1()
        except BaseException:
            self._db.close()
            raise
        self._codes: dict[str, int] = {n: c for c, n in self._db.execute("SELECT code, name FROM owner_names")}
        self._hours = {h for (h,) in self._db.execute("SELECT hour FROM claim_hours")}
        self._closed = False

    def _migrate_v1(self) -> None:
        """Claims kept by the first version (a row per id) become runs; the old table goes."""
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (_V1_TABLE,)).fetchone():
            return
        for event_id, owner, ts_us in self._db.execute(f"SELECT id, owner, ts_us FROM {_V1_TABLE}").fetchall():
            self._db.execute("INSERT OR IGNORE INTO owner_names (name) VALUES (?)", (owner,))
            (code,) = self._db.execute("SELECT code FROM owner_names WHERE name = ?", (owner,)).fetchone()
            prefix, width, n = split_id(event_id)
            hour = ts_us // _HOUR_US
            self._db.execute(
                "INSERT OR IGNORE INTO claim_runs VALUES (?, ?, ?, ?, ?, ?)", (prefix, width, n, n, code, hour)
            )
            self._db.execute("INSERT OR IGNORE INTO claim_hours (hour) VALUES (?)", (hour,))
        self._db.execute(f"DROP TABLE {_V1_TABLE}")

    def claim(self, events: Sequence[Event]) -> None:
        """Own every id of ``events`` for its sender; StoreRefusedError (nothing recorded) when an
        id already belongs to another site/agent, so the caller can isolate the offending events."""
        if not events:
            return
        senders = set(map(_SENDER, events))
        hour = claim_hour()
        if len(senders) > 1:  # a round of several agents' messages: each sender's ids, in one pass
            self._claim_all(by_sender(events), hour)
            return
        [(site, agent)] = senders
        owner, ids = f"{site}/{agent}", list(map(_ID, events))
        code = self._codes.get(owner)
        if code is None or hour not in self._hours:
            self._claim_all({owner: ids}, hour)  # a new sender or a new hour: a few rows more
            return
        with self._lock:  # the steady state: one statement, committed on its own
            if self._closed:
                raise StoreError("store is closed")
            self._claim_runs(code, id_runs(ids), hour)

    def _claim_all(self, by_owner: dict[str, list[str]], hour: int) -> None:
        """One transaction for all senders, so a refusal records none of them; the cached codes
        and hours learn only what was committed."""
        with self._lock:
            if self._closed:
                raise StoreError("store is closed")
            codes: dict[str, int] = {}
            with transaction(self._db):
                self._db.execute("INSERT OR IGNORE INTO claim_hours (hour) VALUES (?)", (hour,))
                for owner, ids in by_owner.items():
                    codes[owner] = self._code(owner)
                    self._claim_runs(codes[owner], id_runs(ids), hour)
            # Learned only once committed: a code that was rolled back may be handed out again.
            self._codes.update(codes)
            self._hours.add(hour)

    def _code(self, owner: str) -> int:
        """The small integer that names ``owner`` in runs (created inside the caller's transaction)."""
        row = self._db.execute("SELECT code FROM owner_names WHERE name = ?", (owner,)).fetchone()
        if row is None:
            row = self._db.execute("INSERT INTO owner_names (name) VALUES (?) RETURNING code", (owner,)).fetchone()
        return int(row[0])

    def _claim_runs(self, code: int, runs: list[Run], hour: int) -> None:
        """Record ``runs`` for the sender ``code`` (caller holds the lock); StoreRefusedError, with
        nothing recorded, when one of their ids is someone else's."""
        packed = json.dumps(runs)
        if self._db.execute(_CLAIM, (packed, code, hour)).rowcount == len(runs):
            return
        taken = self._db.execute(_OTHERS, (packed, code)).fetchone()
        if taken is None:  # cannot happen: the claim only stops short when another sender's run is there
            raise StoreError(f"event-id claim recorded fewer runs than given ({len(runs)})")
        raise StoreRefusedError("id_taken", f"event id {join_id(*taken)} belongs to another sender")

    def owner(self, event_id: str) -> str | None:
        """``site/agent`` that owns ``event_id``, or None (for tests and operators' checks)."""
        prefix, width, n = split_id(event_id)
        with self._lock:
            row = self._db.execute(OWNER_OF, (prefix, width, n, n, n)).fetchone()
        return None if row is None else str(row[0])

    def _expired(self, last: int) -> bool:
        """Whether an hour before ``last`` still holds runs (caller holds the lock): a look at the
        hours in memory, since this process made every claim in the file."""
        return any(h < last for h in self._hours)
