"""How long to wait before the next retry: one doubling, capped back-off for every side.

Why one function: the hub's store retries, webhooks, replay requests, the influx writer, the edge's
sensor reconnects and the broker-refusal pause all wait ``initial, 2*initial, 4*initial ...`` up to
a cap; written once, they cannot drift apart (an off-by-one in the exponent halves or doubles every
wait). Pure: the caller counts its attempts and does the waiting (and any jitter).
"""

from __future__ import annotations

_MAX_DOUBLINGS = 1000
"""``2.0 ** 1024`` overflows; past this many doublings any positive ``initial_s`` is beyond any cap."""


def backoff_s(attempt: int, initial_s: float, max_s: float) -> float:
    """The wait before retry ``attempt`` (0 = the first retry): ``initial_s * 2**attempt``, at most ``max_s``."""
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    return min(initial_s * 2.0 ** min(attempt, _MAX_DOUBLINGS), max_s)
