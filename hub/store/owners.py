"""The hub's own index of who first stored each event id, for stores that cannot check it.

Why: a time-series server (InfluxDB, VictoriaMetrics) overwrites a point with the same series and
timestamp and knows nothing about event ids, so "an event id belongs to the site/agent that first
stored it" is kept here, in a small local SQLite file next to the dead letters. The SQLite store
checks the same rule in its own events table (hub/store/sqlite.py).

Durability: ``synchronous=NORMAL`` (no fsync per claim). After a power cut the index may miss the
last claims; the worst case is that a stranger could then reuse one of those ids once.

Cost: one statement per sender and batch, the ids passed as one JSON array (``json_each``), so the
ingest thread binds no parameters per event; claims are dated by when they were made, which is
what retention needs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from borderwatch.contract import Event
from borderwatch.contract.common import utc_now
from borderwatch.hub.store.base import StoreError, StoreRefusedError
from borderwatch.hub.store.points import epoch_us

_SCHEMA = """
CREATE TABLE IF NOT EXISTS event_owners (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, ts_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_owners_ts ON event_owners (ts_us);
"""
_CLAIM = """
INSERT INTO event_owners (id, owner, ts_us) SELECT value, ?, ? FROM json_each(?) WHERE true
ON CONFLICT (id) DO UPDATE SET ts_us = excluded.ts_us WHERE event_owners.owner = excluded.owner
"""


class OwnerIndex:
    """``claim`` records the owners of a batch's ids, or refuses the whole batch (``id_taken``)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._closed = False

    def claim(self, events: Sequence[Event]) -> None:
        """Own every id of ``events`` for its sender; StoreRefusedError (nothing recorded) when an
        id already belongs to another site/agent, so the caller can isolate the offending events."""
        by_owner: dict[str, list[str]] = {}
        for ev in events:
            by_owner.setdefault(f"{ev.site}/{ev.agent}", []).append(ev.id)
        now = epoch_us(utc_now())
        with self._lock:
            if self._closed:
                raise StoreError("store is closed")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for owner, ids in by_owner.items():
                    changed = self._db.execute(_CLAIM, (owner, now, json.dumps(ids))).rowcount
                    if changed != len(ids):
                        raise StoreRefusedError(
                            "id_taken", f"{len(ids) - changed} event id(s) belong to another sender"
                        )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def forget_before(self, cutoff: datetime) -> int:
        """Drop claims of events older than the events' retention; returns how many."""
        with self._lock:
            if self._closed:
                return 0
            return self._db.execute("DELETE FROM event_owners WHERE ts_us < ?", (epoch_us(cutoff),)).rowcount

    def close(self) -> None:
        """Release the file; later claims raise StoreError (the store is closed)."""
        with self._lock:
            self._closed = True
            self._db.close()
