"""The radar kind: ``[radars.<id>]`` sections become a ``RadarReader`` (serial or UDP) and a
``RadarUnit`` on the sensor seam (``edge/sensor/kind.py``).

Frame format (this package's business only): ``Frame.data`` is a ``RadarScan`` (``scan.py``).
Per frame, ``plan`` turns plots into targets in sensor-frame metres (``plots.py``: CFAR check,
clustering), steps the point tracker (``tracking.py``), maps the radar's own tracks to agent ids
(``passthrough.py``), and, when a classifier is configured, hands the confirmed tracks' features
to the model in one batch (``features.py``); ``finish`` applies the classes and makes the events
(range, true bearing, speed, course, lat/lon) with the shared ``EventFactory``. Tracks the
classifier calls clutter are not announced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.contract.common import ObjectClass, SensorKind
from borderwatch.contract.events import Event, EventKind
from borderwatch.edge.pipeline.classes import CLASS_INDEX
from borderwatch.edge.pipeline.detections import DOPPLER_MPS, RANGE_M, SNR_DB
from borderwatch.edge.pipeline.events import EventFactory, TrackView
from borderwatch.edge.pipeline.polar import metric_to_polar
from borderwatch.edge.pipeline.projection import LocalFrame
from borderwatch.edge.pipeline.trackstate import TrackState
from borderwatch.edge.sensor.kind import Attributes, BuildContext, Built, Output, Planned
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.radar.config import RadarConfig
from borderwatch.edge.sensors.radar.features import FeatureTable, as_model_input, signal_db
from borderwatch.edge.sensors.radar.geometry import Pose
from borderwatch.edge.sensors.radar.passthrough import Mapped, TrackNumberMap
from borderwatch.edge.sensors.radar.plots import Targets, targets_of
from borderwatch.edge.sensors.radar.reader import RadarReader
from borderwatch.edge.sensors.radar.rules import RadarLines
from borderwatch.edge.sensors.radar.scan import RadarScan
from borderwatch.edge.sensors.radar.tracking import radar_tracker
from borderwatch.edge.sensors.radar.views import concat, empty_view, polar_view
from borderwatch.edge.tracking.tracks import TrackerOutput, Tracks

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
UNKNOWN = CLASS_INDEX[ObjectClass.UNKNOWN]
CLUTTER = -1
LABEL_CLASS = {
    "person": CLASS_INDEX[ObjectClass.PERSON],
    "group": CLASS_INDEX[ObjectClass.PERSON],  # the contract has no 'group': a group is people
    "vehicle": CLASS_INDEX[ObjectClass.VEHICLE],
    "animal": CLASS_INDEX[ObjectClass.ANIMAL],
    "clutter": CLUTTER,
}
PASSED = ("range_m", "bearing_deg", "speed_mps", "course_deg", "lat", "lon")


@dataclass(frozen=True, slots=True)
class _Step:
    """What ``plan`` leaves for ``finish``."""

    out: TrackerOutput
    targets: Targets
    mapped: Mapped
    passed: dict[str, F64]


class RadarUnit:
    """Scans -> targets -> tracks (own and passed through) -> classes -> events."""

    def __init__(self, sensor_id: str, cfg: RadarConfig, ctx: BuildContext) -> None:
        self.cfg = cfg
        self.pose = Pose(cfg.pose.lat, cfg.pose.lon, cfg.pose.heading_deg)
        self.tracker, self.initiator = radar_tracker(cfg.tracker, ctx.first_track_id)
        self.numbers = TrackNumberMap(self._take_ids, cfg.tracker.max_coast_s, PASSED)
        self.features = FeatureTable()
        self.classes = TrackState({"cls": UNKNOWN, "conf": 0.5, "announced": False})
        self.model = ctx.model
        labels = ctx.model.detector.labels if ctx.model is not None else ()
        self.label_class = np.array([LABEL_CLASS.get(x.lower(), UNKNOWN) for x in labels], np.int64)
        self.factory = EventFactory(ctx.site, ctx.agent, sensor_id, cfg.events, SensorKind.RADAR)
        self.lines = RadarLines(cfg.lines, cfg.pose.lat, cfg.pose.lon)

    def _take_ids(self, n: int) -> I64:
        """Agent ids for radar-made tracks, from the tracker's own counter (ids never collide)."""
        ids = np.arange(self.initiator.next_id, self.initiator.next_id + n, dtype=np.int64)
        self.initiator.next_id += n
        return ids

    @property
    def degraded(self) -> bool:
        return False

    def plan(self, frame: Frame) -> Planned:
        scan = frame.data
        if not isinstance(scan, RadarScan):
            raise TypeError(f"radar frame data must be a RadarScan, got {type(scan).__name__}")
        if scan.own_latlon is not None or scan.own_heading_deg is not None:  # a moving radar says where it is
            lat, lon = scan.own_latlon or (self.pose.lat, self.pose.lon)
            heading = self.pose.heading_deg if scan.own_heading_deg is None else scan.own_heading_deg
            self.pose = Pose(lat, lon, heading)
        targets = targets_of(scan, self.pose, self.cfg)
        out = self.tracker.step(targets.dets, frame.ts)
        feats = self._features(out, targets, frame.ts)
        passed = self._passed(scan)
        mapped = self.numbers.step(scan.tracks["track_id"], scan.track_status, frame.ts, passed)
        confirmed = out.tracks.confirmed
        inputs = as_model_input(feats[confirmed]) if self.model is not None and confirmed.any() else None
        return Planned(frame, inputs, _Step(out, targets, mapped, passed))

    def _features(self, out: TrackerOutput, targets: Targets, ts: float) -> F64:
        tracks, row = out.tracks, out.detection
        hit = row >= 0
        pick = np.where(hit, row, 0)

        def seen(values: F64) -> F64:
            return np.where(hit, values[pick], np.nan) if len(values) else np.full(len(tracks), np.nan)

        speed, course = self.pose.course(tracks.mean[:, 2], tracks.mean[:, 3])
        observed = {
            "signal_db": seen(signal_db(targets.dets.extra[SNR_DB], targets.dets.extra[RANGE_M])),
            "doppler_spread_mps": seen(targets.doppler_spread),
            "plots": seen(targets.plots),
            "radial_mps": np.abs(seen(targets.dets.extra[DOPPLER_MPS])),
        }
        feats = self.features.update(tracks.ids, ts, speed, course, observed)
        self.features.retain(tracks.ids)
        return feats

    def _passed(self, scan: RadarScan) -> dict[str, F64]:
        """Radar-made tracks' range, true bearing, speed, course, lat/lon (each filled from the other)."""
        t = scan.tracks
        rng, lat, lon = t["range_m"].copy(), t["lat"].copy(), t["lon"].copy()
        bearing = np.where(scan.tracks_true, t["bearing_deg"], t["bearing_deg"] + self.pose.heading_deg) % 360.0
        course = np.where(scan.tracks_true, t["course_deg"], t["course_deg"] + self.pose.heading_deg) % 360.0
        only_geo = ~np.isfinite(rng) & np.isfinite(lat) & np.isfinite(lon)
        if only_geo.any():  # a TLL without its TTM: range and bearing from the position
            en = LocalFrame(self.pose.lat, self.pose.lon).to_metres(np.stack((lat[only_geo], lon[only_geo]), 1))
            rng[only_geo], bearing[only_geo] = metric_to_polar(en[:, 0], en[:, 1])
        fill = np.isfinite(rng) & ~(np.isfinite(lat) & np.isfinite(lon))
        if fill.any():
            ll = self.pose.latlon(rng[fill], bearing[fill])
            lat[fill], lon[fill] = ll[:, 0], ll[:, 1]
        return {"range_m": rng, "bearing_deg": bearing, "speed_mps": t["speed_mps"], "course_deg": course,
                "lat": lat, "lon": lon}  # fmt: skip

    def finish(self, planned: Planned, answer: np.ndarray | None) -> Output:
        step: _Step = planned.state
        ts = planned.frame.ts
        tracks = step.out.tracks
        if answer is not None and len(self.label_class):
            rows = np.flatnonzero(tracks.confirmed)
            scores = np.asarray(answer, np.float64).reshape(len(rows), -1)
            best = scores.argmax(axis=1)
            self.classes.set(tracks.ids[rows], {"cls": self.label_class[best], "conf": scores.max(axis=1)})
        own = self._own_view(tracks, ts)
        shown = own.class_id != CLUTTER
        fresh = shown & tracks.confirmed & ~self.classes.get(tracks.ids)["announced"]  # clutter until now, too
        self.classes.set(tracks.ids[fresh], {"announced": np.ones(int(fresh.sum()), bool)})
        m = step.mapped
        passed = self._passed_view(m.ids, {k: v[m.rows] for k, v in step.passed.items()})
        view = concat(own[shown], passed)
        new_ids = np.concatenate((tracks.ids[fresh], m.ids[m.new]))
        due = np.concatenate((tracks.confirmed[shown], m.confirmed))
        ended = concat(self._ended_view(step.out.ended, ts), self._passed_view(m.ended, m.ended_values))
        events = self.factory.lifecycle(view, new_ids, due, ended, ts)
        events += self.lines.events(self.factory, view, due, ts)
        self.lines.forget(ended.ids)
        self.classes.retain(tracks.ids)
        return Output(events, [], len(step.targets.dets))

    def _ended_view(self, tracks: Tracks, ts: float) -> TrackView:
        """Ended tracks that were announced (a track only ever called clutter ends unseen)."""
        return self._own_view(tracks, ts)[self.classes.get(tracks.ids)["announced"]]

    def _own_view(self, tracks: Tracks, ts: float) -> TrackView:
        xy = tracks.mean[:, :2]
        rng, bearing = self.pose.true_polar(xy[:, 0], xy[:, 1])
        speed, course = self.pose.course(tracks.mean[:, 2], tracks.mean[:, 3])
        known = self.classes.get(tracks.ids)
        unc = np.sqrt(np.maximum(tracks.cov[:, 0, 0] + tracks.cov[:, 1, 1], 0.0))
        return polar_view(
            tracks.ids, xy, np.stack((rng, bearing, speed, course), axis=1), self.pose.latlon(rng, bearing),
            known["cls"], known["conf"], self.tracker.stationary(tracks, ts), unc,
        )  # fmt: skip

    def _passed_view(self, ids: I64, v: dict[str, F64]) -> TrackView:
        if len(ids) == 0:
            return empty_view()
        ok = np.isfinite(v["range_m"]) & np.isfinite(v["bearing_deg"])
        n = len(ids)
        xy = np.stack(self.pose.to_metric(v["range_m"], v["bearing_deg"], np.ones(n, bool)), axis=1)
        polar = np.stack([v[k] for k in ("range_m", "bearing_deg", "speed_mps", "course_deg")], axis=1)
        view = polar_view(
            ids, xy, polar, np.stack((v["lat"], v["lon"]), axis=1), np.full(n, UNKNOWN, np.int64),
            np.full(n, 0.5), np.nan_to_num(v["speed_mps"], nan=1.0) < 0.3, np.full(n, np.nan),
        )  # fmt: skip
        return view[ok]

    def lost(self, ts: float) -> Output:
        own = self._ended_view(self.tracker.end_all(), ts)
        self.classes.retain(np.zeros(0, np.int64))
        ids, values = self.numbers.end_all()
        ended = concat(own, self._passed_view(ids, values))
        return Output(self.factory.lifecycle(empty_view(), [], np.zeros(0, bool), ended, ts))

    def health(self, kind: EventKind, ts: float, attributes: Attributes) -> Event:
        return self.factory.health(kind, ts, attributes)


class RadarKind:
    """The registry's factory for ``[radars.<id>]`` sections."""

    contract_kind = SensorKind.RADAR

    def model_ref(self, cfg: RadarConfig) -> str | None:
        return cfg.model

    def build(self, sensor_id: str, cfg: RadarConfig, ctx: BuildContext) -> Built:
        return Built(RadarReader(sensor_id, cfg), RadarUnit(sensor_id, cfg, ctx))
