"""Synthetic events for the alert tests: one builder for every sensor kind, times relative to T0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from borderwatch.contract import Alert, Event

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
_ids = count()


def at(dt: float) -> datetime:
    return T0 + timedelta(seconds=dt)


def event(
    dt: float = 0.0,
    sensor_kind: str = "camera",
    sensor: str = "cam1",
    cls: str | None = None,
    conf: float = 0.6,
    lat: float | None = 52.0,
    lon: float = 14.0,
    kind: str = "line_crossing",
    track: int | None = 1,
    direction: str = "inbound",
    agent: str = "mast-01",
    site: str = "west-1",
    **extra: Any,
) -> Event:
    """A located event; radar events carry polar geometry (speed 1.4 m/s) and class unknown."""
    n = next(_ids)
    radar = sensor_kind == "radar"
    body: dict[str, Any] = {
        "id": f"evt{n:08d}",
        "seq": n,
        "ts": at(dt).isoformat(),
        "site": site,
        "agent": agent,
        "sensor": {"id": sensor, "kind": sensor_kind},
        "kind": kind,
        "class": cls or ("unknown" if radar else "person"),
        "confidence": conf,
        "track_id": track,
        "position": {"lat": lat, "lon": lon} if lat is not None else None,
        "rule": {"rule": "border", "direction": direction} if kind == "line_crossing" else None,
    }
    if radar:
        body["polar"] = {"range_m": 120.0, "bearing_deg": 10.0, "speed_mps": 1.4}
    body.update(extra)
    return Event.model_validate({k: v for k, v in body.items() if v is not None})


def made_alert(**kw: Any) -> Alert:
    """A fused critical crossing alert at T0 (two sensor kinds, a position); ``kw`` overrides fields."""
    body = {"id": "a1b2c3d4e5f60718", "fingerprint": "border-crossing-person:west-1:x", "ts": T0,
            "rule": "border-crossing-person", "severity": "critical", "state": "firing", "site": "west-1",
            "agent": "mast-01", "sensor_id": "cam1", "sensor_kind": "camera", "class": "person",
            "confidence": 0.84, "position": {"lat": 52.0001, "lon": 14.0, "uncertainty_m": 8.0},
            "direction": "inbound", "summary": "person crossing inbound at mast-01",
            "sensors": ["mast-01/cam1", "mast-01/rad1"], "sensor_kinds": ["camera", "radar"],
            "fired_at": T0, "updated_at": T0 + timedelta(seconds=5)}  # fmt: skip
    body.update(kw)
    return Alert.model_validate(body)
