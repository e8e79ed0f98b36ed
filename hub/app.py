"""The hub process: ingest service, alert engine and API wired together.

The ingest worker calls the alert engine after the events are durably stored, so an alert can
always be traced to stored evidence; the API runs in the main thread under uvicorn.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from borderwatch.contract import Alert, Channel, Event, topic
from borderwatch.hub.agents import AgentRegistry
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.alerts.store import SqliteAlertStore
from borderwatch.hub.api.context import HubContext
from borderwatch.hub.api.tokens import TokenStore
from borderwatch.hub.config import HubConfig, load_hub_config
from borderwatch.hub.evidence import EvidenceIngest, EvidenceStore
from borderwatch.hub.ingest.gc_tuning import tune_gc
from borderwatch.hub.service import HubService
from borderwatch.hub.store import open_store
from borderwatch.runtime.signals import stop_on_signals

log = logging.getLogger("borderwatch.hub")
SHUTDOWN_GRACE_S = 3
"""Seconds the API waits for open requests and connections when the hub stops."""


class _NoQuery:
    """Event queries for stores without a query side (InfluxDB: use Grafana or Flux)."""

    def events(self, **_: Any) -> list:
        return []

    def counts_by_sensor(self) -> list:
        return []


class Hub:
    """Owns the hub's parts and their order of starting and stopping."""

    def __init__(self, cfg: HubConfig) -> None:
        self.cfg = cfg
        self.store = open_store(cfg.store)
        self.alert_store = SqliteAlertStore(cfg.alerts.db_path)
        self.tokens = TokenStore(cfg.alerts.db_path)  # `borderwatch hub token` writes the same table
        self.registry = AgentRegistry()
        self.engine = AlertEngine(cfg.alerts, self.alert_store, [self._publish_alert])
        self.evidence = EvidenceIngest(EvidenceStore(cfg.evidence)) if cfg.evidence.enabled else None
        self.service = HubService(
            cfg.broker,
            cfg.delivery,
            self.store,
            on_events=self._on_events,
            on_status=self.registry.on_status,
            on_telemetry=self.registry.on_telemetry,
            on_evidence=self.evidence.offer if self.evidence else None,
        )

    def _on_events(self, events: list[Event]) -> None:
        self.engine.handle(events)
        if self.evidence is not None:
            self.evidence.note_events(events)

    def _publish_alert(self, alert: Alert, is_new: bool) -> None:
        payload = alert.model_dump_json(by_alias=True, exclude_none=True)
        self.service.publish(topic(alert.site, self.cfg.hub_id, Channel.ALERTS), payload, qos=1)

    def context(self) -> HubContext:
        query = self.store if hasattr(self.store, "counts_by_sensor") else _NoQuery()
        evidence = self.evidence.store if self.evidence else None
        return HubContext(self.cfg.hub_id, self.alert_store, query, self.registry, self.stats, evidence, self.tokens)  # type: ignore[arg-type]

    def stats(self) -> dict[str, Any]:
        out = {**self.service.stats(), "alerts_raised": self.engine.raised}
        if self.evidence is not None:
            out["evidence"] = self.evidence.stats()
        return out

    def start(self) -> None:
        if self.evidence is not None:
            self.evidence.start()
        self.service.start()

    def stop(self) -> None:
        self.service.stop()
        if self.evidence is not None:
            self.evidence.stop()
            self.evidence.store.close()
        self.store.close()
        self.alert_store.close()
        self.tokens.close()
        log.info("hub stopped stats=%s", self.stats())


def _serve_api(hub: Hub, stop: threading.Event) -> None:
    import uvicorn

    from borderwatch.hub.api.app import create_app

    api = hub.cfg.api
    tls = {"ssl_certfile": str(api.ssl_certfile), "ssl_keyfile": str(api.ssl_keyfile)} if api.tls else {}
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(hub.context(), api),
            host=api.host,
            port=api.port,
            log_level="warning",
            lifespan="off",
            # an idle keep-alive TLS connection otherwise holds the shutdown until the client goes
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
            **tls,
        )
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    threading.Thread(target=lambda: (stop.wait(), setattr(server, "should_exit", True)), daemon=True).start()
    scheme = "https" if api.tls else "http"
    active = sum(t.revoked_at is None for t in hub.tokens.list())
    log.info("api listening url=%s://%s:%d/docs tokens=%d", scheme, api.host, api.port, active)
    if not active:
        log.warning("api has no active token: only /health answers; `borderwatch hub token create --role ...`")
    server.run()


def run_hub(config_path: Path) -> int:
    cfg = load_hub_config(config_path)
    stop = stop_on_signals()
    hub = Hub(cfg)
    tune_gc()  # after start-up objects exist: decoding a batch must not trigger full collections
    hub.start()
    try:
        if cfg.api.enabled:
            _serve_api(hub, stop)
        stop.wait()
    finally:
        hub.stop()
    return 0
