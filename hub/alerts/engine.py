"""The alert engine: the shell around rules and grouping that stores, publishes and reports."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from borderwatch.contract import Alert, Event
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.grouping import AlertGrouper
from borderwatch.hub.alerts.rules import evaluate
from borderwatch.hub.alerts.store import SqliteAlertStore

log = logging.getLogger("borderwatch.hub.alerts")

AlertSink = Callable[[Alert, bool], None]
"""Receives every new or updated alert; the bool says whether it is new."""


class AlertEngine:
    """Feeds accepted events through rules and grouping; called from the ingest worker."""

    def __init__(self, cfg: AlertsConfig, store: SqliteAlertStore, sinks: Sequence[AlertSink] = ()) -> None:
        self._cfg = cfg
        self._store = store
        self._sinks = list(sinks)
        self._grouper = AlertGrouper()
        self._lock = threading.Lock()
        self.raised = 0

    def add_sink(self, sink: AlertSink) -> None:
        self._sinks.append(sink)

    def handle(self, events: Sequence[Event]) -> list[Alert]:
        """Returns the alerts that are new in this call (updates are stored and published too)."""
        fresh: list[Alert] = []
        with self._lock:
            for m in evaluate(self._cfg.rules, sorted(events, key=lambda e: e.ts)):
                alert, is_new = self._grouper.fold(m)
                self._store.upsert(alert)
                if is_new:
                    self.raised += 1
                    fresh.append(alert)
                    log.warning(
                        "alert rule=%s severity=%s site=%s sensor=%s/%s class=%s direction=%s id=%s",
                        alert.rule,
                        alert.severity.value,
                        alert.site,
                        alert.agent,
                        alert.sensor_id,
                        alert.object_class.value,
                        alert.direction or "-",
                        alert.id,
                    )
                self._emit(alert, is_new)
        return fresh

    def _emit(self, alert: Alert, is_new: bool) -> None:
        for sink in self._sinks:
            try:
                sink(alert, is_new)
            except Exception:  # a broken sink must not stop alerting
                log.exception("alert sink failed alert=%s", alert.id)
