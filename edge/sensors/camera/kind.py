"""The camera sensor kind: what ``[cameras.<id>]`` sections become in the sensor service.

The camera owns its frame format (HxWx3 uint8 BGR, what OpenCV decodes), its preprocessing (crops
letterboxed into the model input, ``letterbox.py``), its planning (motion gating, tiling,
``pipeline.py``) and the mapping of the model's boxes back to frame pixels. Everything after the
decode -- Detections, tracker, rules, events, evidence -- is shared (``edge/pipeline``,
``edge/tracking``, ``edge/evidence.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from borderwatch.contract.common import SensorKind
from borderwatch.contract.events import Event, EventKind
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.sensor.kind import Attributes, BuildContext, Built, Output, Planned
from borderwatch.edge.sensors.camera.capture import CaptureFactory, open_capture
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.letterbox import Letterbox, Preprocessor
from borderwatch.edge.sensors.camera.pipeline import CameraPipeline, Plan
from borderwatch.edge.sensors.camera.reader import CameraReader
from borderwatch.edge.sensors.frame import Frame


def check_frame(frame: Frame) -> None:
    """The camera's frame contract: HxWx3 uint8 BGR (a reader that breaks it is a bug, refused here)."""
    data = frame.data
    if data.dtype != np.uint8 or data.ndim != 3 or data.shape[2] != 3:
        raise ValueError(f"camera frame: expected HxWx3 uint8 BGR, got {data.dtype} {data.shape}")


@dataclass(frozen=True, slots=True)
class _State:
    """What ``finish`` needs again: the camera's plan and how its crops were letterboxed."""

    plan: Plan
    letterbox: Letterbox | None = None


@dataclass
class CameraUnit:
    """One camera's per-frame steps around its ``CameraPipeline`` (the worker thread's alone)."""

    pipeline: CameraPipeline
    batcher: InferenceBatcher | None
    prep: Preprocessor | None
    tamper: set[str] = field(default_factory=set)

    @property
    def degraded(self) -> bool:
        """A tamper condition is raised (covered, blinded, defocused or turned)."""
        return bool(self.tamper)

    def plan(self, frame: Frame) -> Planned:
        """Gate and plan; if the model must look, letterbox the crops into its input."""
        check_frame(frame)
        plan = self.pipeline.plan(frame)
        if not len(plan.rects) or self.batcher is None or self.prep is None:
            return Planned(frame, None, _State(plan))
        tensor, letterbox = self.prep(plan.frame.data, plan.rects)  # plan.frame: defogged when hazy
        return Planned(plan.frame, tensor, _State(plan, letterbox))

    def finish(self, planned: Planned, answer: np.ndarray | None) -> Output:
        """Decode the model's answer back to frame pixels, then track, apply rules, make events."""
        state: _State = planned.state
        cands = None
        if answer is not None and self.batcher is not None and state.letterbox is not None:
            cands = self.batcher.decode(answer, state.letterbox, state.plan.tiling)
        out = self.pipeline.finish(state.plan, cands, inferred=cands is not None)
        self._note_tamper(out.events)
        return out

    def _note_tamper(self, events: list[Event]) -> None:
        for ev in events:
            if ev.kind is EventKind.TAMPER:
                kind = str(ev.attributes.get("tamper"))
                (self.tamper.add if ev.attributes.get("state") == "raised" else self.tamper.discard)(kind)
        self.tamper.discard("scene_change")

    def lost(self, ts: float) -> Output:
        """Video lost: confirmed tracks end, motion relearns the scene when video returns."""
        return self.pipeline.video_lost(ts)

    def health(self, kind: EventKind, ts: float, attributes: Attributes) -> Event:
        """A health event of this camera."""
        return self.pipeline.output.health(kind, ts, attributes)


class CameraKind:
    """Builds cameras; ``capture_factory`` opens their sources (tests and benchmarks feed memory)."""

    contract_kind = SensorKind.CAMERA

    def __init__(self, capture_factory: CaptureFactory = open_capture) -> None:
        self.capture_factory = capture_factory

    def model_ref(self, cfg: CameraConfig) -> str | None:
        """``detection.model``; None: motion blobs are the detections."""
        return cfg.detection.model

    def build(self, sensor_id: str, cfg: CameraConfig, ctx: BuildContext) -> Built:
        """The camera's reader and its unit (pipeline, letterboxer sized for the model)."""
        batcher = ctx.model
        labels = batcher.detector.labels if batcher else None
        side = batcher.detector.input_wh[0] if batcher else 640
        pipeline = CameraPipeline(ctx.site, ctx.agent, sensor_id, cfg, labels, side, ctx.first_track_id)
        # a letterbox buffer for every frame the worker may have in flight, plus the one being prepared
        prep = Preprocessor(batcher.detector.input_wh, slots=batcher.in_flight + 1) if batcher else None
        reader = CameraReader(sensor_id, cfg, self.capture_factory)
        return Built(reader, CameraUnit(pipeline, batcher, prep), cfg.evidence)
