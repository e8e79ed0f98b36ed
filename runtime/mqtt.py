"""The MQTT session every process that speaks the contract opens: agent link, hub link, doctor.

One place decides credentials, TLS, reconnect back-off, protocol version and the persistent
session (a stable client id, no clean start, MQTT v5 session expiry and receive maximum), and
how paho's VERSION2 callbacks reach a link. The links keep only their delivery rules.

paho runs the callbacks on its network thread: whatever ``wire_callbacks`` is given must park
work and return, never block on disk or locks held by slow code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from borderwatch.runtime.broker import BrokerConfig


@dataclass(frozen=True, slots=True)
class Session:
    """Who we are to the broker and what it keeps for us while we are away."""

    client_id: str
    mqtt_version: Literal["3.1.1", "5"] = "5"
    session_expiry_s: int = 7 * 86_400
    receive_maximum: int | None = None
    """MQTT v5 flow control: unacknowledged messages the broker may send us at once (None: broker's)."""
    max_inflight: int | None = None
    """Our own publishes paho lets await a PUBACK (None: paho's default)."""
    connect_timeout_s: float | None = None
    manual_ack: bool = False
    """Acknowledge received QoS 1 messages only when the caller says so (after storing them)."""

    @property
    def v5(self) -> bool:
        """Whether the session speaks MQTT v5 (session expiry, receive maximum, shared subscriptions)."""
        return self.mqtt_version == "5"


def configure(client: mqtt.Client, broker: BrokerConfig) -> None:
    """Apply credentials, TLS and reconnect back-off; resolves the password (may raise ValueError)."""
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.resolve_password())
    if broker.tls is not None:
        t = broker.tls
        client.tls_set(
            ca_certs=str(t.ca_file) if t.ca_file else None,
            certfile=str(t.cert_file) if t.cert_file else None,
            keyfile=str(t.key_file) if t.key_file else None,
        )
        client.tls_insecure_set(t.insecure)
    client.reconnect_delay_set(max(1, round(broker.reconnect_min_s)), max(1, round(broker.reconnect_max_s)))


def build_client(broker: BrokerConfig, session: Session) -> mqtt.Client:
    """A VERSION2-callback client for a persistent session, configured for ``broker``."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=session.client_id,
        protocol=mqtt.MQTTv5 if session.v5 else mqtt.MQTTv311,
        clean_session=None if session.v5 else False,
        manual_ack=session.manual_ack,
    )
    configure(client, broker)
    if session.max_inflight is not None:
        client.max_inflight_messages_set(session.max_inflight)
    if session.connect_timeout_s is not None:
        client.connect_timeout = session.connect_timeout_s
    return client


def connect_async(client: mqtt.Client, broker: BrokerConfig, session: Session) -> None:
    """Start connecting without a clean start, so the broker keeps our session and what it queued."""
    props = None
    if session.v5:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = session.session_expiry_s
        if session.receive_maximum is not None:
            props.ReceiveMaximum = session.receive_maximum
    client.connect_async(
        broker.host,
        broker.port,
        broker.keepalive_s,
        clean_start=False if props is not None else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
        properties=props,
    )


@dataclass(frozen=True, slots=True)
class Handlers:
    """What a link does when paho calls back; paho's network thread runs these: park work, return."""

    connected: Callable[[mqtt.Client, bool], None]
    """``(client, session_present)``, only once the broker accepted us."""
    disconnected: Callable[[mqtt.ReasonCode], None]
    message: Callable[[mqtt.MQTTMessage], None]
    published: Callable[[int, bool], None] | None = None
    """``(mid, failed)`` for each PUBACK of our own QoS 1 publishes."""
    prepare: Callable[[mqtt.Client], None] | None = None
    """Runs on the new client before it connects (the agent sets its last will here)."""


def open_session(
    broker: BrokerConfig, session: Session, handlers: Handlers, name: str, logger: logging.Logger
) -> mqtt.Client:
    """Build, wire and start a client; it connects (and reconnects) in the background.

    Raises ValueError before any network traffic when the password cannot be resolved.
    """
    client = build_client(broker, session)
    wire_callbacks(client, handlers, name, logger)
    if handlers.prepare is not None:
        handlers.prepare(client)
    connect_async(client, broker, session)
    client.loop_start()
    return client


def wire_callbacks(client: mqtt.Client, handlers: Handlers, name: str, logger: logging.Logger) -> None:
    """Route paho's VERSION2 callbacks to ``handlers``, so no link reads CONNACK flags or reason codes.

    A refused CONNACK is logged to ``logger`` as ``<name> connect refused`` and is not a
    connection: a client that calls itself connected when refused is the trap this avoids.
    """

    def on_connect(
        c: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags, reason: mqtt.ReasonCode, props: object
    ) -> None:
        if reason.is_failure:
            logger.warning("%s connect refused reason=%s", name, reason)
            return
        handlers.connected(c, flags.session_present)

    def on_disconnect(
        c: mqtt.Client, userdata: object, flags: mqtt.DisconnectFlags, reason: mqtt.ReasonCode, props: object
    ) -> None:
        handlers.disconnected(reason)

    def on_message(c: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        handlers.message(msg)

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_message = on_message
    published = handlers.published
    if published is not None:

        def on_publish(c: mqtt.Client, userdata: object, mid: int, reason: mqtt.ReasonCode, props: object) -> None:
            published(mid, reason.is_failure)

        client.on_publish = on_publish
