"""The demo's and the eval runner's window on the hub's alerts: one MQTT subscriber of the alert topic.

Why a class of its own: both need the same connection (the hub's credentials, every site's retained
alert topic, a cleared retained message ignored) and differ only in what they do with an alert.
"""

from __future__ import annotations

import logging
from pathlib import Path

import paho.mqtt.client as mqtt

from borderwatch.contract import Channel
from borderwatch.contract.topics import subscription

log = logging.getLogger("borderwatch.deploy.alerts")


class AlertFeed:
    """Subscribes to every hub's alert topic on a local broker; ``on_alert`` gets each payload.

    Subclasses override ``on_alert``; it runs on paho's network thread, so it must be short.
    """

    def __init__(self, port: int, user: str, secret: Path, client_id: str) -> None:
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self._client.username_pw_set(user, secret.read_text(encoding="utf-8").strip())
        self._client.on_connect = lambda c, *_: c.subscribe(subscription(Channel.ALERTS), qos=1)
        self._client.on_message = self._on_message
        self._client.connect_async("127.0.0.1", port)
        self._client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if msg.payload:  # an empty payload is a resolved alert's retained message being cleared
            self.on_alert(msg.topic, msg.payload)

    def on_alert(self, topic: str, payload: bytes) -> None:
        """One published alert (JSON of the contract's Alert)."""

    def stop(self) -> None:
        """Disconnect; alerts published after this are not seen."""
        self._client.loop_stop()
        self._client.disconnect()
