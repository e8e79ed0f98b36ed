"""Scenario files: the data a simulated site is made of (border, cameras, actors, terrain).

Why data and not code: the demo, the tests and the training-set generator all play the same
kind of scene, and an operator can write a new one in TOML without touching Python. Actor paths
are in metres east/north of the site origin (easy to author); the border and cameras are in
latitude/longitude because that is what the edge and hub are configured with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from borderwatch.contract.common import Ident

ActorClass = Literal["person", "vehicle", "animal"]
CLASSES: tuple[str, ...] = ("person", "vehicle", "animal")
# Faults the simulated camera applies to itself (faults.py) and those the eval runner does to processes.
CameraFaultKind = Literal["kill", "black", "uniform", "blur", "freeze", "shift"]
ProcessFaultKind = Literal["broker_restart", "agent_kill", "hub_down", "partition", "clock_skew"]
CAMERA_FAULTS: frozenset[str] = frozenset(CameraFaultKind.__args__)  # type: ignore[attr-defined]
PROCESS_FAULTS: frozenset[str] = frozenset(ProcessFaultKind.__args__)  # type: ignore[attr-defined]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class GeoPoint(_Model):
    """A WGS84 position in degrees."""

    lat: float = Field(default=0.0, ge=-89.0, le=89.0, description="latitude, degrees north")
    lon: float = Field(default=0.0, ge=-180.0, le=180.0, description="longitude, degrees east")


class CameraPose(_Model):
    """Where a camera stands and looks: the edge's ground projection uses exactly these fields.

    Pinhole, square pixels, principal point at the image centre, no roll, no distortion;
    focal length f = (width / 2) / tan(hfov / 2) pixels.
    """

    lat: float = Field(default=0.0, ge=-89.0, le=89.0, description="latitude of the camera, degrees")
    lon: float = Field(default=0.0, ge=-180.0, le=180.0, description="longitude of the camera, degrees")
    height_m: float = Field(default=8.0, gt=0.1, le=200.0, description="lens height above flat ground (z=0)")
    heading_deg: float = Field(default=0.0, ge=-360.0, le=360.0, description="optical axis azimuth, cw from north")
    tilt_deg: float = Field(default=8.0, ge=-30.0, le=89.0, description="depression below horizontal; + looks down")
    hfov_deg: float = Field(default=55.0, gt=1.0, lt=170.0, description="horizontal field of view")


class CameraSpec(_Model):
    """One simulated camera: its id, pose, resolution and frame rate."""

    id: Ident = Field(default="cam-1", description="camera id, also its sensor id on the agent")
    pose: CameraPose = Field(default_factory=CameraPose, description="position and orientation")
    width: int = Field(default=960, ge=64, le=4096, description="image width, pixels")
    height: int = Field(default=540, ge=64, le=4096, description="image height, pixels")
    fps: float = Field(default=10.0, gt=0.0, le=60.0, description="frames per second served")
    noise_sigma: float = Field(default=3.0, ge=0.0, le=50.0, description="sensor noise, grey levels (day)")
    jpeg_quality: int = Field(default=80, ge=10, le=100, description="MJPEG quality")
    illuminator_m: float | None = Field(
        default=None,
        ge=0.0,
        le=2000.0,
        description="night: distance at which the IR illuminator's light has halved (inverse square beyond it); "
        "0 = no illuminator (a visible-light camera sees the dark); unset = the whole scene lit",
    )


class ThermalSpec(_Model):
    """One simulated thermal imager (served as the Y16 network stream, docs/thermal-stream.md)."""

    id: str = Field(default="th-1", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    pose: CameraPose = Field(default_factory=CameraPose, description="position and orientation")
    width: int = Field(default=320, ge=32, le=1024, description="160, 320 or 640 for Lepton/Boson-like cores")
    height: int = Field(default=256, ge=24, le=1024, description="120, 256 or 512")
    fps: float = Field(default=9.0, gt=0.0, le=60.0, description="frames per second served")
    format: Literal["raw", "tlinear_0.01", "tlinear_0.1"] = Field(default="tlinear_0.01", description="Y16 format")
    noise_k: float = Field(default=0.05, ge=0.0, le=5.0, description="temporal noise, kelvin (NETD-like)")
    fixed_pattern_k: float = Field(default=0.15, ge=0.0, le=5.0, description="fixed-pattern noise, kelvin")
    ffc_every_s: float = Field(default=60.0, ge=0.0, le=3600.0, description="flat-field freeze period; 0 = never")
    ffc_frames: int = Field(default=3, ge=0, le=100, description="frames repeated during a flat-field freeze")


class BorderSpec(_Model):
    """The border line; inbound_side is the protected territory seen walking from point 0 to point 1."""

    points: list[tuple[float, float]] = Field(
        default_factory=lambda: [(0.0, -0.001), (0.0, 0.001)],
        min_length=2,
        max_length=1000,
        description="polyline vertices as (lat, lon) degrees",
    )
    inbound_side: Literal["left", "right"] = Field(default="right", description="side of the protected land")


class WaterSpec(_Model):
    """A river or lake, a (lat, lon) polygon: a person inside is in distress (ground truth), and the
    site's thermal imagers watch it as a water zone (their rescue-priority rule).
    """

    name: Ident = Field(default="river", description="zone name in the agent's config")
    points: list[tuple[float, float]] = Field(min_length=3, max_length=500, description="(lat, lon) degrees")


class ActorSpec(_Model):
    """Something that moves: a person (or a group of `count` people), a vehicle or an animal."""

    id: Ident = Field(default="a1", description="actor id in the ground truth")
    cls: ActorClass = Field(default="person", alias="class", description="person, vehicle or animal")
    waypoints: list[tuple[float, float]] = Field(
        default_factory=lambda: [(0.0, 0.0), (10.0, 0.0)],
        min_length=2,
        max_length=500,
        description="path as (east_m, north_m) from the site origin",
    )
    speed_mps: float = Field(default=1.4, gt=0.0, le=60.0, description="ground speed along the path")
    start_s: float = Field(default=0.0, ge=0.0, le=86_400.0, description="scenario time it appears at waypoint 0")
    count: int = Field(default=1, ge=1, le=50, description="group size; members walk side by side")
    spacing_m: float = Field(default=1.2, ge=0.3, le=20.0, description="distance between group members")
    height_m: float | None = Field(default=None, gt=0.1, le=10.0, description="override the class height")
    width_m: float | None = Field(default=None, gt=0.05, le=10.0, description="override the class width")
    length_m: float | None = Field(default=None, gt=0.05, le=30.0, description="override the class length")
    temp_c: float | None = Field(default=None, ge=-50.0, le=150.0, description="surface temperature (thermal)")
    rcs_m2: float | None = Field(default=None, gt=0.0, le=1000.0, description="radar cross-section")
    color: tuple[int, int, int] | None = Field(default=None, description="main BGR colour; random if unset")


class RoadSpec(_Model):
    """A road or track drawn on the ground texture."""

    points: list[tuple[float, float]] = Field(
        default_factory=lambda: [(-200.0, 0.0), (200.0, 0.0)],
        min_length=2,
        max_length=500,
        description="centre line as (east_m, north_m) from the site origin",
    )
    width_m: float = Field(default=5.0, gt=0.5, le=50.0, description="road width")


class WarmSpotSpec(_Model):
    """A warm patch of ground a thermal imager sees and no camera picks out: a rock that kept the day's heat, a
    puddle of warm water, a spot where an engine stood. No actor, so no truth: a track or alert on it is false."""

    at: tuple[float, float] = Field(description="centre as (east_m, north_m) from the site origin")
    radius_m: float = Field(default=0.4, gt=0.05, le=5.0, description="radius on the ground")
    delta_k: float = Field(default=8.0, ge=0.5, le=60.0, description="kelvin above the ground around it")
    from_s: float = Field(default=0.0, ge=0.0, le=86_400.0, description="scenario time it appears (0: always)")


class TerrainSpec(_Model):
    """Ground look: palette, roads, bushes and border posts (visual context only, flat ground), and warm spots
    (thermal clutter)."""

    style: Literal["grass", "dry", "sand", "snow"] = Field(default="grass", description="ground palette")
    roads: list[RoadSpec] = Field(default_factory=list, max_length=20, description="roads and tracks")
    bushes: int = Field(default=60, ge=0, le=2000, description="bushes scattered over the ground")
    border_posts_every_m: float = Field(default=6.0, ge=0.0, le=100.0, description="0 = no posts")
    extent_m: float = Field(default=400.0, ge=50.0, le=5000.0, description="half-size of the textured ground")
    warm_spots: list[WarmSpotSpec] = Field(
        default_factory=list, max_length=500, description="thermal clutter: warm patches only imagers see"
    )


class SensorSpec(_Model):
    """A sensor given as a coverage sector: a radar (the site serves it as ASTERIX over UDP,
    ``simulators/site.py``, so it is scored) or a thermal imager kept as ground truth only.

    Why a sector: a scenario written for such a sensor (a person in distress by a river at night, a
    crossing beyond camera range) carries its truth, and the eval table lists what no simulator serves
    as not yet scoreable instead of forgetting it. Coverage: within range_m and fov_deg around heading_deg.
    """

    id: str = Field(default="thermal-1", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["thermal", "radar"] = Field(default="thermal")
    lat: float = Field(default=0.0, ge=-89.0, le=89.0)
    lon: float = Field(default=0.0, ge=-180.0, le=180.0)
    heading_deg: float = Field(default=0.0, ge=-360.0, le=360.0, description="sector centre, cw from north")
    fov_deg: float = Field(default=90.0, gt=0.0, le=360.0, description="sector width")
    range_m: float = Field(default=1000.0, gt=0.0, le=50_000.0, description="detection range")


class FaultSpec(_Model):
    """A fault injected at scenario time at_s for duration_s.

    Camera faults (target = camera id) are played by the simulated site; process faults (broker_restart,
    agent_kill, hub_down; partition: the agent's link to the broker carries nothing; clock_skew: the agent's
    clock is offset_s off from its start; target unused) by the eval runner. Only kill and the frame faults
    are expected to raise an alert (sensor-offline, camera-tamper); the scorer counts any other tamper or
    offline alert false.
    """

    at_s: float = Field(ge=0.0, le=86_400.0)
    kind: CameraFaultKind | ProcessFaultKind
    target: str = Field(default="", max_length=64, description="camera id (camera faults)")
    duration_s: float = Field(default=10.0, gt=0.0, le=86_400.0)
    offset_s: float = Field(default=0.0, ge=-86_400.0, le=86_400.0, description="clock_skew: agent clock - true")

    @model_validator(mode="after")
    def _offset(self) -> FaultSpec:
        if (self.kind == "clock_skew") != (self.offset_s != 0.0):
            raise ValueError("offset_s is set (non-zero) for clock_skew faults and only for them")
        if self.kind == "clock_skew" and self.at_s != 0.0:
            raise ValueError("clock_skew is the agent's clock from its start: at_s = 0, duration_s = the run")
        return self


class EvalSpec(_Model):
    """How `make eval` plays the scenario."""

    speed: float = Field(default=1.0, ge=0.25, le=4.0, description="scenario seconds per wall second")
    ci: bool = Field(default=False, description="part of the short set CI runs")


class Scenario(_Model):
    """A whole simulated site: everything the world, the renderers and the ground truth need."""

    name: str = Field(default="custom", min_length=1, max_length=64)
    site: Ident = Field(default="west-1", description="site id the demo agents publish under")
    origin: GeoPoint = Field(default_factory=GeoPoint, description="site origin; actor paths are relative to it")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="all randomness derives from it")
    duration_s: float = Field(default=150.0, gt=0.0, le=86_400.0, description="length of the play")
    lighting: Literal["day", "night"] = Field(default="day", description="day colour or night IR grey")
    border: BorderSpec = Field(default_factory=BorderSpec)
    cameras: list[CameraSpec] = Field(default_factory=list, max_length=32)
    thermals: list[ThermalSpec] = Field(default_factory=list, max_length=32, description="thermal imagers")
    actors: list[ActorSpec] = Field(default_factory=list, max_length=500)
    terrain: TerrainSpec = Field(default_factory=TerrainSpec)
    weather: Literal["clear", "fog", "rain"] = Field(default="clear", description="camera image weather")
    visibility_m: float = Field(default=120.0, gt=5.0, le=10_000.0, description="fog: contrast halves at ~0.2x")
    sensors: list[SensorSpec] = Field(default_factory=list, max_length=32, description="thermal/radar (truth)")
    water: list[WaterSpec] = Field(default_factory=list, max_length=32, description="rivers and lakes")
    faults: list[FaultSpec] = Field(default_factory=list, max_length=100)
    eval: EvalSpec = Field(default_factory=EvalSpec)

    @model_validator(mode="after")
    def _unique_ids(self) -> Scenario:
        sensors = [c.id for c in self.cameras] + [t.id for t in self.thermals] + [s.id for s in self.sensors]
        for what, ids in (("sensors", sensors), ("actors", [a.id for a in self.actors])):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise ValueError(f"{what}: duplicate id(s) {', '.join(dup)}")
        cams = {c.id for c in self.cameras}
        for f in self.faults:
            if f.kind in CAMERA_FAULTS and f.target not in cams:
                raise ValueError(f"fault {f.kind} at {f.at_s:g} s: target {f.target!r} is not a camera of the scenario")
        return self

    def camera(self, camera_id: str) -> CameraSpec:
        """The camera with this id; KeyError names the ones that exist."""
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        raise KeyError(f"no camera {camera_id!r} in scenario {self.name!r}: {[c.id for c in self.cameras]}")


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A preset by name, or a TOML file (ConfigError with one readable paragraph if it is bad)."""
    from borderwatch.simulators.presets import PRESETS

    if str(name_or_path) in PRESETS:
        return PRESETS[str(name_or_path)]()
    from borderwatch.runtime.configfile import load_config

    return load_config(Path(name_or_path), Scenario)
