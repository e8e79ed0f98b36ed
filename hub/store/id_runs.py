"""Event ids as runs of consecutive numbers under one prefix (pure functions).

Why: the hub's event-id owner index (hub/store/owners.py) must record every id it has seen, and a
row per id costs about a microsecond in SQLite, as much as the rest of ingest's budget. Agents
number their events, so the ids of one message are mostly ``<prefix><n>``, ``<prefix><n+1>``, ...:
one row per run records them all, exactly.

Every id has exactly one split, ``(prefix, width, number)``: its trailing ASCII digits (at most
:data:`MAX_WIDTH` of them, so the number fits SQLite's INTEGER) are the number, written with
``width`` digits (leading zeros count: ``a-007`` and ``a-7`` are different ids); the rest is the
prefix. An id without trailing digits is its own run (width 0, number 0). :func:`join_id` is the
exact inverse, so a set of runs names exactly the ids it was made from; nothing about the shape of
ids is assumed, an id that fits no run simply costs a row of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

MAX_WIDTH = 18
"""Digits of the number at most: 10**18 - 1 < 2**63, SQLite's INTEGER."""
MAX_RUN = 1000
"""Ids per run at most, so finding the runs that overlap a range looks at a bounded key range."""
_DIGITS = "0123456789"


class Run(NamedTuple):
    """The ids ``prefix + f"{n:0{width}d}"`` for ``first <= n <= last`` (width 0: the prefix alone)."""

    prefix: str
    width: int
    first: int
    last: int


def split_id(event_id: str) -> tuple[str, int, int]:
    """``(prefix, width, number)`` of an id; see the module docstring."""
    width = min(len(event_id) - len(event_id.rstrip(_DIGITS)), MAX_WIDTH)
    if width == 0:
        return event_id, 0, 0
    cut = len(event_id) - width
    return event_id[:cut], width, int(event_id[cut:])


def join_id(prefix: str, width: int, number: int) -> str:
    """The id of ``number`` in a run (the inverse of :func:`split_id`)."""
    return f"{prefix}{number:0{width}d}" if width else prefix


def id_runs(ids: Sequence[str]) -> list[Run]:
    """The fewest runs (of at most :data:`MAX_RUN` ids) that hold exactly ``ids`` (duplicates allowed)."""
    if not ids:
        return []
    one = _single_run(ids)
    if one is not None:
        return [one]
    numbers: dict[tuple[str, int], set[int]] = {}
    for event_id in ids:
        prefix, width, n = split_id(event_id)
        numbers.setdefault((prefix, width), set()).add(n)
    runs = []
    for (prefix, width), found in numbers.items():
        ordered = sorted(found)
        start = prev = ordered[0]
        for n in ordered[1:]:
            if n != prev + 1 or n - start >= MAX_RUN:
                runs.append(Run(prefix, width, start, prev))
                start = n
            prev = n
        runs.append(Run(prefix, width, start, prev))
    return runs


def _single_run(ids: Sequence[str]) -> Run | None:
    """The common case in C-speed steps: one message of consecutive numbers under one prefix.

    Strings that sort between two strings with a common prefix share it, so the smallest and
    largest id settle the prefix; ids of one length whose tails are all digits then share one
    split, and ``n`` distinct ids spread over ``n`` numbers are every number in between.
    """
    lo, hi = min(ids), max(ids)
    prefix, width, first = split_id(lo)
    if width == 0 or not hi.startswith(prefix) or len(set(map(len, ids))) != 1:
        return None
    cut, size = len(prefix), len(lo)
    joined = "".join(ids)  # id k at k * size: one stride slice per digit column, not one per id
    tails = "".join([joined[col::size] for col in range(cut, size)])
    if not (tails.isascii() and tails.isdigit()):
        return None
    last, distinct = int(hi[cut:]), len(set(ids))
    if last - first + 1 != distinct or distinct > MAX_RUN:
        return None
    return Run(prefix, width, first, last)
