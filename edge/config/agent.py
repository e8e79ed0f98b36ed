"""The agent's config root: one file per mast computer, validated before anything starts.

The sensor sections (``[cameras.<id>]`` today) come from the sensor registry
(``edge/sensor/registry.py``): ``agent_config_model`` adds one field per registered kind, so a new
kind needs no line here, and unknown sections or keys are still refused with their path named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from borderwatch.contract.common import Ident
from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.sensor.registry import REGISTRY, Registry
from borderwatch.runtime.broker import BrokerConfig
from borderwatch.runtime.configfile import load_config

MAX_SENSORS_PER_KIND = 32


class AgentSettings(BaseModel):
    """Everything one agent needs but its sensors; every section has defaults except what identifies the mast."""

    model_config = ConfigDict(extra="forbid")
    registry: ClassVar[Registry] = REGISTRY

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

    @model_validator(mode="after")
    def _has_sensors(self) -> AgentSettings:
        if not any(self.sensor_sections().values()):
            sections = " or ".join(f"[{name}.<id>]" for name in self.registry)
            raise ValueError(f"no sensors configured: add at least one {sections} section")
        return self

    @model_validator(mode="after")
    def _broker_identity_names_this_mast(self) -> AgentSettings:
        # The shipped Mosquitto ACL pins both topic levels to the user name (`SITE/AGENT`); any other
        # name would connect and then have every publish silently denied.
        expected = f"{self.site}/{self.agent}"
        if self.broker.username is not None and self.broker.username != expected:
            raise ValueError(
                f"broker.username = {self.broker.username!r}: must be {expected!r} (site/agent), the identity "
                "the broker's ACL lets publish under this mast's topics"
            )
        return self

    def sensor_sections(self) -> dict[str, dict[str, BaseModel]]:
        """The sensors by section and id (``{"cameras": {"cam-1": CameraConfig}}``)."""
        return {name: dict(getattr(self, name)) for name in self.registry}

    def sensor_ids(self) -> list[str]:
        """Every sensor id, section by section."""
        return [sid for section in self.sensor_sections().values() for sid in section]

    @property
    def outbox_path(self) -> Path:
        """Fixed under ``state_dir`` so the outbox survives restarts and the doctor's disk check covers it."""
        return self.state_dir / "outbox.sqlite3"


def agent_config_model(registry: Registry) -> type[AgentSettings]:
    """The config root for ``registry``: the agent's settings plus one ``dict[id, config]`` field per kind."""
    sections: dict[str, Any] = {
        name: (
            dict[Ident, entry.config],
            Field(default_factory=dict, max_length=MAX_SENSORS_PER_KIND, description=entry.description),
        )
        for name, entry in registry.items()
    }
    model = create_model("AgentConfig", __base__=AgentSettings, __doc__=AgentSettings.__doc__, **sections)
    model.registry = registry
    return model


AgentConfig = agent_config_model(REGISTRY)


def load_agent_config(path: str | Path, registry: Registry = REGISTRY) -> AgentSettings:
    """Read and validate an agent config file (ConfigError with one readable paragraph if bad)."""
    model = AgentConfig if registry is REGISTRY else agent_config_model(registry)
    return load_config(path, model)
