"""The alert engine: the shell around rules, fusion, lifecycle and health that stores and notifies.

Pure parts decide (rules.evaluate, fusion.fuse, lifecycle.advance, health.*); this shell holds the
open alerts (:class:`OpenIndex` keeps the open situations as fusion's columns), zone membership
(:class:`ZoneWatch`) and agent health (:class:`HealthWatch`), reads the clock, writes the store
(state changes at once, evidence that only joins an alert on the next tick) and calls two kinds
of hooks on every change: ``watchers`` see everything (the live stream), ``notifiers`` only what
pages someone (fired, re-notified, acknowledged, resolved) and nothing while a silence covers the
alert. One lock: the ingest worker, the ticker thread and API handlers all come through here.
Operators' actions are in :class:`borderwatch.hub.alerts.operators.Operators`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime

from borderwatch.contract import AgentStatus, Alert, Event, Telemetry
from borderwatch.contract.alerts import SEVERITY_RANK
from borderwatch.contract.common import utc_now
from borderwatch.hub.alerts import lifecycle as lc
from borderwatch.hub.alerts.base import AlertStore
from borderwatch.hub.alerts.changes import AlertChange, Change, Hook, Tracked, lives
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.fleet_state import FleetState
from borderwatch.hub.alerts.flood import within_cap
from borderwatch.hub.alerts.fusion import absorb, fuse
from borderwatch.hub.alerts.fusion_index import OpenIndex
from borderwatch.hub.alerts.health_alerts import health_situation, restore_situation
from borderwatch.hub.alerts.health_watch import HealthWatch
from borderwatch.hub.alerts.lifecycle import Life, Reason, Timing
from borderwatch.hub.alerts.operators import Operators
from borderwatch.hub.alerts.rules import Match
from borderwatch.hub.alerts.shared import life_of
from borderwatch.hub.alerts.silences import Silence, silenced
from borderwatch.hub.alerts.zone_watch import ZoneWatch

__all__ = ["AlertChange", "AlertEngine", "Hook"]
log = logging.getLogger("borderwatch.hub.alerts")


class AlertEngine(Operators):
    """Feeds events, statuses and telemetry through the pure core; ``tick`` drives time."""

    def __init__(self, cfg: AlertsConfig, store: AlertStore, notifiers: Sequence[Hook] = (),
                 watchers: Sequence[Hook] = (), clock: Callable[[], datetime] = utc_now,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:  # fmt: skip
        self._cfg = cfg
        self._store = store
        self._fleet: FleetState | None = getattr(store, "fleet", None) if store.shared else None
        self._notifiers, self._watchers = list(notifiers), list(watchers)
        self._clock, self._new_id = clock, new_id
        self._lock = threading.RLock()
        self._open: dict[str, Tracked] = {}
        self._index = OpenIndex()  # the open alerts that are not about health, as fusion's columns
        self._zones = ZoneWatch()
        self._health = HealthWatch(shared=self._fleet is not None)
        self._flooding: set[tuple[str, str]] = set()  # agents whose new matches are being dropped (logged once)
        self._silences: list[Silence] = store.silences(now=clock())
        self.counts: Counter[str] = Counter()
        self._restore()

    @property
    def raised(self) -> int:
        """Alerts that fired since start."""
        return self.counts[Reason.FIRED.value]

    @property
    def open_count(self) -> int:
        """Alerts open in this engine right now (pending, firing or acknowledged; health alerts too)."""
        return len(self._open)

    @property
    def config(self) -> AlertsConfig:
        """The alert settings in force (changed by :meth:`reload`)."""
        return self._cfg

    def add_notifier(self, hook: Hook) -> None:
        """Page through ``hook`` on fired/upgraded/crossed/renotify/ack/resolve changes of unsilenced alerts."""
        self._notifiers.append(hook)

    def add_watcher(self, hook: Hook) -> None:
        """Tell ``hook`` every change (the live stream)."""
        self._watchers.append(hook)

    # -- input -------------------------------------------------------------------------------
    def handle(self, events: Sequence[Event], now: datetime | None = None) -> list[Alert]:
        """Accepted events in; returns the alerts that fired in this call."""
        now = now or self._clock()
        t = now.timestamp()
        with self._lock, ExitStack() as shared:
            self._health.heard({(ev.site, ev.agent) for ev in events}, t)
            c = self._cfg
            matches = self._zones.evaluate(c, events, self._fleet, t)
            if not matches and not any(ev.kind in r.resolve_on for r in c.rules for ev in events):
                return []  # nothing for any alert: no cross-instance lock taken
            shared.enter_context(self._shared({ev.site for ev in events}, now))
            changes: dict[str, Change] = {}
            self._resolve_on(events, t, changes)
            rest = []
            for m, i in zip(matches, self._index.nearest(matches), strict=True):
                if i < 0:
                    rest.append(m)
                    continue
                x = self._open[self._index.ids[i]]
                changes.setdefault(x.sit.alert.id, (x, x.life.state, Reason.EVIDENCE))
                before, way = SEVERITY_RANK[x.sit.alert.severity], x.sit.alert.direction
                x.sit, x.life = absorb(x.sit, m), lc.on_evidence(x.life, t)
                self._index.put(x.sit)
                if x.life.fired_at is not None:
                    if SEVERITY_RANK[x.sit.alert.severity] > before:
                        changes[x.sit.alert.id] = (x, x.life.state, Reason.UPGRADED)
                    elif way is None and x.sit.alert.direction is not None:
                        changes[x.sit.alert.id] = (x, x.life.state, Reason.CROSSED)
            rest = self._cap(rest)
            for sit in fuse(rest, [self._new_id() for _ in rest]):
                rule = next(r for r in c.rules if r.name == sit.rule_name)
                timing = Timing(rule.for_s, c.lifecycle.resolve_after_s, c.lifecycle.renotify_s, rule.auto_resolve)
                x = Tracked(sit, lc.open_life(t), timing, rule.min_count, frozenset(rule.resolve_on))
                self._keep(x)
                changes[sit.alert.id] = (x, None, Reason.OPENED)
            for aid, (x, prev, _) in list(changes.items()):
                life, due = lc.advance(x.life, t, x.timing, x.ready())
                if due is not None:
                    x.life, changes[aid] = life, (x, prev, due)
            done = self._commit(list(changes.values()), now)
        return [ch.alert for ch in done if ch.reason is Reason.FIRED]

    def on_status(self, status: AgentStatus, now: datetime | None = None) -> None:
        """Birth and last will: an offline status starts the agent-offline debounce."""
        with self._lock:
            self._health.on_status(status, (now or self._clock()).timestamp())

    def on_telemetry(self, telemetry: Telemetry, now: datetime | None = None) -> None:
        """Telemetry proves the agent alive and says which of its sensors are degraded."""
        with self._lock:
            self._health.on_telemetry(telemetry, (now or self._clock()).timestamp())

    def flush(self, now: datetime | None = None) -> None:
        """Write alerts whose only change was more evidence (state changes are written at once)."""
        now = now or self._clock()
        with self._lock:
            dirty = [x for x in self._open.values() if x.dirty]
            if dirty:
                self._store.upsert_many([x.render(now) for x in dirty], lives(dirty))
            for x in dirty:
                x.dirty = False

    def tick(self, now: datetime | None = None) -> list[AlertChange]:
        """Time-driven transitions: health faults, pending -> firing, auto-resolve, re-notify;
        then the written-behind evidence."""
        now = now or self._clock()
        t = now.timestamp()
        self.flush(now)
        with self._lock, self._shared(None, now) as sites:
            if self._fleet is not None:
                self._health.sync(self._fleet, sites)
                self._fleet.prune_members(t - 4 * self._cfg.lifecycle.resolve_after_s - 600)
            changes: dict[str, Change] = {}
            self._health_alerts(t, now, changes)
            for aid, x in self._open.items():
                life, due = lc.advance(x.life, t, x.timing, x.ready())
                if due is not None:
                    changes[aid] = (x, changes.get(aid, (x, x.life.state))[1], due)
                    x.life = life
                elif (x.silenced != self._is_silenced(x, now)) and aid not in changes:
                    changes[aid] = (x, x.life.state, Reason.SILENCED)
            return self._commit(list(changes.values()), now)

    def _cap(self, ms: list[Match]) -> list[Match]:
        """New alerts only for agents under ``max_open_per_agent``; the rest counted and logged
        once per flood (issue 10: one agent must not make every decision slower)."""
        if not ms:
            return ms
        cap, held = self._cfg.lifecycle.max_open_per_agent, self._index.per_agent  # kept by the index
        kept, dropped = within_cap(ms, held, cap)
        self.counts["flood_dropped"] += len(dropped)
        for site, agent in {(m.event.site, m.event.agent) for m in dropped} - self._flooding:
            log.warning("alert flood site=%s agent=%s: at its cap of %d open alerts, new matches dropped "
                        "(flood_dropped)", site, agent, cap)  # fmt: skip
        opening = Counter((m.event.site, m.event.agent) for m in kept)  # a flood ends once the agent is under
        self._flooding = {k for k in self._flooding | {(m.event.site, m.event.agent) for m in dropped}
                          if held.get(k, 0) + opening[k] >= cap}  # fmt: skip
        return kept

    # -- health ------------------------------------------------------------------------------
    def _health_alerts(self, t: float, now: datetime, changes: dict[str, Change]) -> None:
        h = self._cfg.health
        facts = self._health.facts(h, t)
        by_fp = {x.health: x for x in self._open.values() if x.health}
        for fp, x in by_fp.items():
            if fp not in facts and self._heard_since(x):
                life, due = lc.clear(x.life, t)
                if due is not None:
                    changes[x.sit.alert.id] = (x, x.life.state, due)
                    x.life = life
        for fp, fact in facts.items():
            x = by_fp.get(fp)
            if x is not None:
                x.life = lc.on_evidence(x.life, t)
                continue
            lost = fact.rule == "events-lost"  # lost events are gone: no debounce, a critical page
            sit = health_situation(fact, fp, self._new_id(), now, h.events_lost_severity if lost else h.severity)
            debounce = 0.0 if lost else h.debounce_s
            timing = Timing(debounce, self._cfg.lifecycle.resolve_after_s, self._cfg.lifecycle.renotify_s, False)
            x = Tracked(sit, lc.open_life(t), timing, health=fp)
            self._keep(x)
            changes[sit.alert.id] = (x, None, Reason.OPENED)

    def _heard_since(self, x: Tracked) -> bool:
        """A fault clears only on news: with several hubs, one that saw none of the agent's messages
        since the alert opened (and no instance told the fleet of any) must not clear it."""
        if not self._store.shared:
            return True
        return self._health.heard_since((x.sit.alert.site, x.sit.alert.agent), x.life.opened_at)

    def _resolve_on(self, events: Sequence[Event], t: float, changes: dict[str, Change]) -> None:
        """Events of a kind an open alert resolves on clear it; only those events and alerts are
        looked at (not every event of the round against every open alert)."""
        closers = [x for x in self._open.values() if x.resolve_on]
        kinds = {k for x in closers for k in x.resolve_on}
        for ev in events:
            if ev.kind not in kinds:
                continue
            sensor = f"{ev.agent}/{ev.sensor.id}"
            for x in closers:
                if ev.kind in x.resolve_on and sensor in x.sit.best and ev.site == x.sit.alert.site:
                    life, due = lc.clear(x.life, t)
                    if due is not None:
                        changes[x.sit.alert.id] = (x, x.life.state, due)
                        x.life = life

    # -- shell -------------------------------------------------------------------------------
    def _keep(self, x: Tracked) -> None:
        """Hold an open alert (and index it for fusion unless it is about health)."""
        self._open[x.sit.alert.id] = x
        if x.health is None:
            self._index.put(x.sit)

    def _forget(self, alert_id: str) -> None:
        self._open.pop(alert_id, None)
        self._index.drop(alert_id)

    def _is_silenced(self, x: Tracked, now: datetime) -> bool:
        return silenced(x.sit.alert, self._silences, now)

    def _commit(self, changes: list[Change], now: datetime) -> list[AlertChange]:
        out: list[AlertChange] = []
        keep: list[Alert] = []
        for x, prev, reason in changes:
            x.silenced = self._is_silenced(x, now)
            alert = x.render(now)
            out.append(AlertChange(alert, prev, reason))
            self.counts[reason.value] += 1
            if reason is Reason.EXPIRED:  # pending that never fired: paged nobody, kept nowhere
                self._store.delete(alert.id)
            elif reason is Reason.EVIDENCE:  # written behind, on the next tick: keeps decisions fast
                x.dirty = True
            else:
                keep.append(alert)
                x.dirty = False
            if not x.life.is_open:
                self._forget(alert.id)
        if keep:
            self._store.upsert_many(keep, lives([x for x, _, _ in changes]))
        for ch in out:
            if ch.reason in (Reason.FIRED, Reason.AUTO_RESOLVED, Reason.EXPIRED):
                a = ch.alert
                log.warning("alert %s rule=%s severity=%s site=%s sensors=%s id=%s", ch.reason.value, a.rule,
                            a.severity.value, a.site, ",".join(a.sensors) or a.agent, a.id)  # fmt: skip
            self._emit(ch)
        return out

    def _emit(self, ch: AlertChange) -> None:
        for hook in [*self._watchers, *(self._notifiers if ch.notify else ())]:
            try:
                hook(ch)
            except Exception:  # a broken hook must not stop alerting
                log.exception("alert hook failed alert=%s", ch.alert.id)

    @contextmanager
    def _shared(self, sites: Collection[str] | None, now: datetime) -> Iterator[Collection[str]]:
        """With a shared store, a decision is taken under the sites' cross-instance lock on the
        store's open alerts (the source of truth), and what it changed is written before the lock
        is released: two hubs never both open, fire or resolve one alert. Alone: nothing to do.
        Yields the sites locked."""
        if not self._store.shared:
            yield sites or ()
            return
        if sites is None:  # the ticker: every site with an open alert (here or stored) or a known agent
            sites = {a.site for a, _ in self._store.open_lives()} | self._health.sites()
            sites |= {x.sit.alert.site for x in self._open.values()}
            if self._fleet is not None:
                sites |= self._fleet.sites()
        with self._store.locked(sorted(sites)):
            self._sync(sites, now)
            yield sites
            self.flush(now)

    def _sync(self, sites: Collection[str], now: datetime) -> None:
        t = now.timestamp()
        self._silences = self._store.silences(now=now)  # another hub's operators may have added one
        stored = {a.id: (a, life) for a, life in self._store.open_lives(sorted(sites))}
        for aid in [aid for aid, x in self._open.items() if x.sit.alert.site in sites and aid not in stored]:
            self._forget(aid)  # resolved (or expired) by another instance
        for a, life in stored.values():
            self._adopt(a, life_of(a, life, t))

    def _restore(self) -> None:
        """Open alerts of a previous run carry on (their evidence clock restarts now)."""
        t = self._clock().timestamp()
        for a, _ in self._store.open_lives():
            self._adopt(a, life_of(a, None, t))
            if self._open[a.id].health and a.rule == "agent-offline":  # stays offline until it speaks
                self._health.restore_offline((a.site, a.agent), t)

    def _adopt(self, a: Alert, life: Life) -> None:
        c = self._cfg
        sit, health = restore_situation(a)
        rule = next((r for r in c.rules if r.name == a.rule), None)
        for_s = rule.for_s if rule else (c.health.debounce_s if health else 0.0)
        timing = Timing(for_s, c.lifecycle.resolve_after_s, c.lifecycle.renotify_s,
                        rule.auto_resolve if rule else health is None)  # fmt: skip
        self._keep(Tracked(sit, life, timing, rule.min_count if rule else 1,
                           frozenset(rule.resolve_on) if rule else frozenset(), health, bool(a.silenced)))  # fmt: skip
