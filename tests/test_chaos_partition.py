"""Chaos: the network between agent and broker is cut for a minute (BW_CHAOS_OUTAGE_S)."""

from __future__ import annotations

import time

import pytest

from borderwatch.deploy.netfault import PartitionProxy
from tests.chaos.agents import SimAgent
from tests.chaos.checks import OUTAGE_S, assert_exactly_once, wait_all_stored
from tests.support.waits import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


RATE = 100.0


def test_partition_between_agent_and_broker_loses_nothing(tmp_path, mosquitto, store, hub):
    total = int(RATE * (OUTAGE_S + 8))
    proxy = PartitionProxy(mosquitto.port).start()
    agent = SimAgent("s1", "a1", mosquitto.broker_config(port=proxy.port), tmp_path, total, RATE).start()
    try:
        agent.wait_produced(int(RATE * 3))
        proxy.cut()
        wait_until(lambda: not agent.link.connected, 15, "agent notices the cut (keep-alive)")
        wait_until(lambda: hub.stats()["agents"]["s1/a1"]["online"] is False, 15, "broker sends the will")
        time.sleep(max(0.0, OUTAGE_S - 8))
        proxy.heal()
        wait_all_stored(store.path, "s1", {"a1": total}, timeout=60 + OUTAGE_S)
    finally:
        agent.stop()
        proxy.stop()
    assert_exactly_once(store.path, "s1", {"a1": total}, hub.stats())
    assert agent.link.counts["connects"] >= 2
