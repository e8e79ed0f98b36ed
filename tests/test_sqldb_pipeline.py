"""SqlDb's pipeline (PostgreSQL pipeline mode, a no-op on SQLite): a transaction sent in one flush
commits as a whole, and one that fails inside the pipeline rolls back and leaves the connection
usable for the next round (the ledger saves each round this way)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from borderwatch.hub.sqldb import SqlDb, open_postgres, open_sqlite
from borderwatch.runtime.sqlite import is_disk_full
from tests.support.postgres import PG_DSN, pg_schema


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDb]:
    if request.param == "sqlite":
        d = open_sqlite(tmp_path / "t.sqlite3")
        yield d
        d.close()
        return
    with pg_schema() as schema:
        d = open_postgres(PG_DSN, schema)
        yield d
        d.close()


def test_a_failed_pipelined_transaction_rolls_back_and_the_next_commits(db: SqlDb) -> None:
    db.create("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v BIGINT)")
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), db.pipeline(), db.transaction():
        db.lock_keys(["t:a"])
        db.execute("INSERT INTO t VALUES (?, ?)", ("a", 1))
        db.execute("INSERT INTO t VALUES (?, ?)", ("a", 2))
        db.fetchall("SELECT k FROM t")
    assert db.fetchall("SELECT k, v FROM t") == []
    with db.pipeline(), db.transaction():
        db.lock_keys(["t:a", "t:b"])
        assert db.fetchall("SELECT k FROM t") == []
        db.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1), ("b", 2)])
    assert sorted(db.fetchall("SELECT k, v FROM t")) == [("a", 1), ("b", 2)]


def test_a_full_sqlite_file_keeps_its_error(tmp_path: Path) -> None:
    """SQLite rolls back by itself on SQLITE_FULL: the transaction must raise that error, not a
    failed ROLLBACK's "cannot rollback - no transaction is active"."""
    db = open_sqlite(tmp_path / "t.sqlite3")
    db.create("CREATE TABLE IF NOT EXISTS t (v BLOB)")
    db.execute("INSERT INTO t VALUES (zeroblob(10000))")
    db.execute("PRAGMA max_page_count = 1")
    with pytest.raises(sqlite3.OperationalError) as exc, db.transaction():
        db.executemany("INSERT INTO t VALUES (zeroblob(5000))", [()] * 20)
    assert is_disk_full(exc.value), exc.value
    with db.transaction():  # usable again
        db.execute("DELETE FROM t")
    db.close()
