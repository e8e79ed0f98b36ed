"""The shipped camera model: manifest and hash check, ONNX layout, and that it sees a rendered person."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from borderwatch.models.registry import MANIFEST, ModelEntry, ModelHashError, find, load_manifest, verify
from borderwatch.models.train.evaluate import decode, iou_matrix, session
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.scenario import ActorSpec, CameraPose, CameraSpec, Scenario, TerrainSpec

NAME = "bw-cam-s"


@pytest.fixture(scope="module")
def entry() -> ModelEntry:
    return find(NAME)


@pytest.fixture(scope="module")
def sess(entry: ModelEntry):
    return session(verify(entry), threads=1)


def test_manifest_entry_and_hash_check_passes(entry: ModelEntry) -> None:
    assert entry.kind == "camera" and entry.layout == "yolov8" and entry.input == [3, 320, 320]
    assert entry.classes == ["person", "vehicle", "animal"]
    path = verify(entry)
    assert path.endswith(f"camera/{NAME}.onnx")
    assert entry.path().stat().st_size < 15 * 1024 * 1024


def test_hash_check_fails_on_tampered_or_missing_file(entry: ModelEntry, tmp_path) -> None:
    (tmp_path / "camera").mkdir()
    copy = tmp_path / entry.file
    shutil.copy(entry.path(), copy)
    assert verify(entry, tmp_path) == str(copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelHashError, match="sha256"):
        verify(entry, tmp_path)
    copy.unlink()
    with pytest.raises(ModelHashError, match="missing"):
        verify(entry, tmp_path)


def test_manifest_rejects_unknown_keys(tmp_path) -> None:
    bad = json.loads(MANIFEST.read_text())
    bad["models"][0]["sha"] = "x"
    (tmp_path / "m.json").write_text(json.dumps(bad))
    with pytest.raises(ValidationError):
        load_manifest(tmp_path / "m.json")


def test_onnx_layout_batch_and_names(sess, entry: ModelEntry) -> None:
    (inp,) = sess.get_inputs()
    assert inp.name == "images" and inp.shape[1:] == [3, 320, 320] and isinstance(inp.shape[0], str)
    out = sess.run(None, {"images": np.zeros((2, 3, 320, 320), np.float32)})[0]
    assert out.shape == (2, 7, 40 * 40 + 20 * 20 + 10 * 10)
    assert (out[:, 4:] >= 0).all() and (out[:, 4:] <= 1).all()  # scores already through a sigmoid
    names = ast.literal_eval(sess.get_modelmeta().custom_metadata_map["names"])
    assert names == {0: "person", 1: "vehicle", 2: "animal"}
    sidecar = json.loads(entry.path().with_name(f"{NAME}.names.json").read_text())
    assert sidecar == {"0": "person", "1": "vehicle", "2": "animal"}


def _letterbox(img: np.ndarray) -> tuple[np.ndarray, float, int, int]:
    h, w = img.shape[:2]
    g = 320 / max(h, w)
    nw, nh = round(w * g), round(h * g)
    out = np.full((320, 320, 3), 114, np.uint8)
    dx, dy = (320 - nw) // 2, (320 - nh) // 2
    out[dy : dy + nh, dx : dx + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    return out, g, dx, dy


@pytest.mark.parametrize(
    ("cls", "lighting", "dist"),
    [("person", "day", 14.0), ("person", "night", 12.0), ("vehicle", "day", 20.0), ("animal", "day", 12.0)],
)
def test_detects_a_rendered_object(sess, cls: str, lighting: str, dist: float) -> None:
    cam = CameraSpec(
        id="c",
        pose=CameraPose(height_m=4, tilt_deg=8, hfov_deg=50, heading_deg=40),
        width=640,
        height=360,
        noise_sigma=2.0,
    )
    a = ActorSpec(
        id="x",
        cls=cls,
        waypoints=[(dist * 0.64 - 3, dist * 0.77), (dist * 0.64 + 3, dist * 0.77)],
        speed_mps=1.0,
    )
    scn = Scenario(seed=11, lighting=lighting, cameras=[cam], actors=[a], terrain=TerrainSpec(bushes=20))
    res = CameraRenderer(scn, "c", texture_px=512).render(3.0)
    assert len(res.xyxy) == 1
    img, g, dx, dy = _letterbox(res.frame)
    x = cv2.cvtColor(img, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None].astype(np.float32) / 255
    xyxy, score, cid = decode(sess.run(None, {"images": x})[0], conf=0.35)[0]
    gt = res.xyxy * g + np.array([dx, dy, dx, dy], np.float32)
    hits = (iou_matrix(xyxy, gt)[:, 0] >= 0.5) & (cid == ["person", "vehicle", "animal"].index(cls))
    assert hits.any(), f"no {cls} found; got {list(zip(cid.tolist(), score.round(2).tolist(), strict=True))}"


def test_run_time_modules_do_not_import_torch() -> None:
    code = (
        "import sys, models.registry, models.train.evaluate, simulators.camera.server, simulators.cli; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_card_latency_is_the_one_metrics_json_records(entry: ModelEntry) -> None:
    """The card's latency section quotes metrics.json (written by the training pipeline's one evaluation: this
    model and, side by side, the one it was fine-tuned from) and no other figure."""
    metrics = json.loads(entry.path().with_name(f"{NAME}.metrics.json").read_text())
    card = entry.path().with_suffix(".md").read_text()
    section = card.split("## Latency", 1)[1].split("\n## ", 1)[0]
    quoted = {float(x) for x in re.findall(r"(\d+(?:\.\d+)?) ms", section)}
    recorded = {round(v, 1) for v in metrics["latency"].values()}
    recorded |= {round(v, 1) for v in metrics.get("base", {}).get("latency", {}).values()}  # side by side
    assert quoted and quoted <= recorded, (quoted, recorded)


def _models_copy(tmp_path, entry: ModelEntry):
    """models/manifest.json and the camera model's files, copied under ``tmp_path``; (models dir, metrics path)."""
    models = tmp_path / "models"
    (models / "camera").mkdir(parents=True)
    shutil.copy(MANIFEST, models / "manifest.json")
    for f in entry.path().parent.glob(f"{NAME}*"):
        shutil.copy(f, models / "camera" / f.name)
    return models, models / "camera" / f"{NAME}.metrics.json"


