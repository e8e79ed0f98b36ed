"""One camera's pipeline state and its two per-frame steps, around the (shared, batched) model.

``plan(frame)``: tamper check and motion gating on a small luma image; decides which crops (if
any) the model must see: motion blobs, tracked objects the motion touches, and tracks not looked
at for ``stationary_recheck_s`` (stationary objects are re-verified, not re-inferred every frame),
and tracks missed at their last look, until they are found again or end. While the picture is
hazy (``defog.py``) motion counts smaller changes (``motion.hazy_threshold``).
Without a model the motion blobs themselves are the detections.
``finish(plan, candidates)``: class mapping, filters, masks, tracking, rules, events, evidence.
The camera's ``CameraUnit`` (``kind.py``) owns the instance; nothing here does I/O or threading.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.classes import CLASS_INDEX, label_lookup
from borderwatch.edge.pipeline.decode import Candidates, batched_nms
from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.pipeline.filters import ClassFilterTable, outside_masks, valid_class_ids, valid_classes
from borderwatch.edge.pipeline.output import OutputBuilder
from borderwatch.edge.sensor.kind import Output
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.defog import Defog
from borderwatch.edge.sensors.camera.motion import MotionDetector, MotionResult, downscale_gray
from borderwatch.edge.sensors.camera.regions import Tiling, centres_inside, plan_regions, whole_frame_regions
from borderwatch.edge.sensors.camera.scene import Scene
from borderwatch.edge.sensors.camera.tamper import TamperChange, TamperDetector
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.tracking import box_tracker
from borderwatch.edge.tracking.tracker import Visibility
from borderwatch.edge.tracking.tracks import Tracks
from borderwatch.runtime.geometry import iou_matrix

I64 = npt.NDArray[np.int64]
_CLASS_MERGE_IOU = 0.7
# what most frames (a quiet scene) plan and see: shared and read-only, not new empty arrays every frame
_NO_RECTS: I64 = np.zeros((0, 4), np.int64)
_NO_RECTS.flags.writeable = False
_NO_DETECTIONS = Detections.empty()
for _column in (_NO_DETECTIONS.xyxy, _NO_DETECTIONS.confidence, _NO_DETECTIONS.class_id, _NO_DETECTIONS.tracker_id):
    _column.flags.writeable = False

__all__ = ["CameraPipeline", "Plan"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What ``plan`` decided for a frame: crops for the model (empty = none) or blob detections."""

    frame: Frame
    rects: I64
    blobs: Detections | None = None
    tamper: list[TamperChange] = field(default_factory=list)
    motion: bool = False
    tiling: Tiling | None = None  # set when the frame is tiled (see regions.Tiling)


