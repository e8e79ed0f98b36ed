"""Broker identities in tests: the shipped Mosquitto config run for real (ports and paths replaced),
and a paho client set up through BrokerConfig that records CONNACKs, SUBACKs and messages."""

from __future__ import annotations

import getpass
import queue
import re
import subprocess
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from pydantic import SecretStr

from borderwatch.runtime.broker import BrokerConfig, TlsConfig
from borderwatch.runtime.mqtt import configure
from tests.support.waits import free_port, wait_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
USERS = {"hub": "hub-secret", "north/mast-01": "a-secret", "north/mast-02": "b-secret", "south/mast-01": "c-secret"}
DEADLINE_S = 10.0


class ShippedMosquitto:
    """deploy/mosquitto/mosquitto.conf with its port, file paths and run-as user replaced."""

    def __init__(self, workdir: Path, creds: Path, mutual_tls: bool = False) -> None:
        self.port = free_port()
        conf = (DEPLOY / "mosquitto.conf").read_text()
        subs = {
            r"^listener 8883$": f"listener {self.port} 127.0.0.1",
            r"^persistence_location .*$": f"persistence_location {workdir}/",
            r"^log_dest stderr$": f"log_dest file {workdir / 'mosquitto.log'}",
            r"^cafile .*$": f"cafile {creds / 'ca.crt'}",
            r"^certfile .*$": f"certfile {creds / '127.0.0.1.crt'}",
            r"^keyfile .*$": f"keyfile {creds / '127.0.0.1.key'}",
            r"^password_file .*$": f"password_file {creds / 'passwd'}",
            r"^acl_file .*$": f"acl_file {DEPLOY / 'borderwatch.acl'}",
        }
        if mutual_tls:
            subs |= {r"^# require_certificate true$": "require_certificate true"}
            subs |= {r"^# use_identity_as_username true$": "use_identity_as_username true"}
        for pattern, repl in subs.items():
            conf, n = re.subn(pattern, repl, conf, flags=re.MULTILINE)
            assert n == 1, f"shipped mosquitto.conf no longer has {pattern}"
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "mosquitto.conf").write_text(conf + f"user {getpass.getuser()}\n")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(workdir / "mosquitto.conf")])
        wait_port(self.port)

    def stop(self) -> None:
        """SIGTERM and wait: the broker's port is free afterwards."""
        self.proc.terminate()
        self.proc.wait(timeout=20)


class Client:
    """A paho client configured through BrokerConfig (as agent and hub are); records what happens.
    ``creds`` None: plain MQTT (the embedded broker), else TLS with the CA (and cert) found there."""

    def __init__(
        self, port: int, creds: Path | None, user: str | None, password: str | None = None, cert: bool = False
    ) -> None:
        stem = (user or "").replace("/", "_")
        tls = None
        if creds is not None:
            tls = TlsConfig(
                ca_file=creds / "ca.crt",
                cert_file=creds / f"{stem}.crt" if cert else None,
                key_file=creds / f"{stem}.key" if cert else None,
            )
        cfg = BrokerConfig(
            port=port, username=None if cert else user, password=SecretStr(password) if password else None, tls=tls
        )
        self.connack: queue.Queue[int] = queue.Queue()
        self.subacks: queue.Queue[list[int]] = queue.Queue()
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{stem or 'anon'}-{time.monotonic_ns()}")
        configure(self.c, cfg)
        self.c.on_connect = lambda c, u, f, rc, p: self.connack.put(rc.value)
        self.c.on_connect_fail = lambda c, u: self.connack.put(-1)  # e.g. the TLS handshake failed
        self.c.on_disconnect = lambda c, u, f, rc, p: self.connack.put(-2)  # after a CONNACK: not read
        self.c.on_subscribe = lambda c, u, mid, rcs, p: self.subacks.put([r.value for r in rcs])
        self.c.on_message = lambda c, u, m: self.messages.put(m)
        self.c.connect_async("127.0.0.1", port)
        self.c.loop_start()

    def connected(self) -> bool:
        """Whether the broker accepted the connection (False on a refusal or a failed handshake)."""
        try:
            return self.connack.get(timeout=DEADLINE_S) == 0
        except queue.Empty:
            return False

    def subscribe(self, *filters: str) -> list[int]:
        """Subscribe at QoS 1; returns the SUBACK codes (128: refused)."""
        self.c.subscribe([(f, 1) for f in filters])
        return self.subacks.get(timeout=DEADLINE_S)

    def publish(self, name: str, payload: bytes) -> None:
        """QoS 1, waiting for the PUBACK (a denied publish is acknowledged too, then dropped)."""
        self.c.publish(name, payload, qos=1).wait_for_publish(DEADLINE_S)

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.c.disconnect()
        self.c.loop_stop()


def received_until(client: Client, sentinel: str) -> list[str]:
    """Topics received up to and including ``sentinel`` (ordered delivery on one connection)."""
    seen: list[str] = []
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        try:
            m = client.messages.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(m.topic)
        if m.topic == sentinel:
            return seen
    raise AssertionError(f"sentinel {sentinel} never arrived; got {seen}")
