"""The embedded broker asks for credentials (anonymous only on loopback, on request), and the
credential tool writes password files both brokers read and secrets nobody else can."""

from __future__ import annotations

import queue
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from borderwatch.contract import Channel, topic
from borderwatch.deploy.acl import allowed, load_acl, parse_acl, topic_matches
from borderwatch.deploy.broker import check_access
from borderwatch.deploy.cli import main
from borderwatch.deploy.credentials import hash_password, read_password_file, set_password, verify_password
from borderwatch.deploy.procs import Child
from borderwatch.runtime.hosts import is_loopback
from tests.support.identity import DEPLOY, USERS, Client, received_until
from tests.support.waits import free_port, wait_port

SHIPPED_ACL = DEPLOY / "borderwatch.acl"


def test_anonymous_needs_the_flag_and_loopback(tmp_path):
    pw = tmp_path / "passwd"
    pw.write_text("")
    assert check_access("127.0.0.1", None, allow_anonymous=True) is None
    assert check_access("127.0.0.1", pw, allow_anonymous=False) is None
    assert "needs --password-file" in str(check_access("127.0.0.1", None, allow_anonymous=False))
    for host in ("0.0.0.0", "10.0.0.5", "::", "broker.example"):
        assert "refused" in str(check_access(host, None, allow_anonymous=True))
    assert "does not exist" in str(check_access("0.0.0.0", tmp_path / "missing", allow_anonymous=False))
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("0.0.0.0")


@pytest.mark.parametrize(
    "argv",
    [["--host", "0.0.0.0", "--allow-anonymous"], []],
    ids=["anonymous-on-all-interfaces", "no-credentials"],
)
def test_cli_refuses_to_start(argv, capsys):
    assert main(["broker", "--port", str(free_port()), *argv]) == 2


def test_password_hash_is_mosquitto_compatible(tmp_path):
    """What mosquitto_passwd writes verifies here (and the Mosquitto tests check the other way)."""
    pw = tmp_path / "passwd"
    pw.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "north/mast-01", "s3cr:et@/x"], check=True)
    stored = read_password_file(pw)["north/mast-01"]
    assert verify_password("s3cr:et@/x", stored)
    assert not verify_password("s3cr:et@/y", stored)
    assert verify_password("pw", hash_password("pw")) and not verify_password("pw", "$6$abc$def")
    assert not verify_password("pw", "$7$101$not base64$@@")


def test_credentials_cli_takes_secrets_from_env_or_generates_them(tmp_path, monkeypatch, capsys):
    passwd, secret = tmp_path / "passwd", tmp_path / "secrets" / "mast-01.secret"
    user = ["broker", "credentials", "user"]
    assert main([*user, "north/mast-01", "--passwd", str(passwd), "--secret-out", str(secret)]) == 0
    assert secret.stat().st_mode & 0o777 == 0o600 and passwd.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("HUB_MQTT_PASSWORD", "from-env")
    assert main([*user, "hub", "--passwd", str(passwd), "--secret-env", "HUB_MQTT_PASSWORD"]) == 0
    users = read_password_file(passwd)
    assert verify_password(secret.read_text().strip(), users["north/mast-01"])
    assert verify_password("from-env", users["hub"])
    out = capsys.readouterr().out
    assert "from-env" not in out and secret.read_text().strip() not in out
    assert main([*user, "north/+", "--passwd", str(passwd), "--secret-out", str(secret)]) == 2


def _connack(port: int, user: str | None, password: str | None) -> int | None:
    got: queue.Queue[int] = queue.Queue()
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{user}")
    if user is not None:
        c.username_pw_set(user, password)
    c.on_connect = lambda c_, u, f, rc, p: got.put(rc.value)
    c.connect_async("127.0.0.1", port)
    c.loop_start()
    try:
        return got.get(timeout=10)
    except queue.Empty:
        return None
    finally:
        c.disconnect()
        c.loop_stop()


@pytest.mark.integration
def test_embedded_broker_requires_a_password(tmp_path):
    passwd = tmp_path / "passwd"
    (tmp_path / "secret").write_text("right\n")
    assert main(["broker", "credentials", "user", "north/mast-01", "--passwd", str(passwd),
                 "--secret-file", str(tmp_path / "secret")]) == 0  # fmt: skip
    port = free_port()
    broker = Child("broker", ["broker", "--port", str(port), "--password-file", str(passwd)], tmp_path)
    try:
        wait_port(port, timeout=20)
        assert _connack(port, "north/mast-01", "right") == 0
        assert _connack(port, "north/mast-01", "wrong") not in (0, None)
        assert _connack(port, None, None) not in (0, None)
        assert _connack(port, "north/mast-02", "right") not in (0, None)
    finally:
        broker.stop(10)
    assert "right" not in Path(broker.log_path).read_text()


def test_topic_filter_matching():
    assert topic_matches("bw/v1/#", "bw/v1/a/b/events") and topic_matches("bw/v1/#", "bw/v1")
    assert topic_matches("bw/v1/+/+/cmd", "bw/v1/s/a/cmd") and not topic_matches("bw/v1/+/+/cmd", "bw/v1/s/a/b/cmd")
    assert not topic_matches("bw/v1/s/a/events", "bw/v1/s/a/events/x")


