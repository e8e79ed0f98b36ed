"""Broker identity: the shipped Mosquitto config and ACL, run for real, pin every agent to its own
site/agent topics; anonymous and plaintext clients are refused; credentials come from
deploy/credentials.py. The shipped files are adapted only in ports and paths."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from borderwatch.contract import Channel, topic
from borderwatch.contract.topics import subscription
from borderwatch.deploy.credentials import agent_identity, make_ca, make_cert, set_password
from tests.support.identity import DEADLINE_S, DEPLOY, USERS, Client, ShippedMosquitto, received_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def creds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("creds")
    make_ca(d, days=2)
    make_cert(d, "127.0.0.1", d, server=True, days=2)
    for name in ("north/mast-01", "hub"):
        make_cert(d, name, d, days=2)
    for user, password in USERS.items():
        set_password(d / "passwd", user, password)
    return d


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory, creds: Path) -> Iterator[ShippedMosquitto]:
    b = ShippedMosquitto(tmp_path_factory.mktemp("mosq"), creds)
    yield b
    b.stop()


def test_identity_names_site_and_agent():
    assert agent_identity("north", "mast-01") == "north/mast-01"
    with pytest.raises(ValueError):
        agent_identity("north", "+")


def test_agent_publishes_only_under_its_own_site_and_agent(broker, creds):
    hub = Client(broker.port, creds, "hub", USERS["hub"])
    agent = Client(broker.port, creds, "north/mast-01", USERS["north/mast-01"])
    try:
        assert hub.connected() and agent.connected()
        assert hub.subscribe("bw/v1/#", "$share/hubs/bw/v1/+/+/events") == [1, 1]
        forged = [
            topic("north", "mast-02", Channel.EVENTS),  # another agent of its own site
            topic("south", "mast-01", Channel.EVENTS),  # its own agent id at another site
            topic("south", "mast-01", Channel.TELEMETRY),
            topic("north", "mast-02", Channel.STATUS),
            topic("north", "mast-01", Channel.COMMAND),  # commands come from the hub only
            topic("north", "hub", Channel.ALERTS),  # so do alerts
        ]
        for name in forged:
            # Mosquitto 2.0.11 with max_queued_messages 0 answers a denied QoS 1 publish with a
            # PUBACK and then drops the connection: one connection per forgery.
            forger = Client(broker.port, creds, "north/mast-01", USERS["north/mast-01"])
            assert forger.connected()
            forger.publish(name, b"{}")
            forger.close()
        own = topic("north", "mast-01", Channel.EVENTS)
        agent.publish(own, b"{}")
        assert set(received_until(hub, own)) == {own}
    finally:
        hub.close()
        agent.close()


def test_hub_publishes_each_alert_on_its_own_retained_topic(broker, creds):
    """The hub keeps every active alert retained at bw/v1/<site>/<hub_id>/alerts/<alert_id>: the ACL must let it
    (a denied publish reached no console, no eval recorder)."""
    publisher = Client(broker.port, creds, "hub", USERS["hub"])
    reader = Client(broker.port, creds, "hub", USERS["hub"])
    try:
        assert publisher.connected() and reader.connected()
        reader.subscribe(subscription(Channel.ALERTS))
        name = topic("north", "hub", Channel.ALERTS, "a1b2c3")
        publisher.publish(name, b"{}")
        assert set(received_until(reader, name)) == {name}
    finally:
        publisher.close()
        reader.close()


def test_agent_reads_only_its_own_commands_and_delivery(broker, creds):
    """Mosquitto 2 grants any subscription and checks read access per message: a subscription to
    another agent's commands (or to everything) delivers nothing that is not the agent's own."""
    hub = Client(broker.port, creds, "hub", USERS["hub"])
    agent = Client(broker.port, creds, "north/mast-01", USERS["north/mast-01"])
    other = Client(broker.port, creds, "north/mast-02", USERS["north/mast-02"])
    try:
        assert hub.connected() and agent.connected() and other.connected()
        theirs = [
            topic("north", "mast-02", Channel.COMMAND),
            topic("south", "mast-01", Channel.COMMAND),
            topic("north", "mast-02", Channel.DELIVERY),
        ]
        own = topic("north", "mast-01", Channel.COMMAND)
        agent.subscribe(*theirs, topic("north", "mast-02", Channel.EVENTS), "bw/v1/#", own)
        for name in theirs:
            hub.publish(name, b"{}")
        other.publish(topic("north", "mast-02", Channel.EVENTS), b"{}")
        hub.publish(own, b"{}")
        assert set(received_until(agent, own)) == {own}
    finally:
        for c in (hub, agent, other):
            c.close()


@pytest.mark.parametrize(("user", "password"), [(None, None), ("north/mast-01", "wrong"), ("nobody", "x")])
def test_anonymous_and_wrong_password_refused(broker, creds, user, password):
    c = Client(broker.port, creds, user, password)
    try:
        assert not c.connected()
    finally:
        c.close()


def test_plaintext_refused_by_the_tls_only_listener(broker):
    """An MQTT CONNECT in the clear gets no CONNACK (0x20): the listener speaks TLS only."""
    assert "listener 1883" not in (DEPLOY / "mosquitto.conf").read_text()
    connect = bytes.fromhex("101000044d5154540402003c0004") + b"anon"
    with socket.create_connection(("127.0.0.1", broker.port), timeout=DEADLINE_S) as s:
        s.sendall(connect)
        try:
            reply = s.recv(4)
        except ConnectionResetError:
            reply = b""
    assert not reply.startswith(b"\x20")


def test_mutual_tls_certificate_is_the_identity(tmp_path, creds):
    """With the optional mutual-TLS lines on, the certificate CN is the user the ACL pins."""
    b = ShippedMosquitto(tmp_path / "mtls", creds, mutual_tls=True)
    hub = Client(b.port, creds, "hub", cert=True)
    agent = Client(b.port, creds, "north/mast-01", cert=True)
    no_cert = Client(b.port, creds, "north/mast-02", USERS["north/mast-02"])
    try:
        assert hub.connected() and agent.connected()
        assert not no_cert.connected()
        assert hub.subscribe("bw/v1/#") == [1]
        agent.publish(topic("south", "mast-01", Channel.EVENTS), b"{}")
        agent.close()
        agent = Client(b.port, creds, "north/mast-01", cert=True)
        assert agent.connected()
        own = topic("north", "mast-01", Channel.EVENTS)
        agent.publish(own, b"{}")
        assert received_until(hub, own) == [own]
    finally:
        for c in (hub, agent, no_cert):
            c.close()
        b.stop()
