"""Synthetic contract events: what a camera/radar pipeline would emit, without any sensor."""

from __future__ import annotations

from datetime import UTC, datetime

from borderwatch.contract import Event, EventKind, ImageBox, ObjectClass, PolarPosition, SensorKind, SensorRef

_CAMERA = SensorRef(id="cam1", kind=SensorKind.CAMERA)
_RADAR = SensorRef(id="radar1", kind=SensorKind.RADAR)


def make_event(site: str, agent: str, n: int, boot: str = "b0") -> Event:
    """The ``n``-th synthetic event of an agent run; ``boot`` keeps ids unique across restarts."""
    ts = datetime.now(UTC)
    common = {
        "id": f"{agent}-{boot}-{n:09d}",
        "seq": 0,
        "ts": ts,
        "site": site,
        "agent": agent,
        "track_id": n % 1000,
        "confidence": 0.5 + (n % 50) / 100,
    }
    if n % 2:
        return Event(
            sensor=_RADAR,
            kind=EventKind.TRACK_UPDATE,
            object_class=ObjectClass.VEHICLE,
            polar=PolarPosition(range_m=100.0 + n % 900, bearing_deg=float(n % 360)),
            **common,
        )
    return Event(
        sensor=_CAMERA,
        kind=EventKind.TRACK_UPDATE,
        object_class=ObjectClass.PERSON,
        box=ImageBox(x1=10, y1=20, x2=60, y2=140, frame_width=1280, frame_height=720),
        **common,
    )


def make_events(site: str, agent: str, start: int, count: int, boot: str = "b0") -> list[Event]:
    return [make_event(site, agent, n, boot) for n in range(start, start + count)]
