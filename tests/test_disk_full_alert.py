"""A mast's disk fills up: the agent keeps running, tells the hub (telemetry over a real Mosquitto)
what it could not store, the hub raises one alert, and when space returns events flow again
with no gap in their sequence numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.contract import AgentState, AgentStatus, Degraded, Telemetry
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.link import AgentLink
from borderwatch.edge.outbox import Outbox
from borderwatch.hub.app import Hub
from borderwatch.hub.config import HubConfig
from tests.chaos.checks import wait_all_stored
from tests.support.builders import outbox_events
from tests.support.hub import hub_cfg
from tests.support.outbox_full import BATCH, append_until_full, fill_page_limit, free_page_limit
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration

SITE, AGENT = "s1", "a1"


def _birth() -> AgentStatus:
    return AgentStatus(site=SITE, agent=AGENT, state=AgentState.ONLINE, ts=datetime.now(UTC))


def _report(link: AgentLink) -> None:
    link.publish_telemetry(Telemetry(site=SITE, agent=AGENT, ts=datetime.now(UTC)))


def test_disk_full_is_reported_alerted_and_recovered(tmp_path: Path, mosquitto) -> None:
    delivery = hub_cfg(tmp_path).model_dump()
    cfg = HubConfig.model_validate(
        {
            "broker": mosquitto.broker_config().model_dump(),
            "store": {"type": "sqlite", "path": str(tmp_path / "events.sqlite3")},
            "delivery": delivery,
            "alerts": {"db_path": str(tmp_path / "alerts.sqlite3")},
            "evidence": {"enabled": False},
            "api": {"enabled": False},
        }
    )
    hub = Hub(cfg)
    hub.start()
    outbox = Outbox(tmp_path / "outbox.sqlite3", OutboxConfig())
    link = AgentLink(SITE, AGENT, mosquitto.broker_config(), outbox, _birth, LinkConfig(maintain_interval_s=1.0))
    link.start()
    try:
        outbox.append(outbox_events(SITE, AGENT, 0, BATCH))
        link.notify()
        wait_all_stored(tmp_path / "events.sqlite3", SITE, {AGENT: BATCH}, timeout=30)

        fill_page_limit(outbox)
        for _ in range(1000):  # telemetry rows are small: they fill the last page first
            _report(link)
            if outbox.stats().disk_full:
                break
        next_seq = append_until_full(outbox, BATCH)
        lost = outbox.stats().lost_disk_full
        assert lost >= BATCH and outbox.stats().disk_full
        wait_until(lambda: outbox.stats().telemetry_depth == 0, 20, "stored telemetry to be delivered")
        _report(link)  # not storable: sent unstored

        def reported() -> bool:
            view = hub.registry.get(SITE, AGENT)
            t = view.telemetry if view else None
            return t is not None and t.events_lost_disk_full == lost and t.degraded == [Degraded.DISK_FULL]

        wait_until(reported, 20, "the hub to receive the disk-full telemetry")

        def alerts() -> list:
            return [a for a in hub.alert_store.list() if a.rule == "events-lost"]

        wait_until(alerts, 20, "the events-lost alert")
        [alert] = alerts()
        assert (alert.site, alert.agent, alert.sensor_id, alert.state.value) == (SITE, AGENT, None, "firing")
        assert "disk is full" in alert.summary

        free_page_limit(outbox)  # space returns: no restart, no operator action on the agent
        outbox.append(outbox_events(SITE, AGENT, next_seq, BATCH))
        link.notify()
        wait_all_stored(tmp_path / "events.sqlite3", SITE, {AGENT: next_seq + BATCH}, timeout=30)
        _report(link)

        def healthy() -> bool:
            view = hub.registry.get(SITE, AGENT)
            return view is not None and view.telemetry is not None and view.telemetry.degraded == []

        wait_until(healthy, 20, "the hub to see the agent healthy again")
        assert hub.registry.get(SITE, AGENT).telemetry.events_lost_disk_full == lost  # type: ignore[union-attr]
        wait_until(lambda: alerts()[0].state.value == "resolved", 20, "the alert resolved: room again")
        assert len(alerts()) == 1
        assert link.connected and hub.stats()["agents"][f"{SITE}/{AGENT}"]["lost"] == 0
    finally:
        link.stop()
        outbox.close()
        hub.stop()
