"""Waiting for the hub to take in the last of a run: its stored counts, polled until they stop changing.

Why not a fixed pause after the agent stops: the last events still cross the broker, the hub's ingest
and the alert engine, and how long that takes depends on the machine's load. A fixed pause is too
short on a busy machine (the run's last crossings are scored as missed) and wasted time on an idle
one; polling what the hub stored against a deadline ends as soon as nothing more arrives.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Hashable
from contextlib import closing
from pathlib import Path

from borderwatch.runtime.sqlite import connect_read_only

SETTLE_STABLE_S = 1.0  # no change for this long: nothing more is on its way
SETTLE_TIMEOUT_S = 15.0  # give up waiting (the counts keep changing, e.g. a replay still running)


def hub_counts(events_db: Path, alerts_db: Path) -> tuple[object, ...]:
    """What the hub has stored so far: events, alerts and the latest alert change (read-only).

    A file or table not there yet, or busy, reads as None: it compares equal to itself, so a hub
    that is down simply looks settled.
    """
    return (
        _one(events_db, "SELECT count(*) FROM events"),
        _one(alerts_db, "SELECT count(*), max(updated_at) FROM alerts"),
    )


def _one(path: Path, sql: str) -> tuple[object, ...] | None:
    if not path.exists():
        return None
    try:
        with closing(connect_read_only(path, timeout_s=1.0)) as db:
            return tuple(db.execute(sql).fetchone())
    except sqlite3.Error:
        return None


def wait_stable(read: Callable[[], Hashable], stable_s: float, timeout_s: float, poll_s: float = 0.2) -> bool:
    """Poll ``read`` until its value has not changed for ``stable_s``; False if ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    last, since = read(), time.monotonic()
    while True:
        now = time.monotonic()
        if now - since >= stable_s:
            return True
        if now >= deadline:
            return False
        time.sleep(min(poll_s, max(0.0, deadline - now)))
        value = read()
        if value != last:
            last, since = value, time.monotonic()


def wait_hub_settled(
    events_db: Path, alerts_db: Path, stable_s: float = SETTLE_STABLE_S, timeout_s: float = SETTLE_TIMEOUT_S
) -> bool:
    """Block until the hub's stored counts stop changing (True) or ``timeout_s`` passes (False)."""
    return wait_stable(lambda: hub_counts(events_db, alerts_db), stable_s, timeout_s)
