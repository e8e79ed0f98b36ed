"""Camera model benchmark: raw onnxruntime latency, and what it finds in the demo scenario's frames.

Run: python bench/bench_model.py [--model models/camera/bw-cam-s.onnx] [--quick]
Prints latency per 320x320 frame (batch 1 and 4, 1 and 2 threads) beside the YOLOv8n figure
from facts.md, then recall of the demo scenario's visible objects for whole frames letterboxed
to 320 and for 320x320 crops at native resolution (what motion crops give the model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.registry import find, verify
from models.train.dataset import letterbox
from models.train.evaluate import decode, iou_matrix, latency_ms, session
from simulators.camera.render import CameraRenderer
from simulators.presets import PRESETS

YOLOV8N_320_MS = 13.6  # facts.md: YOLOv8n architecture, 2 threads, this machine class


def native_crops(frame: np.ndarray, boxes: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One 320x320 crop centred on each box (clamped to the frame), boxes moved into it."""
    h, w = frame.shape[:2]
    crops, moved = [], []
    for b in boxes:
        x0 = int(np.clip((b[0] + b[2]) / 2 - 160, 0, w - 320))
        y0 = int(np.clip((b[1] + b[3]) / 2 - 160, 0, h - 320))
        crops.append(frame[y0 : y0 + 320, x0 : x0 + 320])
        moved.append(boxes - np.array([x0, y0, x0, y0], np.float32))
    return crops, moved


def found(
    sess: ort.InferenceSession,
    images: list[np.ndarray],
    gts: list[np.ndarray],
    classes: list[np.ndarray],
    thr: float,
) -> float:
    """Share of ground-truth boxes matched (IoU >= 0.5, right class) at the threshold."""
    if not images:
        return float("nan")
    x = np.stack([cv2.cvtColor(i, cv2.COLOR_BGR2RGB) for i in images]).transpose(0, 3, 1, 2)
    dets = decode(sess.run(None, {"images": x.astype(np.float32) / 255})[0], conf=thr)
    hit = [
        ((iou_matrix(g, d[0]) >= 0.5) & (c[:, None] == d[2][None, :])).any(1)
        if len(d[0])
        else np.zeros(len(g), bool)
        for g, c, d in zip(gts, classes, dets, strict=True)
    ]
    return float(np.concatenate(hit).mean()) if hit else float("nan")


def demo_recall(model: Path, thr: float, step_s: float) -> None:
    sess = session(model, 2)
    for name in ("border-crossing", "border-crossing-night"):
        scn = PRESETS[name]()
        full, crop = [[], [], []], [[], [], []]
        for spec in scn.cameras:
            r = CameraRenderer(scn, spec)
            for t in np.arange(0, scn.duration_s, step_s):
                res = r.render(float(t))
                if not len(res.xyxy):
                    continue
                img, b = letterbox(res.frame, res.xyxy)
                for lst, v in zip(full, (img, b, res.class_id), strict=True):
                    lst.append(v)
                crops, moved = native_crops(res.frame, res.xyxy)
                crop[0] += crops
                crop[1] += moved
                crop[2] += [res.class_id] * len(crops)
        f, c = found(sess, *full, thr), found(sess, *crop, thr)
        print(
            f"{name:24s} frames={len(full[0])} recall@{thr}: "
            f"whole frame letterboxed {f:.2f}, native crops {c:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="default: bw-cam-s from the manifest")
    ap.add_argument("--threshold", type=float, default=0.35)
    ap.add_argument("--quick", action="store_true", help="fewer frames")
    a = ap.parse_args(argv)
    model = a.model or Path(verify(find("bw-cam-s")))
    print(f"model {model} ({model.stat().st_size / 1e6:.1f} MB)")
    for threads in (1, 2):
        lat = latency_ms(model, threads, n=40 if a.quick else 100)
        b1 = lat["batch1_ms_per_frame"]
        print(
            f"threads={threads} batch1 {b1:.2f} ms/frame, batch4 {lat['batch4_ms_per_frame']:.2f} ms/frame"
            + (
                f"; YOLOv8n@320 reference {YOLOV8N_320_MS} ms -> ratio {b1 / YOLOV8N_320_MS:.2f}"
                if threads == 2
                else ""
            )
        )
    demo_recall(model, a.threshold, 5.0 if a.quick else 2.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
