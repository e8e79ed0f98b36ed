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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.registry import find, verify
from models.train.democheck import demo_recall
from models.train.evaluate import latency_ms

YOLOV8N_320_MS = 13.6  # facts.md: YOLOv8n architecture, 2 threads, this machine class


def print_demo(model: Path, thr: float, step_s: float) -> None:
    for name, r in demo_recall(model, thr, step_s).items():
        print(
            f"{name:24s} frames={r['frames']} recall@{thr}: whole frame letterboxed {r['whole_frame']:.2f}, "
            f"native 320 crops {r['native_crops']:.2f}"
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
    print_demo(model, a.threshold, 5.0 if a.quick else 2.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
