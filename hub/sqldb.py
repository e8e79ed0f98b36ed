"""One SQL connection behind one small interface, SQLite or PostgreSQL: the hub's shared state.

Why: the alert store and the delivery ledger are the same code on both databases; only
placeholders, the transaction opener and row locking differ, and they are decided here once.
SQLite serves one hub (or several processes on one host through one file: ``BEGIN IMMEDIATE``
locks the whole file); PostgreSQL serves several hub instances on several hosts, with
``SELECT ... FOR UPDATE`` row locks and transaction-level advisory locks.

Each ``SqlDb`` owns one connection and a re-entrant lock: a thread inside :meth:`transaction`
keeps the connection to itself until the block ends, so reads inside it see the transaction.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from borderwatch.runtime.sqlite import connect as sqlite_connect
from borderwatch.runtime.sqlite import transaction as sqlite_transaction

Dialect = Literal["sqlite", "postgres"]
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SqlDb:
    """A connection with ``?`` placeholders on both databases and nestable transactions."""

    def __init__(self, conn: Any, dialect: Dialect, reopen: Callable[[], Any] | None = None) -> None:
        self._conn = conn
        self.dialect: Dialect = dialect
        self._reopen = reopen
        self._lock = threading.RLock()
        self._depth = 0

    def _live(self) -> Any:
        """The connection; a PostgreSQL connection broken by a server restart is replaced outside a
        transaction (the statement that found it broken failed; its caller retries)."""
        if self._reopen is not None and self._depth == 0 and getattr(self._conn, "broken", False):
            self._conn = self._reopen()
        return self._conn

    @property
    def for_update(self) -> str:
        """Suffix of a SELECT that locks its rows until commit (SQLite's IMMEDIATE lock is file-wide)."""
        return " FOR UPDATE" if self.dialect == "postgres" else ""

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgres" else sql

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """Run one statement (its own transaction unless inside :meth:`transaction`); the cursor."""
        with self._lock:
            return self._live().execute(self._sql(sql), args)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each of ``rows``."""
        with self._lock:
            if self.dialect == "postgres":
                with self._live().cursor() as cur:
                    cur.executemany(self._sql(sql), rows)
            else:
                self._conn.executemany(sql, rows)

    def fetchall(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of a query."""
        with self._lock:
            return list(self._live().execute(self._sql(sql), args).fetchall())

    def fetchone(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or None."""
        with self._lock:
            return self._live().execute(self._sql(sql), args).fetchone()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit on success, roll back on error; nested blocks join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            if self.dialect == "sqlite":
                with sqlite_transaction(self._conn):
                    self._depth = 1
                    try:
                        yield
                    finally:
                        self._depth = 0
                return
            self._live().execute("BEGIN")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                if not getattr(self._conn, "broken", False):
                    self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def pipeline(self) -> Iterator[None]:
        """Statements inside are sent without waiting for each answer (PostgreSQL pipeline mode);
        a read waits only for what it needs. Why: a transaction of several statements then costs
        two round trips to the server instead of one each, so row and advisory locks taken inside
        are held that much shorter while other hub instances wait for them. SQLite: no-op."""
        with self._lock:
            if self.dialect != "postgres":
                yield
                return
            conn = self._live()
            try:
                with conn.pipeline():
                    yield
            except BaseException:  # an error aborts the pipeline, and the ROLLBACK queued in it
                if not conn.broken and conn.info.transaction_status.name == "INERROR":
                    conn.execute("ROLLBACK")
                raise

    def script(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """PostgreSQL: several ``;``-separated statements as one message to the server, run as one
        implicit transaction (all or nothing); the cursor, at the first statement's result
        (``nextset()`` moves on). Each statement still takes its own snapshot, so one that follows a
        lock sees what the lock's previous holder committed.

        Why: a short transaction run per message costs one round trip and no BEGIN/COMMIT of its own
        (``bench/bench_owners.py`` measures a claim through it).
        Parameters are bound on the client (``ClientCursor``: quoted by psycopg, never pasted)."""
        if self.dialect != "postgres":
            raise ValueError("SqlDb.script needs PostgreSQL (SQLite runs one statement per call)")
        import psycopg

        with self._lock:
            if self._depth:
                raise RuntimeError("SqlDb.script is its own transaction; not inside transaction()")
            cur = psycopg.ClientCursor(self._live())
            cur.execute(self._sql(sql), args)
            return cur

    def lock_keys(self, keys: Sequence[str]) -> None:
        """Inside a transaction: hold a lock per key until commit, shared by every instance.

        PostgreSQL: transaction-level advisory locks, taken in sorted order so two instances
        never deadlock. SQLite: the IMMEDIATE transaction already holds the whole file."""
        if self.dialect != "postgres" or not keys:
            return
        ids = sorted({advisory_key(k) for k in keys})
        self.execute("SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(?::bigint[]) AS k ORDER BY 1) AS s", (ids,))

    def create(self, script: str) -> None:
        """Run ``CREATE ... IF NOT EXISTS`` statements (``;``-separated, ``{serial}`` = an
        auto-numbered key), once at a time across instances starting together."""
        serial = "BIGSERIAL PRIMARY KEY" if self.dialect == "postgres" else "INTEGER PRIMARY KEY"
        with self.transaction():
            self.lock_keys(["borderwatch-ddl"])
            for stmt in script.format(serial=serial).split(";"):
                if stmt.strip():
                    self.execute(stmt)

    def columns(self, table: str) -> set[str]:
        """Column names of ``table`` (to add columns older files lack)."""
        if self.dialect == "postgres":
            rows = self.fetchall("SELECT column_name FROM information_schema.columns "
                                 "WHERE table_name = ? AND table_schema = current_schema()", (table,))  # fmt: skip
            return {r[0] for r in rows}
        return {r[1] for r in self.fetchall(f"PRAGMA table_info({table})")}

    def close(self) -> None:
        """Release the connection."""
        with self._lock:
            self._conn.close()


def advisory_key(key: str) -> int:
    """A stable signed 64-bit number for a text key (crc32 of two halves: no Python hash seed)."""
    raw = key.encode()
    return (zlib.crc32(raw) << 31) ^ zlib.crc32(raw[::-1])


def open_sqlite(path: Path | str, synchronous: str | None = "NORMAL") -> SqlDb:
    """An SQLite file in WAL mode whose transactions are explicit (``BEGIN IMMEDIATE``)."""
    conn: sqlite3.Connection = sqlite_connect(path, synchronous=synchronous, busy_timeout_s=30.0, autocommit=True)
    return SqlDb(conn, "sqlite")


def open_postgres(dsn: str, schema: str = "public") -> SqlDb:
    """A PostgreSQL connection whose tables live in ``schema`` (created if missing)."""
    import psycopg  # imported here: a hub on SQLite never needs the driver

    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"schema {schema!r} is not a plain lower-case SQL name")

    def connect() -> Any:
        conn = psycopg.connect(dsn, autocommit=True)
        with conn.transaction():  # two instances starting together must not race on the catalogue
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("borderwatch-ddl"),))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.execute(f"SET search_path TO {schema}")
        return conn

    return SqlDb(connect(), "postgres", connect)
