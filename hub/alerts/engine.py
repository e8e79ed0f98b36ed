"""The alert engine: the shell around rules, fusion, lifecycle and health that stores and notifies.

Pure parts decide (rules.evaluate, fusion.nearest_open/fuse, lifecycle.advance, health.*); this
shell holds the open alerts, reads the clock, writes the store (state changes at once, evidence
that only joins an alert on the next tick) and calls two kinds of hooks on
every change: ``watchers`` see everything (the live stream), ``notifiers`` only what pages
someone (fired, re-notified, acknowledged, resolved) and nothing while a silence covers the alert.
One lock: the ingest worker, the ticker thread and API handlers all come through here.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from borderwatch.contract import AgentState, AgentStatus, Alert, AlertState, Event, EventKind, Telemetry
from borderwatch.contract.alerts import SEVERITY_RANK
from borderwatch.contract.common import utc_now
from borderwatch.hub.alerts import lifecycle as lc
from borderwatch.hub.alerts.base import AlertStore, AuditEntry
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.flood import within_cap
from borderwatch.hub.alerts.fusion import Situation, absorb, fuse, nearest_open
from borderwatch.hub.alerts.health import AgentKey, AgentSeen, agent_faults, loss_fault, seen, sensor_faults
from borderwatch.hub.alerts.health_alerts import HealthFact, health_situation, restore_situation
from borderwatch.hub.alerts.lifecycle import Life, Reason, Timing
from borderwatch.hub.alerts.rules import Match, ZoneState, evaluate
from borderwatch.hub.alerts.shared import life_json, life_of
from borderwatch.hub.alerts.silences import Silence, SilenceRequest, silenced

log = logging.getLogger("borderwatch.hub.alerts")


@dataclass(frozen=True, slots=True)
class AlertChange:
    """One change of one alert, as hooks receive it."""

    alert: Alert
    previous: AlertState | None
    reason: Reason

    @property
    def notify(self) -> bool:
        """Whether notifiers page on it (watchers see every change)."""
        return self.reason in lc.NOTIFY and not self.alert.silenced


Hook = Callable[[AlertChange], None]


@dataclass(slots=True)
class _Tracked:
    sit: Situation
    life: Life
    timing: Timing
    min_count: int = 1
    resolve_on: frozenset[EventKind] = frozenset()
    health: str | None = None  # fingerprint of a health fact
    silenced: bool = False
    dirty: bool = False  # evidence joined since the store last saw it

    def ready(self) -> bool:
        """The rule's conditions beyond evidence hold (a group of N has N tracks)."""
        return self.min_count <= 1 or self.sit.group_size() >= self.min_count


