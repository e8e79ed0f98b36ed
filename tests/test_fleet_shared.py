"""Two hub processes (`borderwatch hub run`) behind one shared subscription, on real Mosquitto,
PostgreSQL (alert state and ledger) and VictoriaMetrics (events); one hub is SIGKILLed mid-stream.

Verdict: every event is stored exactly once (VictoriaMetrics holds each agent's seqs 0..n-1 once),
the shared ledger says each agent is complete with nothing lost and nothing counted twice, and each
crossing (a camera on one mast and a radar on another, whose messages land on either hub) raised
exactly one alert. Afterwards a stranger reusing one agent's ids, claimed through either hub (one
now dead), is refused on the survivor: the event-id owner index is the fleet's (PostgreSQL).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.contract import AgentState, AgentStatus
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.link import AgentLink
from borderwatch.edge.outbox import Outbox
from borderwatch.hub.alerts.store import PostgresAlertStore
from borderwatch.hub.delivery.persist import LedgerFile
from borderwatch.hub.sqldb import open_postgres
from tests.chaos.agents import SimAgent
from tests.support.alerts import event
from tests.support.broker import Mosquitto
from tests.support.builders import outbox_events
from tests.support.fleet import fleet_hub_config, start_hub, stop_hubs, wait_connected
from tests.support.postgres import PG_DSN, pg_schema
from tests.support.victoria import VictoriaMetrics, victoria_metrics
from tests.support.waits import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SITE = "fleet-1"
AGENTS, EVENTS, RATE = 4, 1200, 80.0  # per agent: 15 s of streaming
CROSSINGS = 6


def _hub_config(tmp: Path, name: str, broker: int, vm: VictoriaMetrics, schema: str) -> Path:
    """The fleet's hub config with quick replays, confirmations and ticks, health rules off."""
    return fleet_hub_config(tmp, name, broker, vm.url, schema, {
        "broker": {"reconnect_min_s": 0.5, "reconnect_max_s": 2.0},
        "delivery": {"reorder_wait_s": 1.0, "replay_retry_s": 2.0, "replay_retry_max_s": 4.0,
                     "confirm_interval_s": 0.3},
        "alerts": {"lifecycle": {"tick_s": 0.2, "resolve_after_s": 600},
                   "health": {"agent_offline": False, "sensor_degraded": False}},
    })  # fmt: skip


class Mast:
    """An agent that reports crossings (real outbox and link)."""

    def __init__(self, broker: Mosquitto, agent: str, workdir: Path) -> None:
        self.agent = agent
        self.outbox = Outbox(workdir / f"{agent}.sqlite3", OutboxConfig())
        self.link = AgentLink(SITE, agent, broker.broker_config(), self.outbox, self._birth, LinkConfig())
        self.link.start()

    def _birth(self) -> AgentStatus:
        return AgentStatus(site=SITE, agent=self.agent, state=AgentState.ONLINE, ts=datetime.now(UTC))

    def send(self, *events) -> None:
        self.outbox.append(list(events))
        self.link.notify()

    def stop(self) -> None:
        self.link.stop()
        self.outbox.close()


def _stranger_is_refused(broker: Mosquitto, vm: VictoriaMetrics, workdir: Path) -> None:
    """An intruder sends a00's first ids (about half claimed through the killed hub), then one of
    its own: only its own is stored (seq 40); the rest are dead letters (id_taken)."""
    intruder = Mast(broker, "intruder", workdir)
    try:
        stolen = [e.model_copy(update={"agent": "intruder"}) for e in outbox_events(SITE, "a00", 0, 40)]
        for k in range(0, 40, 5):
            intruder.send(*stolen[k : k + 5])
        intruder.send(event(0, agent="intruder", site=SITE, kind="track_update", track=99))
        seqs = f'events_seq{{site="{SITE}",agent="intruder"}}'

        def own_stored() -> bool:
            vm.settle()
            return bool(vm.values(seqs))

        wait_until(own_stored, 60, "the intruder's own event stored")
        assert vm.values(seqs) == [40], "a reused id was stored"
    finally:
        intruder.stop()


