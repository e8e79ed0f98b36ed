"""What every radar parser hands on: one plot or track per record, in SI units and degrees, and the
link counters a framer keeps.

One record type for all protocols on purpose: the tracker, the events and ``borderwatch radar
decode`` read the same fields whatever the radar spoke, and a field a protocol does not carry stays
``None`` (never a made-up zero).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

RecordKind = Literal["plot", "track", "own"]

NM_M = 1852.0  # metres per nautical mile (international definition)
KNOT_MPS = NM_M / 3600.0


@dataclass(frozen=True, slots=True)
class RadarRecord:
    """A plot (one detection), a track (the radar's own tracker), or own-position data (``own``).

    Ranges in metres, bearings in degrees clockwise (from north when ``bearing_true``, else from the
    radar's boresight/bow), speeds in m/s, courses in degrees, lat/lon in decimal degrees.
    """

    kind: RecordKind
    protocol: str
    track_id: int | None = None
    range_m: float | None = None
    bearing_deg: float | None = None
    bearing_true: bool | None = None
    x_m: float | None = None
    y_m: float | None = None
    z_m: float | None = None
    speed_mps: float | None = None
    course_deg: float | None = None
    doppler_mps: float | None = None
    snr_db: float | None = None
    lat: float | None = None
    lon: float | None = None
    heading_deg: float | None = None
    time_of_day_s: float | None = None
    status: str | None = None
    name: str | None = None
    frame: int | None = None
    extra: dict[str, float | int | str | bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The fields a protocol carried (``None`` and non-finite values left out), for JSON lines."""
        out: dict[str, object] = {}
        for key, value in asdict(self).items():
            if key == "extra":
                out.update({k: v for k, v in value.items() if _finite(v)})
            elif value is not None and _finite(value):
                out[key] = value
        return out

    def with_(self, **changes: object) -> RadarRecord:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _finite(value: object) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


@dataclass(frozen=True, slots=True)
class LinkCounters:
    """What a framer counted: bytes seen, bytes thrown away while resynchronising, good frames, and
    why the others were rejected. Telemetry and the wrong-baud check read these.
    """

    bytes_in: int = 0
    dropped_bytes: int = 0
    frames: int = 0
    checksum_failures: int = 0
    length_errors: int = 0
    malformed: int = 0

    def add(self, **deltas: int) -> LinkCounters:
        """These counters plus ``deltas`` (a new value: framer state is never mutated)."""
        return replace(self, **{k: getattr(self, k) + v for k, v in deltas.items()})