def test_latency_only_refuses_a_base_that_is_not_the_recorded_one(tmp_path, entry: ModelEntry) -> None:
    """The ratio beside the base only means something against the very model this one was fine-tuned from."""
    from borderwatch.models.train.pipeline import remeasure_latency

    models, metrics_path = _models_copy(tmp_path, entry)
    before = metrics_path.read_text()
    with pytest.raises(SystemExit, match="not the base"):
        remeasure_latency(entry.path(), models)  # the shipped model is not its own base
    assert metrics_path.read_text() == before


def test_latency_only_updates_metrics_and_card_and_nothing_else(tmp_path, entry: ModelEntry) -> None:
    """``pipeline --latency-only``: the latency measured again beside the base goes into metrics.json (with
    the load it ran under) and the card says which run measured it; every other figure stays as it was."""
    from borderwatch.models.registry import sha256_file
    from borderwatch.models.train.pipeline import remeasure_latency

    models, metrics_path = _models_copy(tmp_path, entry)
    base = tmp_path / "base.onnx"
    shutil.copy(entry.path(), base)  # stands in for the base from git history: its hash is recorded below
    old = json.loads(metrics_path.read_text())
    old["base"]["sha256"] = sha256_file(base)
    old["latency"] = {"batch1_ms_per_frame": 999.0, "batch4_ms_per_frame": 999.0}
    metrics_path.write_text(json.dumps(old))
    new = remeasure_latency(base, models)
    assert json.loads(metrics_path.read_text()) == new
    assert 0 < new["latency"]["batch1_ms_per_frame"] < 999 and set(new["latency_load"]) == {"start", "end"}
    unchanged = {k: v for k, v in old.items() if k not in ("latency", "latency_load", "latency_run", "machine", "base")}
    assert {k: new[k] for k in unchanged} == unchanged
    assert {k: v for k, v in new["base"].items() if k != "latency"} == {
        k: v for k, v in old["base"].items() if k != "latency"
    }
    card = (models / "camera" / f"{NAME}.md").read_text()
    section = card.split("## Latency", 1)[1].split("\n## ", 1)[0]
    assert "--latency-only" in section and f"{new['latency']['batch1_ms_per_frame']:.1f} ms" in section
    assert "999.0" not in section


def test_card_targets_verdict_is_the_one_metrics_json_earns(entry: ModelEntry) -> None:
    """The card's Targets section is what its metrics earn, and "every target met" needs every target the card
    judges (animals as people, real false detections, latency beside the base), not held-out AP alone."""
    import copy

    from borderwatch.models.train.card import _machine, _verdict

    metrics = json.loads(entry.path().with_name(f"{NAME}.metrics.json").read_text())
    card = entry.path().with_suffix(".md").read_text()
    assert _verdict(metrics) in card
    assert f"## Latency (this machine: {_machine(metrics)})" in card  # with its load, or saying none was recorded
    for change in (
        lambda m: m.update(animal_as_person=0.2),
        lambda m: m["real"]["people_free"].update(false_per_frame=1.5),
        lambda m: m["latency"].update(batch1_ms_per_frame=2 * m["base"]["latency"]["batch1_ms_per_frame"]),
    ):
        worse = copy.deepcopy(metrics)
        change(worse)
        assert "BELOW target" in _verdict(worse) and "Every target" not in _verdict(worse)
