"""The SQL alert store (SQLite by default, PostgreSQL for several hubs): alerts, silences and the
audit log survive a hub restart.

One row per alert, the contract JSON in ``body`` beside the columns operators filter on
(``id, ts, rule, severity, state, site`` as before, plus ``updated_at``) and ``life``, the
lifecycle clock (JSON) the engine needs to carry an alert on in another instance. The engine owns
every state change (operators act through it), so ``state`` and the JSON always agree.

``shared`` tells the engine that other instances write the same alerts (see
:meth:`SqlAlertStore.locked` and docs/architecture.md, "Several hubs").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from borderwatch.contract import Alert, AlertState
from borderwatch.hub.alerts.base import (
    MAX_PAGE,
    AlertQuery,
    AuditEntry,
    AuditQuery,
    Page,
    StateCounts,
    decode_cursor,
    encode_cursor,
)
from borderwatch.hub.alerts.fleet_state import FleetState
from borderwatch.hub.alerts.silences import Silence
from borderwatch.hub.sqldb import SqlDb, open_postgres, open_sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    ts TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    site TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT,
    life TEXT
);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
CREATE TABLE IF NOT EXISTS alert_silences (
    id TEXT PRIMARY KEY,
    ends_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_open ON alerts(state, site);
CREATE TABLE IF NOT EXISTS alert_audit (
    id {serial},
    ts TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    alert_id TEXT,
    silence_id TEXT,
    comment TEXT
);
CREATE INDEX IF NOT EXISTS alert_audit_alert ON alert_audit(alert_id);
"""
_OPEN = ("pending", "firing", "acknowledged")


