"""Export a checkpoint to ONNX in the standard YOLOv8 layout, with class names in the metadata.

Why the YOLOv8 layout: the agent has one decoder for our model and for any Ultralytics
YOLOv8/YOLO11 export a deployment brings: input "images" (B,3,320,320) RGB [0,1], output
(B, 4+C, N) rows cx, cy, w, h (input pixels) then per-class scores already through a sigmoid.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import onnx
import torch

from borderwatch.models.train.net import IMGSZ, STRIDES, Detector, YoloExport

CLASS_NAMES = ("person", "vehicle", "animal")


def names_string(names: tuple[str, ...]) -> str:
    """Ultralytics-style metadata value: "{0: 'person', 1: 'vehicle', 2: 'animal'}"."""
    return "{" + ", ".join(f"{i}: {n!r}" for i, n in enumerate(names)) + "}"


def export(checkpoint: Path, out: Path, opset: int = 17) -> Path:
    """Write ``out`` (dynamic batch, Ultralytics-style metadata) and the <name>.names.json sidecar beside it.

    The checkpoint must be a Detector state dict for the three CLASS_NAMES (load_state_dict raises
    otherwise); onnx.checker raises if the exported graph is invalid. Returns ``out``.
    """
    det = Detector(len(CLASS_NAMES))
    det.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
    model = YoloExport(det).eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros(1, 3, IMGSZ, IMGSZ),),
            str(out),
            dynamo=False,
            input_names=["images"],
            output_names=["output0"],
            opset_version=opset,
            dynamic_axes={"images": {0: "batch"}, "output0": {0: "batch"}},
        )
    m = onnx.load(str(out))
    meta = {
        "names": names_string(CLASS_NAMES),
        "imgsz": f"[{IMGSZ}, {IMGSZ}]",
        "stride": str(max(STRIDES)),
        "task": "detect",
        "batch": "dynamic",
        "description": "borderwatch camera detector (simulated scenes)",
        "author": "borderwatch",
        "layout": "yolov8",
    }
    del m.metadata_props[:]
    for k, v in meta.items():
        m.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(m)
    onnx.save(m, str(out))
    sidecar = out.with_suffix("").with_suffix(".names.json")
    sidecar.write_text(json.dumps({str(i): n for i, n in enumerate(CLASS_NAMES)}, indent=1) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI: export one checkpoint (default: train.py's default output) to the shipped model's path."""
    ap = argparse.ArgumentParser(description="export the detector to ONNX (YOLOv8 layout)")
    ap.add_argument("--checkpoint", type=Path, default=Path("models/runs/detector.pt"))
    ap.add_argument("--out", type=Path, default=Path("models/camera/bw-cam-s.onnx"))
    a = ap.parse_args(argv)
    print(f"exported {export(a.checkpoint, a.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
