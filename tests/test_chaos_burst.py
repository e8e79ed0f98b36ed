"""Chaos: a burst against a broker with stock queue limits (max_queued_messages 1000): the broker
drops messages once a queue holds 1000 and replay from the outboxes must still reach zero loss."""

from __future__ import annotations

import logging

import pytest

from borderwatch.edge.config.link import LinkConfig
from borderwatch.hub.service import HubService
from tests.chaos.agents import SimAgent
from tests.chaos.checks import assert_exactly_once, wait_all_stored
from tests.support.broker import Mosquitto
from tests.support.hub import hub_cfg
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration


TOTAL = 4000


def test_burst_over_stock_queue_limit_is_repaired_by_replay(tmp_path, store):
    broker = Mosquitto(tmp_path / "broker", persistence=False, max_queued=1000, max_inflight=20).start()
    hub = HubService(broker.broker_config(), hub_cfg(tmp_path), store)
    hub.start()
    assert hub.wait_connected(10)
    naive = LinkConfig(batch_max_events=1, probe_after_s=3.0)  # one event per message, as fast as allowed
    agents = [SimAgent("s1", f"a{i}", broker.broker_config(), tmp_path, TOTAL, 1e5, link_cfg=naive) for i in range(2)]
    try:
        hub.stop()  # the hub's session stays: the broker queues 1000 for it and drops the rest
        for a in agents:
            a.start()
        wait_until(lambda: all(a.link.stats()["cursor"] >= TOTAL - 1 for a in agents), 60, "every event published")
        hub = HubService(broker.broker_config(), hub_cfg(tmp_path), store)
        hub.start()
        wait_all_stored(store.path, "s1", {a.agent: TOTAL for a in agents}, timeout=120)
    finally:
        for a in agents:
            a.stop()
        hub.stop()
        broker.kill()
    stats = hub.stats()
    logging.getLogger("borderwatch.chaos").info("final stats %s", stats)
    assert_exactly_once(store.path, "s1", {a.agent: TOTAL for a in agents}, stats)
    assert sum(c["replayed"] for c in stats["agents"].values()) > 0, "the broker dropped nothing?"
