"""Hand-built ONNX models for tests, benchmarks and a smoke run with no trained model on disk.

- ``constant_model``: returns a known (B, 4+C, N) tensor whatever the input (decode tests).
- ``bright_object_model``: a real detector for one bright object on a dark background: it thresholds
  the luma and returns the bounding box of the bright pixels (one anchor), so letterbox, crops,
  decode and tracking can be checked end to end on synthetic video.
- ``yolov8n_like_model``: a YOLOv8n-sized convolution stack (random weights, Ultralytics output layout
  and metadata) to measure throughput like a real YOLOv8n export.
Needs the ``onnx`` package (a dev dependency); never used by the agent at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

COCO_NAMES = [
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic_light",
    "fire_hydrant",
    "stop_sign",
    "parking_meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports_ball",
    "kite",
    "baseball_bat",
    "baseball_glove",
    "skateboard",
    "surfboard",
    "tennis_racket",
    "bottle",
    "wine_glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot_dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted_plant",
    "bed",
    "dining_table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell_phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy_bear",
    "hair_drier",
    "toothbrush",
]
COCO_NAMES = tuple(n.replace("_", " ") for n in COCO_NAMES)
OPSET = 17


def ultralytics_names(names: tuple[str, ...] | list[str]) -> str:
    """The metadata string Ultralytics exports write: "{0: 'person', 1: 'bicycle', ...}"."""
    return "{" + ", ".join(f"{i}: {n!r}" for i, n in enumerate(names)) + "}"


def _save(
    nodes: list[Any],
    inits: list[Any],
    size_hw: tuple[int, int],
    out_shape: list[Any],
    names: tuple[str, ...],
    path: Path,
    dynamic_batch: bool,
) -> Path:
    from onnx import TensorProto, checker, helper, save

    batch: Any = "batch" if dynamic_batch else 1
    x = helper.make_tensor_value_info("images", TensorProto.FLOAT, [batch, 3, *size_hw])
    y = helper.make_tensor_value_info("output0", TensorProto.FLOAT, [batch, *out_shape])
    graph = helper.make_graph(nodes, "borderwatch-synthetic", [x], [y], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    helper.set_model_props(model, {"names": ultralytics_names(names), "task": "detect"})
    checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save(model, str(path))
    return path


def _const(name: str, value: np.ndarray) -> Any:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(value), name)


def constant_model(
    path: Path,
    output: np.ndarray,
    names: tuple[str, ...],
    size_hw: tuple[int, int] = (320, 320),
    dynamic_batch: bool = True,
) -> Path:
    """A model whose output is ``output`` (1, 4+C, N) broadcast over the batch."""
    from onnx import helper

    out = np.asarray(output, np.float32)
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Unsqueeze", ["m", "axes12"], ["m3"]),
        helper.make_node("Mul", ["m3", "zero"], ["z"]),
        helper.make_node("Add", ["z", "const_out"], ["output0"]),
    ]
    inits = [
        _const("zero", np.zeros((1, 1, 1), np.float32)),
        _const("const_out", out),
        _const("axes12", np.array([1, 2], np.int64)),
    ]
    return _save(nodes, inits, size_hw, list(out.shape[1:]), names, path, dynamic_batch)


def bright_object_model(
    path: Path,
    size_hw: tuple[int, int] = (320, 320),
    threshold: float = 0.6,
    min_pixels: float = 20.0,
    names: tuple[str, ...] = ("person",),
) -> Path:
    """Box around all pixels brighter than ``threshold``; score grows with their count (class 0)."""
    from onnx import helper

    h, w = size_hw
    big = 1e6
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["gray"], axes=[1], keepdims=1),
        helper.make_node("Greater", ["gray", "thr"], ["bright"]),
        helper.make_node("Cast", ["bright"], ["mask"], to=1),
        helper.make_node("ReduceSum", ["mask", "axes123"], ["count"], keepdims=0),
        helper.make_node("ReduceMax", ["mask"], ["cols"], axes=[1, 2], keepdims=0),
        helper.make_node("ReduceMax", ["mask"], ["rows"], axes=[1, 3], keepdims=0),
    ]
    for axis, vec in (("x", "cols"), ("y", "rows")):
        nodes += [
            helper.make_node("Sub", ["one", vec], [f"{axis}_off"]),
            helper.make_node("Mul", [f"{axis}_off", "big"], [f"{axis}_pen"]),
            helper.make_node("Add", [f"{axis}_grid", f"{axis}_pen"], [f"{axis}_lo_in"]),
            helper.make_node("Sub", [f"{axis}_grid", f"{axis}_pen"], [f"{axis}_hi_in"]),
            helper.make_node("ReduceMin", [f"{axis}_lo_in"], [f"{axis}_lo"], axes=[1], keepdims=0),
            helper.make_node("ReduceMax", [f"{axis}_hi_in"], [f"{axis}_hi0"], axes=[1], keepdims=0),
            helper.make_node("Add", [f"{axis}_hi0", "one"], [f"{axis}_hi"]),
            helper.make_node("Add", [f"{axis}_lo", f"{axis}_hi"], [f"{axis}_sum"]),
            helper.make_node("Mul", [f"{axis}_sum", "half"], [f"c{axis}"]),
            helper.make_node("Sub", [f"{axis}_hi", f"{axis}_lo"], [f"s{axis}"]),
        ]
    nodes += [
        helper.make_node("Div", ["count", "minpix"], ["ratio"]),
        helper.make_node("Clip", ["ratio", "zero", "one"], ["score"]),
        helper.make_node("Mul", ["score", "zero"], ["noscore"]),
    ]
    cols = ["cx", "cy", "sx", "sy", "score"] + ["noscore"] * (len(names) - 1)
    nodes += [helper.make_node("Unsqueeze", [c, "axes12"], [f"u{i}"]) for i, c in enumerate(cols)]
    nodes.append(helper.make_node("Concat", [f"u{i}" for i in range(len(cols))], ["output0"], axis=1))
    inits = [
        _const("thr", np.float32(threshold)),
        _const("one", np.float32(1)),
        _const("zero", np.float32(0)),
        _const("half", np.float32(0.5)),
        _const("big", np.float32(big)),
        _const("minpix", np.float32(min_pixels)),
        _const("axes123", np.array([1, 2, 3], np.int64)),
        _const("axes12", np.array([1, 2], np.int64)),
        _const("x_grid", np.arange(w, dtype=np.float32)),
        _const("y_grid", np.arange(h, dtype=np.float32)),
    ]
    return _save(nodes, inits, size_hw, [4 + len(names), 1], names, path, True)


def _conv(
    nodes: list[Any],
    inits: list[Any],
    rng: np.random.Generator,
    src: str,
    cin: int,
    cout: int,
    k: int,
    stride: int,
    tag: str,
    act: bool = True,
) -> str:
    from onnx import helper

    std = np.sqrt(2.0 / (cin * k * k)) * 0.7
    inits.append(_const(f"{tag}_w", (rng.standard_normal((cout, cin, k, k)) * std).astype(np.float32)))
    inits.append(_const(f"{tag}_b", np.zeros(cout, np.float32)))
    nodes.append(
        helper.make_node(
            "Conv",
            [src, f"{tag}_w", f"{tag}_b"],
            [f"{tag}_c"],
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[k // 2] * 4,
        )
    )
    if not act:
        return f"{tag}_c"
    nodes.append(helper.make_node("Sigmoid", [f"{tag}_c"], [f"{tag}_s"]))
    nodes.append(helper.make_node("Mul", [f"{tag}_c", f"{tag}_s"], [f"{tag}_o"]))
    return f"{tag}_o"


def yolov8n_like_model(path: Path, size: int = 320, names: tuple[str, ...] = COCO_NAMES, seed: int = 0) -> Path:
    """A YOLOv8n-sized network (about 2 GFLOPs at 320 px) with the Ultralytics output layout."""
    from onnx import helper

    rng = np.random.default_rng(seed)
    nodes: list[Any] = []
    inits: list[Any] = []
    x = _conv(nodes, inits, rng, "images", 3, 16, 3, 2, "stem")
    feats, cin = [], 16
    for i, cout in enumerate((32, 64, 128, 256)):
        x = _conv(nodes, inits, rng, x, cin, cout, 3, 2, f"down{i}")
        for j in range(2):
            x = _conv(nodes, inits, rng, x, cout, cout, 3, 1, f"b{i}{j}")
        feats.append((x, cout))
        cin = cout
    heads = []
    no = 4 + len(names)
    for i, (f, ch) in enumerate(feats[1:]):
        h = _conv(nodes, inits, rng, f, ch, 64, 3, 1, f"h{i}a")
        h = _conv(nodes, inits, rng, h, 64, 64, 3, 1, f"h{i}b")
        raw = _conv(nodes, inits, rng, h, 64, no, 1, 1, f"h{i}o", act=False)
        nodes.append(helper.make_node("Reshape", [raw, "flat_shape"], [f"h{i}_flat"]))
        heads.append(f"h{i}_flat")
    inits.append(_const("flat_shape", np.array([0, no, -1], np.int64)))
    nodes.append(helper.make_node("Concat", heads, ["raw"], axis=2))
    nodes += [
        helper.make_node("Split", ["raw", "split_sizes"], ["box_raw", "cls_raw"], axis=1),
        helper.make_node("Sigmoid", ["box_raw"], ["box_unit"]),
        helper.make_node("Mul", ["box_unit", "box_scale"], ["boxes"]),
        helper.make_node("Add", ["cls_raw", "cls_bias"], ["cls_logit"]),
        helper.make_node("Sigmoid", ["cls_logit"], ["scores"]),
        helper.make_node("Concat", ["boxes", "scores"], ["output0"], axis=1),
    ]
    inits += [
        _const("split_sizes", np.array([4, len(names)], np.int64)),
        _const("box_scale", np.array([size, size, size / 4, size / 4], np.float32).reshape(1, 4, 1)),
        _const("cls_bias", np.float32(-6.0)),
    ]
    anchors = sum((size // s) ** 2 for s in (8, 16, 32))
    return _save(nodes, inits, (size, size), [no, anchors], names, path, True)
