"""Chaos: the hub is stopped for a minute (BW_CHAOS_OUTAGE_S) while agents keep producing."""

from __future__ import annotations

import time

import pytest

from borderwatch.hub.service import HubService
from tests.chaos.agents import SimAgent
from tests.chaos.checks import OUTAGE_S, assert_exactly_once, wait_all_stored
from tests.support.hub import hub_cfg

pytestmark = [pytest.mark.integration, pytest.mark.slow]


RATE = 100.0


def test_hub_down_for_a_minute_loses_nothing(tmp_path, mosquitto, store):
    total = int(RATE * (OUTAGE_S + 8))
    first = HubService(mosquitto.broker_config(), hub_cfg(tmp_path), store)
    first.start()
    assert first.wait_connected(10)
    agents = [SimAgent("s1", f"a{i}", mosquitto.broker_config(), tmp_path, total, RATE).start() for i in range(2)]
    second = None
    try:
        agents[0].wait_produced(int(RATE * 3))
        first.stop()
        time.sleep(OUTAGE_S)
        assert all(a.outbox.depth() > RATE * OUTAGE_S * 0.8 for a in agents)  # nothing confirmed meanwhile
        second = HubService(mosquitto.broker_config(), hub_cfg(tmp_path), store)
        second.start()
        wait_all_stored(store.path, "s1", {a.agent: total for a in agents}, timeout=60 + OUTAGE_S)
    finally:
        for a in agents:
            a.stop()
        if second is not None:
            second.stop()
    assert_exactly_once(store.path, "s1", {a.agent: total for a in agents}, second.stats())
