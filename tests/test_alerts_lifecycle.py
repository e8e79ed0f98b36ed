"""The pure alert lifecycle: transitions table, operator actions, and a property: an alert never
leaves resolved, whatever evidence, ticks and actions follow."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.contract import AlertState
from borderwatch.hub.alerts import lifecycle as lc
from borderwatch.hub.alerts.lifecycle import Life, Reason, Timing

P, F, A, R = AlertState.PENDING, AlertState.FIRING, AlertState.ACKNOWLEDGED, AlertState.RESOLVED
T = Timing(for_s=10, resolve_after_s=60, renotify_s=300)


def life(state: AlertState, opened: float = 0, evidence: float = 0, notified: float | None = None) -> Life:
    return Life(state, opened, evidence, fired_at=notified, notified_at=notified)


@pytest.mark.parametrize(
    ("before", "now", "timing", "ready", "state", "reason"),
    [
        (life(P, 0, 5), 6, T, True, P, None),  # evidence spans 5 s of the 10 s for-duration
        (life(P, 0, 10), 11, T, True, F, Reason.FIRED),  # spanned for_s: fires
        (life(P, 0, 10), 11, T, False, P, None),  # group not big enough yet
        (life(P, 0, 0), 0, Timing(for_s=0), True, F, Reason.FIRED),  # no for-duration: fires at once
        (life(P, 0, 5), 65, T, True, R, Reason.EXPIRED),  # evidence stopped before it fired
        (life(F, 0, 10, 10), 69, T, True, F, None),  # quiet 59 s of 60
        (life(F, 0, 10, 10), 70, T, True, R, Reason.AUTO_RESOLVED),
        (life(F, 0, 10, 10), 70, replace(T, auto_resolve=False), True, F, None),  # health: only clears
        (life(A, 0, 10, 10), 70, T, True, R, Reason.AUTO_RESOLVED),
        (life(F, 0, 300, 0), 300, T, True, F, Reason.RENOTIFY),
        (life(A, 0, 300, 0), 300, T, True, A, None),  # acknowledged: nobody is paged again
        (life(R, 0, 0), 1000, T, True, R, None),
    ],
)
def test_time_driven_transitions(before: Life, now: float, timing: Timing, ready: bool, state, reason) -> None:
    after, why = lc.advance(before, now, timing, ready)
    assert (after.state, why) == (state, reason)


@pytest.mark.parametrize(
    ("state", "action", "result"),
    [
        (F, "ack", A),
        (P, "ack", lc.TransitionError),
        (A, "ack", lc.TransitionError),
        (R, "ack", lc.TransitionError),
        (P, "resolve", R),
        (F, "resolve", R),
        (A, "resolve", R),
        (R, "resolve", lc.TransitionError),
    ],
)
def test_operator_actions(state: AlertState, action: str, result) -> None:
    before = life(state)
    do = (lambda: lc.acknowledge(before, "ops-1")) if action == "ack" else (lambda: lc.resolve(before, 5))
    if result is lc.TransitionError:
        with pytest.raises(lc.TransitionError):
            do()
    else:
        assert do().state is result


@pytest.mark.parametrize(("state", "reason"), [(P, Reason.EXPIRED), (F, Reason.AUTO_RESOLVED), (R, None)])
def test_clearing_condition(state: AlertState, reason) -> None:
    after, why = lc.clear(life(state), 3)
    assert after.state is R and why is reason


steps = st.lists(
    st.tuples(st.sampled_from(["evidence", "tick", "ack", "resolve", "clear"]), st.floats(0, 500)), max_size=30
)


@given(steps)
def test_resolved_is_final(ops: list[tuple[str, float]]) -> None:
    cur, now, was_resolved = lc.open_life(0.0), 0.0, False
    for op, dt in ops:
        now += dt
        try:
            if op == "evidence":
                cur = lc.on_evidence(cur, now)
            elif op == "tick":
                cur, _ = lc.advance(cur, now, T)
            elif op == "ack":
                cur = lc.acknowledge(cur, "ops")
            elif op == "resolve":
                cur = lc.resolve(cur, now)
            else:
                cur, _ = lc.clear(cur, now)
        except lc.TransitionError:
            pass
        assert not (was_resolved and cur.state is not R), "an alert went back from resolved"
        was_resolved = cur.state is R
