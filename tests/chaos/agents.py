"""Simulated agents: a producer thread appending synthetic events to a real Outbox, published
by a real AgentLink. No camera: the events are contract events with known seqs and ids."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.contract import AgentState, AgentStatus, Telemetry
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.link import AgentLink
from borderwatch.edge.outbox import Outbox
from borderwatch.runtime.broker import BrokerConfig
from tests.support.builders import outbox_events
from tests.support.waits import wait_until

TICK_S = 0.05


class SimAgent:
    def __init__(
        self,
        site: str,
        agent: str,
        broker: BrokerConfig,
        workdir: Path,
        total: int,
        rate: float,
        link_cfg: LinkConfig | None = None,
        outbox_cfg: OutboxConfig | None = None,
        telemetry_every_s: float = 2.0,
    ) -> None:
        self.site, self.agent, self.total, self.rate = site, agent, total, rate
        self.outbox = Outbox(workdir / f"{agent}.outbox.sqlite3", outbox_cfg or OutboxConfig())
        self.link = AgentLink(
            site,
            agent,
            broker,
            self.outbox,
            self._birth,
            link_cfg or LinkConfig(probe_after_s=3.0, maintain_interval_s=1.0),
        )
        self.telemetry_every_s = telemetry_every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name=f"produce-{agent}", daemon=True)

    def _birth(self) -> AgentStatus:
        return AgentStatus(
            site=self.site,
            agent=self.agent,
            state=AgentState.ONLINE,
            ts=datetime.now(UTC),
            software_version="chaos-0",
        )

    @property
    def produced(self) -> int:
        last = self.outbox.last_seq
        return 0 if last is None else last + 1

    def start(self) -> SimAgent:
        self.link.start()
        self._thread.start()
        return self

    def _produce(self) -> None:
        per_tick = max(1, round(self.rate * TICK_S))
        next_tel = time.monotonic()
        while not self._stop.is_set() and self.produced < self.total:
            n = min(per_tick, self.total - self.produced)
            self.outbox.append(outbox_events(self.site, self.agent, self.produced, n))
            self.link.notify()
            if time.monotonic() >= next_tel:
                next_tel += self.telemetry_every_s
                self.link.publish_telemetry(Telemetry(site=self.site, agent=self.agent, ts=datetime.now(UTC)))
            self._stop.wait(TICK_S)

    def wait_produced(self, n: int, timeout: float = 120.0) -> None:
        wait_until(lambda: self.produced >= n, timeout, f"{self.agent} to produce {n} events")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.link.stop()
        self.outbox.close()
