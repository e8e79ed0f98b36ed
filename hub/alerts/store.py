"""SQLite alert store: alerts, silences and the audit log survive a hub restart.

One row per alert, the contract JSON in ``body`` beside the columns operators filter on
(``id, ts, rule, severity, state, site`` as before, plus ``updated_at``). The engine owns every
state change (operators act through it), so ``state`` and the JSON always agree.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
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
from borderwatch.hub.alerts.silences import Silence
from borderwatch.runtime.sqlite import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    ts TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    site TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
CREATE TABLE IF NOT EXISTS alert_silences (
    id TEXT PRIMARY KEY,
    ends_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_audit (
    id INTEGER PRIMARY KEY,
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


class SqliteAlertStore:
    """Thread-safe: the ingest worker and the ticker write while API handlers read."""

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path, synchronous="NORMAL", busy_timeout_s=30.0, autocommit=False)
        self._db.executescript(_SCHEMA)
        cols = {r[1] for r in self._db.execute("PRAGMA table_info(alerts)")}
        if "updated_at" not in cols:  # stores written before the lifecycle existed
            self._db.execute("ALTER TABLE alerts ADD COLUMN updated_at TEXT")
        self._lock = threading.Lock()

    # -- alerts ------------------------------------------------------------------------------
    def upsert(self, alert: Alert) -> None:
        """Insert or replace one alert."""
        self.upsert_many([alert])

    def upsert_many(self, alerts: Sequence[Alert]) -> None:
        """One transaction for a batch of changes (the engine writes a whole ingest round at once)."""
        rows = [_row(a) for a in alerts]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO alerts(id, ts, rule, severity, state, site, body, updated_at) VALUES (?,?,?,?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET ts=excluded.ts, severity=excluded.severity, state=excluded.state, "
                "body=excluded.body, updated_at=excluded.updated_at",
                rows,
            )

    def delete(self, alert_id: str) -> None:
        """Forget an alert (an expired pending one)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM alerts WHERE id = ?", (alert_id,))

    def get(self, alert_id: str) -> Alert | None:
        """One alert by id, or None."""
        with self._lock:
            row = self._db.execute("SELECT body FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return Alert.model_validate_json(row[0]) if row else None

    def query(self, q: AlertQuery) -> Page:
        """Alerts matching ``q``, newest first, one page (limit capped at 1000)."""
        where, args = _filters(q)
        limit = max(1, min(q.limit, MAX_PAGE))
        sql = f"SELECT body, ts, id FROM alerts{where} ORDER BY ts DESC, id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, [*args, limit + 1]).fetchall()
        items = [Alert.model_validate_json(r[0]) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(rows[limit - 1][1], rows[limit - 1][2]) if more else None)

    def list(self, limit: int = 100, state: AlertState | None = None) -> list[Alert]:
        """The newest ``limit`` alerts, optionally of one state."""
        return self.query(AlertQuery(states=[state] if state else (), limit=limit)).items

    def open_alerts(self) -> list[Alert]:
        """Alerts not resolved (for the engine's restart)."""
        with self._lock:
            rows = self._db.execute(f"SELECT body FROM alerts WHERE state IN {_OPEN}").fetchall()
        return [Alert.model_validate_json(r[0]) for r in rows]

    def count(self) -> int:
        """How many alerts the store holds."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])

    def counts(self) -> StateCounts:
        """Alert counts by (state, severity)."""
        with self._lock:
            rows = self._db.execute("SELECT state, severity, COUNT(*) FROM alerts GROUP BY state, severity").fetchall()
        return StateCounts({(r[0], r[1]): int(r[2]) for r in rows})

    # -- silences ----------------------------------------------------------------------------
    def add_silence(self, s: Silence) -> None:
        """Keep a new silence."""
        with self._lock, self._db:
            self._db.execute("INSERT INTO alert_silences(id, ends_at, body) VALUES (?,?,?)",
                             (s.id, stamp(s.ends_at), s.model_dump_json()))  # fmt: skip

    def silences(self, include_expired: bool = False, now: datetime | None = None) -> list[Silence]:
        """Active silences at ``now`` (all with ``include_expired``), latest ending first."""
        sql, args = "SELECT body FROM alert_silences", []
        if not include_expired:
            sql, args = sql + " WHERE ends_at > ?", [stamp(now or datetime.now(UTC))]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ends_at DESC LIMIT 1000", args).fetchall()
        return [Silence.model_validate_json(r[0]) for r in rows]

    def get_silence(self, silence_id: str) -> Silence | None:
        """One silence by id, or None."""
        with self._lock:
            row = self._db.execute("SELECT body FROM alert_silences WHERE id = ?", (silence_id,)).fetchone()
        return Silence.model_validate_json(row[0]) if row else None

    def expire_silence(self, silence_id: str, now: datetime) -> Silence | None:
        """Ends the silence at ``now`` (kept, so the audit log's reference stays readable)."""
        found = self.get_silence(silence_id)
        if found is None:
            return None
        ended = found.model_copy(update={"ends_at": min(found.ends_at, now)})
        with self._lock, self._db:
            self._db.execute("UPDATE alert_silences SET ends_at = ?, body = ? WHERE id = ?",
                             (stamp(ended.ends_at), ended.model_dump_json(), silence_id))  # fmt: skip
        return ended

    # -- audit -------------------------------------------------------------------------------
    def audit(self, entry: AuditEntry) -> AuditEntry:
        """Append an operator action; returns it with its row id."""
        with self._lock, self._db:
            cur = self._db.execute(
                "INSERT INTO alert_audit(ts, who, action, alert_id, silence_id, comment) VALUES (?,?,?,?,?,?)",
                (stamp(entry.ts), entry.who, entry.action, entry.alert_id, entry.silence_id, entry.comment),
            )
        return AuditEntry(entry.ts, entry.who, entry.action, entry.alert_id, entry.silence_id, entry.comment,
                          cur.lastrowid)  # fmt: skip

    def audit_log(self, q: AuditQuery) -> list[AuditEntry]:
        """Newest first; page with ``before_id`` = the last id seen."""
        conds: list[str] = []
        args: list[Any] = []
        for col, val in (("who", q.who), ("action", q.action), ("alert_id", q.alert_id)):
            if val is not None:
                conds.append(f"{col} = ?")
                args.append(val)
        for op, val in ((">=", q.since), ("<", q.until)):
            if val is not None:
                conds.append(f"ts {op} ?")
                args.append(stamp(val))
        if q.before_id is not None:
            conds.append("id < ?")
            args.append(q.before_id)
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        cols = "ts, who, action, alert_id, silence_id, comment, id"
        sql = f"SELECT {cols} FROM alert_audit{where} ORDER BY id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, [*args, max(1, min(q.limit, MAX_PAGE))]).fetchall()
        return [AuditEntry(datetime.fromisoformat(r[0]), *r[1:]) for r in rows]

    def close(self) -> None:
        """Close the connection (the hub at stop)."""
        with self._lock:
            self._db.close()


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
    for col, val in (("site", q.site), ("rule", q.rule)):
        if val is not None:
            conds.append(f"{col} = ?")
            args.append(val)
    for op, val in ((">=", q.since), ("<", q.until)):
        if val is not None:
            conds.append(f"ts {op} ?")
            args.append(stamp(val))
    if q.cursor is not None:
        ts, alert_id = decode_cursor(q.cursor)
        conds.append("(ts < ? OR (ts = ? AND id < ?))")
        args += [ts, ts, alert_id]
    return (f" WHERE {' AND '.join(conds)}" if conds else ""), args
