"""From a tracker step to contract events and evidence for one frame of an image sensor (camera, thermal).

Lifecycle events (new / update / end), zone and line rule events on confirmed tracks that a
detection updated in this frame (a coasting prediction never crosses a border), tamper events
(cameras), and one snapshot per frame shared by every event that wants evidence. Sensor-neutral:
each kind passes its own events and evidence settings and its contract kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from borderwatch.contract.common import SensorKind
from borderwatch.contract.events import Event, EventKind
from borderwatch.edge.config.events import EventsConfig
from borderwatch.edge.config.evidence import EvidenceConfig
from borderwatch.edge.evidence import Snapshot
from borderwatch.edge.pipeline.classes import class_name
from borderwatch.edge.pipeline.events import EventFactory, TrackView
from borderwatch.edge.pipeline.scene import Anchors, RuleScene
from borderwatch.edge.pipeline.trackstate import member
from borderwatch.edge.sensor.kind import Output
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.tracking.models import MotionModel
from borderwatch.edge.tracking.tracks import TrackerOutput, Tracks


class TamperChange(Protocol):
    """A tamper condition raised or cleared, with the measures that decided it (``edge/sensors/camera/tamper.py``)."""

    @property
    def kind(self) -> str:
        """Which condition (blocked, moved, ...)."""

    @property
    def raised(self) -> bool:
        """Raised (True) or cleared."""

    @property
    def measures(self) -> dict[str, float]:
        """The figures that decided it, copied into the event's attributes."""


def _view(
    tracks: Tracks, stationary: np.ndarray, scene: RuleScene | None, model: MotionModel
) -> tuple[TrackView, Anchors | None]:
    xyxy = model.boxes(tracks.mean)
    n = len(tracks)
    if scene is None:
        nan = np.full((n, 2), np.nan)
        view = TrackView(tracks.ids, xyxy, tracks.class_id, tracks.confidence, stationary, nan, nan[:, 0], (1, 1))
        return view, None
    a = scene.anchors(xyxy)
    return scene.track_view(tracks, xyxy, stationary, a), a


class OutputBuilder:
    """Per-sensor event factory plus the rule bookkeeping that goes with it."""

    def __init__(
        self,
        site: str,
        agent: str,
        sensor_id: str,
        events: EventsConfig,
        evidence: EvidenceConfig,
        kind: SensorKind = SensorKind.CAMERA,
    ) -> None:
        self.sensor_id, self.evidence = sensor_id, evidence
        self.factory = EventFactory(site, agent, sensor_id, events, kind)

    def build(
        self,
        frame: Frame,
        scene: RuleScene,
        out: TrackerOutput,
        stationary: np.ndarray,
        tamper: Sequence[TamperChange],
        model: MotionModel,
        n_dets: int,
    ) -> Output:
        """Events of one tracker step (lifecycle, rule hits of confirmed tracks a detection updated, tamper changes)
        and at most one snapshot; forgets the rule state of tracks that ended. ``n_dets`` passes on to telemetry.
        """
        ts = frame.ts
        view, anchors = _view(out.tracks, stationary, scene, model)
        if len(out.ended):
            ended, _ = _view(out.ended, np.zeros(len(out.ended), bool), scene, model)
        else:
            ended = view[:0]
        events = self.factory.lifecycle(view, out.new_ids, out.tracks.confirmed, ended, ts)
        assert anchors is not None
        events += self._rules(scene, view, anchors, out.matched & out.tracks.confirmed, ts)
        if len(out.ended):
            self._forget(scene, out.ended.ids, out.tracks.ids)
        events += [self._tamper(t, ts) for t in tamper]
        return Output(events, self._evidence(frame, view, out.tracks.confirmed, events), n_dets)

    def _rules(self, scene: RuleScene, view: TrackView, anchors: Anchors, active: np.ndarray, ts: float) -> list[Event]:
        """Rule events of the ``active`` rows; hits come back as rows of ``view``."""
        if not scene.lines and not scene.zones:
            return []
        rows = active.nonzero()[0]
        if len(rows) == 0:
            return []
        ids, cls = view.ids[rows], view.class_id[rows]
        events: list[Event] = []
        for rule, coords in scene.lines:  # a handful of rules per camera, each vectorised over tracks
            hit = rule.update(ids, scene.rule_points(anchors, coords)[rows], cls)
            dirs = ["inbound" if b else "outbound" for b in hit.inbound]
            events += self.factory.rule(EventKind.LINE_CROSSING, view, rows[hit.index], rule.name, ts, direction=dirs)
        for zone, coords in scene.zones:
            z = zone.update(ids, scene.rule_points(anchors, coords)[rows], cls, ts)
            events += self.factory.rule(EventKind.ZONE_ENTRY, view, rows[z.entered], zone.name, ts)
            events += self.factory.rule(EventKind.ZONE_EXIT, view, rows[z.exited], zone.name, ts)
            events += self.factory.rule(EventKind.LOITERING, view, rows[z.loitering], zone.name, ts, dwell=z.dwell_s)
        return events

    def _forget(self, scene: RuleScene, ended: np.ndarray, live: np.ndarray) -> None:
        rules = [r for r, _ in scene.lines] + [z for z, _ in scene.zones]
        for rule in rules:
            rule.forget(ended)
            if len(rule.state) > 2 * len(live) + 64:  # safety net: never keep state of vanished ids
                rule.state.retain(live)

    def _tamper(self, change: TamperChange, ts: float) -> Event:
        attrs: dict[str, str | float | int | bool] = {
            "tamper": change.kind,
            "state": "raised" if change.raised else "cleared",
        }
        attrs.update({k: round(v, 3) for k, v in change.measures.items()})
        return self.factory.health(EventKind.TAMPER, ts, attrs)

    def _evidence(self, frame: Frame, view: TrackView, confirmed: np.ndarray, events: list[Event]) -> list[Snapshot]:
        """One snapshot of the confirmed tracks, shared by every event that wants evidence."""
        ev = self.evidence
        wanted = [e for e in events if e.kind.value in ev.on] if ev.enabled else []
        if not wanted:
            return []
        view = view[confirmed]
        subjects = member(view.ids, [e.track_id for e in wanted if e.track_id is not None])
        labels = tuple(f"{class_name(int(c)).value} #{i}" for c, i in zip(view.class_id, view.ids, strict=True))
        ids = tuple(e.id for e in wanted)
        return [Snapshot(self.sensor_id, ids, frame.data, view.xyxy, labels, subjects, ev.max_bytes, ev.max_width)]

    def ended(self, tracks: Tracks, ts: float, scene: RuleScene | None, model: MotionModel) -> Output:
        """track_end for tracks ended outside a step (video loss)."""
        view, _ = _view(tracks, np.zeros(len(tracks), bool), scene, model)
        events = self.factory.lifecycle(view[np.zeros(len(view), bool)], [], np.zeros(0, bool), view, ts)
        if scene is not None:
            self._forget(scene, tracks.ids, np.zeros(0, np.int64))
        return Output(events, [])

    def heartbeat_due(self, ts: float) -> bool:
        """Whether some track's heartbeat update is due at ``ts``."""
        return self.factory.heartbeat_due(ts)

    def health(self, kind: EventKind, ts: float, attributes: dict[str, str | float | int | bool]) -> Event:
        """A tamper, sensor_offline or sensor_online event of this sensor (not throttled: there are few)."""
        return self.factory.health(kind, ts, attributes)
