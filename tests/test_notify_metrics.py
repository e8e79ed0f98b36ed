"""``/metrics`` counts what notification did: webhook deliveries per endpoint (sent, failed after
its retries, retries) and retained alert state publishes, from a whole hub on a real broker and two real HTTP
receivers, one of them failing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.hub.api.metrics import notify_families, render
from borderwatch.hub.api.tokens import Role
from borderwatch.hub.app import Hub
from borderwatch.hub.config import HubConfig
from borderwatch.runtime.configfile import parse_config
from tests.support.alerts import event
from tests.support.api import client_as
from tests.support.broker import Mosquitto
from tests.support.hub import local_hub_sections
from tests.support.receiver import Receiver, receiving
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    with receiving([]) as good, receiving([503] * 100) as bad:
        yield good, bad


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text (labels in the order the hub writes them)."""
    lab = ",".join(f'{k}="{v}"' for k, v in labels.items())
    key = f"{name}{{{lab}}}" if lab else name
    (line,) = [ln for ln in text.splitlines() if ln.startswith(key + " ")]
    return float(line.rsplit(" ", 1)[1])


def test_webhook_and_retained_publish_counts(tmp_path: Path, receivers, mosquitto: Mosquitto) -> None:
    good, bad = receivers
    hooks = [{"url": good.url}, {"url": bad.url, "max_retries": 2, "backoff_s": 0.05, "backoff_max_s": 0.1}]
    sections = local_hub_sections(tmp_path / "hub", mosquitto.port)
    cfg = parse_config(sections | {"api": {"enabled": False}, "notify": {"mqtt_retained": True, "webhooks": hooks}},
                       HubConfig)  # fmt: skip
    h = Hub(cfg)
    h.start()
    try:
        assert h.service.wait_connected(10)
        now = datetime.now(UTC)
        (fired,) = h.engine.handle([event(0, "radar", "rad1", ts=now), event(0, "camera", "cam1", ts=now)])
        good_url, bad_url = (str(w.where) for w in h.webhooks)
        viewer = client_as(h.context(), Role.VIEWER)

        def scrape() -> str:
            r = viewer.get("/metrics")
            assert r.status_code == 200
            return r.text

        deliveries = "borderwatch_webhook_deliveries_total"
        wait_until(lambda: sample(scrape(), deliveries, url=bad_url, outcome="failed") == 1, 20, "the bad hook gave up")
        text = scrape()
        assert sample(text, deliveries, url=good_url, outcome="sent") == 1
        assert sample(text, deliveries, url=good_url, outcome="failed") == 0
        assert sample(text, deliveries, url=bad_url, outcome="sent") == 0
        assert sample(text, "borderwatch_webhook_retries_total", url=bad_url) == 2
        assert sample(text, "borderwatch_webhook_retrying", url=bad_url) == 0
        assert len(bad.got) == 3 and len(good.got) == 1
        assert sample(text, "borderwatch_alert_state_publishes_total", outcome="published") == 1
        assert sample(text, "borderwatch_alert_state_publishes_total", outcome="failed") == 0

        mosquitto.stop()  # paho queues the clearing publish for the reconnect: published, not failed
        wait_until(lambda: not h.service.stats()["connected"], 20, "the hub sees the broker gone")
        h.engine.act(fired.id, "resolve", "op")
        assert sample(scrape(), "borderwatch_alert_state_publishes_total", outcome="published") == 2
    finally:
        h.stop()


def test_refused_publishes_and_dropped_changes_are_rendered() -> None:
    stats = {"alerts_mqtt": {"published": 4, "publish_failed": 2},
             "webhooks": {"http://x/h": {"sent": 1, "dropped": 3, "pending": 5, "retrying": 1}}}  # fmt: skip
    text = render(notify_families(stats))
    assert sample(text, "borderwatch_alert_state_publishes_total", outcome="failed") == 2
    assert sample(text, "borderwatch_webhook_deliveries_total", url="http://x/h", outcome="dropped") == 3
    assert sample(text, "borderwatch_webhook_deliveries_total", url="http://x/h", outcome="failed") == 0
    assert sample(text, "borderwatch_webhook_pending", url="http://x/h") == 5
    assert sample(text, "borderwatch_webhook_retrying", url="http://x/h") == 1
    assert render(notify_families({})) == "\n"  # no webhooks, no retained state: no families
