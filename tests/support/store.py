"""Store helpers for the delivery tests: read-back of the SQLite store's events, and a wrapper
that makes the real store refuse a few writes (an outage) the way a backend reports it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from borderwatch.contract import Event, Telemetry
from borderwatch.hub.store.base import DeadLetter, StoreError
from borderwatch.hub.store.sqlite import SqliteStore


class FlakyStore:
    """SqliteStore whose next ``fail_writes`` write_events calls raise StoreError."""

    def __init__(self, inner: SqliteStore) -> None:
        self.inner = inner
        self.path = inner.path
        self.fail_writes = 0
        self._lock = threading.Lock()

    def write_events(self, events: Sequence[Event]) -> int:
        with self._lock:
            if self.fail_writes > 0:
                self.fail_writes -= 1
                raise StoreError("store unavailable (test)")
        return self.inner.write_events(events)

    def write_telemetry(self, telemetry: Telemetry) -> None:
        self.inner.write_telemetry(telemetry)

    def write_dead_letter(self, letter: DeadLetter) -> None:
        self.inner.write_dead_letter(letter)

    def close(self) -> None:
        self.inner.close()


def stored_seqs(path: Path, site: str, agent: str) -> list[int]:
    """Every stored seq of one agent, sorted, repeats kept (read-only)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT seq FROM events WHERE site=? AND agent=? ORDER BY seq", (site, agent))
        return [r[0] for r in rows]


def count_rows(path: Path, table: str = "events") -> int:
    if table not in ("events", "telemetry", "dead_letters"):
        raise ValueError(f"unknown table {table!r}")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
