"""Resolve a sensor's ``model`` setting to a file, its labels, and a verified SHA-256.

A name is looked up in the operator's ``<models_dir>/manifest.json`` when one is configured, then in
the manifest of the models shipped inside the installed package ({"models": [{"name", "file",
"sha256", "kind", "input", "layout", "classes"}]}). The shipped folder is found from the package,
never from the working directory, so an agent installed from the wheel runs ``bw-cam-s`` wherever
it is started. Its hash is checked before the file is used, so a corrupted or swapped model never
runs silently. A path is used as given (its hash is still
computed and reported in the agent's status). Labels come from the manifest, else from the
ONNX metadata ``names`` (Ultralytics), else from a sidecar ``<model>.names.json``.

The manifest's own module, ``models.registry`` (load_manifest / verify), reads and checks entries
when it is installed; the small stdlib reader below only stands in for it on an agent installed
without the ``models`` package, and both accept the same file.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any


class ModelError(Exception):
    """A model that cannot be used; the message says which file and why."""


@dataclass(frozen=True, slots=True)
class ModelRef:
    """Where a model is and what the manifest says about it (labels empty = read from the file)."""

    name: str
    path: Path
    sha256: str
    labels: tuple[str, ...] = ()
    input_hw: tuple[int, int] | None = None
    layout: str = "yolov8"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file read in 1 MiB chunks, so a large model is never held in memory twice."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _registry() -> ModuleType | None:
    try:
        return importlib.import_module("borderwatch.models.registry")
    except ImportError:
        return None


def load_manifest(models_dir: Path) -> list[dict[str, Any]]:
    """Entries of ``manifest.json`` as plain dicts (empty when there is none)."""
    path = Path(models_dir) / "manifest.json"
    if not path.is_file():
        return []
    registry = _registry()
    try:
        if registry is not None:
            return [e.model_dump() for e in registry.load_manifest(path)]
        return list(json.loads(path.read_text("utf-8"))["models"])
    except (OSError, ValueError, KeyError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        raise ModelError(f"model manifest {path}: unreadable ({exc})") from None


def _check_hash(entry: dict[str, Any], path: Path, models_dir: Path) -> None:
    registry = _registry()
    if registry is not None:
        try:
            registry.verify(registry.ModelEntry(**entry), models_dir)
        except registry.ModelHashError as exc:
            raise ModelError(str(exc)) from None
        return
    actual, expected = file_sha256(path), str(entry.get("sha256", "")).lower()
    if actual != expected:
        raise ModelError(f"model {entry.get('name')}: sha256 of {path} is {actual}, manifest says {expected}")


def _from_entry(entry: dict[str, Any], models_dir: Path, verify: bool) -> ModelRef:
    path = Path(models_dir) / str(entry.get("file", ""))
    if not path.is_file():
        raise ModelError(f"model {entry.get('name')!r}: file {path} listed in the manifest is missing")
    if verify:
        _check_hash(entry, path, models_dir)
    actual = str(entry["sha256"]).lower() if verify else file_sha256(path)
    shape = entry.get("input") or []
    input_hw = (int(shape[-2]), int(shape[-1])) if len(shape) >= 2 else None
    labels = tuple(str(c) for c in entry.get("classes") or ())
    return ModelRef(str(entry["name"]), path, actual, labels, input_hw, str(entry.get("layout", "yolov8")))


def shipped_models_dir() -> Path | None:
    """The installed package's models folder (shipped ONNX files and their manifest), None without the package."""
    registry = _registry()
    return Path(registry.MODELS_DIR) if registry is not None else None


def model_dirs(models_dir: Path | None = None) -> list[Path]:
    """Folders searched for a model, in order: the operator's ``models_dir`` (if set), then the shipped models.

    The operator's folder comes first so that a model an operator names deliberately wins over a
    shipped one of the same name.
    """
    dirs = [Path(models_dir)] if models_dir is not None else []
    shipped = shipped_models_dir()
    if shipped is not None and not any(d.resolve() == shipped.resolve() for d in dirs):
        dirs.append(shipped)
    return dirs


def resolve_model(ref: str, models_dir: Path | None = None, verify: bool = True) -> ModelRef:
    """A manifest name (operator's folder, then shipped), or a path: absolute, relative to the working directory,
    or relative to one of those folders. A path listed in a manifest is hash-checked like the name.
    """
    dirs = model_dirs(models_dir)
    manifests = [(d, load_manifest(d)) for d in dirs]
    for folder, entries in manifests:
        for entry in entries:
            if str(entry.get("name")) == ref:
                return _from_entry(entry, folder, verify)
    candidates = [Path(ref), *(d / ref for d in dirs)]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        known = ", ".join(sorted({str(e.get("name")) for _, entries in manifests for e in entries})) or "none"
        where = " or ".join(str(d / "manifest.json") for d in dirs) or "any manifest"
        raise ModelError(f"model {ref!r}: not in {where} (known: {known}) nor a file")
    for folder, entries in manifests:
        for entry in entries:
            listed = folder / str(entry.get("file", ""))
            if listed.is_file() and listed.resolve() == path.resolve():
                return _from_entry(entry, folder, verify)
    return ModelRef(path.stem, path, file_sha256(path))


def parse_names(text: str) -> tuple[str, ...]:
    """Labels from Ultralytics metadata ("{0: 'person', ...}") or JSON (list or {"0": ...})."""
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ModelError(f"class names metadata is neither JSON nor a Python literal: {text[:80]!r}") from None
    if isinstance(value, dict):
        return tuple(str(value[k]) for k in sorted(value, key=lambda k: int(k)))
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    raise ModelError(f"class names metadata has an unexpected type: {type(value).__name__}")


def parse_imgsz(text: str) -> tuple[int, int]:
    """(height, width) from Ultralytics' ``imgsz`` metadata: "[320, 320]", "[384, 640]" or a single "640"."""
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise ModelError(f"imgsz metadata is not a size: {text[:80]!r}") from None
    if isinstance(value, int):
        value = [value, value]
    ok = isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int) and v > 0 for v in value)
    if not ok:
        raise ModelError(f"imgsz metadata is not one or two positive integers: {text[:80]!r}")
    return int(value[0]), int(value[1])


def sidecar_names(model_path: Path) -> tuple[str, ...]:
    """Labels from ``<model>.names.json`` next to the model (empty when absent)."""
    side = model_path.with_suffix(".names.json")
    return parse_names(side.read_text("utf-8")) if side.is_file() else ()
