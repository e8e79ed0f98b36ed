"""The ledger on disk: one SQLite row per agent, merged on every save.

Why merge instead of overwrite: hub instances sharing a subscription (``$share``) each see part
of every agent's stream; saving the union inside one IMMEDIATE transaction lets them keep one
ledger file on one host without losing each other's progress. A single hub pays one fsync per
worker round for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from borderwatch.hub.delivery.ledger import COUNTERS, AgentLedger, merge
from borderwatch.runtime.sqlite import connect

AgentKey = tuple[str, str]
"""(site, agent)"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS agents (
    site TEXT NOT NULL, agent TEXT NOT NULL, contiguous INTEGER NOT NULL,
    above TEXT NOT NULL, counters TEXT NOT NULL, PRIMARY KEY (site, agent));
"""
_UPSERT = "INSERT OR REPLACE INTO agents(site, agent, contiguous, above, counters) VALUES (?,?,?,?,?)"


def _decode(row: tuple[int, str, str]) -> AgentLedger:
    contiguous, above, counters = row
    stored = json.loads(counters)
    return AgentLedger(
        contiguous,
        tuple((int(a), int(b)) for a, b in json.loads(above)),
        {k: int(stored.get(k, 0)) for k in COUNTERS},
    )


class LedgerFile:
    """Per-agent ledger rows in WAL mode; ``synchronous`` trades an fsync per save for power-loss
    durability (see ``DeliveryConfig.ledger_synchronous``: either way nothing is lost)."""

    def __init__(self, path: Path, synchronous: str = "full") -> None:
        self._db = connect(path, synchronous=synchronous)
        self._db.executescript(_SCHEMA)

    def load(self) -> dict[AgentKey, AgentLedger]:
        rows = self._db.execute("SELECT site, agent, contiguous, above, counters FROM agents").fetchall()
        return {(r[0], r[1]): _decode(r[2:]) for r in rows}

    def save(
        self, mine: Mapping[AgentKey, AgentLedger], deltas: Mapping[AgentKey, dict[str, int]]
    ) -> dict[AgentKey, AgentLedger]:
        """Merge our view of the given agents into the file; returns the merged states."""
        out: dict[AgentKey, AgentLedger] = {}
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for key, state in mine.items():
                row = self._db.execute(
                    "SELECT contiguous, above, counters FROM agents WHERE site=? AND agent=?", key
                ).fetchone()
                merged = merge(state, _decode(row) if row else AgentLedger(), deltas.get(key, {}))
                row = (*key, merged.contiguous, json.dumps(merged.above), json.dumps(merged.counters))
                self._db.execute(_UPSERT, row)
                out[key] = merged
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return out

    def close(self) -> None:
        self._db.close()
