"""Detector backends behind one small protocol; onnxruntime today.

One session per model, threads pinned (the mast's cores are shared with capture and the link),
warmed up at load so the first real frame does not pay graph initialisation. When the model's
batch axis is dynamic, a whole batch goes in one call; otherwise images run one by one.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

import numpy as np
import numpy.typing as npt

from borderwatch.contract.status import ModelInfo
from borderwatch.edge.pipeline.decode import Layout, class_count, output_layout
from borderwatch.edge.pipeline.modelref import ModelError, ModelRef, parse_imgsz, parse_names, sidecar_names

log = logging.getLogger("borderwatch.sensor.detector")


class DetectorBackend(Protocol):
    """What the batcher needs from a model."""

    name: str
    labels: tuple[str, ...]
    input_wh: tuple[int, int]
    dynamic_batch: bool

    def infer(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """(B, C_in, H, W) float32 -> (B, 4+C, N) detections or (B, C) class scores (``decode.output_layout``)."""
        ...

    def info(self) -> ModelInfo:
        """Name and SHA-256 the agent's status lists, so the hub knows which model produced its events."""


def _dim(value: object, fallback: int) -> int:
    return value if isinstance(value, int) and value > 0 else fallback


class OnnxDetector:
    """An ONNX model (YOLO detection or classifier layout, found at warm-up) in one onnxruntime session."""

    def __init__(
        self, ref: ModelRef, intra_op_threads: int = 2, default_size: int = 640, spin_wait: bool = False
    ) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = intra_op_threads
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin_wait else "0")
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(ref.path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises several private exception types
            raise ModelError(f"model {ref.name!r}: onnxruntime cannot load {ref.path}: {exc}") from None
        self.ref, self.name = ref, ref.name
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        if len(inp.shape) != 4:
            raise ModelError(f"model {ref.name!r}: expected a (B, 3, H, W) input, got {inp.shape}")
        fallback, source = self._declared_size(default_size)
        self.input_wh = (_dim(inp.shape[3], fallback[1]), _dim(inp.shape[2], fallback[0]))
        if not (isinstance(inp.shape[2], int) and isinstance(inp.shape[3], int)):
            log.info("model=%s has dynamic input axes: runs at %dx%d (%s)", ref.name, *self.input_wh, source)
        self.dynamic_batch = not isinstance(inp.shape[0], int)
        self.labels = self._labels()
        self.layout: Layout = "yolo"
        self.warm_up()

    def _declared_size(self, default_size: int) -> tuple[tuple[int, int], str]:
        """(height, width) for dynamic input axes, and where it came from: the manifest, else the size the model
        was exported at (Ultralytics writes ``imgsz``; running it at another size shifts its boxes and scores),
        else ``default_size``.
        """
        if self.ref.input_hw:
            return self.ref.input_hw, "manifest input"
        meta = self.session.get_modelmeta().custom_metadata_map
        if "imgsz" in meta:
            return parse_imgsz(meta["imgsz"]), f"its imgsz metadata {meta['imgsz']}"
        return (default_size, default_size), "no imgsz metadata: detector.input_size"

    def _labels(self) -> tuple[str, ...]:
        if self.ref.labels:
            return self.ref.labels
        meta = self.session.get_modelmeta().custom_metadata_map
        if "names" in meta:
            return parse_names(meta["names"])
        side = sidecar_names(self.ref.path)
        if side:
            return side
        log.warning("model=%s has no class names (metadata or sidecar); using class<i>", self.name)
        return ()

    def warm_up(self) -> float:
        """One inference on a grey image; returns its duration in ms and fixes the label count."""
        w, h = self.input_wh
        t0 = time.perf_counter()
        try:
            out = self.infer(np.full((1, 3, h, w), 114 / 255, np.float32))
        except Exception as exc:  # onnxruntime raises private exception types
            raise ModelError(f"model {self.name!r}: warm-up inference failed: {exc}") from None
        ms = (time.perf_counter() - t0) * 1000
        try:
            self.layout, classes = output_layout(out.shape), class_count(out.shape)
        except ValueError as exc:
            raise ModelError(f"model {self.name!r}: {exc}") from None
        if not self.labels:
            self.labels = tuple(f"class{i}" for i in range(classes))
        if len(self.labels) != classes:
            raise ModelError(f"model {self.name!r}: {len(self.labels)} class names but {classes} class scores")
        log.info(
            "model loaded name=%s input=%dx%d layout=%s classes=%d warmup_ms=%.1f",
            self.name,
            w,
            h,
            self.layout,
            classes,
            ms,
        )
        return ms

    def infer(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """One call with a dynamic batch axis, else image by image; safe from several lanes at once (the session is)."""
        if self.dynamic_batch or len(batch) == 1:
            return self.session.run(None, {self.input_name: batch})[0]
        outs = [self.session.run(None, {self.input_name: batch[i : i + 1]})[0] for i in range(len(batch))]
        return np.concatenate(outs)

    def info(self) -> ModelInfo:
        """The name is clipped to the contract's 128 characters; the hash is the one checked at load."""
        return ModelInfo(name=self.name[:128], sha256=self.ref.sha256)
