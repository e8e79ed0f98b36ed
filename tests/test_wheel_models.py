"""The wheel carries the shipped models, and an agent installed from it finds them from any directory.

Why a real install: inside the repository the models folder is next to the code either way, so only
a clean virtual environment outside the checkout shows whether ``pip install 'borderwatch[edge]'``
gives a technician a working ``bw-cam-s``. Packages come through pip's ordinary configuration
(index and caches), so the install takes about half a minute when they are cached.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from borderwatch.models.registry import load_manifest
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.scenario import ActorSpec, CameraPose, CameraSpec, Scenario, TerrainSpec

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("src")
    # Build from a copy without the venv and caches: setuptools writes build/ and egg-info into the source.
    shutil.copytree(
        ROOT,
        build / "borderwatch",
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", ".eval", "var"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(build / "borderwatch")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("borderwatch-*.whl")
    return path


def test_wheel_holds_every_shipped_model_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "borderwatch/models/manifest.json" in names
    for entry in load_manifest():
        onnx = f"borderwatch/models/{entry.file}"
        assert onnx in names, f"{entry.name}: {onnx} missing from the wheel"
        card = onnx.removesuffix(".onnx") + ".md"
        assert card in names, f"{entry.name}: model card {card} missing from the wheel"
    assert "borderwatch/models/camera/bw-cam-s.names.json" in names
    assert "borderwatch/models/camera/bw-cam-s.metrics.json" in names


def _person_frame(path: Path) -> None:
    import cv2

    cam = CameraSpec(
        id="c", pose=CameraPose(height_m=4, tilt_deg=8, hfov_deg=50, heading_deg=40), width=640, height=360
    )
    walker = ActorSpec(id="p", cls="person", waypoints=[(6.0, 10.8), (12.0, 10.8)], speed_mps=1.0)
    scn = Scenario(seed=11, lighting="day", cameras=[cam], actors=[walker], terrain=TerrainSpec(bushes=20))
    cv2.imwrite(str(path), CameraRenderer(scn, "c", texture_px=512).render(3.0).frame)


def test_installed_agent_runs_the_shipped_model_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"{wheel}[edge]"],
        check=True,
        capture_output=True,
        timeout=540,
        env=env,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    _person_frame(work / "person.jpg")
    done = subprocess.run(
        [str(env_dir / "bin" / "borderwatch"), "detect", "--model", "bw-cam-s", "person.jpg"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    found = [json.loads(line) for line in done.stdout.splitlines()]
    assert any(d["class"] == "person" for d in found), done.stdout + done.stderr
    # The code and the model came from the installed package, not from this checkout.
    where = subprocess.run(
        [str(python), "-c", "import borderwatch.models.registry as r; print(r.MODELS_DIR)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    assert Path(where).is_relative_to(env_dir), where
    # `edge init` names the shipped model, and the installed `edge check` accepts the config.
    subprocess.run([str(env_dir / "bin" / "borderwatch"), "edge", "init", "-o", "agent.toml"], cwd=work, check=True)
    check = subprocess.run(
        [str(env_dir / "bin" / "borderwatch"), "edge", "check", "-c", "agent.toml"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert check.returncode == 0, check.stderr
    resolve = (
        "from pathlib import Path; from borderwatch.edge.config.agent import load_agent_config; "
        "from borderwatch.edge.pipeline.modelref import resolve_model; cfg = load_agent_config(Path('agent.toml')); "
        "print(*[resolve_model(c.detection.model, cfg.detector.models_dir).path for c in cfg.cameras.values()])"
    )
    paths = subprocess.run(
        [str(python), "-c", resolve], cwd=work, capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert paths and all(Path(p).is_relative_to(env_dir) and p.endswith("bw-cam-s.onnx") for p in paths), paths
