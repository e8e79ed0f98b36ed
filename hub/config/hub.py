"""The hub's config root: broker, store, delivery, alerts, evidence and API sections."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from borderwatch.contract.common import Ident
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.api.config import ApiConfig
from borderwatch.hub.config.state import SqliteStateConfig, StateConfig
from borderwatch.hub.console.config import ConsoleConfig
from borderwatch.hub.delivery.config import DeliveryConfig
from borderwatch.hub.evidence.config import EvidenceConfig
from borderwatch.hub.ingest.config import IngestConfig
from borderwatch.hub.notify.config import NotifyConfig
from borderwatch.hub.store.config import SqliteStoreConfig, StoreConfig
from borderwatch.runtime.broker import BrokerConfig
from borderwatch.runtime.configfile import load_config


class HubConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hub_id: Ident = Field(default="hub", description="names this hub in alert topics and logs")
    broker: BrokerConfig = Field(default_factory=BrokerConfig, description="MQTT broker the agents publish to")
    store: StoreConfig = Field(default_factory=SqliteStoreConfig, description="time-series store (type = ...)")
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig, description="consumer, ledger, replay")
    ingest: IngestConfig = Field(default_factory=IngestConfig, description="admitted agents, clock skew, poison")
    alerts: AlertsConfig = Field(default_factory=AlertsConfig, description="alert rules and store")
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig, description="agents' JPEG snapshots")
    api: ApiConfig = Field(default_factory=ApiConfig, description="HTTP API")
    console: ConsoleConfig = Field(default_factory=ConsoleConfig, description="web console and its site plan")
    notify: NotifyConfig = Field(default_factory=NotifyConfig, description="retained MQTT alerts, webhooks, CAP")
    state: StateConfig = Field(default_factory=SqliteStateConfig, description="alert state and ledger (type = ...)")

    @model_validator(mode="after")
    def _fleet_shares_events(self) -> HubConfig:
        if self.state.type == "postgres" and self.delivery.shared_group and self.store.type == "sqlite":
            raise ValueError('several hubs (state.type = "postgres" with delivery.shared_group) need a shared '
                             'event store: store.type = "influxdb" (InfluxDB or VictoriaMetrics)')  # fmt: skip
        return self


def load_hub_config(path: str | Path) -> HubConfig:
    """Read and validate a hub config file (ConfigError with one readable paragraph if bad)."""
    return load_config(path, HubConfig)
