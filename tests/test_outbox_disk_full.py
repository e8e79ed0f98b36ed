"""A full disk on the mast: the outbox names it, counts every event it could not store, keeps the
agent running and writes again by itself once there is room. Simulated with SQLite's page limit
(portable) and with a size-limited tmpfs (needs root; skipped otherwise)."""

from __future__ import annotations

import errno
import logging
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.contract import Telemetry
from borderwatch.edge.config.link import OutboxConfig
from borderwatch.edge.outbox import Outbox
from tests.support.builders import outbox_events
from tests.support.outbox_full import BATCH, append_until_full, fill_page_limit, free_page_limit


def _tel() -> Telemetry:
    return Telemetry(site="s1", agent="a1", ts=datetime.now(UTC))


def test_page_limit_counted_reported_and_recovered(tmp_path, caplog):
    caplog.set_level(logging.INFO, "borderwatch.outbox")
    box = Outbox(tmp_path / "outbox.sqlite3", OutboxConfig())
    box.append(outbox_events("s1", "a1", 0, BATCH))
    fill_page_limit(box)
    # small telemetry rows still fit into the last page for a while; then nothing does
    assert any(box.append_telemetry(_tel()) is None for _ in range(1000)), "refused, not raised"
    next_seq = append_until_full(box, BATCH)
    lost = BATCH  # the batch append_until_full saw refused
    errors_before = len([r for r in caplog.records if r.levelno >= logging.ERROR])
    for i in range(3):
        assert box.append(outbox_events("s1", "a1", 10_000 + i * BATCH, BATCH)) == []
        lost += BATCH
    st = box.stats()
    assert st.disk_full and st.lost_disk_full == lost and st.dropped >= lost
    box.maintain()  # writes, too: must not raise
    box.remove_telemetry([1])
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all("disk full" in m for m in errors)
    assert len(errors) == errors_before, "one error line per episode, not one per batch"
    assert not any("cannot rollback" in r.getMessage() for r in caplog.records)

    free_page_limit(box)
    stored = box.append(outbox_events("s1", "a1", 0, 3))
    assert [e.seq for e in stored] == [next_seq, next_seq + 1, next_seq + 2], "lost events took no seqs"
    st = box.stats()
    assert not st.disk_full and st.lost_disk_full == lost
    assert any("writing again" in r.getMessage() for r in caplog.records)
    assert box.append_telemetry(_tel()) is not None
    box.close()
    reopened = Outbox(tmp_path / "outbox.sqlite3", OutboxConfig())
    assert reopened.stats().lost_disk_full == lost, "the count was saved once there was room"
    reopened.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs: the size-limited filesystem a mast's full card looks like."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {proc.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_full_filesystem_counted_and_recovered(small_disk, caplog):
    caplog.set_level(logging.INFO, "borderwatch.outbox")
    box = Outbox(small_disk / "outbox.sqlite3", OutboxConfig())
    box.append(outbox_events("s1", "a1", 0, BATCH))
    ballast = small_disk / "ballast"
    with ballast.open("wb") as f:  # take every free block
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    assert any(box.append_telemetry(_tel()) is None for _ in range(1000))
    next_seq = append_until_full(box, BATCH)
    assert box.stats().disk_full and box.stats().lost_disk_full >= BATCH
    assert not any("cannot rollback" in r.getMessage() for r in caplog.records)
    assert any("disk full" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)

    ballast.unlink()
    stored = box.append(outbox_events("s1", "a1", 0, 2))
    assert [e.seq for e in stored] == [next_seq, next_seq + 1]
    assert not box.stats().disk_full
    box.close()
