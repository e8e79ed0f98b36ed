"""Synchronous camera detection on one frame, no thread involved (CLI tools, benchmarks, tests).

The service path does the same in two halves (plan/letterbox on the worker, decode after the
batched inference); this is the one-call form for callers that have a frame and want boxes.
"""

from __future__ import annotations

import numpy as np

from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.pipeline.decode import Candidates
from borderwatch.edge.sensors.camera.letterbox import Preprocessor
from borderwatch.edge.sensors.camera.regions import Tiling


class DirectDetector:
    """Letterbox ``rects`` of a BGR frame, run the model in the caller's thread, decode."""

    def __init__(self, batcher: InferenceBatcher) -> None:
        self.batcher = batcher
        self.prep = Preprocessor(batcher.detector.input_wh, slots=1)

    def __call__(self, frame: np.ndarray, rects: np.ndarray, tiling: Tiling | None = None) -> Candidates:
        tensor, letterbox = self.prep(frame, rects)
        return self.batcher.decode(self.batcher.infer(tensor), letterbox, tiling)
