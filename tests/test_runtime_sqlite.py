"""runtime/sqlite.py: every store opens its file the same way (WAL, chosen durability, shared threads)
and writes in one transaction that keeps SQLite's own error on a full disk."""

from __future__ import annotations

import errno
import sqlite3
import threading
from pathlib import Path

import pytest

from borderwatch.runtime.sqlite import connect, connect_read_only, is_disk_full, transaction

SYNC_LEVELS = {"off": 0, "normal": 1, "full": 2, "extra": 3}


@pytest.mark.parametrize(("level", "code"), [*SYNC_LEVELS.items(), ("FULL", 2), (None, 2)])
def test_wal_and_the_chosen_synchronous_level(tmp_path: Path, level: str | None, code: int) -> None:
    conn = connect(tmp_path / "deep" / "x.sqlite3", synchronous=level)  # the folder is created
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == code
    conn.close()


def test_usable_from_another_thread_and_autocommit_by_default(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    writer = connect(path)
    writer.execute("CREATE TABLE t(v INTEGER)")
    worker = threading.Thread(target=writer.execute, args=("INSERT INTO t VALUES (1)",))
    worker.start()
    worker.join()
    reader = connect(path)
    assert reader.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1  # committed without a COMMIT


def test_without_autocommit_writes_wait_for_commit(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    conn = connect(path, autocommit=False, busy_timeout_s=0.1)
    conn.execute("CREATE TABLE t(v INTEGER)")
    conn.commit()
    conn.execute("INSERT INTO t VALUES (1)")
    assert connect(path).execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
    conn.commit()
    assert connect(path).execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1


def test_in_memory_databases_open(tmp_path: Path) -> None:
    assert connect(":memory:").execute("SELECT 1").fetchone()[0] == 1


def test_is_disk_full_names_sqlite_full_and_enospc() -> None:
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (x BLOB)")
    db.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as exc:
        db.execute("INSERT INTO t VALUES (zeroblob(100000))")
    assert is_disk_full(exc.value)
    with pytest.raises(sqlite3.OperationalError) as other:
        db.execute("SELECT * FROM missing")
    assert not is_disk_full(other.value)


def _full_file(path: Path) -> sqlite3.Connection:
    """A file with no room for one more page (SQLite's page limit: a full disk, portably)."""
    db = connect(path)
    db.execute("CREATE TABLE t (x BLOB)")
    db.execute("INSERT INTO t VALUES (zeroblob(10000))")
    db.execute("PRAGMA max_page_count = 1")  # clamps to the pages the file has now
    return db


def test_transaction_commits_and_rolls_back_with_the_error_kept(tmp_path: Path) -> None:
    db = connect(tmp_path / "x.sqlite3")
    db.execute("CREATE TABLE t (v INTEGER)")
    rolled_back: list[bool] = []
    with transaction(db) as tx:
        tx.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(ZeroDivisionError), transaction(db, on_rollback=lambda: rolled_back.append(True)):
        db.execute("INSERT INTO t VALUES (2)")
        _ = 1 / 0
    assert [v for (v,) in db.execute("SELECT v FROM t")] == [1]
    assert rolled_back == [True] and not db.in_transaction


def test_a_full_disk_keeps_sqlites_error_not_a_failed_rollback(tmp_path: Path) -> None:
    """SQLite rolls back by itself on SQLITE_FULL; the helper must not ROLLBACK again (which would
    raise "cannot rollback - no transaction is active" in place of the real error)."""
    db = _full_file(tmp_path / "x.sqlite3")
    with pytest.raises(sqlite3.OperationalError) as exc, transaction(db):
        db.executemany("INSERT INTO t VALUES (zeroblob(5000))", [()] * 20)
    assert is_disk_full(exc.value), exc.value
    assert "cannot rollback" not in str(exc.value) and not db.in_transaction
    with transaction(db):  # the connection is usable again
        db.execute("DELETE FROM t")


def test_a_failed_rollback_is_noted_on_the_original_error(tmp_path: Path) -> None:
    """When ROLLBACK itself fails (here refused by SQLite's authorizer), the caller still gets the
    body's error, not the rollback's, with the failed rollback noted on it."""
    db = connect(tmp_path / "x.sqlite3")
    db.execute("CREATE TABLE t (v INTEGER)")

    def no_rollback(action: int, arg1: str | None, *_: object) -> int:
        refused = action == sqlite3.SQLITE_TRANSACTION and arg1 == "ROLLBACK"
        return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK

    with pytest.raises(ZeroDivisionError) as exc, transaction(db):
        db.execute("INSERT INTO t VALUES (1)")
        db.set_authorizer(no_rollback)
        _ = 1 / 0
    assert any("ROLLBACK failed too" in note and "not authorized" in note for note in exc.value.__notes__)
    db.set_authorizer(None)
    db.execute("ROLLBACK")  # the transaction was still open: nothing of the body was kept
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_read_only_connections_find_files_in_folders_with_uri_characters(tmp_path: Path) -> None:
    path = tmp_path / "run #1 ?50% done" / "events.sqlite3"
    db = connect(path)
    db.execute("CREATE TABLE t (v INTEGER)")
    db.execute("INSERT INTO t VALUES (7)")
    reader = connect_read_only(path)
    assert reader.execute("SELECT v FROM t").fetchall() == [(7,)]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("INSERT INTO t VALUES (8)")
