"""Hub delivery settings for tests: short waits so replay and confirmation happen within a test's deadline."""

from __future__ import annotations

from pathlib import Path

from borderwatch.hub.delivery.config import DeliveryConfig


def hub_cfg(workdir: Path, **kw) -> DeliveryConfig:
    """Hub settings for tests: quick reorder and retries, ledger under ``workdir``."""
    base = {
        "ledger_path": workdir / "ledger.sqlite3",
        "reorder_wait_s": 0.5,
        "replay_retry_s": 2.0,
        "replay_retry_max_s": 8.0,
        "confirm_interval_s": 0.2,
    }
    return DeliveryConfig(**{**base, **kw})
