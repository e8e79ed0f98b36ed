"""Sets of sequence numbers as sorted, disjoint, inclusive ranges: ``((a, b), ...)``.

Why ranges and not sets: an agent sends millions of events; what the ledger must remember is
only where the holes are, which is a handful of ranges even after a bad outage.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

Range = tuple[int, int]
Ranges = tuple[Range, ...]


def runs(seqs: npt.NDArray[np.int64]) -> Ranges:
    """Sorted unique ``seqs`` -> the ranges of consecutive values they form."""
    if seqs.size == 0:
        return ()
    breaks = np.flatnonzero(np.diff(seqs) != 1)
    starts = np.concatenate(([seqs[0]], seqs[breaks + 1]))
    ends = np.concatenate((seqs[breaks], [seqs[-1]]))
    return tuple((int(a), int(b)) for a, b in zip(starts, ends, strict=True))


def union(*parts: Iterable[Range]) -> Ranges:
    """Merge ranges, joining overlapping and adjacent ones."""
    out: list[Range] = []
    for a, b in sorted(r for part in parts for r in part):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def covered(seqs: npt.NDArray[np.int64], ranges: Ranges) -> npt.NDArray[np.bool_]:
    """Which ``seqs`` fall inside any of ``ranges`` (one vectorised test per range)."""
    mask = np.zeros(seqs.shape, dtype=bool)
    for a, b in ranges:
        mask |= (seqs >= a) & (seqs <= b)
    return mask


def advance(contiguous: int, ranges: Ranges) -> tuple[int, Ranges]:
    """Fold ranges that touch ``contiguous`` into it; the rest stay as ranges above a hole."""
    i = 0
    while i < len(ranges) and ranges[i][0] <= contiguous + 1:
        contiguous = max(contiguous, ranges[i][1])
        i += 1
    return contiguous, ranges[i:]


def holes(contiguous: int, ranges: Ranges) -> Ranges:
    """The missing ranges below the highest received seq."""
    out: list[Range] = []
    low = contiguous + 1
    for a, b in ranges:
        if a > low:
            out.append((low, a - 1))
        low = max(low, b + 1)
    return tuple(out)


def size(ranges: Iterable[Range]) -> int:
    return sum(b - a + 1 for a, b in ranges)


def intersect(left: Ranges, right: Ranges) -> Ranges:
    """Seqs in both; both inputs sorted and disjoint."""
    out: list[Range] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if a <= b:
            out.append((a, b))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def clip(ranges: Ranges, limit: int) -> Ranges:
    """The first ``limit`` seqs of ``ranges``."""
    out: list[Range] = []
    for a, b in ranges:
        if limit <= 0:
            break
        out.append((a, min(b, a + limit - 1)))
        limit -= out[-1][1] - a + 1
    return tuple(out)


def render(ranges: Iterable[Range]) -> str:
    """``((3, 7), (9, 9))`` -> ``"3-7,9-9"``, for log lines."""
    return ",".join(f"{a}-{b}" for a, b in ranges)
