"""The model manifest: which ONNX files ship, their SHA-256, layout and classes.

Why a manifest: the agent must refuse a model file that is not the one it was tested with
(truncated copy, swapped file) and report exactly which weights it runs in its birth message.
Pure stdlib + pydantic so the edge can import it without any ML framework.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MODELS_DIR = Path(__file__).resolve().parent
MANIFEST = MODELS_DIR / "manifest.json"


class ModelHashError(Exception):
    """A model file is missing or its SHA-256 differs from the manifest."""


class ModelEntry(BaseModel):
    """One shipped model; `file` is relative to the models/ folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="model", min_length=1, max_length=128, description="name reported in status")
    file: str = Field(default="camera/model.onnx", min_length=1, max_length=512, description="path under models/")
    sha256: str = Field(default="0" * 64, pattern=r"^[0-9a-f]{64}$", description="hex digest of the file")
    kind: Literal["camera", "thermal", "radar"] = Field(default="camera", description="sensor kind")
    input: list[int] = Field(
        default_factory=lambda: [3, 320, 320],
        min_length=3,
        max_length=3,
        description="C, H, W of one input image",
    )
    layout: Literal["yolov8", "classifier"] = Field(default="yolov8", description="output layout the decoder expects")
    classes: list[str] = Field(default_factory=list, max_length=1000, description="class names by index")

    def path(self, root: Path = MODELS_DIR) -> Path:
        """Where the file is under ``root`` (default: this models/ folder); existence is not checked here."""
        return root / self.file


class Manifest(BaseModel):
    """The whole manifest.json; unknown keys are refused, so a misspelt field cannot drop a check."""

    model_config = ConfigDict(extra="forbid")

    models: list[ModelEntry] = Field(default_factory=list, max_length=100)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks so a model is never held in memory whole; OSError if unreadable."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_manifest(path: str | Path = MANIFEST) -> list[ModelEntry]:
    """Entries of the manifest (pydantic ValidationError if it is malformed)."""
    return Manifest.model_validate(json.loads(Path(path).read_text(encoding="utf-8"))).models


def find(name: str, path: str | Path = MANIFEST) -> ModelEntry:
    """The entry named `name`; KeyError lists the names that exist."""
    entries = load_manifest(path)
    for e in entries:
        if e.name == name:
            return e
    raise KeyError(f"model {name!r} not in {path}: {[e.name for e in entries]}")


def verify(entry: ModelEntry, root: str | Path | None = None) -> str:
    """Absolute path of the entry's file after checking its SHA-256; ModelHashError otherwise."""
    path = entry.path(Path(root) if root else MODELS_DIR)
    if not path.is_file():
        raise ModelHashError(f"model {entry.name}: file {path} is missing")
    digest = sha256_file(path)
    if digest != entry.sha256:
        raise ModelHashError(f"model {entry.name}: sha256 of {path} is {digest}, manifest says {entry.sha256}")
    return str(path)


def write_manifest(entries: list[ModelEntry], path: str | Path = MANIFEST) -> None:
    """Write the manifest (training pipeline only)."""
    data = Manifest(models=entries).model_dump(mode="json")
    Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
