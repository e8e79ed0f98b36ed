"""The ``[store]`` section of the hub config: a discriminated union on ``type``.

Pure validation only (no I/O): the token file and environment are read when the store is
opened (:func:`resolve_token`), so ``borderwatch hub init``/validation never touch secrets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from borderwatch.hub.store.retention import Retention
from borderwatch.runtime.hosts import url_is_loopback

TOKEN_ENV = "BORDERWATCH_INFLUX_TOKEN"


class SqliteStoreConfig(BaseModel):
    """The embedded default: one SQLite file, retention enforced by the hub itself."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["sqlite"] = Field(default="sqlite", description="backend selector")
    path: Path = Field(default=Path("data/hub.sqlite"), description="database file (created with its folder)")
    synchronous: Literal["FULL", "NORMAL"] = Field(
        default="FULL",
        description="FULL: durable when write returns (needed before acking upstream); NORMAL: demo only",
    )
    retention: Retention = Field(default_factory=Retention, description="days kept per measurement")


class Buckets(BaseModel):
    """One bucket per measurement family, because InfluxDB enforces retention per bucket."""

    model_config = ConfigDict(extra="forbid")

    events: str = Field(default="bw_events", min_length=1, max_length=255, description="detections/tracks")
    telemetry: str = Field(default="bw_telemetry", min_length=1, max_length=255, description="agent+sensor")
    alerts: str = Field(default="bw_alerts", min_length=1, max_length=255, description="alert counts")
    dead_letters: str = Field(default="bw_dead_letters", min_length=1, max_length=255, description="rejection counters")


class InfluxStoreConfig(BaseModel):
    """InfluxDB v2 write API (InfluxDB 2.x/3.x, 1.8+ compat, VictoriaMetrics) with hub-owned durability."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["influxdb"] = Field(default="influxdb", description="backend selector")
    url: str = Field(
        default="http://127.0.0.1:8086",
        pattern=r"^https?://[^\s]+$",
        max_length=512,
        description="server URL",
    )
    org: str = Field(default="borderwatch", min_length=1, max_length=255, description="organisation")
    buckets: Buckets = Field(default_factory=Buckets, description="bucket per measurement family")
    token: SecretStr | None = Field(default=None, description="API token; prefer token_env or token_file")
    token_env: str | None = Field(
        default=None, max_length=128, description=f"environment variable with the token (default {TOKEN_ENV})"
    )
    token_file: Path | None = Field(default=None, description="file whose first line is the token")
    precision: Literal["ns", "ms"] = Field(
        default="ns", description="ns for InfluxDB; ms for VictoriaMetrics (keeps milliseconds only)"
    )
    box_fields: bool = Field(
        default=False, description="also write image boxes (x1, y1, x2, y2): 4 more samples per camera event"
    )
    batch_size: int = Field(default=5000, ge=1, le=100_000, description="max points per HTTP write")
    flush_interval_ms: int = Field(
        default=10, ge=0, le=10_000, description="how long a part-filled batch waits for more points"
    )
    max_buffer_points: int = Field(
        default=200_000, ge=100, le=10_000_000, description="bound of the in-memory buffer, in points"
    )
    overflow_wait_s: float = Field(
        default=5.0, ge=0, le=600, description="how long a writer waits for buffer room before overflow"
    )
    gzip: bool | Literal["auto"] = Field(
        default="auto",
        description="gzip request bodies; auto: only when the server is not on this machine (a loopback URL)",
    )
    gzip_level: int = Field(
        default=1, ge=1, le=9, description="1 compresses line protocol ~8x at a tenth of level 9's CPU"
    )
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="HTTP timeout per write")
    retry_initial_s: float = Field(default=0.5, gt=0, le=60, description="first back-off delay")
    retry_max_s: float = Field(default=30.0, gt=0, le=600, description="back-off cap (Retry-After may exceed)")
    retry_after_max_s: float = Field(default=600.0, gt=0, le=3600, description="cap on a server's Retry-After")
    retry_budget_s: float = Field(
        default=300.0,
        gt=0,
        le=86_400,
        description="total time one batch is retried before writers get an error",
    )
    close_timeout_s: float = Field(
        default=10.0, gt=0, le=600, description="on close, how long queued points may still be written"
    )
    dead_letter_path: Path = Field(
        default=Path("data/dead_letters.sqlite"), description="local SQLite file keeping refused messages"
    )
    dead_letter_retention: Retention = Field(
        default_factory=Retention, description="retention of the local dead-letter file"
    )

    @property
    def compress(self) -> bool:
        """Whether request bodies are gzipped: ``auto`` does it for a server on another machine only, since
        on loopback compressing costs the hub and the server CPU (on the same cores) and saves no network."""
        return not url_is_loopback(self.url) if self.gzip == "auto" else self.gzip

    @model_validator(mode="after")
    def _one_token_source(self) -> InfluxStoreConfig:
        given = [n for n in ("token", "token_env", "token_file") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of token, token_env, token_file (got {given})")
        return self

    @model_validator(mode="after")
    def _backoff_ordered(self) -> InfluxStoreConfig:
        if self.retry_max_s < self.retry_initial_s:
            raise ValueError(f"retry_max_s ({self.retry_max_s}) must be >= retry_initial_s ({self.retry_initial_s})")
        return self


StoreConfig = Annotated[SqliteStoreConfig | InfluxStoreConfig, Field(discriminator="type")]
"""What ``[store]`` holds; ``type`` picks the backend, unknown keys of either are refused."""


def resolve_token(cfg: InfluxStoreConfig) -> str:
    """The API token from its one configured source; empty when none (VictoriaMetrics needs none)."""
    if cfg.token_file is not None:
        lines = cfg.token_file.read_text(encoding="utf-8").split()
        return lines[0] if lines else ""
    if cfg.token is not None:
        return cfg.token.get_secret_value()
    return os.environ.get(cfg.token_env or TOKEN_ENV, "")
