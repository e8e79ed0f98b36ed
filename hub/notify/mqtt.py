"""Active alerts kept retained on MQTT, one topic per alert: ``bw/v1/<site>/<hub_id>/alerts/<alert_id>``.

Why retained per alert: a consumer that connects late (a neighbouring centre's dashboard, Node-RED)
gets every active alert at once from the broker, without asking the hub. When an alert resolves,
an empty retained message clears its topic, so what is retained is exactly what is active. This
is state, not paging: silenced alerts stay listed (with ``silenced: true``); pending ones are not.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from borderwatch.contract import AlertState, Channel, topic
from borderwatch.hub.alerts.engine import AlertChange
from borderwatch.hub.alerts.lifecycle import Reason

log = logging.getLogger("borderwatch.hub.notify")

Publish = Callable[..., bool]
"""``publish(topic, payload, qos=1, retain=True) -> bool`` (False: the MQTT client refused it; while
the broker is away the client queues it and sends it on reconnect)."""

_STATE_CHANGES = frozenset({Reason.FIRED, Reason.UPGRADED, Reason.CROSSED, Reason.ACKNOWLEDGED, Reason.SILENCED,
                            Reason.RESOLVED, Reason.AUTO_RESOLVED})  # fmt: skip
_ACTIVE = (AlertState.FIRING, AlertState.ACKNOWLEDGED)


def alert_topic(site: str, hub_id: str, alert_id: str) -> str:
    """The retained topic of one alert."""
    return topic(site, hub_id, Channel.ALERTS, alert_id)


class RetainedAlerts:
    """An engine watcher: publishes the alert's state on changes that alter it, clears it on resolve."""

    def __init__(self, publish: Publish, hub_id: str) -> None:
        self._publish, self._hub_id = publish, hub_id
        self.counts: Counter[str] = Counter()

    def __call__(self, change: AlertChange) -> None:
        a = change.alert
        if change.reason not in _STATE_CHANGES:
            return
        if a.state in _ACTIVE:
            payload: bytes = a.model_dump_json(by_alias=True, exclude_none=True).encode()
        elif a.state is AlertState.RESOLVED and change.previous in _ACTIVE:
            payload = b""  # clears the retained message
        else:
            return
        ok = self._publish(alert_topic(a.site, self._hub_id, a.id), payload, qos=1, retain=True)
        self.counts["published" if ok else "publish_failed"] += 1
        if not ok:
            log.warning("alert state not published (refused by the MQTT client) id=%s state=%s", a.id, a.state.value)
