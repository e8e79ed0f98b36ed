"""The toy kind: a reader thread making frames of random points, a unit tracking them as metric points.

Frame format (the kind's own business): ``data`` is an (N, 2) float64 array of x/y metres. No model:
``plan`` never asks for inference; ``finish`` turns points into Detections with ``x_m``/``y_m``
columns, steps a point tracker built from the shared parts, and makes lifecycle events with the
shared ``EventFactory``.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from borderwatch.contract.common import ObjectClass, SensorKind
from borderwatch.contract.events import Event, EventKind
from borderwatch.edge import tracking
from borderwatch.edge.pipeline.classes import CLASS_INDEX
from borderwatch.edge.pipeline.detections import X_M, Y_M, Detections
from borderwatch.edge.pipeline.events import EventFactory, TrackView
from borderwatch.edge.pipeline.polar import metric_to_polar
from borderwatch.edge.sensor.kind import Attributes, BuildContext, Built, Output, Planned
from borderwatch.edge.sensor.reader import SensorReader
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.health import ReaderStats
from borderwatch.edge.tracking.tracks import Tracks
from tests.toysensor.config import ToyConfig

FIELD_WH = (1000, 1000)  # the toy's field in metres (TrackView wants a frame size; radar events carry no box)


class ToyReader(SensorReader):
    """Frames of ``targets`` points on straight paths plus one random clutter point each frame."""

    def __init__(self, sensor_id: str, cfg: ToyConfig) -> None:
        super().__init__(sensor_id, f"toy-reader-{sensor_id}", 8, changes_kept=16)
        self.cfg = cfg
        rng = np.random.default_rng(cfg.seed)
        self.start_xy = rng.uniform(100, 900, (cfg.targets, 2))
        self.velocity = rng.uniform(-5, 5, (cfg.targets, 2))
        self.rng = rng

    @property
    def lossless(self) -> bool:
        return True

    def stats(self) -> ReaderStats:
        return ReaderStats(self.online, self.cfg.fps, self.cfg.fps, 0.0, self.frames.dropped, 0, 0, "A")

    def _run(self) -> None:
        t0 = time.time()
        self._set_state(True, t0, "frames")
        for i in range(self.cfg.frames):
            if self._stop.is_set():
                return
            t = i / self.cfg.fps
            clutter = self.rng.uniform(0, 1000, (1, 2))
            points = np.concatenate((self.start_xy + self.velocity * t, clutter))
            if not self._hand_over(points, t0 + t, wait=True):
                return
            self._stop.wait(1 / self.cfg.fps)
        self._set_state(False, time.time(), "eof")


class ToyUnit:
    """Points -> Detections -> point tracker -> lifecycle events."""

    def __init__(self, sensor_id: str, cfg: ToyConfig, ctx: BuildContext) -> None:
        model = tracking.ConstantVelocityPoint(measurement_std=0.5)
        t = cfg.tracker
        self.tracker = tracking.Tracker(  # the shared parts, chosen for points in metres
            tracking.KalmanPredictor(model),
            tracking.DistanceAssociator(model, t.max_cost, t.class_aware),
            tracking.KalmanUpdater(model),
            tracking.Initiator(model, t.min_hits, t.min_init_confidence, ctx.first_track_id),
            tracking.TimeDeleter(t.max_age_s),
        )
        self.factory = EventFactory(ctx.site, ctx.agent, sensor_id, cfg.events, SensorKind.RADAR)

    @property
    def degraded(self) -> bool:
        return False

    def plan(self, frame: Frame) -> Planned:
        return Planned(frame)  # no model: the points are the detections

    def finish(self, planned: Planned, answer: np.ndarray | None) -> Output:
        points = np.asarray(planned.frame.data, np.float64).reshape(-1, 2)
        n = len(points)
        cls = np.full(n, CLASS_INDEX[ObjectClass.PERSON], np.int64)
        dets = Detections(np.zeros((n, 4)), np.full(n, 0.9), cls, extra={X_M: points[:, 0], Y_M: points[:, 1]})
        ts = planned.frame.ts
        out = self.tracker.step(dets, ts)
        view = self._view(out.tracks, self.tracker.stationary(out.tracks, ts))
        ended = self._view(out.ended, np.zeros(len(out.ended), bool))
        return Output(self.factory.lifecycle(view, out.new_ids, out.tracks.confirmed, ended, ts), [], n)

    def _view(self, tracks: Tracks, stationary: np.ndarray) -> TrackView:
        """Tracks as events see them: radar events carry range and bearing, not a box."""
        nan = np.full((len(tracks), 2), np.nan)
        xy = self.tracker.model.positions(tracks.mean)
        polar = np.stack(metric_to_polar(xy[:, 0], xy[:, 1]), axis=1)
        xyxy = self.tracker.model.boxes(tracks.mean)
        view = TrackView(tracks.ids, xyxy, tracks.class_id, tracks.confidence, stationary, nan, nan[:, 0], FIELD_WH)
        return replace(view, polar=polar)

    def lost(self, ts: float) -> Output:
        tracks = self.tracker.end_all()
        ended = self._view(tracks, np.zeros(len(tracks), bool))
        return Output(self.factory.lifecycle(ended[np.zeros(0, np.int64)], [], np.zeros(0, bool), ended, ts))

    def health(self, kind: EventKind, ts: float, attributes: Attributes) -> Event:
        return self.factory.health(kind, ts, attributes)


class ToyKind:
    """The registry's factory for ``[toys.<id>]`` sections."""

    contract_kind = SensorKind.RADAR

    def model_ref(self, cfg: ToyConfig) -> str | None:
        return None

    def build(self, sensor_id: str, cfg: ToyConfig, ctx: BuildContext) -> Built:
        return Built(ToyReader(sensor_id, cfg), ToyUnit(sensor_id, cfg, ctx))
