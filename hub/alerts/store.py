"""SQLite alert store: alerts survive a hub restart and carry their operator state.

One row per alert, the contract JSON beside the columns operators filter on. The ``state``
column is the truth for the state: an operator's acknowledge or resolve survives the engine's
later updates of the same alert (which carry ``firing`` in their JSON).
"""

from __future__ import annotations

import threading
from pathlib import Path

from borderwatch.contract import Alert, AlertState
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
"""


class SqliteAlertStore:
    """Thread-safe: the ingest worker writes while API handlers read."""

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path, busy_timeout_s=5.0, autocommit=False)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def upsert(self, alert: Alert) -> None:
        body = alert.model_dump_json(by_alias=True, exclude_none=True)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO alerts(id, ts, rule, severity, state, site, body) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET body=excluded.body, "
                "state=CASE WHEN alerts.state = 'firing' THEN excluded.state ELSE alerts.state END",
                (
                    alert.id,
                    alert.ts.isoformat(),
                    alert.rule,
                    alert.severity.value,
                    alert.state.value,
                    alert.site,
                    body,
                ),
            )

    def list(self, limit: int = 100, state: AlertState | None = None) -> list[Alert]:
        sql, args = "SELECT body, state FROM alerts", []
        if state is not None:
            sql, args = sql + " WHERE state = ?", [state.value]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ts DESC LIMIT ?", [*args, limit]).fetchall()
        return [_alert(r) for r in rows]

    def get(self, alert_id: str) -> Alert | None:
        with self._lock:
            row = self._db.execute("SELECT body, state FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return _alert(row) if row else None

    def set_state(self, alert_id: str, state: AlertState) -> Alert | None:
        """An operator's acknowledge or resolve; None when there is no such alert."""
        with self._lock, self._db:
            self._db.execute("UPDATE alerts SET state = ? WHERE id = ?", (state.value, alert_id))
        return self.get(alert_id)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _alert(row: tuple[str, str]) -> Alert:
    alert = Alert.model_validate_json(row[0])
    return alert if alert.state.value == row[1] else alert.model_copy(update={"state": AlertState(row[1])})
