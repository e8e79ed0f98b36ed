"""One agent's flood of crossings (issue 10): its open alerts stay capped, so every decision's work
stays bounded, what it drops is counted and logged once, and other agents still raise alerts."""

from __future__ import annotations

import logging
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.contract import AlertState
from borderwatch.hub.alerts.config import AlertsConfig, Lifecycle
from borderwatch.hub.alerts.flood import within_cap
from borderwatch.hub.alerts.rules import ZoneState, evaluate
from tests.support.alerts import event
from tests.test_alerts_engine import Rig, Stores

CAP = 200


def far(n: int, agent: str = "mast-66") -> object:
    """Crossing n of a hostile agent: ~1 km from every other one, so none fuse."""
    return event(0, agent=agent, track=n, lat=50.0 + (n // 100) * 0.01, lon=10.0 + (n % 100) * 0.01)


def open_of(rig: Rig, agent: str) -> int:
    return sum(1 for x in rig.engine._open.values() if x.sit.alert.agent == agent and x.health is None)


def test_flood_of_2000_crossings_is_capped_counted_and_does_not_silence_others(
    alert_stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(alert_stores)
    assert rig.cfg.lifecycle.max_open_per_agent == CAP
    with caplog.at_level(logging.WARNING, logger="borderwatch.hub.alerts"):
        for start in range(0, 2000, 50):
            rig.handle(1, *[far(n) for n in range(start, start + 50)])
            assert open_of(rig, "mast-66") <= CAP  # the bound holds all along, not just at the end
            if start == 1000:  # mid-flood, a well-behaved mast's crossing still fires
                fired = rig.handle(1, event(1, agent="mast-01", lat=52.0, lon=14.0))
                assert [a.agent for a in fired] == ["mast-01"] and fired[0].state is AlertState.FIRING
    assert open_of(rig, "mast-66") == CAP
    assert rig.engine.counts["flood_dropped"] == 2000 - CAP
    assert len(rig.store.open_alerts()) == CAP + 1
    floods = [r for r in caplog.records if "alert flood" in r.getMessage()]
    assert len(floods) == 1 and "agent=mast-66" in floods[0].getMessage()


def test_flooding_agent_evidence_still_joins_its_open_alerts(alert_stores: Stores) -> None:
    rig = Rig(alert_stores, AlertsConfig(lifecycle=Lifecycle(max_open_per_agent=3)))
    rig.handle(0, *[far(n) for n in range(5)])
    assert open_of(rig, "mast-66") == 3 and rig.engine.counts["flood_dropped"] == 2
    before = {aid: len(x.sit.alert.event_ids) for aid, x in rig.engine._open.items()}
    rig.handle(1, far(0))  # the same place again: evidence for an open alert, not a new one
    after = {aid: len(x.sit.alert.event_ids) for aid, x in rig.engine._open.items()}
    assert after.keys() == before.keys() and sum(after.values()) == sum(before.values()) + 1
    assert rig.engine.counts["flood_dropped"] == 2


def test_agent_raises_again_once_its_alerts_resolve(alert_stores: Stores, caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig(alert_stores, AlertsConfig(lifecycle=Lifecycle(max_open_per_agent=2)))
    with caplog.at_level(logging.WARNING, logger="borderwatch.hub.alerts"):
        rig.handle(0, *[far(n) for n in range(4)])
        rig.handle(1, far(5))  # the same flood: logged once
    assert open_of(rig, "mast-66") == 2 and rig.engine.counts["flood_dropped"] == 3
    assert sum("alert flood" in r.getMessage() for r in caplog.records) == 1
    rig.tick(200)  # past resolve_after_s without evidence: auto-resolved
    assert open_of(rig, "mast-66") == 0
    assert len(rig.handle(201, far(9))) == 1


@given(
    agents=st.lists(st.sampled_from(["a", "b", "c"]), max_size=40),
    held=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 6)),
    cap=st.integers(1, 5),
)
def test_within_cap_never_lets_an_agent_past_the_cap(agents: list[str], held: dict[str, int], cap: int) -> None:
    rules = AlertsConfig().rules
    evs = [event(0, agent=f"mast-{a}", track=i, lon=10.0 + i * 0.01) for i, a in enumerate(agents)]
    ms, _ = evaluate(rules, evs, [], ZoneState.empty(), 5.0)
    before = Counter({("west-1", f"mast-{a}"): n for a, n in held.items()})
    kept, dropped = within_cap(ms, before, cap)
    assert len(kept) + len(dropped) == len(ms) and before == Counter(
        {("west-1", f"mast-{a}"): n for a, n in held.items()}
    )
    got = Counter((m.event.site, m.event.agent) for m in kept)
    for key, n in got.items():
        assert before[key] + n <= cap
    for m in dropped:  # dropped only once the agent is full
        assert before[(m.event.site, m.event.agent)] + got[(m.event.site, m.event.agent)] >= cap
