"""Defaults a technician can trust: `edge init` names shipped models, found from any working directory;
operator models come from the configured folder and win over a shipped model of the same name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from borderwatch.deploy.cli import main
from borderwatch.edge.config.agent import load_agent_config
from borderwatch.edge.pipeline.modelcard import model_card
from borderwatch.edge.pipeline.modelref import ModelError, file_sha256, resolve_model
from borderwatch.models.registry import MODELS_DIR, load_manifest


def test_init_config_runs_the_shipped_camera_model_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no models/ folder here
    assert main(["edge", "init", "-o", "agent.toml"]) == 0
    cfg = load_agent_config(Path("agent.toml"))
    shipped = {e.name: e for e in load_manifest()}
    assert cfg.cameras, "the example configures a camera"
    for cam in cfg.cameras.values():
        assert cam.detection.model in shipped and shipped[cam.detection.model].kind == "camera"
        ref = resolve_model(cam.detection.model, cfg.detector.models_dir)
        assert ref.path == MODELS_DIR / shipped[cam.detection.model].file
        assert model_card(ref) == ref.path.with_suffix(".md")


def test_operator_folder_is_searched_first_and_shipped_models_still_resolve(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    src = MODELS_DIR / "camera" / "bw-cam-s.onnx"
    shutil.copy(src, own / "mine.onnx")
    entry = {"name": "bw-cam-s", "file": "mine.onnx", "sha256": file_sha256(src), "classes": ["a", "b", "c"]}
    (own / "manifest.json").write_text(json.dumps({"models": [entry, {**entry, "name": "mine"}]}))
    assert resolve_model("bw-cam-s", own).path == own / "mine.onnx"  # the operator's entry wins
    assert resolve_model("mine", own).labels == ("a", "b", "c")
    assert resolve_model("bw-thermal-s", own).path.is_relative_to(MODELS_DIR)
    assert resolve_model("bw-cam-s").path.is_relative_to(MODELS_DIR)


def test_unknown_name_lists_both_manifests(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        resolve_model("nope", tmp_path)
    msg = str(info.value)
    assert str(tmp_path / "manifest.json") in msg and str(MODELS_DIR / "manifest.json") in msg
    assert "bw-cam-s" in msg


def test_doctor_shows_each_cameras_model_its_card_limits_and_the_yolo_drop_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from borderwatch.edge.doctor import check_model, checks, model_users
    from borderwatch.edge.pipeline.modelcard import card_limits

    toml = f"""site = "s"
agent = "a"
state_dir = "{tmp_path / "state"}"
[cameras.cam-1]
url = "a.mp4"
[cameras.cam-1.detection]
model = "bw-cam-s"
[cameras.cam-2]
url = "b.mp4"
[cameras.cam-2.detection]
model = "bw-cam-s"
[cameras.cam-3]
url = "c.mp4"
[thermals.th-1]
url = "tcp://127.0.0.1:9"
model = "bw-thermal-s"
"""
    (tmp_path / "agent.toml").write_text(toml)
    cfg = load_agent_config(tmp_path / "agent.toml")
    assert model_users(cfg) == {"bw-cam-s": ["camera cam-1", "camera cam-2"], "bw-thermal-s": ["thermal th-1"]}
    check = check_model("bw-cam-s", cfg, ("camera cam-1", "camera cam-2"))
    assert check.status == "PASS" and "runs on camera cam-1, camera cam-2" in check.detail
    assert "input 320x320" in check.detail
    card = MODELS_DIR / "camera" / "bw-cam-s.md"
    limits = card_limits(card)
    assert limits, "the shipped card states its limits under a Limitations heading"
    assert f"card {card}" in check.notes and all(f"limit {line}" in check.notes for line in limits)
    assert any("yolo export" in n and "dynamic=True" in n for n in check.notes)
    thermal = check_model("bw-thermal-s", cfg, ("thermal th-1",))
    assert thermal.status == "PASS" and not any("yolo export" in n for n in thermal.notes)
    names = [c.name for c in (make() for make in list(checks(cfg))[2:]) if "cam-3" in c.name and c.status == "WARN"]
    assert names == ["camera cam-3"]
    assert check_model("nope", cfg, ("camera cam-9",)).detail.endswith("(runs on camera cam-9)")


def test_card_limits_reads_bullets_under_the_heading(tmp_path: Path) -> None:
    from borderwatch.edge.pipeline.modelcard import card_limits

    card = tmp_path / "m.md"
    card.write_text(
        "# Card\n\n## Limitations\n- First limit. More words.\n  continued line\n- Second\n\n## Next\n- not a limit\n"
    )
    assert card_limits(card) == ["First limit.", "Second"]
    card.write_text("# Card\n\nno limits section\n")
    assert card_limits(card) == []