def stamp(ts: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order."""
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


class SqlAlertStore:
    """Thread-safe (the connection's lock): the ingest worker and the ticker write while API handlers read."""

    def __init__(self, db: SqlDb, shared: bool = False) -> None:
        self._db = db
        self.shared = shared
        db.create(_SCHEMA)
        # health and zone membership the instances share (same connection: same transactions)
        self.fleet = FleetState(db) if shared else None
        cols = db.columns("alerts")
        for col in ("updated_at", "life"):  # stores written before the lifecycle / several hubs existed
            if col not in cols:
                db.execute(f"ALTER TABLE alerts ADD COLUMN {col} TEXT")

    @contextmanager
    def locked(self, sites: Sequence[str]) -> Iterator[None]:
        """One transaction holding the alert lock of each site, across instances: what the engine
        re-reads (:meth:`open_lives`) and writes inside cannot interleave with another hub's."""
        with self._db.transaction():
            self._db.lock_keys([f"alerts:{s}" for s in sites])
            yield

    def open_lives(self, sites: Sequence[str] | None = None) -> list[tuple[Alert, str | None]]:
        """Open alerts (of ``sites``; all when None) with their lifecycle JSON."""
        sql = f"SELECT body, life FROM alerts WHERE state IN {_OPEN}"
        args: list[Any] = []
        if sites is not None:
            if not sites:
                return []
            sql += f" AND site IN ({','.join('?' * len(sites))})"
            args = list(sites)
        return [(Alert.model_validate_json(r[0]), r[1]) for r in self._db.fetchall(sql, args)]

    # -- alerts ------------------------------------------------------------------------------
    def upsert(self, alert: Alert) -> None:
        """Insert or replace one alert."""
        self.upsert_many([alert])

    def upsert_many(self, alerts: Sequence[Alert], lives: Mapping[str, str] | None = None) -> None:
        """One transaction for a batch of changes (the engine writes a whole ingest round at once);
        ``lives`` maps alert ids to their lifecycle JSON (kept as it was when not given)."""
        rows = [(*_row(a), (lives or {}).get(a.id)) for a in alerts]
        with self._db.transaction():
            self._db.executemany(
                "INSERT INTO alerts(id, ts, rule, severity, state, site, body, updated_at, life) "
                "VALUES (?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET ts=excluded.ts, severity=excluded.severity, state=excluded.state, "
                "body=excluded.body, updated_at=excluded.updated_at, life=COALESCE(excluded.life, alerts.life)",
                rows,
            )

    def delete(self, alert_id: str) -> None:
        """Forget an alert (an expired pending one)."""
        with self._db.transaction():
            self._db.execute("DELETE FROM alerts WHERE id = ?", (alert_id,))

    def get(self, alert_id: str) -> Alert | None:
        """One alert by id, or None."""
        row = self._db.fetchone("SELECT body FROM alerts WHERE id = ?", (alert_id,))
        return Alert.model_validate_json(row[0]) if row else None

    def query(self, q: AlertQuery) -> Page:
        """Alerts matching ``q``, newest first, one page (limit capped at 1000)."""
        where, args = _filters(q)
        limit = max(1, min(q.limit, MAX_PAGE))
        sql = f"SELECT body, ts, id FROM alerts{where} ORDER BY ts DESC, id DESC LIMIT ?"
        rows = self._db.fetchall(sql, [*args, limit + 1])
        items = [Alert.model_validate_json(r[0]) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(rows[limit - 1][1], rows[limit - 1][2]) if more else None)

    def list(self, limit: int = 100, state: AlertState | None = None) -> list[Alert]:
        """The newest ``limit`` alerts, optionally of one state."""
        return self.query(AlertQuery(states=[state] if state else (), limit=limit)).items

    def open_alerts(self) -> list[Alert]:
        """Alerts not resolved (for the engine's restart)."""
        return [a for a, _ in self.open_lives()]

    def count(self) -> int:
        """How many alerts the store holds."""
        row = self._db.fetchone("SELECT COUNT(*) FROM alerts")
        return int(row[0]) if row else 0

    def counts(self) -> StateCounts:
        """Alert counts by (state, severity)."""
        rows = self._db.fetchall("SELECT state, severity, COUNT(*) FROM alerts GROUP BY state, severity")
        return StateCounts({(r[0], r[1]): int(r[2]) for r in rows})

    # -- silences ----------------------------------------------------------------------------
    def add_silence(self, s: Silence) -> None:
        """Keep a new silence."""
        with self._db.transaction():
            self._db.execute("INSERT INTO alert_silences(id, ends_at, body) VALUES (?,?,?)",
                             (s.id, stamp(s.ends_at), s.model_dump_json()))  # fmt: skip

    def silences(self, include_expired: bool = False, now: datetime | None = None) -> list[Silence]:
        """Active silences at ``now`` (all with ``include_expired``), latest ending first."""
        sql, args = "SELECT body FROM alert_silences", []
        if not include_expired:
            sql, args = sql + " WHERE ends_at > ?", [stamp(now or datetime.now(UTC))]
        rows = self._db.fetchall(sql + " ORDER BY ends_at DESC LIMIT 1000", args)
        return [Silence.model_validate_json(r[0]) for r in rows]

    def get_silence(self, silence_id: str) -> Silence | None:
        """One silence by id, or None."""
        row = self._db.fetchone("SELECT body FROM alert_silences WHERE id = ?", (silence_id,))
        return Silence.model_validate_json(row[0]) if row else None

    def expire_silence(self, silence_id: str, now: datetime) -> Silence | None:
        """Ends the silence at ``now`` (kept, so the audit log's reference stays readable)."""
        found = self.get_silence(silence_id)
        if found is None:
            return None
        ended = found.model_copy(update={"ends_at": min(found.ends_at, now)})
        with self._db.transaction():
            self._db.execute("UPDATE alert_silences SET ends_at = ?, body = ? WHERE id = ?",
                             (stamp(ended.ends_at), ended.model_dump_json(), silence_id))  # fmt: skip
        return ended

    # -- audit -------------------------------------------------------------------------------
    def audit(self, entry: AuditEntry) -> AuditEntry:
        """Append an operator action; returns it with its row id."""
        with self._db.transaction():
            rows = self._db.fetchall(
                "INSERT INTO alert_audit(ts, who, action, alert_id, silence_id, comment) VALUES (?,?,?,?,?,?) "
                "RETURNING id",
                (stamp(entry.ts), entry.who, entry.action, entry.alert_id, entry.silence_id, entry.comment),
            )
        return AuditEntry(entry.ts, entry.who, entry.action, entry.alert_id, entry.silence_id, entry.comment,
                          int(rows[0][0]))  # fmt: skip

    def audit_log(self, q: AuditQuery) -> list[AuditEntry]:
        """Newest first; page with ``before_id`` = the last id seen."""
        conds: list[str] = []
        args: list[Any] = []
        _match(conds, args, (("who", q.who), ("action", q.action), ("alert_id", q.alert_id)), q.since, q.until)
        if q.before_id is not None:
            conds.append("id < ?")
            args.append(q.before_id)
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        cols = "ts, who, action, alert_id, silence_id, comment, id"
        sql = f"SELECT {cols} FROM alert_audit{where} ORDER BY id DESC LIMIT ?"
        rows = self._db.fetchall(sql, [*args, max(1, min(q.limit, MAX_PAGE))])
        return [AuditEntry(datetime.fromisoformat(r[0]), *r[1:]) for r in rows]

    def close(self) -> None:
        """Close the connection (the hub at stop)."""
        self._db.close()


def SqliteAlertStore(path: Path | str, shared: bool = False) -> SqlAlertStore:  # noqa: N802 (reads as a class)
    """The default store: one SQLite file (``shared``: several processes on one host use it)."""
    return SqlAlertStore(open_sqlite(path), shared)


def PostgresAlertStore(dsn: str, schema: str = "public") -> SqlAlertStore:  # noqa: N802
    """Several hub instances sharing one alert state (always ``shared``)."""
    return SqlAlertStore(open_postgres(dsn, schema), shared=True)


def _row(a: Alert) -> tuple[Any, ...]:
    updated = stamp(a.updated_at) if a.updated_at else None
    body = a.model_dump_json(by_alias=True, exclude_none=True)
    return (a.id, stamp(a.ts), a.rule, a.severity.value, a.state.value, a.site, body, updated)


def _filters(q: AlertQuery) -> tuple[str, list[Any]]:
    conds: list[str] = []
    args: list[Any] = []
    if q.states:
        conds.append(f"state IN ({','.join('?' * len(q.states))})")
        args += [s.value for s in q.states]
    if q.severities:
        conds.append(f"severity IN ({','.join('?' * len(q.severities))})")
        args += [s.value for s in q.severities]
    _match(conds, args, (("site", q.site), ("rule", q.rule)), q.since, q.until)
    if q.cursor is not None:
        ts, alert_id = decode_cursor(q.cursor)
        conds.append("(ts < ? OR (ts = ? AND id < ?))")
        args += [ts, ts, alert_id]
    return (f" WHERE {' AND '.join(conds)}" if conds else ""), args


def _match(
    conds: list[str], args: list[Any], equal: Sequence[tuple[str, Any]], since: datetime | None, until: datetime | None
) -> None:
    """Add ``col = ?`` for each value given and the [since, until) window on ``ts``; None filters nothing."""
    for col, val in equal:
        if val is not None:
            conds.append(f"{col} = ?")
            args.append(val)
    for op, bound in ((">=", since), ("<", until)):
        if bound is not None:
            conds.append(f"ts {op} ?")
            args.append(stamp(bound))
