"""Webhooks: each paging alert change POSTed to an HTTP endpoint, retried with exponential back-off.

Why a thread and a bounded queue per endpoint: the engine calls notifiers under its lock, so a
slow or dead endpoint must never hold it; :meth:`Webhook.offer` only enqueues (or counts a drop
when the queue is full) and the sender thread does the waiting. Connection errors, timeouts, 408,
429 and 5xx are retried up to ``max_retries`` times (waits ``backoff_s``, doubling, capped at
``backoff_max_s``); any other 4xx is the receiver refusing the message, so it is not retried.
Every outcome is counted (``counts``) and failures are logged.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import Counter

import httpx

from borderwatch.hub.alerts.engine import AlertChange
from borderwatch.hub.notify.cap import to_cap
from borderwatch.hub.notify.config import WebhookConfig
from borderwatch.runtime.backoff import backoff_s

log = logging.getLogger("borderwatch.hub.notify")
_RETRYABLE = frozenset({408, 429})


def body_of(change: AlertChange, fmt: str, sender: str, hub_id: str) -> tuple[bytes, str]:
    """(payload, content type) of one change in the webhook's format."""
    if fmt == "cap":
        return to_cap(change.alert, sender, hub_id), "application/cap+xml"
    alert = json.loads(change.alert.model_dump_json(by_alias=True, exclude_none=True))
    prev = change.previous.value if change.previous else None
    doc = {"reason": change.reason.value, "previous": prev, "hub_id": hub_id, "alert": alert}
    return json.dumps(doc).encode(), "application/json"


class Webhook:
    """One endpoint's sender thread; a notifier hook (``webhook(change)``)."""

    def __init__(self, cfg: WebhookConfig, hub_id: str, sender: str = "borderwatch@hub") -> None:
        self.cfg, self._hub_id, self._sender = cfg, hub_id, sender
        self._queue: queue.Queue[AlertChange] = queue.Queue(cfg.queue_max)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.counts: Counter[str] = Counter()
        self.retrying = False  # a change failed and waits for its next attempt
        self._url = str(cfg.url)
        self.where = httpx.URL(self._url).copy_with(username=None, password=None, query=None)  # never log secrets

    def __call__(self, change: AlertChange) -> None:
        """Enqueue without waiting; a full queue drops the change (counted and logged)."""
        try:
            self._queue.put_nowait(change)
        except queue.Full:
            self.counts["dropped"] += 1
            log.warning("webhook queue full, change dropped url=%s alert=%s", self.where, change.alert.id)

    def start(self) -> Webhook:
        """Start the sender thread (the hub does it at start-up, before ingest)."""
        self._thread = threading.Thread(target=self._run, name=f"hub-webhook-{self.where.host}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current attempt; what is still queued is counted as dropped."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        left = self._queue.qsize()
        if left:
            self.counts["dropped"] += left
            log.warning("webhook stopped with changes unsent url=%s left=%d", self.where, left)

    def pending(self) -> int:
        """Changes waiting to be sent."""
        return self._queue.qsize()

    def _run(self) -> None:
        headers = {"User-Agent": "borderwatch-hub"}
        if self.cfg.token_header:
            headers["Authorization"] = self.cfg.token_header
        with httpx.Client(timeout=self.cfg.timeout_s, headers=headers) as client:
            while not self._stop.is_set():
                try:
                    change = self._queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                self._deliver(client, change)

    def _deliver(self, client: httpx.Client, change: AlertChange) -> None:
        try:
            self._attempts(client, change)
        finally:
            self.retrying = False

    def _attempts(self, client: httpx.Client, change: AlertChange) -> None:
        body, ctype = body_of(change, self.cfg.format, self._sender, self._hub_id)
        for attempt in range(self.cfg.max_retries + 1):
            if attempt and self._stop.wait(backoff_s(attempt - 1, self.cfg.backoff_s, self.cfg.backoff_max_s)):
                self.counts["failed"] += 1
                return
            why = self._post(client, body, ctype)
            if why is None:
                self.counts["sent"] += 1
                return
            if why.startswith("refused"):
                break
            if attempt < self.cfg.max_retries:
                self.counts["retries"] += 1
                self.retrying = True
            log.info("webhook attempt failed url=%s alert=%s attempt=%d why=%s", self.where, change.alert.id,
                     attempt + 1, why)  # fmt: skip
        self.counts["failed"] += 1
        log.warning("webhook gave up url=%s alert=%s reason=%s why=%s", self.where, change.alert.id,
                    change.reason.value, why)  # fmt: skip

    def _post(self, client: httpx.Client, body: bytes, ctype: str) -> str | None:
        """None when delivered; else why not (``refused ...`` = do not retry)."""
        try:
            r = client.post(self._url, content=body, headers={"Content-Type": ctype})
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}"
        if r.is_success:
            return None
        if r.status_code < 500 and r.status_code not in _RETRYABLE:
            return f"refused HTTP {r.status_code}"
        return f"HTTP {r.status_code}"
