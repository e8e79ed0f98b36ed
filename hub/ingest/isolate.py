"""Tell a store that is down from a store that refuses one message, and find that message.

Why: the ingest loop writes a whole round at once. A store that is down (connection refused,
timeout, disk I/O, a locked file) must be retried with nothing acknowledged; a store that refuses
content (integrity, overflow, type errors, an event id owned by another agent) will refuse it for
ever, so retrying the round would stall every agent behind one message. Refused writes are
bisected down to the refusing items, each tried a bounded number of times, then handed back to be
dead-lettered with the store's reason while the rest is written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

from borderwatch.hub.ingest.decode import Reason
from borderwatch.hub.store.base import StoreRefusedError

T = TypeVar("T")

Verdict = Literal["down", "refused"]

_REFUSALS = (
    StoreRefusedError,
    sqlite3.IntegrityError,
    sqlite3.DataError,
    sqlite3.InterfaceError,
    OverflowError,
    TypeError,
    ValueError,
    UnicodeError,
)
"""Errors about the content of a write; everything else (sqlite3.OperationalError such as
"disk I/O error" or "database is locked", StoreError, OSError, timeouts) means the store is down."""


def verdict(exc: BaseException) -> Verdict:
    """``refused`` when the content is at fault, ``down`` when the store is."""
    return "refused" if isinstance(exc, _REFUSALS) else "down"


def refusal_reason(exc: BaseException) -> tuple[str, str]:
    """(dead-letter reason code, the store's own words) of a refusal."""
    if isinstance(exc, StoreRefusedError):
        return exc.reason, exc.detail
    return Reason.STORE_REFUSED.value, f"{type(exc).__name__}: {exc}"


def write_isolating(
    write: Callable[[Sequence[T]], object], items: Sequence[T], tries: int
) -> list[tuple[T, tuple[str, str]]]:
    """Write ``items``; returns those refused for good with (reason, detail), the rest written.

    Raises the store's exception when it is down (the caller retries the round, nothing acked);
    whatever was written before is written again then, which the stores make idempotent.
    """
    if not items:
        return []
    refusal = _attempt(write, items)
    if refusal is None:
        return []
    if len(items) > 1:
        mid = len(items) // 2
        return write_isolating(write, items[:mid], tries) + write_isolating(write, items[mid:], tries)
    for _ in range(tries - 1):
        again = _attempt(write, items)
        if again is None:
            return []
        refusal = again
    return [(items[0], refusal_reason(refusal))]


def _attempt(write: Callable[[Sequence[T]], object], items: Sequence[T]) -> Exception | None:
    """None when written; the store's refusal otherwise. Re-raises when the store is down."""
    try:
        write(items)
    except Exception as exc:
        if verdict(exc) == "down":
            raise
        return exc
    return None