class AlertEngine:
    """Feeds events, statuses and telemetry through the pure core; ``tick`` drives time."""

    def __init__(self, cfg: AlertsConfig, store: AlertStore, notifiers: Sequence[Hook] = (),
                 watchers: Sequence[Hook] = (), clock: Callable[[], datetime] = utc_now,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:  # fmt: skip
        self._cfg = cfg
        self._store = store
        self._notifiers, self._watchers = list(notifiers), list(watchers)
        self._clock, self._new_id = clock, new_id
        self._lock = threading.RLock()
        self._open: dict[str, _Tracked] = {}
        self._zones = ZoneState.empty()
        self._agents: dict[AgentKey, AgentSeen] = {}
        self._sensor_faults: dict[AgentKey, dict[str, str]] = {}
        self._loss_faults: dict[AgentKey, str] = {}
        self._lost: dict[AgentKey, int] = {}  # last events_lost_disk_full heard per agent
        self._flooding: set[AgentKey] = set()  # agents whose new matches are being dropped (logged once)
        self._silences: list[Silence] = store.silences(now=clock())
        self.counts: Counter[str] = Counter()
        self._restore()

    @property
    def raised(self) -> int:
        """Alerts that fired since start."""
        return self.counts[Reason.FIRED.value]

    @property
    def config(self) -> AlertsConfig:
        """The alert settings in force (changed by :meth:`reload`)."""
        return self._cfg

    def add_notifier(self, hook: Hook) -> None:
        """Page through ``hook`` on fired/upgraded/renotify/ack/resolve changes of unsilenced alerts."""
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
            for ev in events:
                self._agents[(ev.site, ev.agent)] = seen(self._agents.get((ev.site, ev.agent)), t)
            c = self._cfg
            matches, self._zones = evaluate(c.rules, events, c.zones, self._zones, c.lifecycle.hysteresis_m)
            if not matches and not any(ev.kind in r.resolve_on for r in c.rules for ev in events):
                return []  # nothing for any alert: no cross-instance lock taken
            shared.enter_context(self._shared({ev.site for ev in events}, now))
            changes: dict[str, tuple[_Tracked, AlertState | None, Reason]] = {}
            self._resolve_on(events, t, changes)
            opens = [x for x in self._open.values() if x.health is None]
            rest = []
            for m, i in zip(matches, nearest_open([x.sit for x in opens], matches), strict=True):
                if i < 0:
                    rest.append(m)
                    continue
                x = opens[i]
                changes.setdefault(x.sit.alert.id, (x, x.life.state, Reason.EVIDENCE))
                before = SEVERITY_RANK[x.sit.alert.severity]
                x.sit, x.life = absorb(x.sit, m), lc.on_evidence(x.life, t)
                if SEVERITY_RANK[x.sit.alert.severity] > before and x.life.fired_at is not None:
                    changes[x.sit.alert.id] = (x, x.life.state, Reason.UPGRADED)
            rest = self._cap(rest)
            for sit in fuse(rest, [self._new_id() for _ in rest]):
                rule = next(r for r in c.rules if r.name == sit.rule_name)
                timing = Timing(rule.for_s, c.lifecycle.resolve_after_s, c.lifecycle.renotify_s, rule.auto_resolve)
                x = _Tracked(sit, lc.open_life(t), timing, rule.min_count, frozenset(rule.resolve_on))
                self._open[sit.alert.id] = x
                changes[sit.alert.id] = (x, None, Reason.OPENED)
            for aid, (x, prev, _) in list(changes.items()):
                life, due = lc.advance(x.life, t, x.timing, x.ready())
                if due is not None:
                    x.life, changes[aid] = life, (x, prev, due)
            done = self._commit(list(changes.values()), now)
        return [ch.alert for ch in done if ch.reason is Reason.FIRED]

    def on_status(self, status: AgentStatus, now: datetime | None = None) -> None:
        """Birth and last will: an offline status starts the agent-offline debounce."""
        t = (now or self._clock()).timestamp()
        offline = status.state is AgentState.OFFLINE
        with self._lock:
            key = (status.site, status.agent)
            self._agents[key] = seen(self._agents.get(key), t, offline=offline)

    def on_telemetry(self, telemetry: Telemetry, now: datetime | None = None) -> None:
        """Telemetry proves the agent alive and says which of its sensors are degraded."""
        t = (now or self._clock()).timestamp()
        with self._lock:
            key = (telemetry.site, telemetry.agent)
            self._agents[key] = seen(self._agents.get(key), t)
            self._sensor_faults[key] = sensor_faults(telemetry)
            # first report since this hub started: its count is the baseline (a restart re-pages nothing)
            fault = loss_fault(telemetry, self._lost.get(key, telemetry.events_lost_disk_full))
            self._lost[key] = telemetry.events_lost_disk_full
            if fault is None:
                self._loss_faults.pop(key, None)
            else:
                self._loss_faults[key] = fault

    def flush(self, now: datetime | None = None) -> None:
        """Write alerts whose only change was more evidence (state changes are written at once)."""
        now = now or self._clock()
        with self._lock:
            dirty = [x for x in self._open.values() if x.dirty]
            if dirty:
                self._store.upsert_many([self._render(x, now) for x in dirty], self._lives(dirty))
            for x in dirty:
                x.dirty = False

    def tick(self, now: datetime | None = None) -> list[AlertChange]:
        """Time-driven transitions: health faults, pending -> firing, auto-resolve, re-notify;
        then the written-behind evidence."""
        now = now or self._clock()
        t = now.timestamp()
        self.flush(now)
        with self._lock, self._shared(None, now):
            changes: dict[str, tuple[_Tracked, AlertState | None, Reason]] = {}
            self._health(t, now, changes)
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
        held = Counter((x.sit.alert.site, x.sit.alert.agent) for x in self._open.values() if x.health is None)
        kept, dropped = within_cap(ms, held, self._cfg.lifecycle.max_open_per_agent)
        self.counts["flood_dropped"] += len(dropped)
        for site, agent in {(m.event.site, m.event.agent) for m in dropped} - self._flooding:
            log.warning("alert flood site=%s agent=%s: at its cap of %d open alerts, new matches dropped "
                        "(flood_dropped)", site, agent, self._cfg.lifecycle.max_open_per_agent)  # fmt: skip
        held += Counter((m.event.site, m.event.agent) for m in kept)  # a flood ends once the agent is under
        self._flooding = {k for k in self._flooding | {(m.event.site, m.event.agent) for m in dropped}
                          if held[k] >= self._cfg.lifecycle.max_open_per_agent}  # fmt: skip
        return kept

    # -- health ------------------------------------------------------------------------------
    def _health(self, t: float, now: datetime, changes: dict) -> None:
        h = self._cfg.health
        facts: dict[str, HealthFact] = {}
        if h.agent_offline:
            for (site, agent), why in agent_faults(self._agents, t, h.silence_s).items():
                facts[f"agent-offline:{site}:{agent}"] = HealthFact("agent-offline", site, agent, None, why)
        if h.sensor_degraded:
            for (site, agent), sensors in self._sensor_faults.items():
                for sensor, why in sensors.items():
                    facts[f"sensor-degraded:{site}:{agent}/{sensor}"] = HealthFact("sensor-degraded", site, agent,
                                                                                    sensor, why)  # fmt: skip
        if h.events_lost:
            for (site, agent), why in self._loss_faults.items():
                facts[f"events-lost:{site}:{agent}"] = HealthFact("events-lost", site, agent, None, why)
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
            x = _Tracked(sit, lc.open_life(t), timing, health=fp)
            self._open[sit.alert.id] = x
            changes[sit.alert.id] = (x, None, Reason.OPENED)

    def _heard_since(self, x: _Tracked) -> bool:
        """A fault clears only on news: with several hubs, one that saw none of the agent's messages
        since the alert opened (they went to another instance) must not clear what that one raised."""
        if not self._store.shared:
            return True
        a = self._agents.get((x.sit.alert.site, x.sit.alert.agent))
        return a is not None and a.last_seen > x.life.opened_at

    def _resolve_on(self, events: Sequence[Event], t: float, changes: dict) -> None:
        for ev in events:
            sensor = f"{ev.agent}/{ev.sensor.id}"
            for x in self._open.values():
                if ev.kind in x.resolve_on and sensor in x.sit.best and ev.site == x.sit.alert.site:
                    life, due = lc.clear(x.life, t)
                    if due is not None:
                        changes[x.sit.alert.id] = (x, x.life.state, due)
                        x.life = life

    # -- operators -------------------------------------------------------------------------
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
            alert = self._render(x, now) if x is not None else stored
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

    # -- shell -------------------------------------------------------------------------------
    def _is_silenced(self, x: _Tracked, now: datetime) -> bool:
        return silenced(x.sit.alert, self._silences, now)

    def _render(self, x: _Tracked, now: datetime) -> Alert:
        def when(v: float | None) -> datetime | None:
            return datetime.fromtimestamp(v, UTC) if v is not None else None

        return x.sit.alert.model_copy(update={
            "state": x.life.state, "fired_at": when(x.life.fired_at), "resolved_at": when(x.life.resolved_at),
            "acked_by": x.life.acked_by, "updated_at": now, "silenced": x.silenced})  # fmt: skip

    def _commit(self, changes: list[tuple[_Tracked, AlertState | None, Reason]], now: datetime) -> list[AlertChange]:
        out: list[AlertChange] = []
        keep: list[Alert] = []
        for x, prev, reason in changes:
            x.silenced = self._is_silenced(x, now)
            alert = self._render(x, now)
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
                self._open.pop(alert.id, None)
        if keep:
            self._store.upsert_many(keep, self._lives([x for x, _, _ in changes]))
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

    @staticmethod
    def _lives(xs: Sequence[_Tracked]) -> dict[str, str]:
        return {x.sit.alert.id: life_json(x.life) for x in xs}

    @contextmanager
    def _shared(self, sites: Collection[str] | None, now: datetime) -> Iterator[None]:
        """With a shared store, a decision is taken under the sites' cross-instance lock on the
        store's open alerts (the source of truth), and what it changed is written before the lock
        is released: two hubs never both open, fire or resolve one alert. Alone: nothing to do."""
        if not self._store.shared:
            yield
            return
        if sites is None:  # the ticker: every site with an open alert (here or stored) or a known agent
            sites = {a.site for a, _ in self._store.open_lives()} | {s for s, _ in self._agents}
            sites |= {x.sit.alert.site for x in self._open.values()}
        with self._store.locked(sorted(sites)):
            self._sync(sites, now)
            yield
            self.flush(now)

    def _sync(self, sites: Collection[str], now: datetime) -> None:
        t = now.timestamp()
        self._silences = self._store.silences(now=now)  # another hub's operators may have added one
        stored = {a.id: (a, life) for a, life in self._store.open_lives(sorted(sites))}
        for aid in [aid for aid, x in self._open.items() if x.sit.alert.site in sites and aid not in stored]:
            del self._open[aid]  # resolved (or expired) by another instance
        for a, life in stored.values():
            self._adopt(a, life_of(a, life, t))

    def _restore(self) -> None:
        """Open alerts of a previous run carry on (their evidence clock restarts now)."""
        t = self._clock().timestamp()
        for a, _ in self._store.open_lives():
            self._adopt(a, life_of(a, None, t))
            if self._open[a.id].health and a.rule == "agent-offline":  # stays offline until it speaks
                self._agents[(a.site, a.agent)] = AgentSeen(t, t)

    def _adopt(self, a: Alert, life: Life) -> None:
        c = self._cfg
        sit, health = restore_situation(a)
        rule = next((r for r in c.rules if r.name == a.rule), None)
        for_s = rule.for_s if rule else (c.health.debounce_s if health else 0.0)
        timing = Timing(for_s, c.lifecycle.resolve_after_s, c.lifecycle.renotify_s,
                        rule.auto_resolve if rule else health is None)  # fmt: skip
        self._open[a.id] = _Tracked(sit, life, timing, rule.min_count if rule else 1,
                                    frozenset(rule.resolve_on) if rule else frozenset(), health,
                                    bool(a.silenced))  # fmt: skip