class CameraPipeline:
    """Per-camera state: motion background, tamper baselines, tracker, rules and throttles."""

    def __init__(
        self,
        site: str,
        agent: str,
        camera_id: str,
        cfg: CameraConfig,
        labels: tuple[str, ...] | None,
        model_side: int = 640,
        first_track_id: int = 1,
    ) -> None:
        self.camera_id, self.cfg, self.model_side = camera_id, cfg, int(model_side)
        self.lookup = label_lookup(labels, cfg.detection.class_map) if labels is not None else None
        # when the map keeps every model label, no candidate can need the invalid-class filter
        self.every_label_kept = self.lookup is not None and bool(valid_class_ids(self.lookup).all())
        self.filters = ClassFilterTable.from_config(cfg.filters)
        self.tracker = box_tracker(cfg.tracker, first_track_id)
        self.tamper = TamperDetector(cfg.tamper)
        self.output = OutputBuilder(site, agent, camera_id, cfg.events, cfg.evidence)
        self.motion: MotionDetector | None = None
        self.scene: Scene | None = None
        self._whole_plan: tuple[tuple[int, int], I64, Tiling | None] | None = None
        self._clip: tuple[tuple[int, int], npt.NDArray[np.float32]] | None = None
        self.defog = Defog(cfg.detection.defog)
        # track ids and the frame time a re-check of each was last planned (parallel columns)
        self._asked: tuple[I64, npt.NDArray[np.float64]] = (np.zeros(0, np.int64), np.zeros(0))

    @property
    def uses_model(self) -> bool:
        """False for a camera run on motion alone (no model labels given): blobs are then the detections."""
        return self.lookup is not None

    def _scene_for(self, frame: Frame) -> Scene:
        wh = (int(frame.data.shape[1]), int(frame.data.shape[0]))
        if self.scene is None or self.scene.frame_wh != wh:
            self.scene = Scene(self.cfg, wh)
            self.motion = MotionDetector(self.cfg.motion, self.scene.motion_ignore)
        return self.scene

    def plan(self, frame: Frame) -> Plan:
        """Decide what the model must see of ``frame`` (see the module docstring); runs tamper checks on the way.
        Rebuilds the scene and motion background when the frame size changes.
        """
        scene = self._scene_for(frame)
        assert self.motion is not None
        if self.uses_model and not self.cfg.motion.enabled:
            rects, tiling = self._whole(scene.frame_wh)
            due = self.tamper.due(frame.ts)
            tamper = self.tamper(downscale_gray(frame.data, self.cfg.motion.width), frame.ts) if due else []
            return Plan(self._for_model(frame, rects), rects, None, tamper, True, tiling)
        motion = self.motion(frame.data, self.defog.check(frame.data, frame.ts))
        tamper = self.tamper(motion.gray, frame.ts)
        if not self.uses_model:
            blobs = self._blobs(motion) if self.motion.warm else _NO_DETECTIONS
            return Plan(frame, _NO_RECTS, blobs, tamper, motion.any)
        rects, tiling = self._regions(motion, frame.ts, scene.frame_wh)
        return Plan(self._for_model(frame, rects), rects, None, tamper, motion.any, tiling)

    def _for_model(self, frame: Frame, rects: I64) -> Frame:
        """The frame with defog applied when the model will look at it (the evidence picture is this one)."""
        if not len(rects):
            return frame
        data = self.defog(frame.data, frame.ts)
        return frame if data is frame.data else replace(frame, data=data)

    def _whole(self, wh: tuple[int, int]) -> tuple[I64, Tiling | None]:
        """The whole-frame rects and tiling, planned once per frame size (read-only: every frame shares them)."""
        if self._whole_plan is None or self._whole_plan[0] != wh:
            det = self.cfg.detection
            rects, tiling = whole_frame_regions(wh, self.model_side, det.whole_frame, det.tile_overlap, det.max_tiles)
            rects.flags.writeable = False
            self._whole_plan = (wh, rects, tiling)
        return self._whole_plan[1], self._whole_plan[2]

    def _regions(self, motion: MotionResult, ts: float, wh: tuple[int, int]) -> tuple[I64, Tiling | None]:
        if motion.global_change:
            return self._whole(wh)
        tracks = self.tracker.tracks
        if not len(motion.boxes) and not len(tracks):  # a quiet scene: nothing to look at (as plan_regions finds)
            return _NO_RECTS, None
        # re-verify stationary tracks now and then, and a track that was missed at once (until it
        # is found again or ends): an unobserved track must neither live forever nor drift
        recheck = self._recheck(tracks, ts)
        if not len(motion.boxes) and not recheck.any():  # quiet around parked objects: nothing wanted, as above
            return _NO_RECTS, None
        if recheck.any():
            self._note_asked(tracks.ids, recheck, ts)
        # where the tracks are expected now, as the tracker judges a look (``_visibility``): a re-check placed
        # at a moving track's last seen box would miss its predicted centre and count for nothing
        boxes = self.tracker.model.boxes(self.tracker.predictor.predict(tracks, ts).mean)
        touched = (
            (iou_matrix(boxes, motion.boxes) > 0).any(axis=1) if len(motion.boxes) else np.zeros(len(tracks), bool)
        )
        wanted = np.concatenate((motion.boxes, boxes[touched | recheck]))
        if len(wanted) and not self.cfg.motion.crop:
            return self._whole(wh)
        whole = len(self._whole(wh)[0])  # crops fewer than the whole-frame pass's inputs still pay off
        rects, tiling = plan_regions(wanted, wh, self.model_side, self.cfg.motion.max_regions, whole_inputs=whole)
        if len(rects) == 1 and (rects[0] == (0, 0, *wh)).all():  # cropping did not pay off
            return self._whole(wh)
        return rects, tiling

    def _recheck(self, tracks: Tracks, ts: float) -> npt.NDArray[np.bool_]:
        """Tracks to look at again now: not looked at for ``stationary_recheck_s``, or missed at their last
        look -- unless a look at them is already planned and not yet finished.

        Why the planned looks: a look planned for frame t only shows in ``looked_ts`` (and ``misses``) once
        frame t is finished, and the service plans the next frames while t is in flight; without them every
        one of those frames asked for the same look again (on bench/bench_pipeline.py's gating clip a
        vanished walker cost seven model runs per re-check where one decides). A planned look whose answer
        never came (dropped as stale) stops counting after ``stationary_recheck_s``.
        """
        every = self.cfg.motion.stationary_recheck_s
        recheck = ((ts - tracks.looked_ts) >= every) | (tracks.misses > 0)
        ids, at = self._asked
        if not len(ids):
            return recheck
        same = tracks.ids[:, None] == ids[None, :]  # (tracks, asked): a few of each
        asked = np.where(same, at[None, :], -np.inf).max(axis=1, initial=-np.inf)
        pending = (asked > tracks.looked_ts) & ((ts - asked) < every)
        return recheck & ~pending

    def _note_asked(self, ids: I64, asked: npt.NDArray[np.bool_], ts: float) -> None:
        """Remember that a look at the ``asked`` tracks is planned at ``ts`` (ended tracks are forgotten)."""
        old_ids, old_at = self._asked
        keep = np.isin(old_ids, ids) & ~np.isin(old_ids, ids[asked])
        new = ids[asked]
        self._asked = (np.concatenate((old_ids[keep], new)), np.concatenate((old_at[keep], np.full(len(new), ts))))

    def _blobs(self, motion: MotionResult) -> Detections:
        keep = motion.area_frac >= self.cfg.detection.blob_min_area_frac
        n = int(keep.sum())
        cls = np.full(n, CLASS_INDEX[self.cfg.detection.blob_class], np.int64)
        return Detections(motion.boxes[keep], np.clip(motion.fill[keep], 0, 1), cls)

    def detections(self, plan: Plan, cands: Candidates | None) -> Detections:
        """Model candidates (or blobs) in contract classes, filtered and unmasked."""
        if plan.blobs is not None:
            dets = plan.blobs
        elif cands is None or self.lookup is None or len(cands.score) == 0:
            return _NO_DETECTIONS
        else:
            # the decoder's columns already have the Detections dtypes and shapes: no re-validation per frame
            tracker_id = np.empty(len(cands.score), np.int64)
            tracker_id.fill(-1)  # ``np.full`` is a Python wrapper around these two calls
            dets = Detections.unchecked(cands.xyxy, cands.score, self.lookup[cands.class_id], tracker_id, {})
            if not self.every_label_kept:
                dets = dets[valid_classes(dets)]
            if len(dets) > 1:  # a lone box has nothing to merge with
                dets = dets[batched_nms(dets.xyxy, dets.confidence, dets.class_id, _CLASS_MERGE_IOU)]
        if len(dets) == 0:
            return dets
        # clip in float32 against whole-pixel limits: exact, and no round trip through float64
        xyxy = np.minimum(np.maximum(dets.xyxy, np.float32(0)), self._clip_limits())
        dets = Detections.unchecked(xyxy, dets.confidence, dets.class_id, dets.tracker_id, dets.extra)
        keep = self.filters.keep(dets)
        if self.scene is not None and self.scene.object_masks:
            keep &= outside_masks(dets.xyxy, self.scene.object_masks)
        return dets if np.count_nonzero(keep) == len(keep) else dets[keep]  # cheaper than ``all`` on a few rows

    def _clip_limits(self) -> npt.NDArray[np.float32]:
        """(4,) float32 (w, h, w, h) of the frame, made once per frame size (read-only: every frame shares it)."""
        w, h = self.scene.frame_wh if self.scene else (1 << 14, 1 << 14)
        if self._clip is None or self._clip[0] != (w, h):
            limits = np.array([w, h, w, h], np.float32)
            limits.flags.writeable = False
            self._clip = ((w, h), limits)
        return self._clip[1]

    def finish(self, plan: Plan, cands: Candidates | None, inferred: bool = True) -> Output:
        """Track and make events; ``inferred`` False means the model did not run (e.g. stale)."""
        scene = self._scene_for(plan.frame)
        dets = self.detections(plan, cands)
        looked_rects = plan.rects if (inferred and self.uses_model) else _NO_RECTS
        if self._idle(dets, looked_rects, plan):
            return Output([], [], 0)
        out = self.tracker.step(dets, plan.frame.ts, self._visibility(looked_rects))
        stationary = self.tracker.stationary(out.tracks, plan.frame.ts)
        return self.output.build(plan.frame, scene, out, stationary, plan.tamper, self.tracker.model, len(dets))

    def _idle(self, dets: Detections, looked: I64, plan: Plan) -> bool:
        """Nothing seen, nothing looked at, nothing to report: the tracker step can be skipped.

        Exact, not an approximation: with no detection and no inspected area a step would only
        predict (the next step predicts over the longer interval to the same result), count no miss
        and end no track. Only a due heartbeat update needs the full step.
        """
        if len(dets) or plan.tamper:
            return False
        if not len(self.tracker.tracks):
            return True
        return self.uses_model and not len(looked) and not self.output.heartbeat_due(plan.frame.ts)

    def _visibility(self, rects: I64) -> Visibility | None:
        """Which tracks the model looked at this frame; None means all of them."""
        if not self.uses_model:
            return None
        if self._whole_plan is not None and rects is self._whole_plan[1]:
            return None  # the planned whole-frame pass itself (the frame rect is among its rects)
        frame = np.array([[0, 0, *self.scene.frame_wh]], np.int64) if self.scene else np.zeros((0, 4), np.int64)
        if len(frame) and len(rects) and (rects == frame).all(axis=1).any():
            return None  # a whole-frame pass: every centre is in the frame or outside it

        def visible(tracks: Tracks) -> npt.NDArray[np.bool_]:
            centres = self.tracker.model.positions(tracks.mean)
            return centres_inside(centres, rects) | ~centres_inside(centres, frame)

        return visible

    def video_lost(self, ts: float) -> Output:
        """Video lost: every confirmed track ends now, and motion relearns the scene when video returns.

        The tamper reference is kept on purpose: a camera that comes back pointing elsewhere is a
        scene change worth reporting.
        """
        ended = self.tracker.end_all()
        if self.scene is not None:
            self.motion = MotionDetector(self.cfg.motion, self.scene.motion_ignore)
        return self.output.ended(ended, ts, self.scene, self.tracker.model)
