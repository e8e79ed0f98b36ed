"""Held-out metrics of an ONNX detector: mAP@0.5 per class, P/R at the operating threshold,
animal<->person confusion, and latency. numpy, scipy, onnxruntime and OpenCV (no torch).

Matching per image and class is one assignment on the IoU matrix (scipy), weighted so that a
maximal set of IoU >= 0.5 pairs is taken and, among equals, higher-scored detections win.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from scipy.optimize import linear_sum_assignment

from borderwatch.runtime.geometry import iou_matrix

CLASSES = ("person", "vehicle", "animal")
IOU_MATCH = 0.5


def session(path: str | Path, threads: int = 2) -> ort.InferenceSession:
    """CPU session with a fixed thread budget (``threads`` intra-op, 1 inter-op), so latency says what it used."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def decode(
    out: npt.NDArray[np.float32],
    conf: float = 0.25,
    iou: float = 0.5,
    max_det: int = 300,
) -> list[tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.int64]]]:
    """(B, 4+C, N) YOLOv8 output -> per image (xyxy, score, class), class-aware NMS."""
    res = []
    for o in out:
        scores = o[4:]
        cls = scores.argmax(0)
        sc = scores[cls, np.arange(scores.shape[1])]
        keep = np.nonzero(sc >= conf)[0]
        keep = keep[np.argsort(-sc[keep])[: max_det * 10]]
        cx, cy, w, h = o[:4, keep]
        xywh = np.stack([cx - w / 2, cy - h / 2, w, h], 1)
        idx = cv2.dnn.NMSBoxesBatched(xywh.tolist(), sc[keep].tolist(), cls[keep].tolist(), conf, iou)
        idx = np.asarray(idx, np.int64).reshape(-1)[:max_det]
        xyxy = np.concatenate([xywh[idx, :2], xywh[idx, :2] + xywh[idx, 2:]], 1).astype(np.float32)
        res.append((xyxy, sc[keep][idx].astype(np.float32), cls[keep][idx].astype(np.int64)))
    return res


def match(det: npt.NDArray, score: npt.NDArray, gt: npt.NDArray) -> npt.NDArray[np.bool_]:
    """True positives among detections of one class in one image."""
    iou = iou_matrix(det, gt)
    tp = np.zeros(len(det), bool)
    if iou.size == 0:
        return tp
    weight = (iou >= IOU_MATCH) * (1.0 + score[:, None])
    r, c = linear_sum_assignment(weight, maximize=True)
    tp[r[weight[r, c] > 0]] = True
    return tp


def average_precision(scores: npt.NDArray, tp: npt.NDArray, n_gt: int) -> float:
    """All-point interpolated AP (VOC 2010+ / COCO style at one IoU)."""
    if n_gt == 0:
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    ctp = np.cumsum(tp[order])
    recall = np.concatenate([[0], ctp / n_gt])
    precision = np.concatenate([[1], ctp / np.arange(1, len(order) + 1)])
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum(np.diff(recall) * envelope[1:]))


@dataclass
class ClassMetrics:
    """Held-out figures of one class: AP@0.5, precision and recall at the operating threshold, object count."""

    ap50: float
    precision: float
    recall: float
    n_gt: int


def class_metrics(dets: list, labels: npt.NDArray, c: int, thr: float) -> ClassMetrics:
    """Metrics of class ``c`` over all images: ``dets`` from run(), labels rows (image, cls, x0, y0, x1, y1).

    AP is nan when the class has no objects; precision is 0 when no detection reaches ``thr``.
    """
    scores, tps, n_gt = [], [], 0
    for i, (xyxy, sc, cl) in enumerate(dets):
        g = labels[(labels[:, 0] == i) & (labels[:, 1] == c), 2:]
        m = cl == c
        n_gt += len(g)
        scores.append(sc[m])
        tps.append(match(xyxy[m], sc[m], g))
    s, t = np.concatenate(scores), np.concatenate(tps)
    at = s >= thr
    prec = float(t[at].sum() / max(at.sum(), 1))
    return ClassMetrics(average_precision(s, t, n_gt), prec, float(t[at].sum() / max(n_gt, 1)), n_gt)


