"""The chaos suite's verdict: the store holds every produced event exactly once, none lost."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from tests.support.store import stored_seqs
from tests.support.waits import wait_until

OUTAGE_S = float(os.environ.get("BW_CHAOS_OUTAGE_S", "60"))
"""Length of the hub outage and of the network partition (the issue asks for 60 s)."""


def wait_all_stored(store_path: Path, site: str, totals: dict[str, int], timeout: float) -> None:
    def done() -> bool:
        return all(len(stored_seqs(store_path, site, a)) >= n for a, n in totals.items())

    wait_until(done, timeout, f"all of {totals} stored")


def assert_exactly_once(store_path: Path, site: str, totals: dict[str, int], hub_stats: dict[str, Any]) -> None:
    """Each agent's seqs 0..n-1 stored once, ids unique, and the hub's ledger agrees: nothing lost."""
    with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True) as db:
        rows, ids = db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM events").fetchone()
    assert rows == ids == sum(totals.values())
    for agent, n in totals.items():
        assert stored_seqs(store_path, site, agent) == list(range(n)), f"{agent}: seqs differ"
        c = hub_stats["agents"][f"{site}/{agent}"]
        assert (c["received"], c["lost"], c["contiguous"]) == (n, 0, n - 1), f"{agent}: {c}"
