"""The shipped radar classifier: in the manifest with its SHA-256, small, loads through the agent's
model path as a (B, C) classifier, and classifies simulator tracks it never saw."""

from __future__ import annotations

import numpy as np

from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import resolve_model
from borderwatch.edge.sensors.radar.features import CLASSES, as_model_input
from borderwatch.models.registry import MODELS_DIR, find, verify
from borderwatch.models.train.radar_data import track_samples


def test_manifest_entry_is_true_and_small() -> None:
    entry = find("bw-radar-cls")
    path = verify(entry)  # SHA-256 checked
    assert entry.kind == "radar" and entry.layout == "classifier" and tuple(entry.classes) == CLASSES
    assert (MODELS_DIR / entry.file).stat().st_size < 5 * 1024 * 1024 and path.endswith(".onnx")
    assert (MODELS_DIR / "radar" / "bw-radar-cls.md").read_text().count("accuracy") >= 1


def test_loads_as_a_classifier_and_classifies_unseen_tracks() -> None:
    detector = OnnxDetector(resolve_model("bw-radar-cls", MODELS_DIR))
    assert detector.layout == "classifier" and detector.labels == CLASSES
    x, y = track_samples(5000)  # a seed in neither the training nor the held-out set
    probs = detector.infer(as_model_input(x))
    assert probs.shape == (len(x), len(CLASSES)) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert (probs.argmax(axis=1) == y).mean() >= 0.85
