"""A full disk for the outbox in tests: SQLite's page limit on the outbox's own connection."""

from __future__ import annotations

from borderwatch.edge.outbox import Outbox
from tests.support.builders import outbox_events

BATCH = 50


def fill_page_limit(box: Outbox) -> None:
    """No page beyond those the file has now (SQLite's ``max_page_count`` cannot go lower)."""
    box._db.execute("PRAGMA max_page_count = 1")  # clamps to the current page count


def free_page_limit(box: Outbox) -> None:
    """Space returns: the page limit back at SQLite's maximum."""
    box._db.execute("PRAGMA max_page_count = 1073741823")


def append_until_full(box: Outbox, first_seq: int, limit: int = 200) -> int:
    """Append batches until one is refused; returns the seq the next stored event will get."""
    for i in range(limit):
        stored = box.append(outbox_events("s1", "a1", first_seq + i * BATCH, BATCH))
        if not stored:
            return first_seq + i * BATCH
    raise AssertionError("the disk never filled")