def recall_by_height(dets: list, labels: npt.NDArray, thr: float) -> dict[str, float]:
    """Recall over all classes (a detection of the object's own class at >= thr) by object height in
    input pixels: where the model stops seeing."""
    edges = (0, 8, 16, 32, 96, 1e9)
    found = np.zeros(len(labels), bool)
    for i, (xyxy, sc, cl) in enumerate(dets):
        rows = np.nonzero(labels[:, 0] == i)[0]
        for c in range(len(CLASSES)):
            r = rows[labels[rows, 1] == c]
            m = (cl == c) & (sc >= thr)
            found[r] = match(labels[r, 2:], np.ones(len(r)), xyxy[m]) if len(r) else found[r]
    h = labels[:, 5] - labels[:, 3]
    out = {}
    for lo, hi in itertools.pairwise(edges):
        sel = (h >= lo) & (h < hi)
        out[f"{lo:g}-{hi:g}px" if hi < 1e9 else f">={lo:g}px"] = float(found[sel].mean()) if sel.any() else float("nan")
    return out


def confusion(dets: list, labels: npt.NDArray, src: int, dst: int, thr: float) -> float:
    """Share of ground-truth `src` objects overlapped (IoU >= 0.5) by a `dst` detection >= thr."""
    hit, total = 0, 0
    for i, (xyxy, sc, cl) in enumerate(dets):
        g = labels[(labels[:, 0] == i) & (labels[:, 1] == src), 2:]
        total += len(g)
        iou = iou_matrix(g, xyxy[(cl == dst) & (sc >= thr)])
        hit += int((iou >= IOU_MATCH).any(axis=1).sum()) if iou.size else 0
    return hit / max(total, 1)


def run(sess: ort.InferenceSession, images: npt.NDArray[np.uint8], batch: int = 16) -> list:
    """Detections for (n, 320, 320, 3) RGB uint8 images, low threshold for AP."""
    dets = []
    for k in range(0, len(images), batch):
        x = images[k : k + batch].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        dets += decode(sess.run(None, {"images": x})[0], conf=0.01)
    return dets


def latency_ms(path: Path, threads: int = 2, n: int = 60) -> dict[str, float]:
    """Median ms per 320x320 frame at batch 1 and batch 4."""
    sess = session(path, threads)
    out = {}
    for b in (1, 4):
        x = np.random.default_rng(0).random((b, 3, 320, 320), dtype=np.float32)
        for _ in range(5):
            sess.run(None, {"images": x})
        ts = []
        for _ in range(n // b):
            t = time.perf_counter()
            sess.run(None, {"images": x})
            ts.append((time.perf_counter() - t) * 1000 / b)
        out[f"batch{b}_ms_per_frame"] = float(np.median(ts))
    return out


T = TypeVar("T")


def load_span(measure: Callable[[], T]) -> tuple[T, dict[str, float]]:
    """``measure()`` and the 1-minute load average at its start and end: latency on a shared machine means
    little without the load it ran under (the card quotes both)."""
    start = os.getloadavg()[0]
    out = measure()
    return out, {"start": start, "end": os.getloadavg()[0]}


def machine(threads: int = 2) -> str:
    """What a latency figure ran on, as metrics.json and the card name it."""
    return f"{os.cpu_count()} CPU, onnxruntime {ort.__version__}, {threads} threads"


def _shown(path: Path) -> str:
    """``path`` as the metrics file records it: relative to the repository when inside it, so the file
    names no working copy (a worktree's absolute path outlives nothing)."""
    root = Path(__file__).resolve().parents[2]
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return path.name


def evaluate(model: Path, data: Path, thr: float, threads: int = 2) -> dict:
    """Every held-out figure of an ONNX model on an .npz set, JSON-ready; the model card is written from it."""
    z = np.load(data)
    dets = run(session(model, threads), z["images"])
    labels = z["labels"]
    per = {n: asdict(class_metrics(dets, labels, c, thr)) for c, n in enumerate(CLASSES)}
    latency, load = load_span(lambda: latency_ms(model, threads))
    return {
        "model": _shown(model),
        "data": _shown(data),
        "images": len(z["images"]),
        "threshold": thr,
        "classes": per,
        "animal_as_person": confusion(dets, labels, 2, 0, thr),
        "person_as_animal": confusion(dets, labels, 0, 2, thr),
        "recall_by_height": recall_by_height(dets, labels, thr),
        "latency": latency,
        "latency_load": load,
        "machine": machine(threads),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI: print the metrics as JSON (and write them to --json)."""
    ap = argparse.ArgumentParser(description="held-out metrics of an ONNX camera detector")
    ap.add_argument("--model", type=Path, default=Path("models/camera/bw-cam-s.onnx"))
    ap.add_argument("--data", type=Path, default=Path("models/data/heldout.npz"))
    ap.add_argument("--threshold", type=float, default=0.35)
    ap.add_argument("--json", type=Path, default=None, help="also write the metrics here")
    a = ap.parse_args(argv)
    m = evaluate(a.model, a.data, a.threshold)
    text = json.dumps(m, indent=1)
    print(text)
    if a.json:
        a.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
