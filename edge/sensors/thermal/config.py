"""Thermal imager configuration: one ``ThermalConfig`` per ``[thermals.<id>]`` section of the agent config.

What is the imager's own: the source (network Y16 stream or a UVC device), its radiometric format,
bad-frame checks, the hot-spot thresholds and size gates, the classifier, and the people-in-distress
rule. Shared settings (watchdog pacing, pose, tracker, events, evidence, zones and
lines) are embedded as fields. Every value is bounded; validation does no I/O.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from borderwatch.contract.common import ObjectClass
from borderwatch.edge.config.events import EventsConfig
from borderwatch.edge.config.evidence import EvidenceConfig
from borderwatch.edge.config.pose import PoseConfig
from borderwatch.edge.config.rules import LineConfig, MaskConfig, ZoneConfig
from borderwatch.edge.config.settings import Settings
from borderwatch.edge.config.tracker import TrackerConfig
from borderwatch.edge.config.watchdog import WatchdogConfig

Format = Literal["raw", "tlinear_0.01", "tlinear_0.1"]
THERMAL_CLASS_MAP: dict[str, ObjectClass] = {
    "person": ObjectClass.PERSON,
    "vehicle": ObjectClass.VEHICLE,
    "animal": ObjectClass.ANIMAL,
}
"""The thermal classifier's labels -> contract classes; ``clutter`` is not listed, so it is dropped."""


class RadiometryConfig(Settings):
    """How 16-bit counts become temperatures (the stream header's format wins for network sources)."""

    format: Format = Field("tlinear_0.01", description="raw counts, or TLinear with 0.01 K / 0.1 K per count")
    raw_gain_k: float = Field(0.01, gt=0, le=10, description="raw format only: kelvin per count")
    raw_offset_k: float = Field(0.0, ge=-1000, le=1000, description="raw format only: kelvin at count 0")


class BadFrameConfig(Settings):
    """Which frames are refused (counted and skipped) before the pipeline sees them."""

    saturated_frac: float = Field(0.25, gt=0, le=1, description="more pixels at 0 or 65535 than this = saturated")
    skip_frozen: bool = Field(True, description="a frame identical to the previous one (flat-field freeze)")
    skip_counter_jumps: bool = Field(True, description="a frame whose counter is not the previous one + 1")


class HotspotConfig(Settings):
    """Hot spots: warmer than the running background and inside absolute bounds, then size gates."""

    delta_k: float = Field(3.0, gt=0, le=100, description="kelvin above the pixel's background")
    min_c: float = Field(20.0, ge=-50, le=1000, description="colder hot spots are ignored")
    max_c: float = Field(150.0, ge=-50, le=2000, description="hotter hot spots are ignored (fires, sun glint)")
    alpha: float = Field(0.02, gt=0, le=1, description="background learning rate per frame (hot spots masked)")
    background_every: int = Field(
        4, ge=1, le=100, description="frames between background updates (the rate per frame stays ``alpha``)"
    )
    warmup_frames: int = Field(3, ge=1, le=1000, description="frames that only learn the background")
    min_pixels: int = Field(3, ge=1, le=100_000, description="smaller blobs are noise at any range")
    min_size_m: float = Field(0.3, gt=0, le=100, description="with a pose: smallest object extent, metres")
    max_size_m: float = Field(8.0, gt=0, le=200, description="with a pose: largest object extent, metres")
    max_blobs: int = Field(32, ge=1, le=256, description="most hot spots classified per frame (largest first)")
    recheck_s: float = Field(2.0, ge=0.1, le=3600, description="unchanged hot spots are re-classified this often")

    @model_validator(mode="after")
    def _ordered(self) -> HotspotConfig:
        if self.max_c <= self.min_c or self.max_size_m <= self.min_size_m:
            raise ValueError("hotspots: max_c must exceed min_c and max_size_m must exceed min_size_m")
        return self


