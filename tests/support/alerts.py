"""Synthetic events for the alert tests: one builder for every sensor kind, times relative to T0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from borderwatch.contract import Event

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
