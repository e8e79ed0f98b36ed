"""Opening the SQLite files every side keeps (outbox, ledger, event store, alerts, evidence index),
and writing to them in one transaction.

One place decides how a connection is set up, so the choices are the same everywhere and stated
once: WAL (readers never block the writer, and a crash loses no committed row), the ``synchronous``
level the caller picked for its durability, how long to wait on a lock held by another connection,
and connections usable from the thread that did not open them (each owner guards its connection
with its own lock). One place also opens, commits and rolls back a write transaction, because
rolling back the wrong way on a full disk hides the error that matters (see :func:`transaction`).
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def connect_read_only(path: Path | str, timeout_s: float = 5.0) -> sqlite3.Connection:
    """A connection that can only read ``path``: another process's live file (the scorer and the
    demo's settle wait read the hub's stores while it runs).

    Why pathlib builds the URI: pasted into ``file:...?mode=ro`` as it is, a folder named with
    ``?``, ``#`` or ``%`` ends or escapes the file name, and the file is not found.
    """
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=timeout_s)


def is_disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL (disk full, or the page limit reached) or ENOSPC from the OS."""
    if isinstance(exc, sqlite3.Error):
        return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def rollback(db: sqlite3.Connection) -> None:
    """ROLLBACK if a transaction is still open.

    Why the ``in_transaction`` check: after SQLITE_FULL (and some I/O errors) SQLite has already
    rolled back by itself, and a second ROLLBACK would raise "cannot rollback - no transaction is
    active", hiding the error that matters.
    """
    if db.in_transaction:
        db.execute("ROLLBACK")


@contextmanager
def transaction(db: sqlite3.Connection, on_rollback: Callable[[], None] | None = None) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT on an autocommit connection; rolled back on error, the error kept.

    IMMEDIATE takes the write lock at BEGIN, so two writers wait on the busy timeout instead of
    one failing at its first write. A failed COMMIT is rolled back the same way as a failed body.
    ``on_rollback`` runs after a rollback (e.g. to reload counters kept in memory). The caller
    serialises use of ``db`` (its own lock).
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException as exc:
        try:
            rollback(db)
        except sqlite3.Error as failed:
            # The body's (or COMMIT's) error is the one that explains what happened: keep it, and
            # say on it that the connection may still hold the transaction open.
            exc.add_note(f"ROLLBACK failed too: {failed}")
        if on_rollback is not None:
            on_rollback()
        raise
