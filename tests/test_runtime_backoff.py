"""runtime/backoff.py: the one doubling, capped wait every retry loop uses (hub and edge)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.runtime.backoff import backoff_s

_seconds = st.floats(min_value=1e-3, max_value=3600, allow_nan=False, allow_infinity=False)


def test_doubles_from_the_first_wait_and_caps() -> None:
    assert [backoff_s(n, 0.5, 3.0) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [backoff_s(n, 0.05, 10.0) for n in range(10)] == [0.05 * 2**n for n in range(8)] + [10.0, 10.0]


def test_a_negative_attempt_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="attempt"):
        backoff_s(-1, 1.0, 2.0)


@given(initial=_seconds, cap=_seconds, attempts=st.integers(min_value=1, max_value=80))
def test_same_waits_as_doubling_the_last_one(initial: float, cap: float, attempts: int) -> None:
    """The loops it replaced kept a wait and doubled it (capped) after each failure."""
    # Configs order first wait and cap (validators) except two: the webhook's old formula capped
    # every wait already, and the hub's store retry (first wait 0.05 s, store_retry_max_s may be
    # lower) now caps its first wait too. So the same waits wherever the cap is at least the first:
    cap = max(cap, initial)
    wait, expected = initial, []
    for _ in range(attempts):
        expected.append(wait)
        wait = min(wait * 2, cap)
    assert [backoff_s(n, initial, cap) for n in range(attempts)] == expected


@given(initial=_seconds, cap=_seconds, attempt=st.integers(min_value=0, max_value=10**6))
def test_never_above_the_cap_nor_shrinking(initial: float, cap: float, attempt: int) -> None:
    wait = backoff_s(attempt, initial, cap)
    assert 0 < wait <= cap
    assert backoff_s(attempt + 1, initial, cap) >= wait
