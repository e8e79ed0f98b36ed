"""Camera configuration: one ``CameraConfig`` per ``[cameras.<id>]`` section of the agent config.

What is the camera's own: source and capture pacing, watchdog, pose or homography, motion gating, which
model and how it sees the frame, masks, tamper checks. The settings every sensor kind shares (tracker,
events, evidence, rules) are imported from ``edge/config/``. Every value is bounded here so a typo or an
absurd number is refused at start, never at 3 a.m. on a mast. Validation does no I/O (model files and
streams are probed when the service starts).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from borderwatch.contract.common import ObjectClass
from borderwatch.edge.config.detector import COCO_CLASS_MAP
from borderwatch.edge.config.events import EventsConfig
from borderwatch.edge.config.evidence import EvidenceConfig
from borderwatch.edge.config.pose import HomographyConfig, PoseConfig
from borderwatch.edge.config.rules import ClassFilter, LineConfig, MaskConfig, ZoneConfig, default_filters
from borderwatch.edge.config.settings import Settings
from borderwatch.edge.config.tracker import TrackerConfig
from borderwatch.edge.config.watchdog import WatchdogConfig


class MotionConfig(Settings):
    """Cheap change detection that decides whether (and where) the model must look."""

    enabled: bool = Field(True, description="false = run the model on every frame, full frame")
    width: int = Field(
        320, ge=32, le=1280, description="width of the downscaled luma image motion runs on (distant people!)"
    )
    threshold: int = Field(15, ge=1, le=255, description="luma difference that counts as changed")
    hazy_threshold: int = Field(
        5,
        ge=1,
        le=255,
        description="the same while the picture is hazy (detection.defog's test): fog at 150 m visibility "
        "keeps a third of a person's contrast 40 m out (Koschmieder), so a third of threshold",
    )
    alpha: float = Field(0.05, gt=0, le=1, description="background learning rate per frame")
    min_area_frac: float = Field(0.0001, ge=0, le=0.5, description="smallest motion blob, fraction of frame")
    max_changed_frac: float = Field(
        0.5, gt=0, le=1, description="more changed than this = global change: recalibrate, inspect all"
    )
    absorb_frames: int = Field(
        25, ge=1, le=100_000, description="a pixel changed this many frames in a row becomes background"
    )
    max_regions: int = Field(
        4,
        ge=1,
        le=32,
        description="more model inputs than this (crops, the tiles of crops too long for the model, and their "
        "overviews) = one full-frame pass, unless fewer than that pass's own inputs",
    )
    crop: bool = Field(True, description="run the model on model-sized crops around motion, not the frame")
    stationary_recheck_s: float = Field(
        5.0, ge=0.2, le=3600, description="re-verify stationary tracks this often without motion"
    )

    @model_validator(mode="after")
    def _haze_lowers_the_threshold(self) -> MotionConfig:
        """Haze fades contrast, so the hazy threshold exists to count smaller changes: one above ``threshold``
        would hide faded walkers exactly when they need it most (e.g. ``threshold`` lowered under the hazy default).
        """
        if self.hazy_threshold > self.threshold:
            raise ValueError(
                f"motion.hazy_threshold ({self.hazy_threshold}) must be <= motion.threshold ({self.threshold}): "
                "lower it too"
            )
        return self


class DetectionConfig(Settings):
    """Which model a camera uses and how its labels map to contract classes."""

    model: str | None = Field(
        None,
        max_length=512,
        description="model name in models/manifest.json or a path to an .onnx; None = motion blobs",
    )
    class_map: dict[str, ObjectClass] = Field(
        default_factory=lambda: dict(COCO_CLASS_MAP),
        description="model label -> contract class; labels not listed are dropped",
        max_length=1000,
    )
    whole_frame: Literal["auto", "letterbox", "tiles"] = Field(
        "auto",
        description=(
            "how the model sees the whole frame (motion off, scene changes, start-up): one letterboxed input, or "
            "overlapping native-resolution tiles plus that input (small, distant objects); auto = tiles when "
            "letterboxing would shrink the frame more than 2x"
        ),
    )
    defog: Literal["auto", "on", "off"] = Field(
        "auto",
        description="local contrast (CLAHE) on what the model sees: auto = only while the picture is hazy (fog), "
        "judged by its dark channel every 2 s; motion and tamper checks always see the camera's own picture "
        "(while it is hazy, in any mode, motion counts from motion.hazy_threshold)",
    )
    tile_overlap: float = Field(0.2, ge=0.05, le=0.5, description="overlap of neighbouring tiles (fraction of a tile)")
    max_tiles: int = Field(8, ge=2, le=32, description="most tiles per frame; larger tiles (scaled down) beyond that")
    blob_class: ObjectClass = Field(ObjectClass.UNKNOWN, description="class given to model-free motion blobs")
    blob_min_area_frac: float = Field(
        0.0002, ge=0, le=0.5, description="smallest motion blob reported as a detection (fallback)"
    )


class TamperConfig(Settings):
    """Obstruction, blinding, repositioning and focus loss."""

    enabled: bool = Field(True, description="false = no tamper checks")
    uniform_std: float = Field(6.0, ge=0, le=128, description="luma std below this = uniform (covered) frame")
    dark_mean: float = Field(12.0, ge=0, le=255, description="luma mean below this = black frame")
    defocus_ratio: float = Field(0.25, gt=0, lt=1, description="sharpness below ratio x baseline = defocus")
    min_correlation: float = Field(
        0.4,
        ge=-1,
        lt=1,
        description="correlation with the reference scene below this = camera turned/blocked",
    )
    persist_s: float = Field(2.0, ge=0, le=600, description="a condition must hold this long to raise")
    interval_s: float = Field(1.0, ge=0, le=60, description="check at most this often (conditions persist)")


class CameraConfig(Settings):
    """One camera: source, capture, geometry, detection, rules, tracking, events and evidence."""

    url: str | int = Field(
        0,
        description="rtsp://, http(s):// (MJPEG), file path / file:// URL, or a device index",
        repr=False,
    )
    fps: float = Field(5.0, gt=0, le=120, description="frames per second taken into the pipeline")
    loop: bool = Field(False, description="files only: start again at the end")
    realtime: bool = Field(True, description="files only: play at the file's frame rate like a live camera")
    queue_size: int = Field(2, ge=1, le=64, description="frames buffered between capture and pipeline")
    watchdog: WatchdogConfig = Field(default_factory=WatchdogConfig, description="stall and reconnect")
    pose: PoseConfig | None = Field(None, description="mounting pose for ground projection")
    homography: HomographyConfig | None = Field(None, description="calibration; wins over the pose")
    motion: MotionConfig = Field(default_factory=MotionConfig, description="motion gating")
    detection: DetectionConfig = Field(default_factory=DetectionConfig, description="model and classes")
    filters: dict[ObjectClass, ClassFilter] = Field(
        default_factory=default_filters,
        description="per-class score/area/aspect filters (merged over the defaults)",
        max_length=16,
    )
    masks: list[MaskConfig] = Field(default_factory=list, max_length=64, description="ignored areas")
    zones: list[ZoneConfig] = Field(default_factory=list, max_length=64, description="watched areas")
    lines: list[LineConfig] = Field(default_factory=list, max_length=64, description="virtual lines")
    tracker: TrackerConfig = Field(default_factory=TrackerConfig, description="tracker parameters")
    events: EventsConfig = Field(default_factory=EventsConfig, description="update throttling")
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig, description="snapshots")
    tamper: TamperConfig = Field(default_factory=TamperConfig, description="tamper detection")

    @field_validator("filters", mode="after")
    @classmethod
    def _filters_over_defaults(cls, value: dict[ObjectClass, ClassFilter]) -> dict[ObjectClass, ClassFilter]:
        """Setting the person filter must not silently drop the defaults of the other classes."""
        return {**default_filters(), **value}

    @model_validator(mode="after")
    def _geo_rules_need_geometry(self) -> CameraConfig:
        geo = [r.name for r in (*self.lines, *self.zones) if r.coords == "geo"]
        if geo and self.pose is None and self.homography is None:
            raise ValueError(f"rules {geo} use geo coordinates but the camera has neither pose nor homography")
        names = [r.name for r in (*self.lines, *self.zones)]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"zone/line names must be unique per camera, repeated: {dupes}")
        if isinstance(self.url, int) and self.url < 0:
            raise ValueError("url: a device index must be >= 0")
        if isinstance(self.url, str) and not self.url.strip():
            raise ValueError("url: must not be empty")
        return self
