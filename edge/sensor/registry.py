"""The sensor kinds an agent knows: config section name -> (config model, kind factory).

An explicit table on purpose: adding a kind (``[thermals.*]``, ``[radars.*]``) is one line here and a
package of its own under ``edge/sensors/``; ``edge/agent.py`` and ``edge/config/agent.py`` read the
table and change no line. Tests plug in their own kinds with ``with_kind``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from borderwatch.edge.sensor.kind import Kind
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.kind import CameraKind
from borderwatch.edge.sensors.radar.config import RadarConfig
from borderwatch.edge.sensors.radar.kind import RadarKind
from borderwatch.edge.sensors.thermal.config import ThermalConfig
from borderwatch.edge.sensors.thermal.kind import ThermalKind


@dataclass(frozen=True, slots=True)
class KindEntry:
    """One sensor kind: how its config section is validated and how its sensors are built."""

    config: type[BaseModel]
    factory: Callable[[], Kind[Any]]
    description: str


Registry = Mapping[str, KindEntry]

REGISTRY: Registry = MappingProxyType(
    {
        "cameras": KindEntry(CameraConfig, CameraKind, "cameras by sensor id"),
        "thermals": KindEntry(ThermalConfig, ThermalKind, "thermal imagers by sensor id"),
        "radars": KindEntry(RadarConfig, RadarKind, "radars by sensor id"),
    }
)


def with_kind(registry: Registry, section: str, entry: KindEntry) -> Registry:
    """``registry`` plus one kind (a new table; the shipped one is never changed)."""
    if section in registry:
        raise ValueError(f"sensor section {section!r} is already registered")
    return MappingProxyType({**registry, section: entry})


def build_kinds(registry: Registry) -> dict[str, Kind[Any]]:
    """One kind object per section, as the sensor service takes them."""
    return {section: entry.factory() for section, entry in registry.items()}
