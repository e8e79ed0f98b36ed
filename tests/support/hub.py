"""Hub settings for tests: short waits so replay, confirmation and alert ticks happen within a test's deadline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def local_hub_sections(state: Path, broker_port: int) -> dict[str, Any]:
    """A whole hub on one machine, as config sections: SQLite files and evidence under ``state``, quick ticks.

    Tests add or override sections (``| {...}``) before ``parse_config``.
    """
    return {
        "broker": {"port": broker_port},
        "store": {"type": "sqlite", "path": str(state / "events.sqlite3")},
        "delivery": {"ledger_path": str(state / "ledger.sqlite3"), "confirm_interval_s": 0.2},
        "alerts": {"db_path": str(state / "alerts.sqlite3"), "lifecycle": {"tick_s": 0.2}},
        "evidence": {"dir": str(state / "evidence")},
    }
