"""The hub's MQTT consumer: persistent session, manual acknowledgement, bounded hand-over.

paho runs ``on_message`` on its network thread; blocking there stalls keep-alives and acks.
So every message is handed to the worker through ``deliver`` untouched, and the
worker acknowledges it (``ack``) only after its content is durably stored. MQTT v5's receive
maximum bounds how many unacknowledged messages the broker sends us, so the hand-over queue
(sized at least that) never has to block or drop a QoS 1 message.

Evidence (JPEG snapshots) is best effort and not part of the ledger: when the hub asks for it
(``deliver_evidence``), it goes to its own callback and is acknowledged on arrival, so a
snapshot waiting for a disk never holds one of the receive-maximum slots events need.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from borderwatch.contract.topics import Channel, subscription
from borderwatch.hub.delivery.config import DeliveryConfig
from borderwatch.runtime.broker import BrokerConfig
from borderwatch.runtime.mqtt import Handlers, Session, open_session

log = logging.getLogger("borderwatch.hub.link")

SHARED_CHANNELS = (Channel.EVENTS, Channel.TELEMETRY, Channel.COMMAND_ACK)
"""Split between hub instances under a shared subscription; presence (status) every instance sees."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """One received message; ``generation`` names the connection it came on (acks are per connection)."""

    topic: str
    payload: bytes
    qos: int
    mid: int
    retain: bool
    generation: int


class HubLink:
    """Consumes the agents' channels and publishes commands and confirmations."""

    def __init__(
        self,
        broker: BrokerConfig,
        cfg: DeliveryConfig,
        deliver: Callable[[Inbound], None],
        deliver_evidence: Callable[[Inbound], None] | None = None,
    ) -> None:
        self._broker = broker
        self._cfg = cfg
        self._deliver = deliver
        self._deliver_evidence = deliver_evidence
        self._session = Session(
            client_id=cfg.client_id,
            mqtt_version=cfg.mqtt_version,
            session_expiry_s=cfg.session_expiry_s,
            receive_maximum=cfg.receive_maximum,
            manual_ack=True,
        )
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._generation = 0
        self._client: mqtt.Client | None = None

    @property
    def connected(self) -> bool:
        """True only while the broker has accepted our connection."""
        return self._connected.is_set()

    @property
    def generation(self) -> int:
        """Number of the current connection; a message's acknowledgement is valid only on its own."""
        return self._generation

    def start(self) -> None:
        """Resolve credentials and connect in the background; messages flow once the broker accepts us."""
        handlers = Handlers(self._on_connect, self._on_disconnect, self._on_message)
        self._client = open_session(self._broker, self._session, handlers, "hub link", log)
        log.info(
            "hub link starting host=%s port=%d client_id=%s mqtt=%s shared=%s",
            self._broker.host,
            self._broker.port,
            self._cfg.client_id,
            self._cfg.mqtt_version,
            self._cfg.shared_group,
        )

    def wait_connected(self, timeout: float) -> bool:
        """Block until the broker accepted us and acknowledged our subscriptions (ready to receive:
        a message published before that would not reach a fresh session), or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        return self._connected.wait(timeout) and self._subscribed.wait(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Disconnect cleanly; the session (and anything unacknowledged) stays with the broker."""
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        self._connected.clear()

    def ack(self, msg: Inbound) -> bool:
        """Acknowledge a stored message; skipped (False) if it came on an earlier connection,
        whose packet ids mean nothing now (the broker redelivers it instead)."""
        if msg.qos == 0:
            return True
        if msg.generation != self._generation or not self.connected or self._client is None:
            return False
        return self._client.ack(msg.mid, msg.qos) == mqtt.MQTT_ERR_SUCCESS

    def publish(self, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False) -> bool:
        """Queue a publish; False only when the client refused it (not started, payload too big...)."""
        if self._client is None:
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN)

    # -- paho callbacks (network thread: no blocking work here) -----------------------------
    def _on_connect(self, client: mqtt.Client, session_present: bool) -> None:
        self._generation += 1
        share = self._cfg.shared_group
        channels = (*SHARED_CHANNELS, Channel.EVIDENCE) if self._deliver_evidence else SHARED_CHANNELS
        # QoS 1 granted = the agent's own choice is kept (evidence_qos 0 stays 0, 1 stays 1)
        subs = [(subscription(ch, site=self._cfg.site, share=share), 1) for ch in channels]
        subs.append((subscription(Channel.STATUS, site=self._cfg.site), 1))
        self._subscribed.clear()
        client.on_subscribe = self._on_subscribe
        client.subscribe(subs)
        self._connected.set()
        log.info("hub link connected session_present=%s generation=%d", session_present, self._generation)

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int, reasons: object, props: object) -> None:
        self._subscribed.set()

    def _on_disconnect(self, reason: mqtt.ReasonCode) -> None:
        self._connected.clear()
        log.warning("hub link disconnected reason=%s", reason)

    def _on_message(self, msg: mqtt.MQTTMessage) -> None:
        inbound = Inbound(msg.topic, msg.payload, msg.qos, msg.mid, msg.retain, self._generation)
        if self._deliver_evidence is not None and is_evidence(msg.topic):
            try:
                self._deliver_evidence(inbound)  # must not block: a put_nowait into its own queue
            finally:
                self.ack(inbound)  # best effort: taken (or dropped and counted) = done
            return
        self._deliver(inbound)


def is_evidence(topic_name: str) -> bool:
    """``bw/v1/<site>/<agent>/evidence/<id>``: the channel level, without parsing the rest."""
    parts = topic_name.split("/", 5)
    return len(parts) > 4 and parts[4] == Channel.EVIDENCE.value
