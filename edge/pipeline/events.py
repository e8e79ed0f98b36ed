"""Contract events from tracks and rule hits: the boundary where Python objects are made per object.

Track updates are throttled per track: an update goes out when the track changed significantly
(moved more than a fraction of its box diagonal, changed class, became stationary or moving) but
never sooner than ``update_min_interval_s`` after the previous one, and at least every
``heartbeat_s`` while the track lives. ``seq`` is 0 here: the outbox assigns the real number.
"""

from __future__ import annotations

import itertools
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from borderwatch.contract.common import SensorKind
from borderwatch.contract.events import Event, EventKind, GeoPosition, ImageBox, PolarPosition, RuleHit, SensorRef
from borderwatch.edge.config.events import EventsConfig
from borderwatch.edge.pipeline.classes import class_name
from borderwatch.edge.pipeline.trackstate import TrackState, member

F64 = npt.NDArray[np.float64]

_ID_PREFIX = secrets.token_hex(10)
_ID_NUMBERS = itertools.count()  # next() is atomic under the GIL: camera workers share it


def next_event_id() -> str:
    """A globally unique event id: 80 random bits drawn when the agent starts, then a counter.

    Why numbered and not a uuid4 per event: the hub records who owns every event id, and keeps
    consecutive ids under one prefix as one run (hub/store/id_runs.py). A batch of numbered ids
    costs it one row; random ids cost a row each, several microseconds per event on a busy hub.
    """
    return f"{_ID_PREFIX}-{next(_ID_NUMBERS):011d}"


@dataclass(frozen=True, slots=True)
class TrackView:
    """What events need of T tracks: ids, frame-pixel boxes, class, confidence, stationary, ground fix."""

    ids: npt.NDArray[np.int64]
    xyxy: F64
    class_id: npt.NDArray[np.int64]
    confidence: F64
    stationary: npt.NDArray[np.bool_]
    latlon: F64  # (T, 2), NaN where the pose gives no position
    uncertainty_m: F64
    frame_wh: tuple[int, int]
    polar: F64 | None = None  # (T, 2|4) range_m, bearing_deg from north[, speed_mps, course_deg]: radar-like sensors

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: npt.ArrayLike) -> TrackView:
        return TrackView(
            self.ids[index],
            self.xyxy[index],
            self.class_id[index],
            self.confidence[index],
            self.stationary[index],
            self.latlon[index],
            self.uncertainty_m[index],
            self.frame_wh,
            None if self.polar is None else self.polar[index],
        )


def _box(xyxy: F64, frame_wh: tuple[int, int]) -> ImageBox:
    w, h = frame_wh
    x1, y1, x2, y2 = (float(v) for v in np.clip(xyxy, 0, [w, h, w, h]))
    return ImageBox(x1=x1, y1=y1, x2=max(x1, x2), y2=max(y1, y2), frame_width=w, frame_height=h)


def _position(latlon: F64, unc: float) -> GeoPosition | None:
    lat, lon = float(latlon[0]), float(latlon[1])
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    return GeoPosition(
        lat=lat,
        lon=((lon + 180) % 360) - 180,
        uncertainty_m=min(float(unc), 100_000.0) if math.isfinite(unc) else None,
    )


def _polar(row: F64) -> PolarPosition:
    """Range and bearing, plus ground speed and course when the view has them (columns 3-4; NaN or a
    speed outside the contract's bounds = unknown, left out rather than clipped)."""
    extra: dict[str, float] = {}
    if len(row) >= 4 and 0.0 <= row[2] <= 200.0 and math.isfinite(row[3]):
        extra = {"speed_mps": float(row[2]), "course_deg": float(row[3]) % 360.0}
    return PolarPosition(range_m=float(row[0]), bearing_deg=float(row[1]) % 360.0, **extra)


