"""The shipped thermal classifier: listed in the manifest with its SHA-256, small, a classifier the agent's
decoder serves, and the held-out accuracy its card claims.
"""

from __future__ import annotations

import json

import numpy as np

from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import resolve_model
from borderwatch.models.registry import MODELS_DIR, find, verify
from borderwatch.models.train.thermal_data import CLASSES, scene_chips


def test_manifest_entry_matches_the_file_and_it_is_small() -> None:
    entry = find("bw-thermal-s")
    assert entry.kind == "thermal" and entry.layout == "classifier" and entry.classes == list(CLASSES)
    path = verify(entry)  # SHA-256 checked
    assert entry.path().stat().st_size < 5 * 1024 * 1024 and path.endswith(".onnx")
    metrics = json.loads((MODELS_DIR / "thermal" / "bw-thermal-s.metrics.json").read_text("utf-8"))
    assert metrics["accuracy"] >= 0.9
    confusion = np.array(metrics["confusion"])
    assert confusion.sum() == metrics["heldout_chips"]
    assert abs(np.trace(confusion) / confusion.sum() - metrics["accuracy"]) < 1e-4


def test_the_agent_loads_it_as_a_classifier_and_it_sorts_simulated_chips() -> None:
    detector = OnnxDetector(resolve_model("bw-thermal-s", MODELS_DIR), intra_op_threads=1)
    assert detector.layout == "classifier" and detector.labels == CLASSES and detector.input_wh == (32, 32)
    xs, ys = zip(*(scene_chips(950_000 + k) for k in range(40)), strict=True)
    x, y = np.concatenate(xs), np.concatenate(ys)
    probs = detector.infer(x)
    assert probs.shape == (len(x), len(CLASSES))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert (probs.argmax(axis=1) == y).mean() >= 0.85
