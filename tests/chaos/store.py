"""A minimal SQLite EventStore for the chaos tests, until the store branch's SqliteStore lands.

It keeps the same table shape (``events`` keyed by id, with site/agent/seq) so the checks can
read either, and it counts write calls so a test can see that duplicates were really offered.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from hub.contract import Event, Telemetry
from hub.store.base import DeadLetter


class ChaosStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript("""
            CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, site TEXT NOT NULL,
                agent TEXT NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS telemetry (site TEXT, agent TEXT, body TEXT);
            CREATE TABLE IF NOT EXISTS dead_letters (topic TEXT, reason TEXT, payload BLOB);
        """)
        self._lock = threading.Lock()
        self.offered = 0
        self.fail_writes = 0  # > 0: the next n write_events calls raise (a store outage)

    def write_events(self, events: Sequence[Event]) -> int:
        with self._lock:
            if self.fail_writes > 0:
                self.fail_writes -= 1
                raise OSError("store unavailable (test)")
            self.offered += len(events)
            before = self._db.total_changes
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO events(id, seq, site, agent, body) VALUES (?,?,?,?,?)",
                [(e.id, e.seq, e.site, e.agent, e.model_dump_json(by_alias=True)) for e in events],
            )
            self._db.execute("COMMIT")
            return self._db.total_changes - before

    def write_telemetry(self, telemetry: Telemetry) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO telemetry VALUES (?,?,?)",
                (telemetry.site, telemetry.agent, telemetry.model_dump_json()),
            )

    def write_dead_letter(self, letter: DeadLetter) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO dead_letters VALUES (?,?,?)", (letter.topic, letter.reason, letter.payload)
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def stored_seqs(path: Path, site: str, agent: str) -> list[int]:
    """Every stored seq of one agent, sorted, repeats kept (read-only, any EventStore on SQLite)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [
            r[0]
            for r in db.execute("SELECT seq FROM events WHERE site=? AND agent=? ORDER BY seq", (site, agent))
        ]


def count_rows(path: Path, table: str = "events") -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
