"""The hub process: ingest service, alert engine and API wired together.

The ingest worker calls the alert engine after the events are durably stored, so an alert can
always be traced to stored evidence; a ticker thread drives the alerts' time-driven transitions
(debounce, for-duration, auto-resolve, re-notify); the API runs in the main thread under
uvicorn. SIGHUP re-reads the alert rules from the config file.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
from pathlib import Path
from typing import Any

from borderwatch.contract import AgentStatus, Event, EventKind, Telemetry
from borderwatch.hub.agents import AgentRegistry
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.engine import AlertChange, AlertEngine
from borderwatch.hub.alerts.store import PostgresAlertStore, SqlAlertStore, SqliteAlertStore
from borderwatch.hub.api.broadcast import Broadcaster
from borderwatch.hub.api.context import HubContext
from borderwatch.hub.api.metrics import collect, render
from borderwatch.hub.api.tokens import open_tokens
from borderwatch.hub.config import HubConfig, load_hub_config
from borderwatch.hub.delivery.persist import LedgerFile
from borderwatch.hub.evidence import EvidenceIngest, EvidenceStore
from borderwatch.hub.ingest.config import IngestConfig
from borderwatch.hub.ingest.gc_tuning import tune_gc
from borderwatch.hub.notify.mqtt import RetainedAlerts
from borderwatch.hub.notify.webhook import Webhook
from borderwatch.hub.service import HubService
from borderwatch.hub.sqldb import open_postgres
from borderwatch.hub.store import SqliteStoreConfig, open_store
from borderwatch.runtime.configfile import ConfigError
from borderwatch.runtime.signals import stop_on_signals

log = logging.getLogger("borderwatch.hub")
_TRACK_KINDS = frozenset({EventKind.TRACK_NEW, EventKind.TRACK_UPDATE, EventKind.TRACK_END})
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

    def __init__(self, cfg: HubConfig, config_path: Path | None = None) -> None:
        self.cfg = cfg
        self.config_path = config_path
        self.store = open_store(cfg.store, cfg.state)
        self.alert_store, ledger = _open_state(cfg)
        self.tokens = open_tokens(cfg.state, cfg.alerts.db_path)  # `borderwatch hub token` writes the same table
        self.registry = AgentRegistry()
        self.live = Broadcaster()
        self.engine = AlertEngine(cfg.alerts, self.alert_store, watchers=[self._stream_alert])
        self._ticking = threading.Event()
        self._ticker: threading.Thread | None = None
        self.evidence = EvidenceIngest(EvidenceStore(cfg.evidence)) if cfg.evidence.enabled else None
        self.service = HubService(
            cfg.broker,
            cfg.delivery,
            self.store,
            on_events=self._on_events,
            on_status=self._on_status,
            on_telemetry=self._on_telemetry,
            on_evidence=self.evidence.offer if self.evidence else None,
            ledger=ledger,
            ingest=effective_ingest(cfg),
        )
        self.retained = RetainedAlerts(self.service.publish, cfg.hub_id) if cfg.notify.mqtt_retained else None
        if self.retained is not None:
            self.engine.add_watcher(self.retained)
        self.webhooks = [Webhook(w, cfg.hub_id, cfg.notify.cap_sender) for w in cfg.notify.webhooks]
        for hook in self.webhooks:
            self.engine.add_notifier(hook)

    def _on_events(self, events: list[Event]) -> None:
        self.engine.handle(events)
        if self.evidence is not None:
            self.evidence.note_events(events)
        for ev in events:
            if ev.position is not None and ev.kind in _TRACK_KINDS:
                self.live.publish("track", ev.model_dump_json(by_alias=True, exclude_none=True))

    def _on_status(self, status: AgentStatus) -> None:
        self.registry.on_status(status)
        self.engine.on_status(status)
        self.live.publish("agent", status.model_dump_json(exclude_none=True))

    def _on_telemetry(self, telemetry: Telemetry) -> None:
        self.registry.on_telemetry(telemetry)
        self.engine.on_telemetry(telemetry)
        self.live.publish("agent", telemetry.model_dump_json(exclude_none=True))

    def _stream_alert(self, change: AlertChange) -> None:
        body = change.alert.model_dump_json(by_alias=True, exclude_none=True)
        prev = f'"{change.previous.value}"' if change.previous else "null"
        self.live.publish("alert", f'{{"reason":"{change.reason.value}","previous":{prev},"alert":{body}}}')

    def reload_rules(self, who: str) -> AlertsConfig:
        """Re-read ``[alerts]`` from the config file; ConfigError (old rules kept) if it does not validate."""
        if self.config_path is None:
            raise ConfigError("this hub was not started from a config file")
        cfg = load_hub_config(self.config_path).alerts
        if cfg.db_path != self.cfg.alerts.db_path:
            log.warning("alerts.db_path changed in the config: takes effect at the next start")
        self.engine.reload(cfg, who)
        return cfg

    def context(self) -> HubContext:
        """What the API routers need, built from the running parts."""
        query = self.store if hasattr(self.store, "counts_by_sensor") else _NoQuery()
        evidence = self.evidence.store if self.evidence else None
        scrape = self.cfg.api.metrics_token_file
        digest = hashlib.sha256(scrape.read_text().strip().encode()).hexdigest() if scrape else None
        return HubContext(self.cfg.hub_id, self.alert_store, query, self.registry, self.stats, evidence, self.tokens,  # type: ignore[arg-type]
                          self.engine, self.live, self.reload_rules, self.metrics, digest,
                          self.cfg.notify.cap_sender)  # fmt: skip

    def metrics(self) -> str:
        """The Prometheus text of this hub (ingest, delivery per agent, alerts, stream)."""
        counts = self.alert_store.counts().counts
        return render(collect(self.stats(), counts, dict(self.engine.counts), self.live.clients()))

    def stats(self) -> dict[str, Any]:
        """Ingest counters and alerts raised (for /api/v1/stats and the stop log line)."""
        out = {**self.service.stats(), "alerts_raised": self.engine.raised}
        if self.evidence is not None:
            out["evidence"] = self.evidence.stats()
        if self.retained is not None:
            out["alerts_mqtt"] = dict(self.retained.counts)
        if self.webhooks:
            out["webhooks"] = {str(w.where): {**w.counts, "pending": w.pending(), "retrying": int(w.retrying)}
                               for w in self.webhooks}  # fmt: skip
        return out

    def start(self) -> None:
        """Start evidence intake, ingest and the alert ticker."""
        if self.evidence is not None:
            self.evidence.start()
        for hook in self.webhooks:
            hook.start()
        self.service.start()
        self._ticker = threading.Thread(target=self._tick, name="hub-alert-ticker", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._ticking.wait(self.engine.config.lifecycle.tick_s):
            try:
                self.engine.tick()
            except Exception:  # the next tick tries again; alerting must outlive one bad tick
                log.exception("alert tick failed")

    def stop(self) -> None:
        """Stop in reverse order, writing the alerts' last evidence before the stores close."""
        self._ticking.set()
        if self._ticker is not None:
            self._ticker.join(5)
        self.service.stop()
        self.engine.flush()
        for hook in self.webhooks:
            hook.stop()
        if self.evidence is not None:
            self.evidence.stop()
            self.evidence.store.close()
        self.store.close()
        self.alert_store.close()
        self.tokens.close()
        log.info("hub stopped stats=%s", self.stats())