@pytest.fixture
def fleet(
    tmp_path: Path, mosquitto: Mosquitto
) -> Iterator[tuple[Mosquitto, VictoriaMetrics, str, list[subprocess.Popen[bytes]]]]:
    with victoria_metrics(tmp_path / "vm") as vm, pg_schema() as schema:
        procs = [start_hub(_hub_config(tmp_path, name, mosquitto.port, vm, schema), tmp_path / f"{name}.log")
                 for name in ("hub-a", "hub-b")]  # fmt: skip
        try:
            yield mosquitto, vm, schema, procs
        finally:
            stop_hubs(procs)


def test_two_hubs_share_the_load_and_survive_a_sigkill(fleet, tmp_path: Path) -> None:
    broker, vm, schema, (hub_a, hub_b) = fleet
    workdir = tmp_path / "agents"
    workdir.mkdir()
    ledger = LedgerFile.on(open_postgres(PG_DSN, schema))
    alerts = PostgresAlertStore(PG_DSN, schema)
    link = LinkConfig(probe_after_s=3.0, maintain_interval_s=1.0)
    agents = [SimAgent(SITE, f"a{i:02d}", broker.broker_config(), workdir, EVENTS, RATE, link) for i in range(AGENTS)]
    cam, radar = Mast(broker, "mast-x", workdir), Mast(broker, "mast-y", workdir)
    logs = [tmp_path / "hub-a.log", tmp_path / "hub-b.log"]
    wait_connected(logs)
    for a in agents:
        a.start()
    try:
        for k in range(CROSSINGS):  # a crossing every 1.5 s, 1.1 km apart; hub a is killed after the 3rd
            lat, now = 52.0 + 0.01 * k, datetime.now(UTC)
            cam.send(event(0, "camera", "cam1", lat=lat, agent="mast-x", site=SITE, track=k, ts=now))
            radar.send(event(0, "radar", "rad1", lat=lat + 0.00008, agent="mast-y", site=SITE, track=k, ts=now))
            if k == 2:
                wait_until(lambda: all(a.produced >= EVENTS // 3 for a in agents), 60, "a third streamed")
                hub_a.send_signal(signal.SIGKILL)
                hub_a.wait(10)
            time.sleep(1.5)
        for a in agents:
            a.wait_produced(EVENTS, 90)

        def complete() -> bool:
            rows = ledger.load()
            return all(rows.get((SITE, a.agent)) is not None and rows[(SITE, a.agent)].contiguous == EVENTS - 1
                       for a in agents)  # fmt: skip

        wait_until(complete, 90, "the shared ledger complete for every agent")
        crossings = lambda: [x for x in alerts.list(limit=1000) if x.rule == "border-crossing-person"]  # noqa: E731
        wait_until(lambda: len(crossings()) >= CROSSINGS and all(len(x.sensors) == 2 for x in crossings()), 30,
                   "every crossing alerted with both sensors")  # fmt: skip
        assert hub_b.poll() is None, "the surviving hub must still run"
        vm.settle()
        for a in agents:
            assert vm.values(f'events_seq{{site="{SITE}",agent="{a.agent}"}}') == list(range(EVENTS)), a.agent
            state = ledger.load()[(SITE, a.agent)]
            assert state.above == () and state.counters["lost"] == 0
            assert state.counters["received"] == EVENTS, (a.agent, state.counters)
        time.sleep(1.0)  # the engines tick five times more: nothing may open a second alert
        assert len(crossings()) == CROSSINGS
        _stranger_is_refused(broker, vm, workdir)
    finally:
        for a in agents:
            a.stop()
        cam.stop()
        radar.stop()
        ledger.close()
        alerts.close()
