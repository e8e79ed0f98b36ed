"""Camera model benchmark: raw onnxruntime latency, and what it finds in the demo scenario's frames.

Run: python bench/bench_model.py [--model models/camera/bw-cam-s.onnx] [--quick]
Prints latency per 320x320 frame (batch 1 and 4, 1 and 2 threads), then recall of the demo
scenario's visible objects for whole frames letterboxed to 320, for 320x320 crops at native
resolution (what motion crops give the model), and for whole frames through the agent's own tiled
path (``detection.whole_frame = "tiles"``: overlapping native tiles plus the letterboxed frame, cut
boxes dropped, one NMS), which is what the agent does when it must look at a whole frame.
Target: tiled recall >= 0.95 on every preset (PASS/BELOW). Latency is shown beside the figure the
model card quotes from metrics.json (measured right after training; no target here: the machine's
load differs between the two runs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import resolve_model
from borderwatch.edge.sensors.camera.detect import DirectDetector
from borderwatch.edge.sensors.camera.regions import whole_frame_regions
from borderwatch.models.registry import find, verify
from borderwatch.models.train.democheck import demo_recall
from borderwatch.models.train.evaluate import latency_ms
from borderwatch.runtime.geometry import iou_matrix
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.presets import PRESETS


def tiled_recall(model: Path, name: str, thr: float, step_s: float) -> tuple[float, float, int]:
    """(recall, precision, model inputs per frame) of the agent's tiled whole-frame path on a preset's
    frames; precision counts a second box on one object (a tiling duplicate) as false.
    """
    det = OnnxDetector(resolve_model(str(model), model.parent), 2)
    detect = DirectDetector(InferenceBatcher(det, DetectorConfig(score_threshold=thr, max_batch=16)))
    scn = PRESETS[name]()
    hits, inputs, dets, true = [], 0, 0, 0
    for spec in scn.cameras:
        renderer = CameraRenderer(scn, spec)
        for t in np.arange(0, scn.duration_s, step_s):
            res = renderer.render(float(t))
            if not len(res.xyxy):
                continue
            h, w = res.frame.shape[:2]
            rects, tiling = whole_frame_regions((w, h), det.input_wh[0], "tiles")
            inputs = len(rects)
            c = detect(res.frame, rects, tiling)
            match = (iou_matrix(res.xyxy, c.xyxy) >= 0.5) & (res.class_id[:, None] == c.class_id[None, :])
            hits.append(match.any(axis=1))
            dets += len(c.score)
            true += int(match.any(axis=1).sum())  # one true detection per object found, however many boxes
    recall = float(np.concatenate(hits).mean()) if hits else float("nan")
    return recall, (true / dets if dets else float("nan")), inputs


def print_demo(model: Path, thr: float, step_s: float) -> bool:
    """One line per preset; True when the agent's tiled path reaches the 0.95 recall target on all of them."""
    ok = True
    for name, r in demo_recall(model, thr, step_s).items():
        tiled, precision, inputs = tiled_recall(model, name, thr, step_s)
        ok &= tiled >= 0.95
        print(
            f"{name:24s} frames={r['frames']} recall@{thr}: whole frame letterboxed {r['whole_frame']:.2f}, "
            f"native 320 crops {r['native_crops']:.2f}, whole frame tiled by the agent {tiled:.2f} "
            f"{'PASS' if tiled >= 0.95 else 'BELOW'} (target >= 0.95; precision {precision:.2f}, {inputs} model "
            "inputs per frame)"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="default: bw-cam-s from the manifest")
    ap.add_argument("--threshold", type=float, default=0.35)
    ap.add_argument("--quick", action="store_true", help="fewer frames")
    a = ap.parse_args(argv)
    model = a.model or Path(verify(find("bw-cam-s")))
    print(f"model {model} ({model.stat().st_size / 1e6:.1f} MB)")
    recorded = model.with_name(f"{model.stem}.metrics.json")
    if recorded.is_file():
        card = json.loads(recorded.read_text("utf-8"))
        lat = card.get("latency", {})
        b1, b4 = lat.get("batch1_ms_per_frame", float("nan")), lat.get("batch4_ms_per_frame", float("nan"))
        print(f"card (metrics.json, {card.get('machine', '?')}): batch1 {b1:.2f} ms/frame, batch4 {b4:.2f} ms/frame")
    for threads in (1, 2):
        lat = latency_ms(model, threads, n=40 if a.quick else 100)
        b1 = lat["batch1_ms_per_frame"]
        print(f"threads={threads} batch1 {b1:.2f} ms/frame, batch4 {lat['batch4_ms_per_frame']:.2f} ms/frame")
    ok = print_demo(model, a.threshold, 5.0 if a.quick else 2.0)
    print(f"model: {'PASS' if ok else 'BELOW'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