class EventFactory:
    """Builds events for one sensor and keeps the per-track throttle state."""

    def __init__(
        self, site: str, agent: str, sensor_id: str, cfg: EventsConfig, kind: SensorKind = SensorKind.CAMERA
    ) -> None:
        self.site, self.agent, self.cfg = site, agent, cfg
        self.sensor = SensorRef(id=sensor_id, kind=kind)
        self.throttle = TrackState({"last": -1e18, "cx": 0.0, "cy": 0.0, "cls": -1, "still": False})

    def make(self, kind: EventKind, ts: float, **fields: Any) -> Event:
        """An event with a fresh id (the hub stores events by id, so a redelivered one is not doubled) and ``seq``
        0: the outbox numbers it when it is appended. ``ts`` is epoch seconds.
        """
        return Event(
            id=next_event_id(),
            seq=0,
            ts=datetime.fromtimestamp(ts, UTC),
            site=self.site,
            agent=self.agent,
            sensor=self.sensor,
            kind=kind,
            **fields,
        )

    def track_fields(self, view: TrackView, i: int) -> dict[str, Any]:
        """The track's event fields: an image box, or polar geometry when the view carries it (radar)."""
        geometry: dict[str, Any] = (
            {"box": _box(view.xyxy[i], view.frame_wh)} if view.polar is None else {"polar": _polar(view.polar[i])}
        )
        return {
            "object_class": class_name(int(view.class_id[i])),
            "confidence": float(min(max(view.confidence[i], 0.0), 1.0)),
            "track_id": int(view.ids[i]),
            **geometry,
            "position": _position(view.latlon[i], float(view.uncertainty_m[i])),
            "stationary": bool(view.stationary[i]),
        }

    def lifecycle(
        self, view: TrackView, new_ids: npt.ArrayLike, due: npt.NDArray[np.bool_], ended: TrackView, ts: float
    ) -> list[Event]:
        """track_new for ``new_ids``, track_update for rows ``due`` (throttled here), track_end for ``ended``.

        ``due`` marks the tracks allowed an update at all (confirmed ones); the throttle decides.
        """
        new_ids = np.asarray(new_ids, np.int64)
        if not len(new_ids) and not len(ended) and not self._any_update_due(ts):
            return []  # the usual frame
        is_new = member(view.ids, new_ids) if len(new_ids) else np.zeros(len(view), bool)
        candidates = due & ~is_new
        update = self._updates_due(view, candidates, ts) if candidates.any() else candidates
        events = [self.make(EventKind.TRACK_NEW, ts, **self.track_fields(view, i)) for i in np.flatnonzero(is_new)]
        events += [self.make(EventKind.TRACK_UPDATE, ts, **self.track_fields(view, i)) for i in np.flatnonzero(update)]
        events += [self.make(EventKind.TRACK_END, ts, **self.track_fields(ended, i)) for i in range(len(ended))]
        if events:
            self._remember(view[is_new | update], ts)
            self.throttle.forget(ended.ids)
        return events

    def _updates_due(self, view: TrackView, candidates: npt.NDArray[np.bool_], ts: float) -> npt.NDArray[np.bool_]:
        if not self._any_update_due(ts):
            return np.zeros(len(view), bool)
        st = self.throttle.get(view.ids)
        centre = (view.xyxy[:, :2] + view.xyxy[:, 2:]) / 2
        size = view.xyxy[:, 2:] - view.xyxy[:, :2]
        diag = np.sqrt((size * size).sum(axis=1))  # np.linalg.norm's own formula, without its overhead
        moved = np.hypot(centre[:, 0] - st["cx"], centre[:, 1] - st["cy"]) > self.cfg.significant_move_frac * diag
        changed = moved | (view.class_id != st["cls"]) | (view.stationary != st["still"])
        since = ts - st["last"]
        significant = changed & (since >= self.cfg.update_min_interval_s)
        return candidates & st["known"] & (significant | (since >= self.cfg.heartbeat_s))

    def _any_update_due(self, ts: float) -> bool:
        """False when no remembered track can have an update due at ``ts`` (only known tracks get one).

        An update needs ``since`` >= the smaller of the two intervals, and the longest ``since`` is
        ts - min(last) (float subtraction is monotonic): one reduction rules out most frames.
        """
        last = self.throttle.cols["last"]
        return bool(len(last)) and ts - last.min() >= min(self.cfg.update_min_interval_s, self.cfg.heartbeat_s)

    def _remember(self, view: TrackView, ts: float) -> None:
        centre = (view.xyxy[:, :2] + view.xyxy[:, 2:]) / 2
        self.throttle.set(
            view.ids,
            {
                "last": np.full(len(view), ts),
                "cx": centre[:, 0],
                "cy": centre[:, 1],
                "cls": view.class_id,
                "still": view.stationary,
            },
        )

    def heartbeat_due(self, ts: float) -> bool:
        """Whether a remembered track has gone ``heartbeat_s`` without an update."""
        last = self.throttle.cols["last"]
        return bool(len(last)) and float(last.min()) <= ts - self.cfg.heartbeat_s

    def rule(
        self,
        kind: EventKind,
        view: TrackView,
        rows: npt.ArrayLike,
        rule: str,
        ts: float,
        direction: list[str] | None = None,
        dwell: F64 | None = None,
    ) -> list[Event]:
        """One rule event per row (zone entry/exit, loitering with dwell, line crossing with direction)."""
        rows = np.asarray(rows, np.int64)
        out: list[Event] = []
        for k, i in enumerate(rows):  # one per rule hit: the event boundary
            hit = RuleHit(
                rule=rule,
                direction=direction[k] if direction else None,
                dwell_s=float(dwell[k]) if dwell is not None else None,
            )
            out.append(self.make(kind, ts, rule=hit, **self.track_fields(view, int(i))))
        return out

    def health(self, kind: EventKind, ts: float, attributes: dict[str, str | float | int | bool]) -> Event:
        """tamper / sensor_offline / sensor_online."""
        return self.make(kind, ts, attributes=attributes)
