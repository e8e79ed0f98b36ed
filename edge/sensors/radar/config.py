"""``[radars.<id>]``: one radar's link, mounting pose, processing and the shared tracker/event settings.

Every value is bounded; nothing here does I/O. A serial radar names its ``device`` (a real tty or the
simulator's pseudo-terminal) and ``baud``; an ASTERIX radar the UDP ``listen_host``/``listen_port``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from borderwatch.edge.config.events import EventsConfig
from borderwatch.edge.config.rules import LineConfig
from borderwatch.edge.config.settings import Settings

Protocol = Literal["nmea", "ti", "asterix"]
BAUDS = (4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


class RadarPose(Settings):
    """Where the antenna is and where its boresight points (events get lat/lon from this)."""

    lat: float = Field(0.0, ge=-90, le=90, description="antenna latitude, WGS-84 degrees")
    lon: float = Field(0.0, ge=-180, le=180, description="antenna longitude, WGS-84 degrees")
    heading_deg: float = Field(0.0, ge=0, lt=360, description="boresight azimuth, clockwise from north")


class LinkConfig(Settings):
    """Link supervision: silence, garbage (a wrong baud rate), reconnect pacing."""

    offline_after_s: float = Field(3.0, ge=0.1, le=3600, description="no valid data this long = sensor_offline")
    garbage_after_s: float = Field(
        5.0, ge=0.5, le=3600, description="bytes but no valid frame this long = suspect a wrong baud rate"
    )
    backoff_initial_s: float = Field(0.5, ge=0.05, le=60, description="first wait before reopening the port")
    backoff_max_s: float = Field(30.0, ge=0.1, le=3600, description="cap of the doubling reopen wait")
    batch_s: float = Field(0.5, ge=0.01, le=10, description="NMEA: sentences received within this long form one frame")


class CfarConfig(Settings):
    """CFAR on the TI range-Doppler heat map: either checking the board's points (those without a CFAR
    hit in their range bin are dropped) or making the points from the map alone."""

    enabled: bool = Field(False, description="run our own CFAR on the heat map")
    points: Literal["device", "heatmap"] = Field(
        "device", description="device: check the board's points; heatmap: the points are the map's CFAR peaks"
    )
    method: Literal["ca", "os"] = Field("ca", description="cell averaging, or ordered statistic along range")
    pfa: float = Field(1e-4, gt=0, lt=0.5, description="false-alarm probability per cell")
    guard: tuple[int, int] = Field((2, 2), description="guard cells per side (range, Doppler)")
    train: tuple[int, int] = Field((8, 4), description="training cells per side (range, Doppler)")
    doppler_bins: int = Field(16, ge=1, le=1024, description="Doppler bins of the heat map (the device's config)")
    range_bin_m: float = Field(0.1, gt=0, le=1000, description="metres per range bin (the device's config)")
    doppler_bin_mps: float = Field(0.1, gt=0, le=100, description="m/s per Doppler bin (the device's config)")
    antennas: int = Field(8, ge=2, le=64, description="virtual azimuth antennas in the azimuth TLV (device config)")

    @model_validator(mode="after")
    def _cells(self) -> CfarConfig:
        if min(self.guard) < 0 or min(self.train) < 1 or max(self.guard + self.train) > 64:
            raise ValueError("guard cells must be 0..64 and training cells 1..64 per side")
        return self


class RadarTrackerConfig(Settings):
    """The shared point tracker, as a radar uses it: metric constant velocity, gating, M-of-N."""

    gate_m: float = Field(25.0, gt=0, le=5000, description="detections farther than this from a track never match")
    confirm_m: int = Field(3, ge=1, le=50, description="M: hits needed ...")
    confirm_n: int = Field(5, ge=1, le=50, description="... within the first N scans to confirm a track")
    max_coast_s: float = Field(5.0, gt=0, le=600, description="a confirmed track coasts unseen this long, then ends")
    measurement_std_m: float = Field(5.0, gt=0, le=1000, description="plot position noise")
    acceleration_std: float = Field(1.0, gt=0, le=100, description="process noise, m/s^2")
    cluster_m: float = Field(3.0, ge=0, le=500, description="plots closer than this form one target (0 = off)")

    @model_validator(mode="after")
    def _m_of_n(self) -> RadarTrackerConfig:
        if self.confirm_m > self.confirm_n:
            raise ValueError(f"confirm_m ({self.confirm_m}) must not exceed confirm_n ({self.confirm_n})")
        return self


class RadarConfig(Settings):
    """One radar."""

    protocol: Protocol = Field(description="nmea (ARPA TTM/TLL), ti (mmWave UART TLV), asterix (CAT-048 over UDP)")
    device: str | None = Field(None, max_length=256, description="serial device path (nmea, ti)")
    baud: int | None = Field(None, description="serial speed; default 4800 nmea, 921600 ti")
    listen_host: str = Field("0.0.0.0", max_length=255, description="asterix: UDP address to listen on")
    listen_port: int = Field(8600, ge=1, le=65535, description="asterix: UDP port to listen on")
    pose: RadarPose = Field(default_factory=RadarPose, description="antenna position and boresight")
    noise_dbm: float = Field(
        -100.0, ge=-200, le=0, description="asterix: receiver noise floor; a plot's SNR = I048/130 PAM - this"
    )
    max_range_m: float = Field(20_000.0, gt=0, le=200_000, description="plots beyond this are dropped")
    queue_size: int = Field(16, ge=1, le=1024, description="frames waiting for the worker (drop-oldest)")
    link: LinkConfig = Field(default_factory=LinkConfig, description="link supervision")
    cfar: CfarConfig = Field(default_factory=CfarConfig, description="CFAR on the TI heat map")
    tracker: RadarTrackerConfig = Field(default_factory=RadarTrackerConfig, description="the point tracker")
    events: EventsConfig = Field(default_factory=EventsConfig, description="the shared event settings")
    model: str | None = Field(
        None, max_length=256, description="track classifier (manifest name or .onnx); none = class unknown"
    )
    lines: list[LineConfig] = Field(
        default_factory=list, max_length=32, description="geo lines (the border): crossings become events"
    )

    @model_validator(mode="after")
    def _link(self) -> RadarConfig:
        if self.protocol != "asterix" and not self.device:
            raise ValueError(f"a {self.protocol} radar needs a serial device")
        if self.baud is not None and self.baud not in BAUDS:
            raise ValueError(f"baud {self.baud} is not one of {BAUDS}")
        image = [line.name for line in self.lines if line.coords != "geo"]
        if image:
            raise ValueError(f"radar lines must have coords = 'geo' (a radar has no image): {image}")
        return self

    @property
    def serial_baud(self) -> int:
        """The configured speed, or the protocol's usual one."""
        return self.baud or (921_600 if self.protocol == "ti" else 4800)
