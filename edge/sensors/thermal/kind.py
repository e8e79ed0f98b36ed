"""The thermal imager kind: what ``[thermals.<id>]`` sections become in the sensor service.

The imager owns its frame format ((H, W) uint16 centikelvin, ``reader.py``), its preprocessing
(hot spots and chips, ``hotspots.py``), its planning (no hot spot or unchanged hot spots: no
inference) and the way back to frame pixels (``unit.ChipMapping``). Tracker, rules, events and
evidence are the shared stages.
"""

from __future__ import annotations

from borderwatch.contract.common import SensorKind
from borderwatch.edge.sensor.kind import BuildContext, Built
from borderwatch.edge.sensors.thermal.config import ThermalConfig
from borderwatch.edge.sensors.thermal.reader import SourceFactory, ThermalReader
from borderwatch.edge.sensors.thermal.sources import open_source
from borderwatch.edge.sensors.thermal.unit import ThermalUnit


class ThermalKind:
    """Builds thermal imagers; ``source_factory`` opens their sources (tests feed memory)."""

    contract_kind = SensorKind.THERMAL

    def __init__(self, source_factory: SourceFactory = open_source) -> None:
        self.source_factory = source_factory

    def model_ref(self, cfg: ThermalConfig) -> str | None:
        """``model``: the chip classifier; None = hot spots are the detections."""
        return cfg.model

    def build(self, sensor_id: str, cfg: ThermalConfig, ctx: BuildContext) -> Built:
        """The imager's reader and its unit."""
        reader = ThermalReader(sensor_id, cfg, self.source_factory)
        return Built(reader, ThermalUnit(sensor_id, cfg, ctx), cfg.evidence)
