"""Operators' side of the alert engine: acknowledge, resolve, comment, silences, rule reloads.

Why apart: these are the only changes that come from people rather than from sensors or time;
each is audited (who, when, what, on which alert, the comment) and takes the same locks as the
engine's own decisions, so an operator and a sensor never change one alert at once, on one hub
or across a fleet. A mixin of :class:`borderwatch.hub.alerts.engine.AlertEngine`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from borderwatch.contract import Alert
from borderwatch.hub.alerts import lifecycle as lc
from borderwatch.hub.alerts.base import AlertStore, AuditEntry
from borderwatch.hub.alerts.changes import AlertChange, Change, Tracked
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.lifecycle import Reason
from borderwatch.hub.alerts.silences import Silence, SilenceRequest

log = logging.getLogger("borderwatch.hub.alerts")


class Operators:
    """Audited operator actions on the engine's open alerts."""

    _cfg: AlertsConfig
    _store: AlertStore
    _lock: threading.RLock
    _open: dict[str, Tracked]
    _silences: list[Silence]
    _clock: Callable[[], datetime]
    _new_id: Callable[[], str]

    if TYPE_CHECKING:  # provided by the engine

        def _shared(self, sites: Collection[str] | None, now: datetime) -> AbstractContextManager[Collection[str]]: ...
        def _commit(self, changes: list[Change], now: datetime) -> list[AlertChange]: ...
        def _emit(self, ch: AlertChange) -> None: ...
        def tick(self, now: datetime | None = None) -> list[AlertChange]: ...

    def act(self, alert_id: str, action: str, who: str, comment: str | None = None) -> Alert:
        """``ack``, ``resolve`` or ``comment`` by token ``who``; KeyError: no such alert,
        lifecycle.TransitionError: the state does not allow it. Every action is audited."""
        now = self._clock()
        known = self._store.get(alert_id) if self._store.shared else None
        with self._lock, self._shared([known.site] if known else [], now):
            x = self._open.get(alert_id)
            stored = self._store.get(alert_id) if x is None else None
            if x is None and stored is None:
                raise KeyError(alert_id)
            if action != "comment":
                if x is None:
                    raise lc.TransitionError("the alert is resolved already")
                prev = x.life.state
                x.life = lc.acknowledge(x.life, who) if action == "ack" else lc.resolve(x.life, now.timestamp())
                reason = Reason.ACKNOWLEDGED if action == "ack" else Reason.RESOLVED
                self._commit([(x, prev, reason)], now)
            self._store.audit(AuditEntry(now, who, action, alert_id=alert_id, comment=comment))
            alert = x.render(now) if x is not None else stored
            assert alert is not None
            if action == "comment":
                self._emit(AlertChange(alert, alert.state, Reason.COMMENT))
            log.info("alert %s id=%s by=%s", action, alert_id, who)
            return alert

    def add_silence(self, req: SilenceRequest, who: str) -> Silence:
        """Store and audit a silence by token ``who``; matching alerts stop paging at once."""
        now = self._clock()
        s = Silence.of(req, self._new_id(), who, now)
        with self._lock:
            self._store.add_silence(s)
            self._store.audit(AuditEntry(now, who, "silence", silence_id=s.id, comment=req.comment))
            self._silences = self._store.silences(now=now)
        self.tick(now)
        return s

    def expire_silence(self, silence_id: str, who: str, comment: str | None = None) -> Silence | None:
        """End a silence now (audited); None when there is no such silence."""
        now = self._clock()
        with self._lock:
            s = self._store.expire_silence(silence_id, now)
            if s is not None:
                self._store.audit(AuditEntry(now, who, "unsilence", silence_id=silence_id, comment=comment))
                self._silences = self._store.silences(now=now)
        self.tick(now)
        return s

    def reload(self, cfg: AlertsConfig, who: str) -> None:
        """New rules, zones and timings for what comes next; open alerts keep their own timing."""
        with self._lock:
            self._cfg = cfg
            self._store.audit(AuditEntry(self._clock(), who, "rules_reload", comment=f"{len(cfg.rules)} rules"))
        log.warning("alert rules reloaded rules=%d zones=%d by=%s", len(cfg.rules), len(cfg.zones), who)
