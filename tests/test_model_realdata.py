"""Training on real photographs: the photo catalogue's splits, clutter and domain randomisation, the
generator's seed discipline, the warm start from an ONNX model, and the real-image scoring rules."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from borderwatch.edge.pipeline.decode import Candidates
from borderwatch.models.train import clutter, domain, photos, realeval
from borderwatch.models.train.dataset import GenSettings, generate


def test_catalogue_keeps_people_out_of_training_and_splits_disjoint() -> None:
    names = [(p.source, p.name) for p in photos.CATALOGUE]
    assert len(names) == len(set(names)), "a photograph is listed twice (in two splits?)"
    train = {p.name for p in photos.CATALOGUE if p.split == "train"}
    people = {p.name for p in photos.CATALOGUE if p.split == "people"}
    assert {"vtest.avi", "messi5.jpg", "basketball1.png"} <= people
    assert not train & people
    assert photos.TREE_VIDEO not in photos.CATALOGUE
    for a, b in (("aloeL.jpg", "aloeR.jpg"), ("leuvenA.jpg", "leuvenB.jpg"), ("aero1.jpg", "aero3.jpg")):
        split = {p.name: p.split for p in photos.CATALOGUE}
        assert split[a] == split[b], f"near-duplicates {a} and {b} in different splits"
    assert all(p.source in photos.SOURCES for p in photos.CATALOGUE)


def test_background_is_cut_to_the_frame_size_and_reproducible() -> None:
    img = np.random.default_rng(0).integers(0, 255, (300, 500, 3), np.uint8)
    a = photos.cut(img, np.random.default_rng(3), 640, 360)
    b = photos.cut(img, np.random.default_rng(3), 640, 360)
    assert a.shape == (360, 640, 3) and a.dtype == np.uint8 and a.flags.c_contiguous
    assert np.array_equal(a, b)


def test_clutter_draws_every_kind_inside_the_frame_deterministically() -> None:
    for draw in clutter.DRAWERS:
        img = np.full((240, 320, 3), 128, np.uint8)
        draw(img, np.random.default_rng(1), 160, 200, 80)
        assert (img != 128).any(), f"{draw.__name__} drew nothing"
    a, b = (np.full((360, 640, 3), 90, np.uint8) for _ in range(2))
    clutter.scatter(a, np.random.default_rng(7), 20, horizon=100)
    clutter.scatter(b, np.random.default_rng(7), 20, horizon=100)
    assert np.array_equal(a, b)
    assert (a[:90] == 90).all() or (a[:90] != 90).mean() < 0.05  # feet below the horizon; poles may reach up


@pytest.mark.parametrize("step", [domain.colour, domain.lighting, domain.blur, domain.noise, domain.jpeg])
def test_each_randomisation_keeps_shape_and_changes_the_image(step) -> None:
    rng = np.random.default_rng(2)
    img = cv2.GaussianBlur(rng.integers(0, 255, (120, 160, 3), np.uint8), (0, 0), 2)
    out = step(img, np.random.default_rng(5))
    assert out.shape == img.shape and out.dtype == np.uint8
    assert not np.array_equal(out, img)


def test_texture_and_randomise_are_reproducible() -> None:
    rng = np.random.default_rng(4)
    img = rng.integers(0, 255, (90, 120, 3), np.uint8)
    tex = rng.integers(0, 255, (90, 120, 3), np.uint8)
    a = domain.randomise(img, np.random.default_rng(9), tex, 1.0)
    b = domain.randomise(img, np.random.default_rng(9), tex, 1.0)
    assert np.array_equal(a, b) and not np.array_equal(a, img)


def test_randomisation_draws_leave_the_simulated_stream_and_labels_alone() -> None:
    """Domain randomisation and clutter come from their own generator: the same actors and boxes."""
    plain_images, plain = generate(6, 11, GenSettings())
    _, dressed = generate(6, 11, GenSettings(clutter_p=1.0, domain_p=1.0))
    np.testing.assert_array_equal(plain, dressed)
    again, _ = generate(6, 11, GenSettings())
    np.testing.assert_array_equal(plain_images, again)


def test_plain_scenes_render_as_the_simulation_only_set() -> None:
    """With sim_p = 1 every scene skips photographs, clutter, negatives and randomisation: the held-out look."""
    want_images, want = generate(6, 13, GenSettings())
    got_images, got = generate(6, 13, GenSettings(negative_p=1.0, clutter_p=1.0, domain_p=1.0, sim_p=1.0))
    np.testing.assert_array_equal(want, got)
    np.testing.assert_array_equal(want_images, got_images)


def test_negatives_carry_no_labels() -> None:
    _, labels = generate(6, 12, GenSettings(negative_p=1.0))
    assert len(labels) == 0


def _cands(boxes: list[list[float]], scores: list[float], classes: list[int]) -> Candidates:
    n = len(scores)
    return Candidates(
        np.array(boxes, np.float32).reshape(-1, 4),
        np.array(scores, np.float32),
        np.array(classes, np.int64),
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
    )


def test_false_detections_count_at_the_agent_threshold_and_skip_known_objects() -> None:
    c = _cands(
        [[0, 0, 10, 20], [100, 100, 120, 140], [200, 200, 230, 220], [5, 5, 9, 9]], [0.9, 0.5, 0.6, 0.39], [0, 1, 1, 0]
    )
    ignore = [(1, (90.0, 90.0, 130.0, 150.0))]  # the vehicle at 100-120 is a real parked car
    assert realeval.false_detections(c, ignore) == [0, 1]
    assert realeval.false_detections(c, []) == [0, 1, 1]


def test_motion_truth_finds_a_walking_figure_and_not_a_wide_blob() -> None:
    frames = []
    bg = cv2.GaussianBlur(np.random.default_rng(0).integers(60, 200, (288, 384, 3), np.uint8), (0, 0), 3)
    for i in range(realeval.VTEST_FROM + 11):
        f = bg.copy()
        x = 20 + 2 * i
        cv2.rectangle(f, (x, 100), (x + 20, 160), (20, 20, 20), -1)  # 60 px tall, 3:1: a person
        if i >= realeval.VTEST_FROM - 3:  # a wide object appears (a car pulling in): not a person
            cv2.rectangle(f, (250, 200), (350, 240), (240, 240, 240), -1)
        frames.append(f)
    truth = realeval.motion_truth(frames)
    assert sorted(truth) == [realeval.VTEST_FROM, realeval.VTEST_FROM + realeval.VTEST_EVERY]
    for k, boxes in truth.items():
        assert len(boxes) == 1, boxes
        x = 20 + 2 * k
        assert abs(boxes[0][0] - x) <= 3 and abs(boxes[0][3] - 161) <= 3


def test_warm_start_rebuilds_the_onnx_function(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="training extra (pip install '.[train]') not installed")
    from borderwatch.models.train import export, warmstart
    from borderwatch.models.train.net import Detector, YoloExport

    torch.manual_seed(0)
    det = Detector()
    with torch.no_grad():  # non-trivial BatchNorm statistics, as a trained model has
        for m in det.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    torch.save(det.state_dict(), tmp_path / "a.pt")
    onnx_path = export.export(tmp_path / "a.pt", tmp_path / "a.onnx")
    x = torch.rand(4, 3, 320, 320)
    rebuilt = warmstart.unfold(onnx_path, x)
    with torch.no_grad():
        want = YoloExport(det.eval()).eval()(x)
        got = YoloExport(rebuilt).eval()(x)
    assert torch.allclose(got[:, 4:], want[:, 4:], atol=1e-4)
    assert torch.allclose(got[:, :4], want[:, :4], atol=1e-2)


def test_card_says_how_a_fine_tuned_base_was_trained(tmp_path: Path) -> None:
    """Continuing from the shipped model, the card names that model's own fine-tune, not the simulation-only one."""
    from borderwatch.models.registry import ModelEntry, sha256_file, write_manifest
    from borderwatch.models.train import card, pipeline

    cam = tmp_path / "camera"
    cam.mkdir()
    model = cam / f"{pipeline.NAME}.onnx"
    model.write_bytes(b"stand-in model bytes")
    run = {"steps": 348, "planned_steps": 800, "batch": 32, "images": 3200, "minutes": 40.0}
    metrics = {"training": {"finetune_run": run, "finetune_lr": 0.002}, "base": {"sha256": "4c7d551e1216" + "0" * 52}}
    (cam / f"{pipeline.NAME}.metrics.json").write_text(json.dumps(metrics))
    entry = ModelEntry(name=pipeline.NAME, file=f"camera/{model.name}", sha256=sha256_file(model), kind="camera")
    write_manifest([entry], tmp_path / "manifest.json")

    lineage = pipeline.base_training(model, tmp_path)
    assert lineage["base_sha256"].startswith("4c7d551e1216") and lineage["finetune_run"] == run
    text = card._base_lineage(lineage)
    assert "348 steps" in text and "3.5 epochs" in text and "`4c7d551e1216...`" in text
    other = tmp_path / "other.onnx"
    other.write_bytes(b"another model")
    assert pipeline.base_training(other, tmp_path) == {}, "a base that is not the shipped model has no known lineage"
    assert "simulated scenes only" in card._base_lineage({})
