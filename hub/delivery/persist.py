"""The ledger on disk: one row per agent, merged on every save (SQLite file or PostgreSQL).

Why merge instead of overwrite: hub instances sharing a subscription (``$share``) each see part
of every agent's stream; saving the union inside one transaction that locks the agents' rows
(``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL) lets them keep one
ledger without losing each other's progress. A single hub pays one fsync per worker round for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from borderwatch.hub.delivery.ledger import COUNTERS, AgentLedger, merge
from borderwatch.hub.sqldb import SqlDb, open_sqlite

AgentKey = tuple[str, str]
"""(site, agent)"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS agents (
    site TEXT NOT NULL, agent TEXT NOT NULL, contiguous BIGINT NOT NULL,
    above TEXT NOT NULL, counters TEXT NOT NULL, PRIMARY KEY (site, agent));
"""
_UPSERT = (
    "INSERT INTO agents(site, agent, contiguous, above, counters) VALUES (?,?,?,?,?) ON CONFLICT(site, agent) "
    "DO UPDATE SET contiguous=excluded.contiguous, above=excluded.above, counters=excluded.counters"
)
_SELECT = "SELECT site, agent, contiguous, above, counters FROM agents"


def _decode(row: Sequence) -> AgentLedger:
    contiguous, above, counters = row
    stored = json.loads(counters)
    return AgentLedger(
        int(contiguous),
        tuple((int(a), int(b)) for a, b in json.loads(above)),
        {k: int(stored.get(k, 0)) for k in COUNTERS},
    )


class LedgerFile:
    """Per-agent ledger rows; on SQLite in WAL mode, where ``synchronous`` trades an fsync per save
    for power-loss durability (see ``DeliveryConfig.ledger_synchronous``: either way nothing is lost)."""

    def __init__(self, path: Path, synchronous: str = "full", db: SqlDb | None = None) -> None:
        self._db = db or open_sqlite(path, synchronous=synchronous)
        self._db.create(_SCHEMA)

    @classmethod
    def on(cls, db: SqlDb) -> LedgerFile:
        """The ledger in an open database (PostgreSQL shared by several hub instances)."""
        return cls(Path(), db=db)

    @property
    def shared(self) -> bool:
        """Other instances write it too: a round reads an agent's row before admitting its events."""
        return self._db.dialect == "postgres"

    def load(self) -> dict[AgentKey, AgentLedger]:
        return {(r[0], r[1]): _decode(r[2:]) for r in self._db.fetchall(_SELECT)}

    def get(self, key: AgentKey) -> AgentLedger | None:
        """One agent's stored state (what other instances have committed)."""
        row = self._db.fetchone(f"{_SELECT} WHERE site=? AND agent=?", key)
        return _decode(row[2:]) if row else None

    def get_many(self, keys: Sequence[AgentKey]) -> dict[AgentKey, AgentLedger]:
        """The stored rows of ``keys`` in one query (a worker round reads all its agents at once:
        one round trip per round instead of one per message)."""
        keys = sorted(set(keys))
        if not keys:
            return {}
        where = " OR ".join(["(site=? AND agent=?)"] * len(keys))
        rows = self._db.fetchall(f"{_SELECT} WHERE {where}", [v for k in keys for v in k])
        return {(r[0], r[1]): _decode(r[2:]) for r in rows}

    def save(
        self, mine: Mapping[AgentKey, AgentLedger], deltas: Mapping[AgentKey, dict[str, int]]
    ) -> dict[AgentKey, AgentLedger]:
        """Merge our view of the given agents into the file; returns the merged states."""
        out: dict[AgentKey, AgentLedger] = {}
        if not mine:
            return out
        keys = sorted(mine)  # one lock order for every instance: no deadlock
        where = " OR ".join(["(site=? AND agent=?)"] * len(keys))
        with self._db.pipeline(), self._db.transaction():  # BEGIN, locks and SELECT go out in one flush
            self._db.lock_keys([f"ledger:{s}/{a}" for s, a in keys])  # rows not there yet lock too
            rows = self._db.fetchall(f"{_SELECT} WHERE {where}{self._db.for_update}", [v for k in keys for v in k])
            stored = {(r[0], r[1]): _decode(r[2:]) for r in rows}
            for key in keys:
                out[key] = merge(mine[key], stored.get(key) or AgentLedger(), deltas.get(key, {}))
            self._db.executemany(_UPSERT, [(*k, m.contiguous, json.dumps(m.above), json.dumps(m.counters))
                                           for k, m in out.items()])  # fmt: skip
        return out

    def close(self) -> None:
        self._db.close()
