"""The hub's ledger of all agents: staged per worker round, committed only after the store wrote.

A round stages changes on a copy (``Round``); if the store refuses the write the round is simply
dropped and its MQTT messages stay unacknowledged, so the broker delivers them again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from borderwatch.contract import Event, EventBatch
from borderwatch.hub.delivery import ranges as rg
from borderwatch.hub.delivery.config import DeliveryConfig
from borderwatch.hub.delivery.ledger import AgentLedger, admit, count_requests, cover, delta
from borderwatch.hub.delivery.persist import AgentKey, LedgerFile
from borderwatch.hub.delivery.replay import GapWatch, decide, observe

log = logging.getLogger("borderwatch.hub.ledger")


class _Fresh(dict[AgentKey, AgentLedger | None]):
    """A round's base on a shared ledger: each agent's row is read once per round (and kept for the
    round, so the commit's counter delta is against what was admitted on), so events another
    instance stored (before it died, say) count as duplicates here instead of being stored twice."""

    def __init__(self, saved: Mapping[AgentKey, AgentLedger], file: LedgerFile) -> None:
        super().__init__()
        self._saved, self._file = saved, file

    def prefetch(self, keys: Iterable[AgentKey]) -> None:
        """Read the rows of every agent the round will touch in one query."""
        todo = [k for k in set(keys) if k not in self]
        if todo:
            stored = self._file.get_many(todo)
            for key in todo:
                self[key] = stored.get(key) or self._saved.get(key)

    def get(self, key: AgentKey, default: AgentLedger | None = None) -> AgentLedger | None:  # type: ignore[override]
        if key not in self:
            self[key] = self._file.get(key) or self._saved.get(key)
        return self[key] or default


@dataclass(slots=True)
class Round:
    """One worker round's staged ledger changes."""

    base: Mapping[AgentKey, AgentLedger]
    states: dict[AgentKey, AgentLedger] = field(default_factory=dict)
    resent: set[AgentKey] = field(default_factory=set)

    def state(self, key: AgentKey) -> AgentLedger:
        return self.states.get(key) or self.base.get(key) or AgentLedger()

    def prefetch(self, keys: Iterable[AgentKey]) -> None:
        """On a shared ledger, read the given agents' rows now, together (a no-op alone)."""
        if isinstance(self.base, _Fresh):
            self.base.prefetch(keys)

    def admit(self, batch: EventBatch) -> list[Event]:
        """The batch's events the hub does not hold yet (duplicates dropped and counted)."""
        key = (batch.site, batch.agent)
        seqs = np.fromiter((e.seq for e in batch.events), dtype=np.int64, count=len(batch.events))
        self.states[key], mask = admit(self.state(key), seqs, batch.replay)
        if not mask.all():
            self.resent.add(key)
        return [ev for ev, keep in zip(batch.events, mask.tolist(), strict=True) if keep]

    def cover(self, key: AgentKey, gone: rg.Ranges, confirmed_upto: int) -> None:
        before = self.state(key)
        self.states[key] = cover(before, gone, confirmed_upto)
        lost = self.states[key].counters["lost"] - before.counters["lost"]
        if lost:
            log.error("events lost for good site=%s agent=%s n=%d ranges=%s", *key, lost, rg.render(gone))


class LedgerBook:
    """Committed ledger states, replay watches, agent presence and confirmation bookkeeping."""

    def __init__(self, file: LedgerFile, cfg: DeliveryConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._file = file
        self._cfg = cfg
        self._clock = clock
        self._lock = threading.Lock()
        self._saved: dict[AgentKey, AgentLedger] = file.load()
        self._watches: dict[AgentKey, GapWatch] = {}
        self._online: dict[AgentKey, bool] = {}
        self._sent: dict[AgentKey, tuple[int, float]] = {}
        self._due: set[AgentKey] = set(self._saved)
        now = clock()
        for key, state in self._saved.items():
            self._observe(key, state, now)

    def agents(self) -> list[AgentKey]:
        """Every agent the ledger holds (the fleet as known before this start)."""
        with self._lock:
            return list(self._saved)

    def stage(self) -> Round:
        return Round(_Fresh(self._saved, self._file) if self._file.shared else dict(self._saved))

    def commit(self, rnd: Round) -> None:
        """Persist a round (after its events are durably stored) and update watches and confirms."""
        if not rnd.states:
            return
        deltas = {k: delta(s, rnd.base.get(k) or AgentLedger()) for k, s in rnd.states.items()}
        merged = self._file.save(rnd.states, deltas)
        now = self._clock()
        with self._lock:
            self._saved.update(merged)
        for key, state in merged.items():
            self._observe(key, state, now)
            if key in rnd.resent or self._sent.get(key, (None,))[0] != state.contiguous:
                self._due.add(key)

    def _observe(self, key: AgentKey, state: AgentLedger, now: float) -> None:
        watch = observe(self._watches.get(key), state, now, self._cfg)
        if watch is None:
            self._watches.pop(key, None)
        else:
            self._watches[key] = watch

    def set_online(self, key: AgentKey, online: bool) -> None:
        """Presence from the agent's retained birth / last will; a fresh birth retries gaps at once."""
        self._online[key] = online
        if online:
            self._due.add(key)
            if key in self._watches:
                w = self._watches[key]
                self._watches[key] = GapWatch(min(w.next_at, self._clock()), w.attempts, w.missing)

    def due_confirms(self) -> list[tuple[AgentKey, int]]:
        """(agent, acked_seq) whose DeliveryConfirm should go out now (rate-limited per agent)."""
        now = self._clock()
        out = []
        for key in list(self._due):
            last = self._sent.get(key)
            if last is None or now - last[1] >= self._cfg.confirm_interval_s:
                self._due.discard(key)
                acked = self._saved[key].contiguous if key in self._saved else -1
                self._sent[key] = (acked, now)
                out.append((key, acked))
        return out

    def replay_asks(self) -> list[tuple[AgentKey, rg.Ranges]]:
        """Ranges to request now; gaps given up on are covered (lost) and committed here."""
        now = self._clock()
        due = [k for k, w in self._watches.items() if now >= w.next_at]
        if not due:
            return []
        self._refresh(due, now)
        asks: list[tuple[AgentKey, rg.Ranges]] = []
        give_up = self.stage()
        for key in due:
            watch = self._watches.get(key)
            if watch is None:
                continue
            state = self._saved[key]
            d = decide(watch, state, now, self._online.get(key, True), self._cfg)
            if d.give_up:
                give_up.cover(key, state.holes, -1)
            if d.ask:
                asks.append((key, d.ask))
                give_up.states[key] = count_requests(give_up.state(key), len(d.ask))
                log.info(
                    "replay request site=%s agent=%s ranges=%s attempt=%d",
                    *key,
                    rg.render(d.ask),
                    d.watch.attempts if d.watch else 0,
                )
            if d.watch is None:
                self._watches.pop(key, None)
            else:
                self._watches[key] = d.watch
        self.commit(give_up)
        return asks

    def _refresh(self, keys: list[AgentKey], now: float) -> None:
        """Merge in what other instances sharing the ledger file stored, before asking a replay."""
        merged = self._file.save({k: self._saved[k] for k in keys}, {})
        with self._lock:
            self._saved.update(merged)
        for key, state in merged.items():
            self._observe(key, state, now)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Per-agent counters and delivery state, keyed ``site/agent``."""
        with self._lock:
            saved = dict(self._saved)
        return {
            f"{s}/{a}": {
                **st.counters,
                "contiguous": st.contiguous,
                "missing": rg.size(st.holes),
                "online": self._online.get((s, a)),
            }
            for (s, a), st in saved.items()
        }

    def close(self) -> None:
        self._file.close()
