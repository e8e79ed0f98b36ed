"""The SQLite index of the evidence store: one row per kept JPEG, one per rejected message, and
the owner (site, agent, sensor) of each event that may carry a snapshot.

Why a separate reader connection: the API reads from uvicorn's threads while the evidence
writer inserts; in WAL mode a reader never waits for the writer. ``synchronous=NORMAL``: the
index is best effort like the evidence itself, a power cut may lose its last rows (their files
are then orphans, never served) but never corrupts it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from borderwatch.hub.store.points import epoch_us, from_epoch_us
from borderwatch.runtime.sqlite import connect, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS evidence (
    event_id TEXT PRIMARY KEY, site TEXT NOT NULL, agent TEXT NOT NULL, sensor TEXT,
    bytes INTEGER NOT NULL, received_us INTEGER NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS evidence_received ON evidence (received_us);
CREATE INDEX IF NOT EXISTS evidence_agent ON evidence (agent, received_us);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY, received_us INTEGER NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL,
    detail TEXT NOT NULL, bytes INTEGER NOT NULL, head BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS rejected_received ON rejected (received_us);
CREATE TABLE IF NOT EXISTS owners (
    event_id TEXT PRIMARY KEY, site TEXT NOT NULL, agent TEXT NOT NULL, sensor TEXT NOT NULL, seen_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS owners_seen ON owners (seen_us);
"""
_COLUMNS = "event_id, site, agent, sensor, bytes, received_us, sha256, path"


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """What the index knows of one kept JPEG; ``path`` is relative to the evidence dir."""

    event_id: str
    site: str
    agent: str
    sensor: str | None
    bytes: int
    received_at: datetime
    sha256: str
    path: str

    @classmethod
    def from_db(cls, r: Sequence[object]) -> EvidenceRow:
        """A row as selected by ``_COLUMNS``, in that order (``received_us`` back to an aware datetime)."""
        return cls(r[0], r[1], r[2], r[3], r[4], from_epoch_us(r[5]), r[6], r[7])  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A dead letter: the message's topic, why it was refused, its size and first bytes."""

    received_at: datetime
    topic: str
    reason: str
    detail: str
    bytes: int
    head: bytes


@dataclass(frozen=True, slots=True)
class Owner:
    """Who an event id belongs to; ``has_evidence`` when a snapshot for it is kept already."""

    site: str
    agent: str
    sensor: str | None
    has_evidence: bool


EventNote = tuple[str, str, str, str]
"""(event id, site, agent, sensor id) of a stored event."""


