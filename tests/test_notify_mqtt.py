"""Active alerts retained on a real Mosquitto, one topic per alert: a consumer connecting late sees
every active alert at once; acknowledging updates it; resolving clears it (empty retained message)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.contract import Alert, Channel, EventBatch, topic
from borderwatch.contract.topics import subscription
from borderwatch.hub.app import Hub
from borderwatch.hub.config import HubConfig
from borderwatch.runtime.configfile import parse_config
from tests.support.alerts import event
from tests.support.broker import Mosquitto
from tests.support.hub import local_hub_sections
from tests.support.mqtt_peer import Raw
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration
SITE, AGENT, HUB = "west-1", "mast-01", "hub-a"


@pytest.fixture
def running(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[tuple[Hub, Mosquitto]]:
    sections = local_hub_sections(tmp_path / "hub", mosquitto.port)
    cfg = parse_config(sections | {"hub_id": HUB, "evidence": {"enabled": False}, "api": {"enabled": False}}, HubConfig)
    hub = Hub(cfg)
    hub.start()
    assert hub.service.wait_connected(10)
    yield hub, mosquitto
    hub.stop()


def retained(port: int) -> dict[str, bytes]:
    """What a consumer connecting now gets from the broker (the last message per alert topic)."""
    late = Raw(port, [subscription(Channel.ALERTS)])
    try:
        wait_until(lambda: late.client.is_connected(), 5, "late consumer connected")
        got: dict[str, bytes] = {}
        # retained messages arrive right after SUBACK; a marker published after them proves we saw them all
        late.publish(topic(SITE, "marker", Channel.ALERTS, "end"), b"x")
        wait_until(lambda: late.on("marker/alerts/end"), 5, "the marker")
        for m in late.messages:
            if m.retain and "/marker/" not in m.topic:
                got[m.topic] = m.payload
        return got
    finally:
        late.close()


def test_retained_state_per_alert_cleared_on_resolve(running) -> None:
    hub, broker = running
    assert subscription(Channel.ALERTS) == "bw/v1/+/+/alerts/+"
    agent = Raw(broker.port)
    crossing = event(0, "camera", "cam1", ts=datetime.now(UTC), agent=AGENT, site=SITE, track=3)
    batch = EventBatch(site=SITE, agent=AGENT, sent_at=datetime.now(UTC), events=[crossing])
    agent.publish(topic(SITE, AGENT, Channel.EVENTS), batch.model_dump_json(by_alias=True, exclude_none=True))
    wait_until(lambda: hub.alert_store.list(), 15, "the alert")
    (a,) = hub.alert_store.list()
    name = topic(SITE, HUB, Channel.ALERTS, a.id)
    wait_until(lambda: name in retained(broker.port), 10, "the retained alert")
    assert Alert.model_validate_json(retained(broker.port)[name]).state.value == "firing"

    hub.engine.act(a.id, "ack", "duty-officer", "on it")
    wait_until(lambda: b'"acknowledged"' in retained(broker.port).get(name, b""), 10, "the retained update")
    assert Alert.model_validate_json(retained(broker.port)[name]).acked_by == "duty-officer"

    hub.engine.act(a.id, "resolve", "duty-officer")
    wait_until(lambda: name not in retained(broker.port), 10, "the retained message cleared")
    assert hub.stats()["alerts_mqtt"] == {"published": 3}
    agent.close()
