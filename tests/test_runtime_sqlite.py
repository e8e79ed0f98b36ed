"""runtime/sqlite.py: every store opens its file the same way (WAL, chosen durability, shared threads)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from borderwatch.runtime.sqlite import connect

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