class EvidenceIndex:
    """Rows of kept and rejected evidence in ``path`` (one writer thread, any number of readers)."""

    def __init__(self, path: Path) -> None:
        self._writer = _connect(path)
        self._writer.executescript(_SCHEMA)
        self._reader = _connect(path)
        self._wlock = threading.Lock()
        self._rlock = threading.Lock()

    def close(self) -> None:
        """Close both connections, waiting for a write or read in progress; the index is unusable afterwards."""
        with self._wlock, self._rlock:
            self._writer.close()
            self._reader.close()

    # -- writer side ---------------------------------------------------------------------------
    def insert(self, row: EvidenceRow) -> None:
        """Index a JPEG already on disk; sqlite3.IntegrityError if its event id is indexed already."""
        with self._wlock:
            self._writer.execute(
                f"INSERT INTO evidence ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row.event_id, row.site, row.agent, row.sensor, row.bytes, epoch_us(row.received_at),
                 row.sha256, row.path),
            )  # fmt: skip

    def reject(self, row: RejectedRow) -> None:
        """Record a dead letter; ``delete_rejected_before`` keeps their number bounded."""
        with self._wlock:
            self._writer.execute(
                "INSERT INTO rejected (received_us, topic, reason, detail, bytes, head) VALUES (?, ?, ?, ?, ?, ?)",
                (epoch_us(row.received_at), row.topic, row.reason, row.detail, row.bytes, row.head),
            )

    def claim(self, notes: Iterable[EventNote], seen: datetime) -> int:
        """Record the owners of events; the first one stays (a reused id never takes an event over)."""
        with self._wlock:
            return self._many(
                "INSERT OR IGNORE INTO owners (event_id, site, agent, sensor, seen_us) VALUES (?, ?, ?, ?, ?)",
                [(*n, epoch_us(seen)) for n in notes],
            )

    def set_sensors(self, notes: Iterable[EventNote]) -> int:
        """Fill in the sensor of rows kept before their event came, if the same agent sent both."""
        with self._wlock:
            return self._many(
                "UPDATE evidence SET sensor = ? WHERE event_id = ? AND site = ? AND agent = ? AND sensor IS NULL",
                [(sensor, event_id, site, agent) for event_id, site, agent, sensor in notes],
            )

    def owner(self, event_id: str) -> Owner | None:
        """The sender of the kept snapshot if there is one, else the sender of the event, else None."""
        with self._wlock:
            r = self._writer.execute(
                "SELECT site, agent, sensor, 1 FROM evidence WHERE event_id = ? UNION ALL "
                "SELECT site, agent, sensor, 0 FROM owners WHERE event_id = ? ORDER BY 4 DESC LIMIT 1",
                (event_id, event_id),
            ).fetchone()
        return Owner(r[0], r[1], r[2], bool(r[3])) if r else None

    def delete(self, event_ids: Sequence[str]) -> None:
        """Drop the rows of pruned JPEGs, in one transaction (unknown ids are ignored)."""
        with self._wlock:
            self._many("DELETE FROM evidence WHERE event_id = ?", [(e,) for e in event_ids])

    def _many(self, sql: str, rows: list[tuple[str, ...]]) -> int:
        """One transaction for many rows (autocommit would pay a commit per row); caller holds _wlock."""
        with transaction(self._writer) as db:
            n = db.executemany(sql, rows).rowcount
        return max(n, 0)

    def delete_rejected_before(self, cutoff: datetime, keep_rows: int) -> int:
        """Dead letters and event owners age out like the JPEGs; dead letters never number more
        than ``keep_rows``."""
        with self._wlock:
            self._writer.execute("DELETE FROM owners WHERE seen_us < ?", (epoch_us(cutoff),))
            n = self._writer.execute("DELETE FROM rejected WHERE received_us < ?", (epoch_us(cutoff),)).rowcount
            n += self._writer.execute(
                "DELETE FROM rejected WHERE id <= (SELECT MAX(id) FROM rejected) - ?", (keep_rows,)
            ).rowcount
            return n

    def oldest(self, limit: int, before: datetime | None = None) -> list[EvidenceRow]:
        """The oldest rows first (received before ``before`` if given): the next to prune."""
        where, args = ("WHERE received_us < ?", (epoch_us(before),)) if before else ("", ())
        with self._wlock:
            rows = self._writer.execute(
                f"SELECT {_COLUMNS} FROM evidence {where} ORDER BY received_us, event_id LIMIT ?", (*args, limit)
            ).fetchall()
        return [EvidenceRow.from_db(r) for r in rows]

    def total_bytes(self) -> int:
        """Sum of kept JPEG sizes, read through the writer connection so it includes the writer's latest rows."""
        with self._wlock:
            return int(self._writer.execute("SELECT COALESCE(SUM(bytes), 0) FROM evidence").fetchone()[0])

    # -- reader side (API threads) ---------------------------------------------------------------
    def get(self, event_id: str) -> EvidenceRow | None:
        """The row of one event's JPEG, or None; from the reader connection, so it never waits for a write."""
        with self._rlock:
            r = self._reader.execute(f"SELECT {_COLUMNS} FROM evidence WHERE event_id = ?", (event_id,)).fetchone()
        return EvidenceRow.from_db(r) if r else None

    def latest(self, limit: int, agent: str | None = None, site: str | None = None) -> list[EvidenceRow]:
        """Newest first, optionally for one agent and/or one site."""
        conds = [c for c, v in (("agent = ?", agent), ("site = ?", site)) if v is not None]
        where = f"WHERE {' AND '.join(conds)}" if conds else ""
        args = [v for v in (agent, site) if v is not None]
        with self._rlock:
            rows = self._reader.execute(
                f"SELECT {_COLUMNS} FROM evidence {where} ORDER BY received_us DESC, event_id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [EvidenceRow.from_db(r) for r in rows]

    def rejected(self, limit: int) -> list[RejectedRow]:
        """The newest ``limit`` dead letters, newest first, for looking into refusals (no API route serves them yet)."""
        with self._rlock:
            rows = self._reader.execute(
                "SELECT received_us, topic, reason, detail, bytes, head FROM rejected ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [RejectedRow(from_epoch_us(r[0]), r[1], r[2], r[3], r[4], bytes(r[5])) for r in rows]

    def count(self) -> int:
        """Number of kept JPEGs, from the reader connection."""
        with self._rlock:
            return int(self._reader.execute("SELECT COUNT(*) FROM evidence").fetchone()[0])


def _connect(path: Path) -> sqlite3.Connection:
    return connect(path, synchronous="normal")
