"""The embedded broker asks for credentials (anonymous only on loopback, on request), and the
credential tool writes password files both brokers read and secrets nobody else can."""

from __future__ import annotations

import queue
import subprocess
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from borderwatch.deploy.broker import check_access, is_loopback
from borderwatch.deploy.cli import main
from borderwatch.deploy.credentials import hash_password, read_password_file, verify_password
from borderwatch.deploy.procs import Child
from tests.chaos.broker import free_port, wait_port


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
