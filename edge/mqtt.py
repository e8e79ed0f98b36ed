"""paho-mqtt client set-up for the agent: protocol, persistent session, credentials, TLS.

Kept apart from the link's logic so the link reads as delivery rules, not client plumbing.
The hub has its twin in ``hub.link`` (the edge imports nothing from the hub but the contract).
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from borderwatch.edge.config.link import LinkConfig
from borderwatch.runtime.broker import BrokerConfig


def build_client(client_id: str, broker: BrokerConfig, cfg: LinkConfig) -> mqtt.Client:
    """A VERSION2-callback client with a persistent session under a stable id."""
    v5 = cfg.mqtt_version == "5"
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        clean_session=None if v5 else False,
    )
    broker.configure(client)
    client.max_inflight_messages_set(cfg.max_inflight_batches + 16)
    client.connect_timeout = cfg.connect_timeout_s
    return client


def connect_async(client: mqtt.Client, broker: BrokerConfig, cfg: LinkConfig) -> None:
    """Start connecting without a clean start, so the broker keeps our session and queued commands."""
    props = None
    if cfg.mqtt_version == "5":
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = cfg.session_expiry_s
    client.connect_async(
        broker.host,
        broker.port,
        broker.keepalive_s,
        clean_start=False if props is not None else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
        properties=props,
    )
