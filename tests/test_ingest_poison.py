"""Poison isolation end to end (real Mosquitto, real SQLite): a store that refuses one message, a
store that is down, strangers past the cap, and what /health says meanwhile."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient

from borderwatch.contract import Channel, topic
from borderwatch.hub.agents import AgentRegistry
from borderwatch.hub.alerts.store import SqliteAlertStore
from borderwatch.hub.api.app import create_app
from borderwatch.hub.api.context import HubContext
from borderwatch.hub.ingest.config import IngestConfig
from borderwatch.hub.service import HubService
from borderwatch.hub.store.sqlite import SqliteStore
from tests.support.api import BASE_URL
from tests.support.broker import Mosquitto
from tests.support.builders import make_batch, make_events
from tests.support.hub import hub_cfg
from tests.support.store import FlakyStore, stored_seqs
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def publisher(mosquitto: Mosquitto) -> Iterator[mqtt.Client]:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="poison-pub")
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


def _send(client: mqtt.Client, agent: str, seqs: range, poison: set[int] = frozenset(), **kw: object) -> None:
    events = [e.model_copy(update={"track_id": 666}) if e.seq in poison else e for e in make_events(
        len(seqs), start=seqs.start, agent=agent, **kw)]  # fmt: skip
    payload = make_batch(events, agent=agent).model_dump_json(by_alias=True)
    client.publish(topic("s1", agent, Channel.EVENTS), payload, qos=1).wait_for_publish(10)


def _poison_store(path: Path) -> SqliteStore:
    store = SqliteStore(path, run_retention=False)
    with sqlite3.connect(path) as db:  # the real store refusing one kind of row, as a constraint would
        db.execute(
            "CREATE TRIGGER IF NOT EXISTS poison BEFORE INSERT ON events WHEN NEW.track_id = 666 "
            "BEGIN SELECT RAISE(ABORT, 'poison row'); END"
        )
    return store


def _service(broker: Mosquitto, tmp_path: Path, store: object, **ingest: object) -> HubService:
    service = HubService(broker.broker_config(), hub_cfg(tmp_path), store, ingest=IngestConfig(**ingest))  # type: ignore[arg-type]
    service.start()
    assert service.wait_connected(10)
    return service


def _health(service: HubService, tmp_path: Path) -> dict:
    ctx = HubContext("hub", SqliteAlertStore(tmp_path / "alerts.sqlite3"), None, AgentRegistry(), service.stats)  # type: ignore[arg-type]
    return TestClient(create_app(ctx), base_url=BASE_URL).get("/health").json()


def test_a_refused_event_is_dead_lettered_and_never_blocks(mosquitto, publisher, tmp_path):
    store = _poison_store(tmp_path / "store.sqlite3")
    service = _service(mosquitto, tmp_path, store, refused_tries=2)
    _send(publisher, "a1", range(0, 10), poison={4})
    _send(publisher, "a2", range(0, 10))
    _send(publisher, "a1", range(10, 20))
    wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) == 19, 20, "a1 stored around its poison event")
    wait_until(lambda: len(stored_seqs(store.path, "s1", "a2")) == 10, 20, "a2 stored")
    assert stored_seqs(store.path, "s1", "a1") == [s for s in range(20) if s != 4]
    wait_until(lambda: store.dead_letters(), 20, "the poison dead-lettered")  # written after the events
    [letter] = store.dead_letters()
    assert (letter.reason, letter.topic) == ("store_refused", "bw/v1/s1/a1/events")
    assert "poison row" in letter.detail and "s1-a1-0000000004" in letter.detail
    health = _health(service, tmp_path)
    assert health["status"] == "degraded" and "store refused 1 message(s)" in health["reasons"][0]
    stats = service.stats()
    assert stats["agents"]["s1/a1"]["contiguous"] == 19 and stats["replay_commands"] == 0  # not asked again
    service.stop()
    again = _service(mosquitto, tmp_path, store)  # nothing left unacknowledged to wedge a restart
    _send(publisher, "a1", range(20, 25))
    wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) == 24, 20, "a1 after the restart")
    assert len(store.dead_letters()) == 1 and again.stats()["dead_letters"] == 0
    again.stop()
    store.close()


def test_a_down_store_acks_nothing_until_it_is_back(mosquitto, publisher, tmp_path):
    store = FlakyStore(SqliteStore(tmp_path / "store.sqlite3", run_retention=False))
    store.fail_writes = 10**6
    service = _service(mosquitto, tmp_path, store)
    _send(publisher, "a1", range(0, 30))
    wait_until(lambda: service.stats()["store_errors"] >= 3, 20, "the round retried")
    health = _health(service, tmp_path)
    assert health["status"] == "degraded" and health["reasons"][0].startswith("store down: StoreError")
    assert service.stats()["messages"] == 0 and stored_seqs(store.path, "s1", "a1") == []
    service.stop()  # the broker still holds the unacknowledged batch
    store.fail_writes = 0
    again = _service(mosquitto, tmp_path, store)
    wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) == 30, 20, "stored once the store is back")
    assert stored_seqs(store.path, "s1", "a1") == list(range(30)) and store.inner.dead_letters() == []
    assert _health(again, tmp_path)["status"] == "ok"
    again.stop()
    store.close()


def test_strangers_past_the_cap_get_no_ledger_row_and_no_replay(mosquitto, publisher, tmp_path):
    store = SqliteStore(tmp_path / "store.sqlite3", run_retention=False)
    service = _service(mosquitto, tmp_path, store, max_auto_agents=2)
    for agent in ("a1", "a2"):
        _send(publisher, agent, range(0, 3))
    wait_until(lambda: len(service.stats()["agents"]) == 2, 20, "two agents learned")
    for i in range(40):
        _send(publisher, f"x{i}", range(5, 6))  # a gap that would ask for a replay
    wait_until(lambda: service.stats()["dead_letter_reasons"].get("unknown_agent") == 40, 20, "strangers refused")
    stats = service.stats()
    assert sorted(stats["agents"]) == ["s1/a1", "s1/a2"] and stats["replay_commands"] == 0
    assert store.count_events() == 6
    service.stop()
    store.close()


def test_events_from_a_clock_far_ahead_or_behind_are_dead_lettered(mosquitto, publisher, tmp_path):
    store = SqliteStore(tmp_path / "store.sqlite3", run_retention=False)
    service = _service(mosquitto, tmp_path, store, max_clock_skew_s=60, max_event_age_days=1)
    now = datetime.now(UTC)
    _send(publisher, "a1", range(0, 3), end=now + timedelta(hours=2))
    _send(publisher, "a1", range(3, 6), end=now - timedelta(days=3))
    _send(publisher, "a1", range(6, 9))
    wait_until(lambda: len(store.dead_letters()) == 2, 20, "two dead letters")
    assert sorted(d.reason for d in store.dead_letters()) == ["clock_ahead", "too_old"]
    wait_until(lambda: service.stats()["agents"]["s1/a1"]["contiguous"] == 8, 20, "the seqs count as received")
    assert stored_seqs(store.path, "s1", "a1") == [6, 7, 8]
    service.stop()
    store.close()


def test_an_agent_learns_its_clock_offset_from_live_confirmations(mosquitto, tmp_path):
    from tests.chaos.agents import SimAgent

    store = SqliteStore(tmp_path / "store.sqlite3", run_retention=False)
    service = _service(mosquitto, tmp_path, store)
    agent = SimAgent("s1", "a1", mosquitto.broker_config(), tmp_path, total=50, rate=200).start()
    assert agent.link.clock_offset_s is None
    wait_until(lambda: agent.link.clock_offset_s is not None, 20, "a live delivery confirmation")
    assert abs(agent.link.clock_offset_s) < 5  # same machine: only the delivery latency
    agent.stop()
    service.stop()
    store.close()
