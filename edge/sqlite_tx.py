"""One write transaction on an autocommit SQLite connection, and what a full disk looks like.

Why its own file: the outbox must tell a full disk (keep running, count what is lost) from any
other failure, and that depends on rolling back without masking SQLite's own error.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable


def is_disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL (disk full, or the page limit reached) or ENOSPC from the OS."""
    if isinstance(exc, sqlite3.Error):
        return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error (autocommit connection).

    Why the ``in_transaction`` check: after SQLITE_FULL (and some I/O errors) SQLite has already
    rolled back by itself, and a second ROLLBACK would raise "cannot rollback - no transaction is
    active", hiding the error that matters. A failed COMMIT is rolled back the same way.
    """

    def __init__(self, db: sqlite3.Connection, on_rollback: Callable[[], None]) -> None:
        self._db = db
        self._on_rollback = on_rollback

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._on_rollback()
