"""One thermal imager's per-frame steps (the ``SensorUnit``): hot spots, one classifier batch, tracking, events.

``plan``: frame (uint16 centikelvin, never copied to float) -> hot spots against the per-pixel
bounds of the running background (updated every ``background_every`` frames) -> range gates ->
chips of every blob in one (N, 3, 32, 32) batch for the classifier; frames without hot spots, and
frames whose hot spots are the last classified ones barely moved (until ``recheck_s``), ask the model
nothing. ``finish``: classifier scores -> Detections (clutter dropped by the class map) -> the shared
box tracker -> the shared scene and output stages of ``edge/pipeline/`` (ground projection, zones,
lines, lifecycle events; their settings are the imager's) -> events enriched with max/mean temperature and, for
people in distress, the rescue-priority field.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from borderwatch.contract.common import SensorKind
from borderwatch.contract.events import Distress, Event, EventKind, ThermalReading
from borderwatch.edge.pipeline.classes import CLASS_INDEX, label_lookup
from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.pipeline.filters import outside_masks, valid_class_ids
from borderwatch.edge.pipeline.output import OutputBuilder
from borderwatch.edge.pipeline.projection import PoseProjector
from borderwatch.edge.pipeline.rules import flip_y
from borderwatch.edge.pipeline.scene import RuleScene
from borderwatch.edge.pipeline.trackstate import TrackState
from borderwatch.edge.sensor.kind import Attributes, BuildContext, Output, Planned
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.thermal import hotspots as hs
from borderwatch.edge.sensors.thermal.config import ThermalConfig
from borderwatch.edge.sensors.thermal.distress import distress_attributes, distress_field, in_distress, in_zones
from borderwatch.edge.sensors.thermal.stream import celsius
from borderwatch.edge.tracking import box_tracker
from borderwatch.edge.tracking.tracks import TrackerOutput
from borderwatch.runtime.geometry import iou_matrix

F64 = npt.NDArray[np.float64]
_STAND_IN = np.zeros((1, 1, 3), np.uint8)


def check_frame(frame: Frame) -> None:
    """The thermal frame contract: (H, W) uint16 centikelvin (a reader that breaks it is a bug)."""
    if frame.data.dtype != np.uint16 or frame.data.ndim != 2:
        raise ValueError(f"thermal frame: expected HxW uint16 centikelvin, got {frame.data.dtype} {frame.data.shape}")


@dataclass(frozen=True, slots=True)
class ChipMapping:
    """Classifier input pixels of chip i -> frame pixels of its sampling box (``decode.BoxMapping``)."""

    boxes: F64
    side: int = hs.CHIP

    def to_frame(self, xyxy: npt.NDArray[np.floating], image: npt.NDArray[np.integer]) -> npt.NDArray[np.float32]:
        b = self.boxes[np.asarray(image, np.intp)]
        scale = (b[:, 2:] - b[:, :2]) / self.side
        xy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        return np.concatenate((b[:, :2] + xy[:, :2] * scale, b[:, :2] + xy[:, 2:] * scale), axis=1).astype(np.float32)


@dataclass(frozen=True, slots=True)
class _State:
    """What ``finish`` needs again: the frame in centikelvin, its hot spots, and how they are classified."""

    ck: npt.NDArray[np.uint16]
    spots: hs.Hotspots
    chips: F64 | None = None  # sampling boxes when the model was asked
    reuse: bool = False  # the previous classification still holds


def _with(event: Event, update: dict[str, object]) -> Event:
    """The event with temperature (and distress: the field, and the attributes the hub's rules read)."""
    field = update.get("distress")
    if isinstance(field, Distress):
        update = {**update, "attributes": {**event.attributes, **distress_attributes(field)}}
    return event.model_copy(update=update)


class ThermalUnit:
    """Per-imager state: background, last classification, tracker, rules, temperatures, distress."""

    def __init__(self, sensor_id: str, cfg: ThermalConfig, ctx: BuildContext) -> None:
        self.sensor_id, self.cfg, self.batcher = sensor_id, cfg, ctx.model
        labels = ctx.model.detector.labels if ctx.model else None
        self.lookup = label_lookup(labels, cfg.class_map) if labels is not None else None
        self.tracker = box_tracker(cfg.tracker, ctx.first_track_id)
        self.output = OutputBuilder(ctx.site, ctx.agent, sensor_id, cfg.events, cfg.evidence, SensorKind.THERMAL)
        self.projector = PoseProjector(cfg.pose) if cfg.pose is not None else None
        self.masks = [np.asarray(m.points, np.float64) for m in cfg.masks]
        self.scene: RuleScene | None = None
        self.background: npt.NDArray[np.float32] | None = None  # running background, float32 centikelvin
        self.seen = 0
        self.last_boxes: F64 = np.zeros((0, 4))
        self.last_classified = -1e18
        self.last_class = np.zeros(0, np.int64)
        self.last_score = np.zeros(0, np.float32)
        self.temps = TrackState({"max_c": 0.0, "mean_c": 0.0})
        self.distressed: set[int] = set()
        self._now_distressed: dict[int, tuple[float, bool]] = {}  # track id -> (immobile s, in water)
        self._mask: npt.NDArray[np.uint8] | None = None
        self._scratch: npt.NDArray[np.uint8] | None = None
        self._bounds: hs.Thresholds | None = None
        h = cfg.hotspots
        self._limits_ck = (h.delta_k * 100.0, (h.min_c + 273.15) * 100.0, (h.max_c + 273.15) * 100.0)
        self._alpha = 1.0 - (1.0 - h.alpha) ** h.background_every

    @property
    def degraded(self) -> bool:
        """No own checks beyond the reader's bad-frame refusals."""
        return False

    # --- plan -----------------------------------------------------------------------------------
    def plan(self, frame: Frame) -> Planned:
        """Hot spots of the frame and, when they need (re)classifying, their chips in one batch."""
        check_frame(frame)
        ck = frame.data
        if self.background is None or self.background.shape != ck.shape:
            self._reset(ck)
        assert self.background is not None and self._mask is not None
        self.seen += 1
        h = self.cfg.hotspots
        if self.seen <= h.warmup_frames:  # learn the scene first: a plain running mean
            hs.learn_background(self.background, ck, None, 1.0 / self.seen)
            self._bounds = hs.Thresholds.of(self.background, *self._limits_ck)
            return Planned(frame, None, _State(ck, hs.Hotspots.empty()))
        assert self._bounds is not None
        mask = hs.hot_mask(ck, self._bounds, self._mask)
        spots = self._gated(hs.blobs(ck, mask, h.min_pixels), ck.shape)
        inputs, boxes, reuse = None, None, False
        if len(spots) and self.lookup is not None:
            fresh = frame.ts - self.last_classified < h.recheck_s
            if fresh and hs.unchanged(self.last_boxes, spots.xyxy):
                reuse = True
            else:
                boxes = hs.chip_boxes(spots.xyxy)
                inputs = hs.chips(ck, self.background, boxes, h.delta_k * 100.0)
                self.last_boxes, self.last_classified = spots.xyxy, frame.ts
        if (self.seen - h.warmup_frames) % h.background_every == 0:
            # every k-th frame with the rate of k frames: the same time constant at a k-th of the cost
            hs.learn_background(self.background, ck, mask, self._alpha, self._scratch)
            self._bounds = hs.Thresholds.of(self.background, *self._limits_ck)
        return Planned(frame, inputs, _State(ck, spots, boxes, reuse))

    def _reset(self, ck: npt.NDArray[np.uint16]) -> None:
        """A new (or resized) picture: learn the background afresh, buffers of its size."""
        self.background, self.seen, self._bounds = ck.astype(np.float32), 0, None
        self._mask, self._scratch = np.zeros(ck.shape, np.uint8), np.zeros(ck.shape, np.uint8)
        self.scene = RuleScene(self.projector, self.cfg.lines, self.cfg.zones, (ck.shape[1], ck.shape[0]))

    def _gated(self, spots: hs.Hotspots, shape: tuple[int, ...]) -> hs.Hotspots:
        h = self.cfg.hotspots
        if len(spots) and self.masks:  # masked before they cost a chip or a track
            spots = spots[outside_masks(spots.xyxy, self.masks)]
        if len(spots) and self.projector is not None:
            spots = spots[hs.range_gate(spots.xyxy, (shape[1], shape[0]), self.projector, h.min_size_m, h.max_size_m)]
        if len(spots) > h.max_blobs:
            spots = spots[np.argsort(-spots.area, kind="stable")[: h.max_blobs]]
        return spots

    # --- finish ---------------------------------------------------------------------------------
    def finish(self, planned: Planned, answer: np.ndarray | None) -> Output:
        """Classify (or reuse), track, run the shared rules and events, add temperatures and distress."""
        st: _State = planned.state
        dets = self._detections(st, answer)
        if not len(dets) and not len(self.tracker.tracks):
            return Output([], [], 0)
        ts = planned.frame.ts
        out = self.tracker.step(dets, ts)
        self._remember_temps(out, dets)
        stationary = self.tracker.stationary(out.tracks, ts)
        f = planned.frame
        assert self.scene is not None
        # the shared stages get a stand-in picture; the false-colour one is rendered only for a snapshot
        stand_in = Frame(f.sensor_id, ts, f.index, _STAND_IN)
        result = self.output.build(stand_in, self.scene, out, stationary, [], self.tracker.model, len(dets))
        events = result.events + self._distress_updates(out, stationary, ts)
        events = self._enrich(events, out)
        if len(out.ended):
            self.temps.forget(out.ended.ids)
            self.distressed -= {int(i) for i in out.ended.ids}
        snapshots = result.snapshots
        if snapshots:
            lo, hi = np.percentile(st.ck[::4, ::4], (1, 99.9))
            picture = hs.false_colour(st.ck, float(lo), float(hi) + 200.0)
            snapshots = [replace(s, frame=picture) for s in snapshots]
        return Output(events, snapshots, len(dets))

    def _detections(self, st: _State, answer: np.ndarray | None) -> Detections:
        spots = st.spots
        if not len(spots):
            return Detections.empty()
        extra = {"max_ck": spots.max_ck, "mean_ck": spots.mean_ck}
        if self.lookup is None:  # no model: every hot spot is a detection of the configured class
            cls = np.full(len(spots), CLASS_INDEX[self.cfg.blob_class], np.int64)
            return Detections(spots.xyxy, np.full(len(spots), 0.5), cls, extra=extra)
        if st.reuse:
            cls, score = self._reused(spots.xyxy)
        elif answer is None or st.chips is None or self.batcher is None:
            self.last_classified = -1e18  # stale or skipped: classify again at the next frame
            return Detections.empty()
        else:
            picks = self.batcher.picks(answer)  # a classifier: its chips' boxes are the blobs' own, no mapping
            if picks is None:
                cands = self.batcher.decode(answer, ChipMapping(st.chips))
                picks = (cands.image, cands.class_id, cands.score)
            image, class_id, best = picks
            cls = np.full(len(spots), -1, np.int64)
            score = np.zeros(len(spots), np.float32)
            cls[image] = self.lookup[class_id]
            score[image] = best
            self.last_class, self.last_score = cls, score
        keep = valid_class_ids(cls)
        return Detections(spots.xyxy[keep], score[keep], cls[keep], extra={k: v[keep] for k, v in extra.items()})

    def _reused(self, xyxy: F64) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        if len(self.last_class) != len(self.last_boxes):  # the classified frame is not finished (stale)
            return np.full(len(xyxy), -1, np.int64), np.zeros(len(xyxy), np.float32)
        match = iou_matrix(xyxy, self.last_boxes).argmax(axis=1)
        return self.last_class[match], self.last_score[match]

    def _remember_temps(self, out: TrackerOutput, dets: Detections) -> None:
        rows = np.flatnonzero(out.detection >= 0)
        if len(rows):
            d = out.detection[rows]
            self.temps.set(
                out.tracks.ids[rows],
                {"max_c": celsius(dets.extra["max_ck"][d]), "mean_c": celsius(dets.extra["mean_ck"][d])},
            )

    def _distress_updates(self, out: TrackerOutput, stationary: np.ndarray, ts: float) -> list[Event]:
        """A track_update at once for every person who has just come into distress (no throttle)."""
        tracks = out.tracks
        if not self.cfg.distress.enabled or not len(tracks) or self.scene is None:
            self._now_distressed = {}
            return []
        xyxy = self.tracker.model.boxes(tracks.mean)
        anchors = self.scene.anchors(xyxy) if self.cfg.distress.water_zones else None
        in_water = np.zeros(len(tracks), bool)
        for zone in self.cfg.distress.water_zones:
            assert anchors is not None
            points = flip_y(zone.points) if zone.coords == "image" else self._metres(zone.points)
            in_water |= in_zones(self.scene.rule_points(anchors, zone.coords), [points])
        immobile = np.maximum(ts - tracks.still_since, 0.0)
        flag = in_distress(tracks.class_id, immobile, in_water, self.cfg.distress.immobile_s) & tracks.confirmed
        rows = np.flatnonzero(flag)
        self._now_distressed = {int(tracks.ids[i]): (float(immobile[i]), bool(in_water[i])) for i in rows}
        new = [i for i in rows if int(tracks.ids[i]) not in self.distressed]
        self.distressed = set(self._now_distressed)
        if not new:
            return []
        if anchors is None:  # only when someone has just come into distress
            anchors = self.scene.anchors(xyxy)
        view = self.scene.track_view(tracks, xyxy, stationary, anchors)
        factory = self.output.factory
        return [factory.make(EventKind.TRACK_UPDATE, ts, **factory.track_fields(view, int(i))) for i in new]

    def _metres(self, latlon: list[tuple[float, float]]) -> F64:
        assert self.projector is not None, "config validation guarantees a pose for geo zones"
        return self.projector.frame.to_metres(latlon)

    def _enrich(self, events: list[Event], out: TrackerOutput) -> list[Event]:
        """Temperatures on every track event; the distress field on those of people in distress."""
        tracked = [e for e in events if e.track_id is not None]
        if not tracked:
            return events
        ids = np.array([e.track_id for e in tracked], np.int64)
        temps = self.temps.get(ids)
        by_id = {}
        for k, tid in enumerate(ids.tolist()):
            if not temps["known"][k]:
                continue
            mx, mean = (min(max(float(temps[c][k]), -100.0), 2000.0) for c in ("max_c", "mean_c"))
            update: dict[str, object] = {"temperature": ThermalReading(max_c=mx, mean_c=mean)}
            if tid in self._now_distressed:
                immobile, water = self._now_distressed[tid]
                update["distress"] = distress_field(mx, immobile, water)
            by_id[tid] = update
        return [_with(e, by_id[e.track_id]) if e.track_id in by_id else e for e in events]

    # --- loss and health ------------------------------------------------------------------------
    def lost(self, ts: float) -> Output:
        """Video lost: confirmed tracks end; the next frame is classified afresh."""
        ended = self.tracker.end_all()
        self.last_classified = -1e18
        self.distressed.clear()
        out = self.output.ended(ended, ts, self.scene, self.tracker.model)
        self.temps.forget(ended.ids)
        return out

    def health(self, kind: EventKind, ts: float, attributes: Attributes) -> Event:
        """A health event of this imager."""
        return self.output.health(kind, ts, attributes)
