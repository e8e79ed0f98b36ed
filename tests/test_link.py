"""Agent link and hub ingest against a real Mosquitto: flow, birth/will, auth, commands, replay,
dead letters, store outages, shared subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.contract import (
    AgentState,
    AgentStatus,
    Channel,
    Command,
    CommandAck,
    CommandKind,
    DeliveryConfirm,
    EventBatch,
    ReplayAnswer,
    Telemetry,
    topic,
)
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.link import AgentLink
from borderwatch.edge.outbox import Outbox
from borderwatch.hub.service import HubService
from borderwatch.hub.store.sqlite import SqliteStore
from borderwatch.runtime.broker import BrokerConfig, TlsConfig
from tests.chaos.agents import SimAgent
from tests.support.broker import Mosquitto
from tests.support.builders import outbox_events
from tests.support.hub import hub_cfg
from tests.support.mqtt_peer import Raw
from tests.support.store import count_rows, stored_seqs
from tests.support.tls import make_certs
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration


def _birth(site: str = "s1", agent: str = "a1") -> AgentStatus:
    return AgentStatus(site=site, agent=agent, state=AgentState.ONLINE, ts=datetime.now(UTC), software_version="1.2.3")


def _link(broker: BrokerConfig, box: Outbox, agent: str = "a1") -> AgentLink:
    return AgentLink(
        "s1",
        agent,
        broker,
        box,
        lambda: _birth(agent=agent),
        LinkConfig(probe_after_s=1.0, maintain_interval_s=0.5),
    )


def _batch_from(box: Outbox, seqs: range, agent: str = "a1") -> str:
    events = [e for e in box.replay(seqs.start, seqs.stop - 1)]
    return EventBatch(site="s1", agent=agent, sent_at=datetime.now(UTC), events=events).model_dump_json(by_alias=True)


def test_events_arrive_exactly_once_and_the_outbox_trims(tmp_path, mosquitto, store, hub):
    agent = SimAgent(
        "s1",
        "a1",
        mosquitto.broker_config(),
        tmp_path,
        total=1500,
        rate=1500,
        outbox_cfg=OutboxConfig(replay_window_s=0),
        telemetry_every_s=0.3,
    ).start()
    try:
        wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) == 1500, 30, "1500 stored")
        wait_until(lambda: agent.outbox.acked_seq == 1499, 10, "confirmation")
        wait_until(lambda: agent.outbox.stats().rows == 0, 10, "trim")
    finally:
        agent.stop()
    assert stored_seqs(store.path, "s1", "a1") == list(range(1500))
    counters = hub.stats()["agents"]["s1/a1"]
    assert (counters["received"], counters["lost"], counters["contiguous"]) == (1500, 0, 1499)
    assert count_rows(store.path, "telemetry") >= 1


def test_birth_is_retained_online_and_a_clean_stop_leaves_offline(tmp_path, mosquitto):
    box = Outbox(tmp_path / "o.sqlite3", OutboxConfig())
    box.append(outbox_events("s1", "a1", 0, 3))
    link = _link(mosquitto.broker_config(), box)
    link.start()
    wait_until(lambda: link.connected, 10, "connect")
    raw = Raw(mosquitto.port, [topic("s1", "a1", Channel.STATUS)])
    wait_until(lambda: raw.on("/status"), 5, "retained birth")
    birth = AgentStatus.model_validate_json(raw.on("/status")[0].payload)
    assert (birth.state, birth.last_seq, birth.software_version) == (AgentState.ONLINE, 2, "1.2.3")
    assert birth.boot_id
    late = Raw(mosquitto.port, [topic("s1", "a1", Channel.STATUS)])  # joins after the birth: gets it retained
    wait_until(lambda: late.on("/status"), 5, "retained birth for a late subscriber")
    assert late.on("/status")[0].retain
    late.close()
    link.stop()
    assert not link.connected
    wait_until(lambda: len(raw.on("/status")) == 2, 5, "offline status")
    assert AgentStatus.model_validate_json(raw.on("/status")[1].payload).state is AgentState.OFFLINE
    raw.close()


def test_connected_only_when_the_broker_accepts(tmp_path, monkeypatch):
    broker = Mosquitto(tmp_path / "auth", passwords={"mast1": "s3cret"}).start()
    box = Outbox(tmp_path / "o.sqlite3", OutboxConfig())
    bad = _link(BrokerConfig(port=broker.port, username="mast1", password="wrong", keepalive_s=5), box)
    (tmp_path / "pw").write_text("s3cret\n")
    monkeypatch.setenv("BW_TEST_PW", "s3cret")
    good_env = _link(BrokerConfig(port=broker.port, username="mast1", password_env="BW_TEST_PW"), box, "a2")
    good_file = _link(BrokerConfig(port=broker.port, username="mast1", password_file=tmp_path / "pw"), box, "a3")
    try:
        for link in (bad, good_env, good_file):
            link.start()
        wait_until(lambda: good_env.connected and good_file.connected, 10, "good links")
        assert not bad.connected
    finally:
        for link in (bad, good_env, good_file):
            link.stop()
        broker.kill()


def test_missing_password_env_is_a_clear_error(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3", OutboxConfig())
    link = _link(BrokerConfig(username="u", password_env="BW_SURELY_UNSET_VAR"), box)
    with pytest.raises(ValueError, match="BW_SURELY_UNSET_VAR is not set"):
        link.start()


def test_ping_rebirth_and_replay_with_unavailable_range(tmp_path, mosquitto):
    box = Outbox(tmp_path / "o.sqlite3", OutboxConfig(replay_window_s=0))
    box.append(outbox_events("s1", "a1", 0, 10))
    subs = [topic("s1", "a1", ch) for ch in (Channel.COMMAND_ACK, Channel.EVENTS, Channel.STATUS)]
    raw = Raw(mosquitto.port, subs)
    conf = DeliveryConfirm(site="s1", agent="a1", ts=datetime.now(UTC), acked_seq=4)
    raw.publish(topic("s1", "a1", Channel.DELIVERY), conf.model_dump_json(), retain=True)
    link = _link(mosquitto.broker_config(), box)
    link.start()
    try:
        wait_until(lambda: box.acked_seq == 4 and box.stats().rows == 5, 10, "trim to the retained confirm")
        wait_until(lambda: raw.on("/status"), 10, "birth")
        commands = (
            (CommandKind.PING, {}),
            (CommandKind.REBIRTH, {}),
            (CommandKind.REPLAY, {"from_seq": 0, "to_seq": 9}),
        )
        for kind, extra in commands:
            cmd = Command(id=f"cmd-{kind.value}-0001", ts=datetime.now(UTC), kind=kind, **extra)
            raw.publish(topic("s1", "a1", Channel.COMMAND), cmd.model_dump_json())
        wait_until(lambda: len(raw.on("/cmdack")) == 3, 10, "three acks")
        wait_until(lambda: len(raw.on("/status")) == 2, 10, "second birth")
    finally:
        link.stop()
    acks = {a.command_id: a for a in (CommandAck.model_validate_json(m.payload) for m in raw.on("/cmdack"))}
    assert acks["cmd-ping-0001"].ok and acks["cmd-rebirth-0001"].ok
    assert acks["cmd-replay-0001"].replay == ReplayAnswer(replayed=5, unavailable=[(0, 4)], acked_seq=4)
    replays = [EventBatch.model_validate_json(m.payload) for m in raw.on("/events")]
    replays = [b for b in replays if b.replay]
    assert [e.seq for b in replays for e in b.events] == [5, 6, 7, 8, 9]
    raw.close()


def test_hub_asks_for_a_replay_and_the_agent_fills_the_gap(tmp_path, mosquitto, store, hub):
    box = Outbox(tmp_path / "o.sqlite3", OutboxConfig(replay_window_s=3600))
    box.append(outbox_events("s1", "a1", 0, 15))
    box.confirm(14)  # as if sent before: the link starts after seq 14 and only answers replays
    link = _link(mosquitto.broker_config(), box)
    link.start()
    raw = Raw(mosquitto.port)
    try:
        wait_until(lambda: link.connected, 10, "link")
        for part in (range(0, 5), range(10, 15)):
            raw.publish(topic("s1", "a1", Channel.EVENTS), _batch_from(box, part))
        wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) == 15, 15, "gap filled")
    finally:
        link.stop()
        raw.close()
    c = hub.stats()["agents"]["s1/a1"]
    assert (c["gaps_detected"], c["replay_requests"], c["replayed"], c["lost"], c["contiguous"]) == (
        1,
        1,
        5,
        0,
        14,
    )


def test_events_the_agent_dropped_are_counted_lost_not_waited_for(tmp_path, mosquitto, store, hub):
    box = Outbox(tmp_path / "o.sqlite3", OutboxConfig(max_events=100))
    box.append(outbox_events("s1", "a1", 0, 115))  # full: the 15 oldest unconfirmed are dropped
    assert box.stats().dropped_events == 15
    link = _link(mosquitto.broker_config(), box)
    link.start()
    try:
        wait_until(lambda: box.acked_seq == 114, 20, "hub confirms past the dropped range")
        link.publish_telemetry(Telemetry(site="s1", agent="a1", ts=datetime.now(UTC)))
        wait_until(lambda: store.inner.telemetry("a1"), 10, "telemetry stored")
    finally:
        link.stop()
    c = hub.stats()["agents"]["s1/a1"]
    assert (c["received"], c["lost"], c["recovered"], c["contiguous"]) == (100, 15, 0, 114)
    tel = store.inner.telemetry("a1")[0]
    assert (tel.outbox_dropped, tel.outbox_depth, tel.last_seq, tel.link_up) == (15, 0, 114, True)


def test_on_events_sees_each_event_once_even_when_sent_twice(tmp_path, mosquitto, store):
    seen: list[str] = []
    hub = HubService(
        mosquitto.broker_config(),
        hub_cfg(tmp_path),
        store,
        on_events=lambda evs: seen.extend(e.id for e in evs),
    )
    hub.start()
    assert hub.wait_connected(10)
    box = Outbox(tmp_path / "o.sqlite3", OutboxConfig())
    box.append(outbox_events("s1", "a1", 0, 20))
    raw = Raw(mosquitto.port)
    try:
        for _ in range(2):
            raw.publish(topic("s1", "a1", Channel.EVENTS), _batch_from(box, range(0, 20)))
        wait_until(lambda: hub.stats()["agents"].get("s1/a1", {}).get("duplicates") == 20, 10, "duplicates")
    finally:
        raw.close()
        hub.stop()
    assert sorted(seen) == sorted(e.id for e in box.pending(100))


def test_dead_letters_are_kept_and_ingest_goes_on(tmp_path, mosquitto, store, hub):
    agent = SimAgent("s1", "a1", mosquitto.broker_config(), tmp_path, total=200, rate=100).start()
    try:
        # a first stored event proves the hub's subscription is live before the garbage is sent
        wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) >= 1, 20, "first event")
        raw = Raw(mosquitto.port)
        raw.publish(topic("s1", "a1", Channel.EVENTS), b"\xff not json")
        evs = [e.model_copy(update={"seq": 0}) for e in outbox_events("s1", "a1", 0, 1)]
        raw.publish(
            topic("s1", "other", Channel.EVENTS),
            EventBatch(site="s1", agent="a1", sent_at=datetime.now(UTC), events=evs).model_dump_json(),
        )
        raw.close()
        wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) == 200, 30, "events after garbage")
    finally:
        agent.stop()
    wait_until(lambda: hub.stats()["dead_letters"] == 2, 10, "both dead letters counted")
    assert count_rows(store.path, "dead_letters") == 2


def test_store_outage_is_retried_and_nothing_is_lost(tmp_path, mosquitto, store, hub):
    store.fail_writes = 4
    agent = SimAgent("s1", "a1", mosquitto.broker_config(), tmp_path, total=600, rate=1200).start()
    try:
        wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) == 600, 30, "all stored")
    finally:
        agent.stop()
    stats = hub.stats()
    assert stats["store_errors"] == 4
    assert stats["agents"]["s1/a1"]["received"] == 600


def test_two_hubs_share_the_load_and_one_ledger(tmp_path: Path, mosquitto):
    store = SqliteStore(tmp_path / "store.sqlite3")
    hubs = [
        HubService(mosquitto.broker_config(), hub_cfg(tmp_path, client_id=f"hub-{i}", shared_group="g"), store)
        for i in range(2)
    ]
    for h in hubs:
        h.start()
        assert h.wait_connected(10)
    agent = SimAgent(
        "s1",
        "a1",
        mosquitto.broker_config(),
        tmp_path,
        total=3000,
        rate=1500,
        link_cfg=LinkConfig(batch_max_events=20),
    ).start()
    try:
        wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) == 3000, 40, "3000 stored")
        wait_until(lambda: agent.outbox.acked_seq == 2999, 20, "merged confirmation")
    finally:
        agent.stop()
        for h in hubs:
            h.stop()
    assert stored_seqs(store.path, "s1", "a1") == list(range(3000))
    assert all(h.stats()["messages"] > 10 for h in hubs)
    reopened = HubService(mosquitto.broker_config(), hub_cfg(tmp_path), store)
    reopened.start()
    c = reopened.stats()["agents"]["s1/a1"]
    reopened.stop()
    store.close()
    assert (c["contiguous"], c["lost"]) == (2999, 0)


def test_agent_and_hub_over_tls_with_a_private_ca(tmp_path: Path):
    ca, cert, key = make_certs(tmp_path / "pki")
    broker = Mosquitto(tmp_path / "tls-broker", tls=(ca, cert, key)).start()
    secure = BrokerConfig(port=broker.port, keepalive_s=5, tls=TlsConfig(ca_file=ca))
    store = SqliteStore(tmp_path / "store.sqlite3")
    hub = HubService(secure, hub_cfg(tmp_path), store)
    hub.start()
    agent = SimAgent("s1", "a1", secure, tmp_path, total=100, rate=1000).start()
    plain = _link(BrokerConfig(port=broker.port, keepalive_s=5), Outbox(tmp_path / "p.sqlite3", OutboxConfig()), "a2")
    plain.start()
    try:
        wait_until(lambda: len(stored_seqs(store.path, "s1", "a1")) == 100, 20, "events over TLS")
        assert not plain.connected
    finally:
        plain.stop()
        agent.stop()
        hub.stop()
        store.close()
        broker.kill()
