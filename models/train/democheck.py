"""How well a camera model sees the demo scenario's frames, fed two ways.

Why both: an agent either letterboxes whole frames to 320x320 (cheap, but a 960x540 frame shrinks
3x, so distant people become a few pixels) or runs 320x320 crops at native resolution around
motion. The figures say which feeding the demo needs. No torch: numpy, onnxruntime, OpenCV and
the camera simulator.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from borderwatch.models.train.dataset import letterbox
from borderwatch.models.train.evaluate import decode, session
from borderwatch.runtime.geometry import iou_matrix
from borderwatch.simulators.camera.render import CameraRenderer, RenderResult
from borderwatch.simulators.presets import PRESETS

Sample = tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32], npt.NDArray[np.int64]]  # image, boxes, classes


def native_crops(res: RenderResult) -> list[Sample]:
    """A 320x320 crop centred on each object (clamped to the frame) with the boxes wholly inside it."""
    h, w = res.frame.shape[:2]
    out = []
    for b in res.xyxy:
        x0 = int(np.clip((b[0] + b[2]) / 2 - 160, 0, w - 320))
        y0 = int(np.clip((b[1] + b[3]) / 2 - 160, 0, h - 320))
        moved = res.xyxy - np.array([x0, y0, x0, y0], np.float32)
        inside = np.all((moved >= 0) & (moved <= 320), axis=1)
        out.append((res.frame[y0 : y0 + 320, x0 : x0 + 320], moved[inside], res.class_id[inside]))
    return out


def found(sess: ort.InferenceSession, samples: list[Sample], thr: float, batch: int = 16) -> float:
    """Share of ground-truth boxes matched (IoU >= 0.5, right class) at the threshold."""
    hits = []
    for k in range(0, len(samples), batch):
        chunk = samples[k : k + batch]
        x = np.stack([cv2.cvtColor(s[0], cv2.COLOR_BGR2RGB) for s in chunk]).transpose(0, 3, 1, 2)
        dets = decode(sess.run(None, {"images": x.astype(np.float32) / 255})[0], conf=thr)
        for (_, g, c), (xyxy, _, cls) in zip(chunk, dets, strict=True):
            hits.append(((iou_matrix(g, xyxy) >= 0.5) & (c[:, None] == cls[None, :])).any(1))
    return float(np.concatenate(hits).mean()) if hits else float("nan")


def demo_recall(model: str | Path, thr: float = 0.35, step_s: float = 2.0) -> dict[str, dict[str, float]]:
    """Per preset: recall for whole frames letterboxed and for native-resolution crops."""
    sess = session(model, 2)
    out = {}
    for name in ("border-crossing", "border-crossing-night"):
        scn = PRESETS[name]()
        whole: list[Sample] = []
        crops: list[Sample] = []
        for spec in scn.cameras:
            r = CameraRenderer(scn, spec)
            for t in np.arange(0, scn.duration_s, step_s):
                res = r.render(float(t))
                if len(res.xyxy):
                    img, boxes = letterbox(res.frame, res.xyxy)
                    whole.append((img, boxes, res.class_id))
                    crops += native_crops(res)
        out[name] = {
            "frames": len(whole),
            "whole_frame": found(sess, whole, thr),
            "native_crops": found(sess, crops, thr),
        }
    return out
