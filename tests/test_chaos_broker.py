"""Chaos: the broker restarts (gracefully, with persistence) or crashes mid-stream."""

from __future__ import annotations

import logging

import pytest

from tests.chaos.agents import SimAgent
from tests.chaos.checks import assert_exactly_once, wait_all_stored

pytestmark = pytest.mark.integration


TOTAL = 3000
RATE = 500.0


@pytest.mark.parametrize("crash", [False, True], ids=["restart", "crash"])
def test_broker_restart_mid_stream_loses_nothing(tmp_path, mosquitto, store, hub, crash):
    agents = [SimAgent("s1", f"a{i}", mosquitto.broker_config(), tmp_path, TOTAL, RATE).start() for i in range(2)]
    try:
        agents[0].wait_produced(TOTAL // 3)
        mosquitto.restart(crash=crash)
        wait_all_stored(store.path, "s1", {a.agent: TOTAL for a in agents}, timeout=90)
    finally:
        for a in agents:
            a.stop()
    stats = hub.stats()
    logging.getLogger("borderwatch.chaos").info("final stats %s", stats)
    assert_exactly_once(store.path, "s1", {a.agent: TOTAL for a in agents}, stats)
    assert all(a.link.counts["connects"] >= 2 for a in agents)