class DistressConfig(Settings):
    """People in distress: immobile for ``immobile_s``, or inside a water zone, get rescue priority."""

    enabled: bool = Field(True, description="false = never flag distress")
    immobile_s: float = Field(120.0, gt=0, le=86_400, description="a person still this long may need rescue")
    water_zones: list[ZoneConfig] = Field(default_factory=list, max_length=64, description="rivers, lakes")


THERMAL_TRACKER = TrackerConfig(association="distance", max_cost=1.5, min_hits=2)
"""An imager's tracker: centre distance in box heights, not box overlap. A distant person is a hot spot a
pixel or two wide at 320 px, and a group's spots merge and split as its members pass each other, so
tracks associated by IoU break up more (tests/test_thermal_tracking.py). On the demo's imager
(bench/bench_thermal_tracks.py, border-crossing's th-1 rendered offline, shipped classifier) IoU gave
IDF1 0.89 and 3 identity switches, distance 0.94 and 1, with the same seven crossings."""


class ThermalConfig(Settings):
    """One thermal imager: source, radiometry, checks, hot spots, classifier, geometry, rules, distress."""

    url: str | int = Field(
        "tcp://127.0.0.1:8701",
        description="tcp://host:port (the Y16 network stream, docs/thermal-stream.md) or a UVC device index",
        repr=False,
    )
    fps: float = Field(9.0, gt=0, le=120, description="frames per second taken into the pipeline")
    queue_size: int = Field(2, ge=1, le=64, description="frames buffered between reader and pipeline")
    watchdog: WatchdogConfig = Field(default_factory=WatchdogConfig, description="stall and reconnect")
    radiometry: RadiometryConfig = Field(default_factory=RadiometryConfig, description="counts -> kelvin")
    bad_frames: BadFrameConfig = Field(default_factory=BadFrameConfig, description="refused frames")
    hotspots: HotspotConfig = Field(default_factory=HotspotConfig, description="hot-spot extraction")
    model: str | None = Field(
        None, max_length=512, description="thermal chip classifier (manifest name or .onnx); None = hot spots only"
    )
    class_map: dict[str, ObjectClass] = Field(
        default_factory=lambda: dict(THERMAL_CLASS_MAP), max_length=100, description="model label -> class"
    )
    blob_class: ObjectClass = Field(ObjectClass.UNKNOWN, description="class of hot spots when there is no model")
    pose: PoseConfig | None = Field(None, description="mounting pose: range gates and latitude/longitude")
    zones: list[ZoneConfig] = Field(default_factory=list, max_length=64, description="watched areas")
    lines: list[LineConfig] = Field(default_factory=list, max_length=64, description="virtual lines")
    masks: list[MaskConfig] = Field(
        default_factory=list,
        max_length=64,
        description="image areas whose hot spots are ignored (a chimney, a warm outlet, clutter that keeps coming "
        "back): those standing inside, by the bottom centre of their box",
    )
    distress: DistressConfig = Field(default_factory=DistressConfig, description="rescue priority")
    tracker: TrackerConfig = Field(
        default_factory=lambda: THERMAL_TRACKER, description="tracker parameters (defaults: THERMAL_TRACKER)"
    )
    events: EventsConfig = Field(default_factory=EventsConfig, description="update throttling")
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig, description="false-colour snapshots")

    @model_validator(mode="after")
    def _consistent(self) -> ThermalConfig:
        geo = [r.name for r in (*self.lines, *self.zones, *self.distress.water_zones) if r.coords == "geo"]
        if geo and self.pose is None:
            raise ValueError(f"rules {geo} use geo coordinates but the imager has no pose")
        motion = [k for k, m in enumerate(self.masks) if m.applies_to == "motion"]
        if motion:
            raise ValueError(
                f"masks {motion}: a thermal imager has no motion gate; a mask hides hot spots (objects or both)"
            )
        if isinstance(self.url, int) and self.url < 0:
            raise ValueError("url: a device index must be >= 0")
        if isinstance(self.url, str) and not self.url.startswith("tcp://"):
            raise ValueError("url: tcp://host:port, or a UVC device index")
        return self
