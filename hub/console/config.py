"""The ``[console]`` section of the hub config: the site plan the console draws.

Coordinates only (WGS-84 degrees), drawn as vector graphics in the browser: no tile server, no
internet. Each site lists its masts with their sensors' field of view and range, and the border
line; the console projects them onto a local flat frame around the site.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from borderwatch.contract import SensorKind
from borderwatch.contract.common import Ident

LatLon = tuple[float, float]


def _check_on_earth(points: list[LatLon], what: str) -> None:
    for i, (lat, lon) in enumerate(points):
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"{what}[{i}] = ({lat}, {lon}) is not a [lat, lon] pair on earth")


class SensorCoverage(BaseModel):
    """What one sensor of a mast sees: a wedge from the mast, ``heading_deg`` ± ``fov_deg``/2."""

    model_config = ConfigDict(extra="forbid")

    id: Ident
    kind: SensorKind
    heading_deg: float = Field(ge=0, lt=360, description="centre of the view, degrees clockwise from north")
    fov_deg: float = Field(gt=0, le=360, description="horizontal field of view (360 = all round)")
    range_m: float = Field(gt=0, le=50_000, description="how far it detects a person")


class Mast(BaseModel):
    """One mast (one agent) and its sensors."""

    model_config = ConfigDict(extra="forbid")

    agent: Ident
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    sensors: list[SensorCoverage] = Field(default_factory=list, max_length=16)

    @model_validator(mode="after")
    def _unique_sensors(self) -> Mast:
        ids = [s.id for s in self.sensors]
        if len(ids) != len(set(ids)):
            raise ValueError(f"mast {self.agent}: sensor ids repeat ({ids})")
        return self


class SitePlan(BaseModel):
    """One site: masts and the border line ([[lat, lon], ...], an open polyline)."""

    model_config = ConfigDict(extra="forbid")

    name: Ident
    masts: list[Mast] = Field(default_factory=list, max_length=500)
    border: list[LatLon] = Field(default_factory=list, max_length=2000, description="[[lat, lon], ...]")

    @model_validator(mode="after")
    def _valid(self) -> SitePlan:
        _check_on_earth(self.border, f"site {self.name} border")
        if len(self.border) == 1:
            raise ValueError(f"site {self.name}: a border line needs at least two points")
        agents = [m.agent for m in self.masts]
        if len(agents) != len(set(agents)):
            raise ValueError(f"site {self.name}: mast agents repeat")
        return self


class ConsoleConfig(BaseModel):
    """The web console at ``/console/`` (needs ``[api]`` enabled; log-in with a hub token)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="serve the console at /console/")
    title: str = Field(default="borderwatch console", min_length=1, max_length=80)
    target_ttl_s: float = Field(default=30.0, gt=0, le=3600, description="a live target fades after this silence")
    sites: list[SitePlan] = Field(default_factory=list, max_length=64)

    @model_validator(mode="after")
    def _unique_sites(self) -> ConsoleConfig:
        names = [s.name for s in self.sites]
        if len(names) != len(set(names)):
            raise ValueError(f"console site names repeat ({names})")
        return self
