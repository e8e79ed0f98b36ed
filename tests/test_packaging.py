"""The installed layout: every package folder ships, under the one `borderwatch` namespace."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOPS = ("contract", "runtime", "edge", "hub", "simulators", "models", "deploy")


def _package_folders() -> set[str]:
    found = set()
    for top in TOPS:
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT)
            found.add("borderwatch." + ".".join(rel.parts))
    return found


def test_every_package_folder_is_listed_in_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(meta["tool"]["setuptools"]["packages"])
    folders = _package_folders()
    assert folders - listed == set(), "package folders missing from [tool.setuptools] packages"
    assert listed - folders == set(), "packages listed in pyproject.toml with no folder"
    assert meta["tool"]["setuptools"]["package-dir"] == {"borderwatch": "."}


def test_code_imports_only_through_the_namespace():
    bare = []
    for top in (*TOPS, "tests", "bench"):
        for path in (ROOT / top).rglob("*.py"):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                words = line.split()
                if len(words) >= 2 and words[0] in ("import", "from") and words[1].split(".")[0] in TOPS:
                    bare.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert bare == []


def test_edge_and_hub_share_only_the_contract_and_runtime():
    crossings = []
    pairs = (("edge", "hub"), ("hub", "edge"), ("edge", "deploy"), ("hub", "deploy"), ("simulators", "deploy"))
    for side, other in pairs:
        for path in (ROOT / side).rglob("*.py"):
            if f"borderwatch.{other}" in path.read_text():
                crossings.append(f"{path.relative_to(ROOT)} imports borderwatch.{other}")
    assert crossings == []
