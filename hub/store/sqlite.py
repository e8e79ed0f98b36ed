"""The embedded default store: one SQLite file, no server (``make demo`` runs on it).

Durability: WAL journal + ``synchronous=FULL``, one transaction per batch. In WAL mode
``NORMAL`` skips the fsync at commit, so a power cut can lose the last commits *after*
the hub acknowledged them upstream, which would break the at-least-once chain; FULL pays
one fsync per batch (amortised over up to 5,000 events). ``NORMAL`` stays selectable for
disposable demo files.

Idempotence: events are keyed by their globally unique id; a replay overwrites the row, but only
a replay by the same site/agent: another sender reusing an id is refused (``id_taken``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from borderwatch.contract import Event, Telemetry
from borderwatch.contract.common import utc_now
from borderwatch.hub.store.base import AlertCount, DeadLetter, SensorCount, StoreRefusedError
from borderwatch.hub.store.points import epoch_us, from_epoch_us
from borderwatch.hub.store.retention import PeriodicJob, Retention, cutoffs
from borderwatch.runtime.sqlite import connect, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, ts_us INTEGER NOT NULL,
    site TEXT NOT NULL, agent TEXT NOT NULL, sensor TEXT NOT NULL, sensor_kind TEXT NOT NULL,
    kind TEXT NOT NULL, class TEXT NOT NULL, confidence REAL NOT NULL, track_id INTEGER,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_ts ON events (ts_us);
CREATE INDEX IF NOT EXISTS events_agent_seq ON events (site, agent, seq);
CREATE TABLE IF NOT EXISTS telemetry (
    site TEXT NOT NULL, agent TEXT NOT NULL, ts_us INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (site, agent, ts_us)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS telemetry_ts ON telemetry (ts_us);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY, received_us INTEGER NOT NULL, topic TEXT NOT NULL,
    reason TEXT NOT NULL, payload BLOB NOT NULL, size INTEGER, sha256 TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS dead_letters_ts ON dead_letters (received_us);
CREATE TABLE IF NOT EXISTS alerts (
    ts_us INTEGER NOT NULL, site TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (ts_us, site, rule, severity)
) WITHOUT ROWID;
"""

_UPSERT_EVENT = """
INSERT INTO events (id, seq, ts_us, site, agent, sensor, sensor_kind, kind, class, confidence, track_id, body)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    seq=excluded.seq, ts_us=excluded.ts_us,
    sensor=excluded.sensor, sensor_kind=excluded.sensor_kind, kind=excluded.kind, class=excluded.class,
    confidence=excluded.confidence, track_id=excluded.track_id, body=excluded.body
WHERE events.site = excluded.site AND events.agent = excluded.agent
"""
# The WHERE keeps an event id with the site/agent that first stored it: another sender's row
# changes nothing, which write_events sees in the row count and refuses (id_taken).

_LETTER_COLUMNS = {"size": "INTEGER", "sha256": "TEXT", "detail": "TEXT"}

_TIME_COLUMN = {"events": "ts_us", "telemetry": "ts_us", "dead_letters": "received_us", "alerts": "ts_us"}
_FILTER_COLUMNS = ("site", "agent", "sensor", "sensor_kind", "kind", "class", "track_id")

Synchronous = Literal["FULL", "NORMAL"]


def _event_row(ev: Event) -> tuple[Any, ...]:
    return (
        ev.id, ev.seq, epoch_us(ev.ts), ev.site, ev.agent, ev.sensor.id, ev.sensor.kind.value,
        ev.kind.value, ev.object_class.value, ev.confidence, ev.track_id,
        ev.model_dump_json(by_alias=True, exclude_defaults=True),
    )  # fmt: skip


