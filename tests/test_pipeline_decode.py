"""Decode and NMS against hand-built ONNX models whose outputs are known exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.pipeline.decode import batched_nms, decode_yolo, output_layout
from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import ModelError, file_sha256, parse_names, resolve_model
from borderwatch.edge.sensors.camera.detect import DirectDetector
from borderwatch.edge.sensors.camera.letterbox import LetterboxBatcher, plan_letterbox
from tests.support.synthetic_models import constant_model

NAMES = ("person", "car", "dog")


def _known_output() -> np.ndarray:
    """(1, 4+3, 6): rows cx, cy, w, h, then person/car/dog scores, in 320x320 model pixels."""
    anchors = [
        (150, 190, 100, 100, 0.90, 0.0, 0.0),  # person
        (155, 190, 100, 100, 0.80, 0.0, 0.0),  # same person, weaker: suppressed
        (150, 190, 100, 100, 0.0, 0.70, 0.0),  # a car in the same place: other class, kept
        (300, 300, 10, 10, 0.0, 0.0, 0.20),  # dog below the score threshold
        (60, 110, 20, 20, 0.0, 0.0, 0.60),  # dog
        (0, 0, 0, 0, 0.0, 0.0, 0.0),
    ]
    return np.asarray(anchors, np.float32).T[None]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return constant_model(tmp_path_factory.mktemp("m") / "const.onnx", _known_output(), NAMES)


def _batcher(path: Path, **cfg: float) -> InferenceBatcher:
    det = OnnxDetector(resolve_model(str(path), path.parent), intra_op_threads=1)
    return InferenceBatcher(det, DetectorConfig(**cfg))


def _sorted(c) -> list[tuple[int, float, tuple[float, ...]]]:
    rows = [
        (int(k), round(float(s), 2), tuple(np.round(b, 1))) for k, s, b in zip(c.class_id, c.score, c.xyxy, strict=True)
    ]
    return sorted(rows)


def test_letterbox_plan_is_centred_and_scaled():
    scale, new, pad = plan_letterbox(np.array([[640, 480], [320, 240], [100, 400]]), (320, 320))
    assert np.allclose(scale, [0.5, 1.0, 0.8])
    assert new.tolist() == [[320, 240], [320, 240], [80, 320]]
    assert pad.tolist() == [[0, 40], [0, 40], [120, 0]]


def test_letterbox_tensor_is_rgb_unit_range_with_grey_padding():
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[..., 0] = 255  # pure blue in BGR
    tensor, _ = LetterboxBatcher((320, 320))([frame], np.array([[0, 0, 640, 480]]))
    assert tensor.shape == (1, 3, 320, 320) and tensor.dtype == np.float32
    assert np.allclose(tensor[0, :, 100, 100], [0.0, 0.0, 1.0])  # R, G, B
    assert np.allclose(tensor[0, :, 10, 100], 114 / 255)  # top padding band


def test_decode_known_output_full_frame(model_path: Path):
    cands = DirectDetector(_batcher(model_path))(np.zeros((480, 640, 3), np.uint8), np.array([[0, 0, 640, 480]]))
    assert _sorted(cands) == [
        (0, 0.9, (200.0, 200.0, 400.0, 400.0)),
        (1, 0.7, (200.0, 200.0, 400.0, 400.0)),
        (2, 0.6, (100.0, 120.0, 140.0, 160.0)),
    ]


def test_decode_maps_crops_back_to_frame_pixels(model_path: Path):
    cands = DirectDetector(_batcher(model_path))(np.zeros((480, 640, 3), np.uint8), np.array([[100, 50, 420, 290]]))
    person = cands.xyxy[cands.class_id == 0][0]
    assert np.allclose(person, [100 + 100, 140 - 40 + 50, 200 + 100, 240 - 40 + 50])


def test_batch_of_two_frames_decodes_each_independently(model_path: Path):
    b = _batcher(model_path)
    frame = np.zeros((480, 640, 3), np.uint8)
    rects = np.array([[0, 0, 640, 480], [0, 0, 640, 480]])
    tensor, lb = LetterboxBatcher((320, 320))([frame, frame], rects)
    cands = decode_yolo(b.infer(tensor), lb, np.array([0, 1]))
    assert b.detector.dynamic_batch and b.stats.batches == 1
    for owner in (0, 1):
        assert sorted(cands.class_id[cands.frame == owner].tolist()) == [0, 1, 2]


def test_static_batch_model_runs_images_one_by_one(tmp_path: Path):
    path = constant_model(tmp_path / "static.onnx", _known_output(), NAMES, dynamic_batch=False)
    b = _batcher(path)
    frame = np.zeros((480, 640, 3), np.uint8)
    tensor, lb = LetterboxBatcher((320, 320))([frame] * 3, np.array([[0, 0, 640, 480]] * 3))
    cands = decode_yolo(b.infer(tensor), lb, np.arange(3))
    assert not b.detector.dynamic_batch
    assert np.bincount(cands.frame).tolist() == [3, 3, 3]


@pytest.mark.parametrize(
    ("cfg", "expected_classes"),
    [
        ({"top_k": 1}, [0]),
        ({"max_detections": 2}, [0, 1]),
        ({"score_threshold": 0.65}, [0, 1]),
        ({"score_threshold": 0.1}, [0, 1, 2, 2]),
        ({"iou_threshold": 0.99}, [0, 0, 1, 2]),
    ],
)
def test_decode_thresholds(model_path: Path, cfg: dict, expected_classes: list[int]):
    frame = np.zeros((480, 640, 3), np.uint8)
    cands = DirectDetector(_batcher(model_path, **cfg))(frame, np.array([[0, 0, 640, 480]]))
    assert sorted(cands.class_id.tolist()) == expected_classes


def test_decode_rejects_wrong_layout():
    from borderwatch.edge.sensors.camera.letterbox import Letterbox

    lb = Letterbox(np.ones(1), np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"\(B, 4\+C, N\)"):
        decode_yolo(np.zeros((1, 4, 10), np.float32), lb, np.zeros(1, np.int64))


def _greedy_nms(boxes: np.ndarray, scores: np.ndarray, thr: float) -> list[int]:
    """The straightforward reference: a Python loop over boxes."""
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(int(i))
        rest = []
        for j in order:
            lt = np.maximum(boxes[i, :2], boxes[j, :2])
            rb = np.minimum(boxes[i, 2:], boxes[j, 2:])
            inter = np.prod(np.clip(rb - lt, 0, None))
            union = np.prod(boxes[i, 2:] - boxes[i, :2]) + np.prod(boxes[j, 2:] - boxes[j, :2]) - inter
            if inter / union <= thr:
                rest.append(j)
        order = rest
    return sorted(keep)


def test_batched_nms_matches_reference_per_group():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 200, (120, 2))
    boxes = np.concatenate((xy, xy + rng.uniform(10, 60, (120, 2))), axis=1)
    scores = rng.uniform(0, 1, 120).astype(np.float32)
    groups = rng.integers(0, 3, 120)
    kept = set(batched_nms(boxes, scores, groups, 0.45).tolist())
    expected = set()
    for g in range(3):
        idx = np.flatnonzero(groups == g)
        expected |= {int(idx[k]) for k in _greedy_nms(boxes[idx], scores[idx], 0.45)}
    assert kept == expected
    assert len(batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0), 0.5)) == 0


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("{0: 'person', 1: 'car'}", ("person", "car")),
        ('["person", "car"]', ("person", "car")),
        ('{"1": "car", "0": "person"}', ("person", "car")),
    ],
)
def test_parse_names(text: str, names: tuple[str, ...]):
    assert parse_names(text) == names


def test_labels_come_from_metadata_then_manifest(model_path: Path, tmp_path: Path):
    assert OnnxDetector(resolve_model(str(model_path), tmp_path), 1).labels == NAMES
    copy = tmp_path / "camera" / "m.onnx"
    copy.parent.mkdir()
    copy.write_bytes(model_path.read_bytes())
    entry = {
        "name": "m",
        "file": "camera/m.onnx",
        "sha256": file_sha256(copy),
        "kind": "camera",
        "input": [3, 320, 320],
        "layout": "yolov8",
        "classes": ["a", "b", "c"],
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"models": [entry]}))
    det = OnnxDetector(resolve_model("m", tmp_path), 1)
    assert det.labels == ("a", "b", "c") and det.info().sha256 == entry["sha256"]


def test_manifest_hash_mismatch_is_refused(model_path: Path, tmp_path: Path):
    (tmp_path / "m.onnx").write_bytes(model_path.read_bytes())
    entry = {"name": "m", "file": "m.onnx", "sha256": "0" * 64}
    (tmp_path / "manifest.json").write_text(json.dumps({"models": [entry]}))
    with pytest.raises(ModelError, match="sha256"):
        resolve_model("m", tmp_path)
    with pytest.raises(ModelError, match="sha256"):
        resolve_model(str(tmp_path / "m.onnx"), tmp_path)  # a path listed in the manifest is checked too
    assert resolve_model("m", tmp_path, verify=False).name == "m"


def test_sidecar_names_and_label_count_check(tmp_path: Path):
    out = _known_output()
    path = constant_model(tmp_path / "side.onnx", out, NAMES)
    import onnx

    m = onnx.load(str(path))
    del m.metadata_props[:]
    onnx.save(m, str(path))
    (tmp_path / "side.names.json").write_text('["x", "y", "z"]')
    assert OnnxDetector(resolve_model(str(path), tmp_path), 1).labels == ("x", "y", "z")
    (tmp_path / "side.names.json").write_text('["x", "y"]')
    with pytest.raises(ModelError, match="2 class names but 3"):
        OnnxDetector(resolve_model(str(path), tmp_path), 1)


def test_unknown_model_name_lists_known_ones(tmp_path: Path):
    with pytest.raises(ModelError, match="not in"):
        resolve_model("nope", tmp_path)


class ClassifierModel:
    """A DetectorBackend with the classifier layout: (B, C) scores, the same for every image."""

    name, labels, input_wh, dynamic_batch = "cls", NAMES, (320, 320), True

    def infer(self, batch: np.ndarray) -> np.ndarray:
        return np.tile(np.array([[0.1, 0.7, 0.2]], np.float32), (len(batch), 1))

    def info(self):  # pragma: no cover - not used here
        raise NotImplementedError


@pytest.mark.parametrize(
    ("shape", "layout"), [((1, 7, 8400), "yolo"), ((4, 5, 1), "yolo"), ((2, 3), "classifier"), ((1, 1), "classifier")]
)
def test_output_layout_chooses_the_decoder(shape: tuple[int, ...], layout: str):
    assert output_layout(shape) == layout


@pytest.mark.parametrize("shape", [(1, 4, 10), (1, 0), (3,), (1, 2, 3, 4)])
def test_unknown_output_layouts_are_refused(shape: tuple[int, ...]):
    with pytest.raises(ValueError, match="neither YOLO"):
        output_layout(shape)


def test_classifier_output_boxes_each_crop_with_its_best_class():
    batcher = InferenceBatcher(ClassifierModel(), DetectorConfig(score_threshold=0.5))
    frame = np.zeros((480, 640, 3), np.uint8)
    cands = DirectDetector(batcher)(frame, np.array([[100, 50, 420, 370], [0, 0, 160, 160]]))
    assert cands.class_id.tolist() == [1, 1] and np.allclose(cands.score, 0.7)
    assert np.allclose(cands.xyxy, [[100, 50, 420, 370], [0, 0, 160, 160]])  # square crops: no padding
    strict = InferenceBatcher(ClassifierModel(), DetectorConfig(score_threshold=0.8))
    assert len(DirectDetector(strict)(frame, np.array([[0, 0, 640, 480]])).score) == 0
