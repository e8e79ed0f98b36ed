"""``borderwatch detect --model M.onnx IMAGE_OR_VIDEO``: run a detector, print one JSON line per detection.

Each line: ``{"frame", "class", "label_id", "mapped", "score", "box": [x1, y1, x2, y2]}`` with the box
in source pixels; ``mapped`` is the contract class the default class map gives (null = dropped).
It uses the agent's own letterbox, model session and decode, so what it prints is what the
agent would see on full frames.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from borderwatch.edge.config.detector import COCO_CLASS_MAP, DetectorConfig
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import ModelError, resolve_model
from borderwatch.edge.sensors.camera.detect import DirectDetector
from borderwatch.edge.sensors.camera.regions import whole_frame_regions

_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def parser(p: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The command's options; fills ``p`` when given, so a wrapping command line can host them."""
    p = p or argparse.ArgumentParser(prog="borderwatch detect", description=__doc__.splitlines()[0])
    p.add_argument("source", type=Path, help="an image or a video file")
    p.add_argument("--model", required=True, help="path to an .onnx file or a name in the models manifest")
    p.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="folder of your own models with its manifest.json (shipped models are always found)",
    )
    p.add_argument("--score", type=float, default=0.25, help="minimum score (default 0.25)")
    p.add_argument("--iou", type=float, default=0.45, help="NMS IoU threshold (default 0.45)")
    p.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    p.add_argument(
        "--whole-frame",
        choices=("auto", "letterbox", "tiles"),
        default="auto",
        help="one letterboxed input, or native-resolution tiles plus it (auto: tiles when the image is over 2x "
        "the model input)",
    )
    p.add_argument("--every", type=int, default=1, help="videos: every N-th frame")
    p.add_argument("--max-frames", type=int, default=0, help="videos: stop after this many frames (0 = all)")
    return p


def frames(source: Path, every: int, max_frames: int) -> Iterator[tuple[int, np.ndarray]]:
    """(index, BGR image) of an image or of a video's frames."""
    if source.suffix.lower() in _IMAGE_SUFFIXES:
        img = cv2.imread(str(source), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"{source}: cannot read the image")
        yield 0, img
        return
    cap = cv2.VideoCapture(str(source))
    if not cap.isOpened():
        raise ValueError(f"{source}: cannot open the video")
    index = done = 0
    try:
        while cap.grab():
            if index % every == 0:
                ok, img = cap.retrieve()
                if ok:
                    yield index, img
                    done += 1
                    if max_frames and done >= max_frames:
                        return
            index += 1
    finally:
        cap.release()


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Detect on every selected frame; returns the number of detections printed."""
    cfg = DetectorConfig(
        models_dir=args.models_dir,
        intra_op_threads=args.threads,
        score_threshold=args.score,
        iou_threshold=args.iou,
        max_batch=8,
    )
    detector = OnnxDetector(resolve_model(args.model, args.models_dir), args.threads, cfg.input_size)
    detect = DirectDetector(InferenceBatcher(detector, cfg))
    folded = {k.lower(): v.value for k, v in COCO_CLASS_MAP.items()}
    count = 0
    for index, img in frames(args.source, max(1, args.every), args.max_frames):
        h, w = img.shape[:2]
        rects, tiling = whole_frame_regions((w, h), detector.input_wh[0], args.whole_frame)
        cands = detect(img, rects, tiling)
        for box, score, cls in zip(cands.xyxy, cands.score, cands.class_id, strict=True):  # output lines
            label = detector.labels[int(cls)]
            out.write(
                json.dumps(
                    {
                        "frame": index,
                        "class": label,
                        "label_id": int(cls),
                        "mapped": folded.get(label.lower()),
                        "score": round(float(score), 4),
                        "box": [round(float(v), 1) for v in box],
                    }
                )
                + "\n"
            )
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    """Exit 0, or 2 (message on stderr) for an unusable model or source; detections on stdout, the count on stderr."""
    args = parser().parse_args(argv)
    try:
        n = run(args, sys.stdout)
    except (ModelError, ValueError) as exc:
        print(f"detect: {exc}", file=sys.stderr)
        return 2
    print(f"detect: {n} detections", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
