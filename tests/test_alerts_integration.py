"""Alerts end to end over a real Mosquitto: real agent links -> hub -> alert engine -> SQLite.

A camera and a radar of one mast report the same crossing: one fused alert naming both sensors.
An agent that goes offline raises agent-offline after the debounce; one that comes straight back
(a blip) raises nothing. An operator acknowledges, then resolves, through the HTTP API; the
audit log shows both with the token's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.contract import AgentState, AgentStatus, AlertState
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.link import AgentLink
from borderwatch.edge.outbox import Outbox
from borderwatch.hub.alerts.engine import AlertChange
from borderwatch.hub.api.tokens import Role
from borderwatch.hub.app import Hub
from borderwatch.hub.config import HubConfig
from borderwatch.runtime.configfile import parse_config
from tests.support.alerts import event
from tests.support.api import client_as
from tests.support.broker import Mosquitto
from tests.support.hub import local_hub_sections
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration
SITE = "west-1"
DEBOUNCE_S = 3.0


class Mast:
    """One simulated agent: a real outbox and AgentLink (birth, last will, QoS 1 delivery)."""

    def __init__(self, broker: Mosquitto, agent: str, state: Path) -> None:
        self.broker, self.agent, self.state, self.runs = broker, agent, state, 0
        self.link: AgentLink | None = None
        self.outbox = Outbox(state / f"{agent}.sqlite3", OutboxConfig())

    def start(self) -> Mast:
        def birth() -> AgentStatus:
            return AgentStatus(site=SITE, agent=self.agent, state=AgentState.ONLINE, ts=datetime.now(UTC))

        self.link = AgentLink(SITE, self.agent, self.broker.broker_config(), self.outbox, birth,
                              LinkConfig(probe_after_s=1.0))  # fmt: skip
        self.link.start()
        wait_until(lambda: self.link is not None and self.link.connected, 10, f"{self.agent} connected")
        return self

    def stop(self) -> None:
        if self.link is not None:
            self.link.stop()
            self.link = None

    def send(self, *events) -> None:
        assert self.link is not None
        self.outbox.append(list(events))
        self.link.notify()


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[tuple[Hub, Mosquitto, list[AlertChange]]]:
    sections = local_hub_sections(tmp_path / "hub", mosquitto.port)
    sections["alerts"]["health"] = {"debounce_s": DEBOUNCE_S, "silence_s": 600}
    cfg = parse_config(sections | {"api": {"enabled": False}}, HubConfig)
    h = Hub(cfg)
    paged: list[AlertChange] = []
    h.engine.add_notifier(paged.append)
    h.start()
    assert h.service.wait_connected(10)
    yield h, mosquitto, paged
    h.stop()


def pages_for(paged: list[AlertChange], rule: str, agent: str) -> list[str]:
    return [c.reason.value for c in paged if c.alert.rule == rule and c.alert.agent == agent]


def test_fusion_offline_debounce_and_operator_actions(hub, tmp_path: Path) -> None:
    h, broker, paged = hub
    masts = {a: Mast(broker, a, tmp_path / "agents").start() for a in ("mast-01", "mast-02", "mast-03")}
    now = datetime.now(UTC)
    masts["mast-01"].send(
        event(0, "radar", "rad1", conf=0.6, ts=now, agent="mast-01", track=11),
        event(0, "camera", "cam1", conf=0.6, ts=now, lat=52.00008, agent="mast-01", track=4),
    )
    wait_until(lambda: any(len(a.sensors) == 2 for a in h.alert_store.list()), 15, "the fused alert")
    (fused,) = [a for a in h.alert_store.list() if a.rule == "border-crossing-person"]
    assert fused.sensors == ["mast-01/cam1", "mast-01/rad1"] and sorted(k.value for k in fused.sensor_kinds) == [
        "camera", "radar"]  # fmt: skip
    assert fused.confidence == pytest.approx(0.84) and fused.severity.value == "critical"

    masts["mast-02"].stop()  # a blip: back well inside the debounce
    masts["mast-02"].start()
    masts["mast-03"].stop()  # gone
    wait_until(lambda: pages_for(paged, "agent-offline", "mast-03") == ["fired"], DEBOUNCE_S + 10, "mast-03 offline")
    assert pages_for(paged, "agent-offline", "mast-02") == []
    assert not [a for a in h.alert_store.list(limit=1000) if a.rule == "agent-offline" and a.agent == "mast-02"]

    operator, admin = client_as(h.context(), Role.OPERATOR), client_as(h.context(), Role.ADMIN)
    assert operator.post(f"/api/v1/alerts/{fused.id}/ack", json={"comment": "patrol sent"}).status_code == 200
    assert operator.post(f"/api/v1/alerts/{fused.id}/resolve", json={"comment": "two walkers"}).status_code == 200
    assert h.alert_store.get(fused.id).state is AlertState.RESOLVED  # type: ignore[union-attr]
    audit = admin.get("/api/v1/audit", params={"alert_id": fused.id}).json()
    assert [(e["action"], e["comment"]) for e in audit] == [("resolve", "two walkers"), ("ack", "patrol sent")]
    assert {e["who"] for e in audit} == {h.tokens.list()[0].name}
    assert pages_for(paged, "border-crossing-person", "mast-01")[-2:] == ["acknowledged", "resolved"]
    for m in masts.values():
        m.stop()
