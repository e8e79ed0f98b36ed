"""Agent-wide model settings (one ONNX session per model, shared by every sensor using it), and the
default map from model labels to contract classes.

Validation does no I/O: model files are resolved and checked when the sensor service starts.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from borderwatch.contract.common import ObjectClass
from borderwatch.edge.config.settings import Settings


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, which containers and systemd may narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


_VEHICLES = ("car", "truck", "bus", "motorcycle", "motorbike", "bicycle", "train", "van")
_ANIMALS = ("dog", "horse", "sheep", "cow", "bear", "cat", "bird", "elephant", "zebra", "giraffe", "deer")
COCO_CLASS_MAP: dict[str, ObjectClass] = {
    "person": ObjectClass.PERSON,
    "vehicle": ObjectClass.VEHICLE,
    "animal": ObjectClass.ANIMAL,
    "boat": ObjectClass.VESSEL,
    "vessel": ObjectClass.VESSEL,
    **{name: ObjectClass.VEHICLE for name in _VEHICLES},
    **{name: ObjectClass.ANIMAL for name in _ANIMALS},
}
"""Default map from model labels (COCO names and the project's own) to contract classes."""


class DetectorConfig(Settings):
    """Agent-wide inference settings shared by all sensors (one session per model)."""

    models_dir: Path | None = Field(
        None,
        description="folder of operator-supplied models (its own manifest.json); shipped models (bw-cam-s, ...) are "
        "always found in the installed package",
    )
    verify_sha256: bool = Field(True, description="refuse a manifest model whose SHA-256 differs")
    lanes: int = Field(
        0,
        ge=0,
        le=16,
        description="model calls running at once, each on its own core(s); 0 = auto (2 on 2+ cores)",
    )
    intra_op_threads: int = Field(
        0, ge=0, le=64, description="onnxruntime threads inside one model call; 0 = auto (cores / lanes)"
    )
    spin_wait: bool = Field(
        False, description="let onnxruntime threads busy-wait between runs (a little faster, burns idle CPU)"
    )
    max_batch: int = Field(8, ge=1, le=64, description="most crops/frames in one model call")
    batch_timeout_ms: float = Field(4.0, ge=0, le=200, description="wait this long to fill a batch")
    staleness_ms: float = Field(
        1000.0, ge=10, le=60_000, description="frames older than this when inference starts are skipped"
    )
    input_size: int = Field(640, ge=32, le=4096, description="input side when the model's shape is dynamic")
    score_threshold: float = Field(0.25, ge=0, le=1, description="candidates below this are dropped pre-NMS")
    iou_threshold: float = Field(0.45, gt=0, le=1, description="class-aware NMS overlap threshold")
    top_k: int = Field(300, ge=1, le=100_000, description="best candidates per image kept before NMS")
    max_detections: int = Field(100, ge=1, le=10_000, description="detections kept per frame after NMS")

    def threads(self, cores: int | None = None) -> tuple[int, int]:
        """(lanes, intra-op threads per lane) for a machine with ``cores`` usable cores.

        Why lanes: a small detector cannot keep two cores busy inside one call (measured on a
        2-core machine: 1.8 cores used, and the camera worker's own work then delays a call's
        slowest thread); two single-threaded calls side by side gave 1.2x the frames per second
        of one two-threaded call. Each lane adds a frame of latency per camera (milliseconds).
        """
        cores = max(1, cores if cores is not None else usable_cores())
        lanes = self.lanes or min(2, cores)
        return lanes, self.intra_op_threads or max(1, cores // lanes)
