"""Opening the SQLite files every side keeps (outbox, ledger, event store, alerts, evidence index).

One place decides how a connection is set up, so the choices are the same everywhere and stated
once: WAL (readers never block the writer, and a crash loses no committed row), the ``synchronous``
level the caller picked for its durability, how long to wait on a lock held by another connection,
and connections usable from the thread that did not open them (each owner guards its connection
with its own lock).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(
    path: Path | str,
    *,
    synchronous: str | None = None,
    busy_timeout_s: float = 30.0,
    autocommit: bool = True,
) -> sqlite3.Connection:
    """A WAL connection to ``path`` (its folder created), shareable across threads.

    ``autocommit`` leaves transactions to explicit ``BEGIN`` statements; without it Python's
    sqlite3 opens one before each write (``with conn:`` commits). ``synchronous`` (OFF, NORMAL,
    FULL or EXTRA, any case) None keeps SQLite's default, FULL: a connection that only reads
    never needs to change it.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), timeout=busy_timeout_s, check_same_thread=False, isolation_level=None if autocommit else ""
    )
    conn.execute("PRAGMA journal_mode=WAL")
    if synchronous is not None:
        conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
    return conn
