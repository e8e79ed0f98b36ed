"""Defaults a technician can trust: `edge init` names shipped models, found from any working directory;
operator models come from the configured folder and win over a shipped model of the same name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from borderwatch.deploy.cli import main
from borderwatch.edge.config.agent import load_agent_config
from borderwatch.edge.pipeline.modelref import ModelError, file_sha256, model_card, resolve_model
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
