"""The `borderwatch` command: help everywhere, example configs that validate, bad configs refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from borderwatch.deploy.cli import main

HELP_PATHS = [
    [],
    ["edge"],
    ["edge", "run"],
    ["edge", "check"],
    ["edge", "init"],
    ["edge", "doctor"],
    ["hub"],
    ["hub", "run"],
    ["hub", "check"],
    ["hub", "init"],
    ["broker"],
    ["demo"],
    ["schema"],
    ["sim"],
    ["track"],
    ["detect"],
    ["radar"],
    ["sim", "site"],
    ["sim", "radar"],
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "borderwatch.deploy.cli", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("path", HELP_PATHS, ids=lambda p: " ".join(p) or "top")
def test_every_command_explains_itself(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*path, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: borderwatch" in out and len(out) > 100


@pytest.mark.parametrize("kind", ["edge", "hub"])
def test_init_writes_a_config_that_checks(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.toml"
    assert main([kind, "init", "-o", str(path)]) == 0
    assert path.read_text().startswith("#")
    assert main([kind, "init", "-o", str(path)]) == 1  # never overwrites silently
    done = run(kind, "check", "-c", str(path))
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout


@pytest.mark.parametrize(
    ("kind", "old", "new", "needles"),
    [
        ("edge", "fps = 5", "fsp = 5", ["cameras.cam-1.fsp = 5", "unknown key", "did you mean 'fps'"]),
        ("edge", "height_m = 8.0", "height_m = -3.0", ["cameras.cam-1.pose.height_m = -3.0", "greater than 0"]),
        ("hub", "port = 8080", "port = 80800", ["api.port = 80800", "less than or equal to 65535"]),
        ("hub", 'type = "sqlite"', 'type = "mongo"', ["store", "mongo"]),
    ],
)
def test_bad_config_is_one_paragraph_no_traceback(
    kind: str, old: str, new: str, needles: list[str], tmp_path: Path
) -> None:
    path = tmp_path / f"{kind}.toml"
    assert main([kind, "init", "-o", str(path)]) == 0
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    done = run(kind, "check", "-c", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr
    assert done.stdout == ""