def test_shipped_acl_pins_site_and_agent():
    """The same decisions the Mosquitto tests observe, made by the embedded broker's reader."""
    acl = load_acl(SHIPPED_ACL)
    me = "north/mast-01"
    assert allowed(acl, me, "c", topic("north", "mast-01", Channel.EVENTS), "write")
    assert allowed(acl, me, "c", topic("north", "mast-01", Channel.EVIDENCE, "ev-1"), "write")
    assert allowed(acl, me, "c", topic("north", "mast-01", Channel.COMMAND), "read")
    for forged in (topic("north", "mast-02", Channel.EVENTS), topic("south", "mast-01", Channel.EVENTS)):
        assert not allowed(acl, me, "c", forged, "write")
    assert not allowed(acl, me, "c", topic("north", "mast-01", Channel.COMMAND), "write")
    assert not allowed(acl, me, "c", topic("north", "mast-02", Channel.COMMAND), "read")
    assert not allowed(acl, None, "c", topic("north", "mast-01", Channel.EVENTS), "write")
    assert not allowed(acl, "north/+", "c", topic("north", "mast-01", Channel.EVENTS), "write")
    assert allowed(acl, "hub", "c", topic("south", "mast-09", Channel.EVENTS), "read")
    assert allowed(acl, "hub", "c", topic("south", "mast-09", Channel.COMMAND), "write")
    assert not allowed(acl, "hub", "c", topic("south", "mast-09", Channel.EVENTS), "write")


def test_acl_deny_wins_and_bad_lines_are_named():
    acl = parse_acl("user u\ntopic readwrite a/#\ntopic deny a/secret\npattern read x/%c\n")
    assert allowed(acl, "u", "c1", "a/b", "write") and not allowed(acl, "u", "c1", "a/secret", "read")
    assert allowed(acl, "u", "c1", "x/c1", "read") and not allowed(acl, "u", "c1", "x/c2", "read")
    with pytest.raises(ValueError, match="line 2"):
        parse_acl("user u\nallow everything\n")


@contextmanager
def shipped_acl_broker(tmp_path: Path) -> Iterator[tuple[int, Child, list[Client]]]:
    """The embedded broker with every test user's password and the shipped ACL; the clients a test
    appends to the list are closed before the broker stops."""
    passwd = tmp_path / "passwd"
    for user, password in USERS.items():
        set_password(passwd, user, password)
    port = free_port()
    args = ["broker", "--port", str(port), "--password-file", str(passwd), "--acl-file", str(SHIPPED_ACL)]
    broker = Child("broker", args, tmp_path)
    clients: list[Client] = []
    try:
        wait_port(port, timeout=20)
        yield port, broker, clients
    finally:
        for c in clients:
            c.close()
        broker.stop(10)


@pytest.mark.integration
def test_embedded_broker_applies_the_shipped_acl(tmp_path):
    with shipped_acl_broker(tmp_path) as (port, broker, clients):
        hub, agent, other = (Client(port, None, u, USERS[u]) for u in ("hub", "north/mast-01", "north/mast-02"))
        clients += [hub, agent, other]
        assert hub.connected() and agent.connected() and other.connected()
        hub.subscribe("bw/v1/#")
        own_cmd = topic("north", "mast-01", Channel.COMMAND)
        agent.subscribe(topic("north", "mast-02", Channel.COMMAND), own_cmd)
        for forged in (topic("north", "mast-02", Channel.EVENTS), topic("south", "mast-01", Channel.EVENTS)):
            agent.publish(forged, b"{}")
        own = topic("north", "mast-01", Channel.EVENTS)
        agent.publish(own, b"{}")
        assert set(received_until(hub, own)) == {own}
        hub.publish(topic("north", "mast-02", Channel.COMMAND), b"{}")
        hub.publish(own_cmd, b"{}")
        assert received_until(agent, own_cmd) == [own_cmd]
    assert "broker denied publish" in Path(broker.log_path).read_text()


def test_a_connecting_client_gets_only_the_retained_messages_it_subscribed_to_and_may_read(tmp_path):
    """amqtt replayed every retained message matching anyone's subscription to each new connection."""
    with shipped_acl_broker(tmp_path) as (port, _broker, clients):
        hub = Client(port, None, "hub", USERS["hub"])
        clients.append(hub)
        assert hub.connected()
        hub.subscribe("bw/v1/#")
        alert = topic("north", "hub", Channel.ALERTS, "a1")
        hub.c.publish(alert, b"{}", qos=1, retain=True).wait_for_publish(5)
        assert received_until(hub, alert) == [alert]
        agent = Client(port, None, "north/mast-01", USERS["north/mast-01"])
        clients.append(agent)
        assert agent.connected()
        own_cmd = topic("north", "mast-01", Channel.COMMAND)
        agent.subscribe(own_cmd, "bw/v1/north/hub/alerts/+")  # the second is not its to read
        hub.c.publish(own_cmd, b"{}", qos=1, retain=True).wait_for_publish(5)
        assert received_until(agent, own_cmd) == [own_cmd]  # nothing before it: no alert leaked