def _open_state(cfg: HubConfig) -> tuple[SqlAlertStore, LedgerFile | None]:
    """The alert store and, on PostgreSQL, the shared ledger (None: the service opens its SQLite file)."""
    st = cfg.state
    if st.type == "postgres":
        log.info("shared state on postgres schema=%s", st.schema_name)
        return PostgresAlertStore(st.dsn, st.schema_name), LedgerFile.on(open_postgres(st.dsn, st.schema_name))
    return SqliteAlertStore(cfg.alerts.db_path), None


def effective_ingest(cfg: HubConfig) -> IngestConfig:
    """The ingest settings with the event age capped by the SQLite store's own events retention:
    an event the store would delete at once is refused instead (too_old)."""
    days = cfg.store.retention.events_days if isinstance(cfg.store, SqliteStoreConfig) else 0.0
    if 0 < days < cfg.ingest.max_event_age_days:
        return cfg.ingest.model_copy(update={"max_event_age_days": days})
    return cfg.ingest


def _serve_api(hub: Hub, stop: threading.Event) -> None:
    import uvicorn

    from borderwatch.hub.api.app import create_app

    api = hub.cfg.api
    tls = {"ssl_certfile": str(api.ssl_certfile), "ssl_keyfile": str(api.ssl_keyfile)} if api.tls else {}
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(hub.context(), api, hub.cfg.console),
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


def _reload_on_sighup(hub: Hub) -> None:
    """SIGHUP re-reads the rules (in a thread: the handler must not wait for the engine's lock)."""

    def reload() -> None:
        try:
            hub.reload_rules("SIGHUP")
        except ConfigError as exc:
            log.error("alert rules reload refused, old rules kept: %s", exc)

    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=reload, name="hub-reload").start())


def run_hub(config_path: Path) -> int:
    """Run the hub from a config file until SIGINT/SIGTERM; SIGHUP reloads the alert rules."""
    cfg = load_hub_config(config_path)
    stop = stop_on_signals()
    hub = Hub(cfg, config_path)
    _reload_on_sighup(hub)
    tune_gc()  # after start-up objects exist: decoding a batch must not trigger full collections
    hub.start()
    try:
        if cfg.api.enabled:
            _serve_api(hub, stop)
        stop.wait()
    finally:
        hub.stop()
    return 0
