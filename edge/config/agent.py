"""The agent's config root: one file per mast computer, validated before anything starts."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from borderwatch.contract.common import Ident
from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.runtime.broker import BrokerConfig
from borderwatch.runtime.configfile import load_config


class AgentConfig(BaseModel):
    """Everything one agent needs; every section has defaults except what identifies the mast."""

    model_config = ConfigDict(extra="forbid")

    site: Ident = Field(description="site (border section) this mast belongs to; a topic level")
    agent: Ident = Field(description="this mast's agent id, unique within the site; a topic level")
    state_dir: Path = Field(
        default=Path("var/agent"), description="outbox and evidence live here; must survive reboots"
    )
    telemetry_interval_s: float = Field(
        default=15.0, ge=1, le=3600, description="how often health counters are published"
    )
    broker: BrokerConfig = Field(default_factory=BrokerConfig, description="MQTT broker of the hub")
    link: LinkConfig = Field(default_factory=LinkConfig, description="batching and re-sending")
    outbox: OutboxConfig = Field(default_factory=OutboxConfig, description="disk-backed outbox bounds")
    detector: DetectorConfig = Field(default_factory=DetectorConfig, description="ONNX runtime settings")
    cameras: dict[Ident, CameraConfig] = Field(default_factory=dict, max_length=32, description="cameras by sensor id")

    @model_validator(mode="after")
    def _has_sensors(self) -> AgentConfig:
        if not self.cameras:
            raise ValueError("no sensors configured: add at least one [cameras.<id>] section")
        return self

    @property
    def outbox_path(self) -> Path:
        return self.state_dir / "outbox.sqlite3"


def load_agent_config(path: str | Path) -> AgentConfig:
    """Read and validate an agent config file (ConfigError with one readable paragraph if bad)."""
    return load_config(path, AgentConfig)
