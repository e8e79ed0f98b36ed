"""Agent health shared by two hub processes (`borderwatch hub run`) on real Mosquitto, PostgreSQL
and VictoriaMetrics, behind one shared subscription; then one hub is SIGKILLed and a fresh one
takes its place.

Verdict: a sensor fault whose recovery only one hub heard (telemetry alternates between the hubs)
is resolved once and not re-opened by the other hub; an agent gone silent is paged once by the
fleet; after the failover the new hub neither re-pages it nor forgets it, and resolves it once the
agent speaks again.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.contract import Channel, EventBatch, SensorKind, SensorState, SensorTelemetry, Telemetry, topic
from borderwatch.hub.alerts.store import PostgresAlertStore
from tests.support.alerts import event
from tests.support.broker import Mosquitto
from tests.support.fleet import fleet_hub_config, start_hub, stop_hubs, wait_connected
from tests.support.mqtt_peer import Raw
from tests.support.postgres import PG_DSN, pg_schema
from tests.support.victoria import victoria_metrics
from tests.support.waits import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SITE = "fleet-h"
HEALTH = {"lifecycle": {"tick_s": 0.2}, "health": {"debounce_s": 1.0, "silence_s": 4.0}}


def telemetry(agent: str, state: SensorState) -> str:
    t = Telemetry(site=SITE, agent=agent, ts=datetime.now(UTC),
                  sensors=[SensorTelemetry(id="cam1", kind=SensorKind.CAMERA, state=state)])  # fmt: skip
    return t.model_dump_json()


class Fleet:
    """Hub processes started on demand on one broker, event store and schema."""

    def __init__(self, tmp: Path, broker: Mosquitto, vm_url: str, schema: str) -> None:
        self.tmp, self.broker, self.vm_url, self.schema = tmp, broker, vm_url, schema
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        log = self.tmp / f"{name}.log"
        cfg = fleet_hub_config(self.tmp, name, self.broker.port, self.vm_url, self.schema, {"alerts": HEALTH})
        self.procs[name] = start_hub(cfg, log)
        wait_connected([log])


@pytest.fixture
def fleet(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Fleet]:
    with victoria_metrics(tmp_path / "vm") as vm, pg_schema() as schema:
        f = Fleet(tmp_path, mosquitto, vm.url, schema)
        try:
            yield f
        finally:
            stop_hubs(list(f.procs.values()))


def test_health_is_shared_and_survives_a_failover(fleet: Fleet) -> None:
    fleet.start("hub-a")
    fleet.start("hub-b")
    alerts = PostgresAlertStore(PG_DSN, fleet.schema)
    peer = Raw(fleet.broker.port)
    x_alive = threading.Event()

    def of(rule: str, agent: str) -> list:
        return [a for a in alerts.list(limit=1000) if a.rule == rule and a.agent == agent]

    def keep_x_talking() -> None:  # mast-x stays online with events (no telemetry: no news of its camera)
        seq = 0
        while not x_alive.wait(0.5):
            ev = event(kind="track_update", lat=None, agent="mast-x", site=SITE, seq=seq, ts=datetime.now(UTC))
            batch = EventBatch(site=SITE, agent="mast-x", sent_at=datetime.now(UTC), events=[ev])
            peer.publish(topic(SITE, "mast-x", Channel.EVENTS), batch.model_dump_json(by_alias=True))
            seq += 1

    try:
        for _ in range(3):  # mast-y speaks, then falls silent
            peer.publish(topic(SITE, "mast-y", Channel.TELEMETRY), telemetry("mast-y", SensorState.ONLINE))
        for _ in range(4):  # mast-x's camera degrades: each hub hears it
            peer.publish(topic(SITE, "mast-x", Channel.TELEMETRY), telemetry("mast-x", SensorState.DEGRADED))
            time.sleep(0.1)
        wait_until(lambda: [a.state.value for a in of("sensor-degraded", "mast-x")] == ["firing"], 20,
                   "the degraded camera paged")  # fmt: skip
        peer.publish(topic(SITE, "mast-x", Channel.TELEMETRY), telemetry("mast-x", SensorState.ONLINE))  # one hub
        # hears the recovery; the other hub still had the fault from the degraded reports
        threading.Thread(target=keep_x_talking, daemon=True).start()
        wait_until(lambda: [a.state.value for a in of("sensor-degraded", "mast-x")] == ["resolved"], 20,
                   "the recovery resolved it")  # fmt: skip
        wait_until(lambda: [a.state.value for a in of("agent-offline", "mast-y")] == ["firing"], 30,
                   "the silent mast paged")  # fmt: skip
        time.sleep(3.0)  # fifteen ticks on each hub, three debounces: nothing may open again
        assert [a.state.value for a in of("sensor-degraded", "mast-x")] == ["resolved"]
        assert [a.state.value for a in of("agent-offline", "mast-y")] == ["firing"]
        assert of("agent-offline", "mast-x") == []

        hub_a = fleet.procs["hub-a"]
        hub_a.send_signal(signal.SIGKILL)
        hub_a.wait(10)
        fleet.start("hub-c")  # the replacement knows nothing locally
        time.sleep(3.0)
        assert [a.state.value for a in of("agent-offline", "mast-y")] == ["firing"]  # not paged again
        assert of("agent-offline", "mast-x") == [] and len(of("sensor-degraded", "mast-x")) == 1

        for _ in range(2):  # mast-y is back
            peer.publish(topic(SITE, "mast-y", Channel.TELEMETRY), telemetry("mast-y", SensorState.ONLINE))
        wait_until(lambda: [a.state.value for a in of("agent-offline", "mast-y")] == ["resolved"], 20,
                   "mast-y's return resolved its alert")  # fmt: skip
    finally:
        x_alive.set()
        peer.close()
        alerts.close()
