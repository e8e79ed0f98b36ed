"""Settings of the hub's evidence store: where JPEG snapshots go and how much of them is kept."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from borderwatch.contract.common import MAX_PAYLOAD_BYTES

MIB = 1024 * 1024


class EvidenceConfig(BaseModel):
    """Evidence JPEGs the agents publish: kept on disk, indexed in SQLite, capped and aged out.

    Evidence is best effort (the events carry the facts): a full queue, an oversized image or a
    disk error costs a counted, logged snapshot, never an event.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="false = evidence topics are not even subscribed")
    dir: Path = Field(
        default=Path("var/hub/evidence"),
        description="JPEGs under <dir>/<site>/<agent>/<YYYY-MM-DD>/, index in <dir>/index.sqlite3",
    )
    max_bytes: int = Field(
        default=MAX_PAYLOAD_BYTES,
        ge=1024,
        le=16 * MIB,
        description="largest JPEG kept; bigger ones are rejected and counted (reason too_big)",
    )
    max_pixels: int = Field(
        default=4096 * 4096,
        ge=64 * 64,
        le=16384 * 16384,
        description="largest image (width x height) decoded for the JPEG check; bigger ones are rejected "
        "(reason too_big) before any pixel is decoded",
    )
    max_total_bytes: int = Field(
        default=20 * 1024 * MIB,
        ge=MIB,
        le=1024**4 * 16,
        description="all JPEGs together; the oldest are deleted first beyond this",
    )
    keep_days: float = Field(default=30.0, gt=0, le=3650, description="JPEGs received longer ago than this are deleted")
    prune_interval_s: float = Field(default=300.0, ge=1, le=86_400, description="how often the age limit is enforced")
    queue_max: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="JPEGs waiting for the disk writer; beyond it new ones are dropped and counted "
        "(memory bound: queue_max x max_bytes)",
    )

    @model_validator(mode="after")
    def _one_fits(self) -> EvidenceConfig:
        if self.max_total_bytes < self.max_bytes:
            raise ValueError("evidence.max_total_bytes must be >= evidence.max_bytes")
        return self
