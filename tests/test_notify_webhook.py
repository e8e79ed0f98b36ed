"""Webhooks against a real local HTTP server that fails on purpose: retries with back-off, give-up,
no retry on a refusal, a full queue drops (counted) instead of blocking the engine."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from borderwatch.hub.alerts.engine import AlertChange
from borderwatch.hub.alerts.lifecycle import Reason
from borderwatch.hub.notify.config import WebhookConfig
from borderwatch.hub.notify.webhook import Webhook
from tests.support.alerts import made_alert
from tests.support.receiver import Receiver, receiving
from tests.support.waits import wait_until


@pytest.fixture
def receiver(request) -> Iterator[Receiver]:
    with receiving(request.param) as srv:
        yield srv


def change(state: str = "firing", reason: Reason = Reason.FIRED) -> AlertChange:
    return AlertChange(made_alert(state=state), None, reason)


def hook(url: str, **kw) -> Webhook:
    cfg = WebhookConfig.model_validate({"url": url, "backoff_s": 0.05, "backoff_max_s": 0.2, "timeout_s": 2, **kw})
    return Webhook(cfg, "hub-1").start()


@pytest.mark.parametrize("receiver", [[503, 500, 429]], indirect=True)
def test_retries_until_delivered(receiver: Receiver) -> None:
    w = hook(receiver.url, max_retries=5)
    w(change())
    wait_until(lambda: w.counts["sent"] == 1, 10, "delivery after three failures")
    w.stop()
    assert len(receiver.got) == 4 and dict(w.counts) == {"sent": 1, "retries": 3}
    gaps = [b[0] - a[0] for a, b in zip(receiver.got, receiver.got[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2  # 0.05, 0.1, then capped at 0.2
    assert receiver.got[0][1] == "application/json" and b'"reason": "fired"' in receiver.got[0][2]


@pytest.mark.parametrize("receiver", [[500] * 10], indirect=True)
def test_gives_up_after_max_retries(receiver: Receiver) -> None:
    w = hook(receiver.url, max_retries=2)
    w(change())
    wait_until(lambda: w.counts["failed"] == 1, 10, "give-up")
    w.stop()
    assert len(receiver.got) == 3 and w.counts["sent"] == 0


@pytest.mark.parametrize("receiver", [[400, 200]], indirect=True)
def test_a_refusal_is_not_retried_and_cap_is_sent_as_xml(receiver: Receiver) -> None:
    w = hook(receiver.url, max_retries=5, format="cap")
    w(change())
    w(change("resolved", Reason.RESOLVED))
    wait_until(lambda: w.counts["failed"] + w.counts["sent"] == 2, 10, "both handled")
    w.stop()
    assert (w.counts["failed"], w.counts["sent"], len(receiver.got)) == (1, 1, 2)
    assert receiver.got[1][1] == "application/cap+xml" and b"<msgType>Cancel</msgType>" in receiver.got[1][2]


def test_a_full_queue_drops_without_blocking() -> None:
    cfg = WebhookConfig.model_validate({"url": "http://127.0.0.1:9/", "queue_max": 2})
    w = Webhook(cfg, "hub-1")  # not started: nothing drains the queue
    t0 = time.monotonic()
    for _ in range(5):
        w(change())
    assert time.monotonic() - t0 < 0.5
    assert (w.pending(), w.counts["dropped"]) == (2, 3)
    assert "secret" not in str(
        Webhook(WebhookConfig.model_validate({"url": "http://u:secret@h/x?key=secret"}), "h").where
    )
