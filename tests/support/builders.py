"""Builders of valid contract objects (events, batches, telemetry) for the tests.

``make_event(s)`` build stored events (seq set, ids from site/agent/seq); ``outbox_event(s)`` build
what a sensor pipeline hands the agent's outbox (seq 0, ids unique per agent run).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from borderwatch.contract import (
    Event,
    EventBatch,
    EventKind,
    ImageBox,
    ObjectClass,
    PolarPosition,
    SensorKind,
    SensorRef,
    SensorTelemetry,
    Telemetry,
)


def make_event(
    seq: int,
    *,
    site: str = "s1",
    agent: str = "a1",
    sensor: str = "cam1",
    ts: datetime | None = None,
    kind: EventKind = EventKind.TRACK_UPDATE,
    radar: bool = False,
    **extra: object,
) -> Event:
    """A valid event; ids derive from site/agent/seq so the same seq is the same event."""
    ts = ts or datetime.now(UTC)
    geometry: dict = (
        {"polar": PolarPosition(range_m=1200.0 + seq, bearing_deg=45.0, speed_mps=1.5)}
        if radar
        else {"box": ImageBox(x1=10, y1=20, x2=50, y2=120, frame_width=640, frame_height=480)}
    )
    return Event(
        id=f"{site}-{agent}-{seq:010d}",
        seq=seq,
        ts=ts,
        site=site,
        agent=agent,
        sensor=SensorRef(id=sensor, kind=SensorKind.RADAR if radar else SensorKind.CAMERA),
        kind=kind,
        object_class=ObjectClass.PERSON,
        confidence=0.8,
        track_id=seq % 7,
        **geometry,
        **extra,
    )


def make_events(
    n: int, *, start: int = 0, spacing_ms: float = 1.0, end: datetime | None = None, **kw: object
) -> list[Event]:
    """``n`` events with consecutive seqs, one every ``spacing_ms``, the last just before ``end`` (now)."""
    now = end or datetime.now(UTC)
    return [
        make_event(start + i, ts=now - timedelta(milliseconds=spacing_ms * (n - i)), **kw)  # type: ignore[arg-type]
        for i in range(n)
    ]


def make_batch(events: list[Event], site: str = "s1", agent: str = "a1") -> EventBatch:
    """A batch as an agent would send it, stamped now."""
    return EventBatch(site=site, agent=agent, sent_at=datetime.now(UTC), events=events)


def make_telemetry(ts: datetime | None = None, site: str = "s1", agent: str = "a1") -> Telemetry:
    """Telemetry with one camera and one radar, so every sensor column is exercised."""
    return Telemetry(
        site=site,
        agent=agent,
        ts=ts or datetime.now(UTC),
        outbox_depth=17,
        link_up=True,
        last_seq=41,
        sensors=[
            SensorTelemetry(id="cam1", kind=SensorKind.CAMERA, input_fps=25.0, inference_ms=13.5, dropped_frames=3),
            SensorTelemetry(id="radar1", kind=SensorKind.RADAR, input_fps=10.0, inference_ms=0.7),
        ],
    )


_CAMERA = SensorRef(id="cam1", kind=SensorKind.CAMERA)
_RADAR = SensorRef(id="radar1", kind=SensorKind.RADAR)


def outbox_event(site: str, agent: str, n: int, boot: str = "b0") -> Event:
    """The ``n``-th event of an agent run as a pipeline hands it to the outbox (``seq`` 0: the outbox
    numbers it); camera and radar alternate; ``boot`` keeps ids unique across restarts."""
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


def outbox_events(site: str, agent: str, start: int, count: int, boot: str = "b0") -> list[Event]:
    """Events ``start`` .. ``start + count - 1`` of an agent run (see :func:`outbox_event`)."""
    return [outbox_event(site, agent, n, boot) for n in range(start, start + count)]