class SqliteStore:
    """EventStore on one SQLite file, with a query side for the API and the demo."""

    def __init__(
        self,
        path: Path,
        retention: Retention | None = None,
        synchronous: Synchronous = "FULL",
        run_retention: bool = True,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.retention = retention or Retention()
        self._wlock = threading.Lock()
        self._rlock = threading.Lock()
        self._writer = self._connect(synchronous)
        self._writer.executescript(_SCHEMA)
        _add_missing_columns(self._writer, "dead_letters", _LETTER_COLUMNS)
        self._reader = self._connect(synchronous)
        self._job: PeriodicJob | None = None
        if run_retention:
            self._job = PeriodicJob("sqlite-retention", self.retention.check_interval_s, self.enforce_retention).start()

    def _connect(self, synchronous: Synchronous) -> sqlite3.Connection:
        return connect(self.path, synchronous=synchronous)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._wlock, transaction(self._writer) as db:
            yield db

    # -- EventStore ---------------------------------------------------------------------------

    def write_events(self, events: Sequence[Event]) -> int:
        """Upsert the batch in one transaction; returns how many ids were not stored before."""
        if not events:
            return 0
        ids = list({ev.id for ev in events})
        rows = [_event_row(ev) for ev in events]
        with self._transaction() as db:
            known = _count_known(db, ids)
            changed = db.executemany(_UPSERT_EVENT, rows).rowcount
            if changed != len(rows):
                raise StoreRefusedError("id_taken", f"{len(rows) - changed} event id(s) belong to another site/agent")
        return len(ids) - known

    def submit_events(self, events: Sequence[Event]) -> Future[int]:
        """Same shape as InfluxStore.submit_events, so an ingest loop can pipeline either backend;
        here the write is synchronous and the future is already resolved (new-event count)."""
        future: Future[int] = Future()
        try:
            future.set_result(self.write_events(events))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def write_telemetry(self, telemetry: Telemetry) -> None:
        row = (telemetry.site, telemetry.agent, epoch_us(telemetry.ts), telemetry.model_dump_json())
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO telemetry VALUES (?, ?, ?, ?)", row)

    def write_dead_letter(self, letter: DeadLetter) -> None:
        kept = letter.clipped()
        row = (epoch_us(kept.received_at), kept.topic, kept.reason, kept.payload, kept.size, kept.sha256, kept.detail)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO dead_letters (received_us, topic, reason, payload, size, sha256, detail) "
                "VALUES (?,?,?,?,?,?,?)",
                row,
            )

    def write_alert_counts(self, counts: Sequence[AlertCount]) -> None:
        rows = [(epoch_us(c.ts), c.site, c.rule, c.severity, c.count) for c in counts]
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO alerts VALUES (?, ?, ?, ?, ?)", rows)

    def close(self) -> None:
        if self._job is not None:
            self._job.stop()
        with self._wlock, self._rlock:
            self._reader.close()
            self._writer.close()

    # -- retention ----------------------------------------------------------------------------

    def enforce_retention(self, now: datetime | None = None) -> dict[str, int]:
        """Delete rows older than each measurement's retention; returns rows deleted per table."""
        deleted: dict[str, int] = {}
        for table, cutoff in cutoffs(self.retention, now or utc_now()).items():
            column = _TIME_COLUMN[table]
            with self._transaction() as db:
                deleted[table] = db.execute(f"DELETE FROM {table} WHERE {column} < ?", (epoch_us(cutoff),)).rowcount
        return deleted

    # -- query side ---------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._rlock:
            return self._reader.execute(sql, params).fetchall()

    def count_events(self, since: datetime | None = None, until: datetime | None = None, **filters: Any) -> int:
        """Events matching column filters (site, agent, sensor, sensor_kind, kind, class, track_id)."""
        where, params = _where(since, until, filters)
        return int(self._query(f"SELECT count(*) FROM events{where}", params)[0][0])

    def events(
        self,
        since: datetime | None = None,
        limit: int = 100,
        kind: str | None = None,
        agent: str | None = None,
    ) -> list[Event]:
        """Newest first; ``since`` keeps events at or after that instant."""
        where, params = _where(since, None, {"kind": kind, "agent": agent})
        rows = self._query(f"SELECT body FROM events{where} ORDER BY ts_us DESC, seq DESC LIMIT ?", [*params, limit])
        return [Event.model_validate_json(r[0]) for r in rows]

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Newest first, with the first bytes as received and the whole payload's size and hash."""
        rows = self._query(
            "SELECT received_us, topic, reason, payload, coalesce(size, -1), coalesce(sha256, ''), "
            "coalesce(detail, '') FROM dead_letters ORDER BY id DESC LIMIT ?",
            [limit],
        )
        return [DeadLetter(from_epoch_us(r[0]), r[1], r[2], bytes(r[3]), r[4], r[5], r[6]) for r in rows]

    def counts_by_sensor(self) -> list[SensorCount]:
        rows = self._query(
            "SELECT site, agent, sensor, sensor_kind, count(*) FROM events "
            "GROUP BY site, agent, sensor, sensor_kind ORDER BY site, agent, sensor"
        )
        return [SensorCount(*r) for r in rows]

    def count_rows(self, table: str) -> int:
        """Rows in one measurement table (events, telemetry, dead_letters, alerts)."""
        if table not in _TIME_COLUMN:
            raise ValueError(f"unknown table {table!r}")
        return int(self._query(f"SELECT count(*) FROM {table}")[0][0])

    def telemetry(self, agent: str | None = None, limit: int = 100) -> list[Telemetry]:
        """Newest telemetry snapshots first, optionally of one agent."""
        where, params = _where(None, None, {"agent": agent})
        rows = self._query(f"SELECT body FROM telemetry{where} ORDER BY ts_us DESC LIMIT ?", [*params, limit])
        return [Telemetry.model_validate_json(r[0]) for r in rows]


def _add_missing_columns(db: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Files made before a column existed get it added (SQLite has no ADD COLUMN IF NOT EXISTS)."""
    have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
    for name, sql_type in columns.items():
        if name not in have:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}")


def _count_known(db: sqlite3.Connection, ids: list[str]) -> int:
    # json_each takes the whole id list as one parameter: no SQLite variable limit to chunk around.
    sql = "SELECT count(*) FROM events WHERE id IN (SELECT value FROM json_each(?))"
    return int(db.execute(sql, (json.dumps(ids),)).fetchone()[0])


def _where(since: datetime | None, until: datetime | None, filters: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for key, value in filters.items():
        column = "class" if key == "object_class" else key
        if column not in _FILTER_COLUMNS:
            raise ValueError(f"unknown event filter {key!r}; use one of {', '.join(_FILTER_COLUMNS)}")
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(getattr(value, "value", value))
    if since is not None:
        clauses.append("ts_us >= ?")
        params.append(epoch_us(since))
    if until is not None:
        clauses.append("ts_us < ?")
        params.append(epoch_us(until))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
