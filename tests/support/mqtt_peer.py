"""A plain paho client in tests: a third party, a misbehaving agent, or an eavesdropper on topics."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt


class Raw:
    """A plain paho client standing in for a third party (or a misbehaving agent)."""

    def __init__(self, port: int, subscribe: list[str] | None = None) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.on_message = lambda c, u, m: self._got(m)
        self.client.connect("127.0.0.1", port)
        for t in subscribe or []:
            self.client.subscribe(t, 1)
        self.client.loop_start()

    def _got(self, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(msg)

    def on(self, suffix: str) -> list[mqtt.MQTTMessage]:
        with self._lock:
            return [m for m in self.messages if m.topic.endswith(suffix)]

    def publish(self, t: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(t, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
