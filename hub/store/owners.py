"""The hub's own index of who first stored each event id, for stores that cannot check it.

Why: a time-series server (InfluxDB, VictoriaMetrics) overwrites a point with the same series and
timestamp and knows nothing about event ids, so "an event id belongs to the site/agent that first
stored it" is kept here, in a small local SQLite file next to the dead letters. The SQLite store
checks the same rule in its own events table (hub/store/sqlite.py).

Cost: this runs on the ingest thread for every message, and a SQLite row per event id made the
hub's CPU per event half again as large (bench/bench_ingest.py). So:
- ids are kept as runs of consecutive numbers under one prefix (hub/store/id_runs.py): exact,
  whatever the ids look like, and one row for a message of numbered ids (agents number theirs);
- one statement per claim (its own transaction): it upserts the message's runs, passed as one
  JSON array, unless another sender's run overlaps one of them (a bounded key range each); every
  ``execute`` releases and retakes the GIL, which under load costs more than the SQL, so the
  steady state (a known agent's numbered ids) stages its runs and the store writes them in one
  transaction per write (:class:`OwnerIndex`);
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
# Whether someone other than ?3 has a run under the prefix ?1 of width ?2 (a key range of the primary key).
_SOMEONE_ELSE = "SELECT 1 FROM claim_runs WHERE prefix = ?1 AND width = ?2 AND owner != ?3 LIMIT 1"
_STAGED_MAX = 1000
"""Runs staged at most before a claim writes them itself (a store that never flushes stays bounded)."""
_SOLE_MAX = 10_000
"""Prefixes remembered as one sender's, or as shared, at most (each set is forgotten all at once
beyond: its prefixes are learned again)."""
_LEARN_PREFIXES = 2
"""Prefixes of one claim at most for which it is worth asking whether they are their sender's alone."""


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

    def flush(self) -> None:
        """Write claims kept in memory; an index that records each claim at once has none."""

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
    """``claim`` records the owners of a batch's ids, or refuses the whole batch (``id_taken``).

    Why claims are staged: every SQLite statement on the ingest thread gives the GIL away and
    waits to get it back from paho's and the writer's threads, which under load cost the hub more
    than the SQL itself (bench/bench_ingest.py). An agent's ids share a prefix nobody else uses
    (``<site>-<agent>-<n>``), and this process makes every claim in its file, so once a prefix is
    known to be one sender's alone (:meth:`_learn`) its next runs cannot clash with anyone: they
    are kept in memory and written in one transaction by :meth:`flush`, which the store calls
    before it writes points. An event is acknowledged only once its points are written, so every
    acknowledged event is claimed; a hub that dies before the flush acknowledged none of the
    staged events, which the broker redelivers and the same sender claims again. Any other claim
    (a new sender, a new hour, a prefix someone else has used, a message of random ids) writes the
    staged runs first and is then checked against the file at once, as before.
    """

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
        self._sole: dict[tuple[str, int], int] = {}  # (prefix, width) -> the only owner with runs there
        self._shared: set[tuple[str, int]] = set()  # prefixes of several owners: never staged
        self._staged: dict[tuple[int, int], list[Run]] = {}  # (owner, hour) -> runs not yet written
        self._staged_runs = 0
        self._closed = False

    def forget_before(self, cutoff: datetime) -> int:
        self.flush()  # staged runs carry their hour: retention sees them in the file
        return super().forget_before(cutoff)

    def close(self) -> None:
        """Write what is staged, then release the connection (a failed write still closes it)."""
        try:
            self.flush()
        finally:
            super().close()

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
        id already belongs to another site/agent, so the caller can isolate the offending events.

        Ids under prefixes that only their sender has used are staged for :meth:`flush` (see the
        class docstring); any other claim flushes those first, then checks and records at once."""
        if not events:
            return
        senders = set(map(_SENDER, events))
        if len(senders) > 1:  # a round of several agents' messages: each sender's ids, in one pass
            by_owner = by_sender(events)
        else:
            [(site, agent)] = senders
            by_owner = {f"{site}/{agent}": list(map(_ID, events))}
        runs = {owner: id_runs(ids) for owner, ids in by_owner.items()}
        hour = claim_hour()
        with self._lock:
            if self._closed:
                raise StoreError("store is closed")
            if hour in self._hours and self._stage_if_sole(runs, hour):
                return
            self._flush_locked()
            codes: dict[str, int] = {}
            with transaction(self._db):  # one transaction for all senders: a refusal records none
                if hour not in self._hours:
                    self._db.execute("INSERT OR IGNORE INTO claim_hours (hour) VALUES (?)", (hour,))
                for owner, owned in runs.items():
                    codes[owner] = self._code(owner)
                    self._claim_runs(codes[owner], owned, hour)
            # Learned only once committed: a code that was rolled back may be handed out again.
            self._codes.update(codes)
            self._hours.add(hour)
            for owner, owned in runs.items():
                self._learn(codes[owner], owned)

    def _stage_if_sole(self, runs: dict[str, list[Run]], hour: int) -> bool:
        """Stage every sender's runs when each lies under prefixes only that sender has used (caller
        holds the lock): then no id can be another's, in the index or in this very round."""
        codes, sole = self._codes, self._sole
        for owner, owned in runs.items():
            code = codes.get(owner)
            if code is None or any(sole.get(run[:2]) != code for run in owned):
                return False
        for owner, owned in runs.items():
            self._stage(codes[owner], hour, owned)
        return True

    def flush(self) -> None:
        """Record the claims staged in memory (one transaction); the store calls this before it
        writes any point, so an event the hub has stored, and acknowledged, is always claimed."""
        with self._lock:
            if not self._closed:
                self._flush_locked()

    def _stage(self, code: int, hour: int, runs: list[Run]) -> None:
        """Keep ``runs`` for the next flush (caller holds the lock), joined to the run they continue:
        numbered messages of one agent become one row per :data:`MAX_RUN` ids."""
        staged = self._staged.setdefault((code, hour), [])
        for run in runs:
            if staged:
                prev = staged[-1]
                if prev[:2] == run[:2] and prev.last + 1 == run.first and run.last - prev.first < MAX_RUN:
                    staged[-1] = prev._replace(last=run.last)
                    continue
            staged.append(run)
            self._staged_runs += 1
        if self._staged_runs >= _STAGED_MAX:
            self._flush_locked()

    def _flush_locked(self) -> None:
        """Write the staged runs (caller holds the lock). Nobody else has runs under their prefixes
        (that is why they were staged), so every one is recorded; if SQLite fails, they stay staged."""
        if not self._staged:
            return
        with transaction(self._db):
            for (code, hour), runs in self._staged.items():
                if self._db.execute(_CLAIM, (json.dumps(runs), code, hour)).rowcount != len(runs):
                    raise StoreError(f"staged claim of owner {code} stopped short: another sender's run appeared")
        self._staged.clear()
        self._staged_runs = 0

    def _learn(self, code: int, runs: list[Run]) -> None:
        """After ``runs`` were recorded for ``code`` (caller holds the lock): forget the prefixes it
        now shares with another sender; note those that only it has used, for a message or two of
        prefixes (a message of random ids would cost a look-up per id and gain nothing). A prefix
        found shared is remembered too: its look-up scans its runs, and it stays shared for good."""
        sole, shared = self._sole, self._shared
        keys = {run[:2] for run in runs}
        for key in keys:
            if sole.get(key, code) != code:
                del sole[key]
                shared.add(key)
        if len(keys) > _LEARN_PREFIXES:
            return
        for key in keys - sole.keys() - shared:
            if len(sole) >= _SOLE_MAX:
                sole.clear()
            if len(shared) >= _SOLE_MAX:
                shared.clear()
            if self._db.execute(_SOMEONE_ELSE, (*key, code)).fetchone() is None:
                sole[key] = code
            else:
                shared.add(key)

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
            if not self._closed:
                self._flush_locked()
            row = self._db.execute(OWNER_OF, (prefix, width, n, n, n)).fetchone()
        return None if row is None else str(row[0])

    def _expired(self, last: int) -> bool:
        """Whether an hour before ``last`` still holds runs (caller holds the lock): a look at the
        hours in memory, since this process made every claim in the file."""
        return any(h < last for h in self._hours)
