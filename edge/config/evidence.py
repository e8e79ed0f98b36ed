"""Evidence settings: which events get a snapshot, its size, and how long snapshots are kept on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from borderwatch.edge.config.settings import Settings


class EvidenceConfig(Settings):
    """JPEG snapshots with boxes drawn, for new tracks and line crossings."""

    enabled: bool = Field(True, description="false = no snapshots")
    max_bytes: int = Field(150_000, ge=5_000, le=1_000_000, description="size cap of one JPEG")
    max_width: int = Field(960, ge=64, le=8192, description="snapshots are scaled down to this width")
    keep_s: float = Field(7 * 86400.0, ge=0, le=365 * 86400, description="seconds kept on disk; 0 = not kept")
    dir: Path = Field(Path("var/evidence"), description="where snapshots are kept (per-sensor subfolders)")
    on: list[Literal["track_new", "line_crossing", "zone_entry", "loitering"]] = Field(
        default_factory=lambda: ["track_new", "line_crossing"], description="event kinds that get a snapshot"
    )
