"""The alert engine over a real store (SQLite and PostgreSQL, shared mode: every decision under the
store's locks), with a hand-driven clock: grouping, groups of N, for-durations, agent-offline
debounce, silences, re-notification, auto-resolve, restart, reload; and two engines on one store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from borderwatch.contract import AgentStatus, AlertState, Telemetry
from borderwatch.hub.alerts.base import AuditQuery
from borderwatch.hub.alerts.config import AlertRule, AlertsConfig, Health, Lifecycle
from borderwatch.hub.alerts.engine import AlertChange, AlertEngine
from borderwatch.hub.alerts.lifecycle import Reason
from borderwatch.hub.alerts.silences import SilenceRequest
from borderwatch.hub.alerts.store import SqlAlertStore
from tests.support.alerts import at, event

Stores = Callable[[], SqlAlertStore]


class Clock:
    def __init__(self) -> None:
        self.now = at(0)

    def __call__(self) -> datetime:
        return self.now

    def to(self, dt: float) -> datetime:
        self.now = at(dt)
        return self.now


class Rig:
    """An engine, its store, its clock, and what its hooks saw."""

    def __init__(self, stores: Stores, cfg: AlertsConfig | None = None,
                 clock: Clock | None = None) -> None:  # fmt: skip
        self.clock = clock or Clock()
        self.store = stores()
        self.paged: list[AlertChange] = []
        self.seen: list[AlertChange] = []
        self.cfg = cfg or AlertsConfig()
        self.engine = AlertEngine(self.cfg, self.store, [self.paged.append], [self.seen.append], clock=self.clock)

    def handle(self, dt: float, *events) -> list:
        return self.engine.handle(list(events), self.clock.to(dt))

    def tick(self, dt: float) -> list[AlertChange]:
        return self.engine.tick(self.clock.to(dt))

    def pages(self) -> list[tuple[str, str]]:
        return [(c.alert.rule, c.reason.value) for c in self.paged]


@pytest.fixture
def rig(alert_stores: Stores) -> Rig:
    return Rig(alert_stores)


def status(state: str, agent: str = "mast-01") -> AgentStatus:
    return AgentStatus(site="west-1", agent=agent, state=state, ts=at(0))


def test_person_crossing_fires_one_critical_alert_and_pages_once(rig: Rig) -> None:
    fired = rig.handle(0, event(0))
    assert len(fired) == 1 and fired[0].severity.value == "critical" and fired[0].state is AlertState.FIRING
    rig.handle(1, event(1, sensor="cam2", track=9, lat=52.00005))
    rig.engine.flush()  # evidence that only joins an alert is written behind
    assert rig.store.count() == 1 and len(rig.store.list()[0].event_ids) == 2
    assert rig.pages() == [("border-crossing-person", "fired")]
    assert [c.reason for c in rig.seen] == [Reason.FIRED, Reason.EVIDENCE]


def test_radar_cue_pages_again_when_a_camera_confirms(rig: Rig) -> None:
    rig.handle(0, event(0, "radar", "rad1"))
    rig.handle(1, event(1, "camera", "cam1", lat=52.00005))
    assert [(c.reason.value, c.alert.severity.value) for c in rig.paged] == [("fired", "warning"),
                                                                             ("upgraded", "critical")]  # fmt: skip


def test_a_person_in_distress_who_crosses_stays_one_alert_that_pages_the_crossing(rig: Rig) -> None:
    distress = {"attributes": {"distress": True}}
    rig.handle(0, event(0, "thermal", "th1", kind="track_update", track=4, **distress))
    rig.handle(5, event(5, "thermal", "th1", kind="line_crossing", track=4, lat=52.0001, **distress))
    rig.handle(6, event(6, "thermal", "th1", kind="track_update", track=4, lat=52.0002, **distress))
    (alert,) = rig.store.list()
    assert alert.rule == "person-in-distress" and alert.direction == "inbound" and len(alert.event_ids) == 3
    assert rig.pages() == [("person-in-distress", "fired"), ("person-in-distress", "crossed")]
    assert "inbound" in alert.summary


def test_group_of_n_waits_for_the_nth_track(alert_stores: Stores) -> None:
    rule = AlertRule(name="group", kinds=["track_update"], min_count=3, group_radius_m=50)
    rig = Rig(alert_stores, AlertsConfig(rules=[rule]))
    rig.handle(0, event(0, kind="track_update", track=1), event(0, kind="track_update", track=2))
    assert rig.store.list()[0].state is AlertState.PENDING and not rig.paged
    rig.handle(1, event(1, kind="track_update", sensor="cam2", track=1))  # a second sensor, not a third person
    assert not rig.paged
    rig.handle(2, event(2, kind="track_update", track=3, lat=52.0001))
    assert rig.pages() == [("group", "fired")]


def test_for_duration_needs_evidence_that_lasts(alert_stores: Stores) -> None:
    rule = AlertRule(name="lingering", kinds=["track_update"], for_s=10)
    rig = Rig(alert_stores, AlertsConfig(rules=[rule]))
    rig.handle(0, event(0, kind="track_update"))
    rig.handle(5, event(5, kind="track_update"))
    assert not rig.paged
    rig.handle(11, event(11, kind="track_update"))
    assert rig.pages() == [("lingering", "fired")]


def test_evidence_stops_auto_resolves_and_new_evidence_opens_a_new_alert(rig: Rig) -> None:
    rig.handle(0, event(0))
    rig.tick(119)
    assert rig.store.list()[0].state is AlertState.FIRING
    rig.tick(121)
    assert rig.store.list()[0].state is AlertState.RESOLVED and rig.pages()[-1][1] == "auto_resolved"
    rig.handle(130, event(125))
    assert rig.store.count() == 2


def test_an_acknowledged_alert_stays_acknowledged_as_evidence_joins(rig: Rig) -> None:
    (alert,) = rig.handle(0, event(0))
    rig.engine.act(alert.id, "ack", "ops-1", "on my way")
    rig.handle(2, event(2, sensor="cam2", track=5))
    rig.engine.flush()
    got = rig.store.get(alert.id)
    assert got is not None and got.state is AlertState.ACKNOWLEDGED and got.acked_by == "ops-1"
    assert len(got.event_ids) == 2


def test_renotify_until_acknowledged(alert_stores: Stores) -> None:
    rig = Rig(alert_stores, AlertsConfig(lifecycle=Lifecycle(renotify_s=30, resolve_after_s=600)))
    (alert,) = rig.handle(0, event(0))
    rig.tick(29)
    rig.tick(30)
    rig.engine.act(alert.id, "ack", "ops-1")
    rig.tick(90)
    assert [r for _, r in rig.pages()] == ["fired", "renotify", "acknowledged"]


@pytest.mark.parametrize(
    ("back_at", "pages"),
    [
        (20.0, []),  # a blip shorter than the 60 s debounce pages nobody and leaves no alert
        (None, [("agent-offline", "fired")]),  # gone for good: always pages
        (200.0, [("agent-offline", "fired"), ("agent-offline", "auto_resolved")]),
    ],
)
def test_agent_offline_after_a_debounce(rig: Rig, back_at: float | None, pages: list) -> None:
    rig.engine.on_status(status("online"), rig.clock.to(0))
    rig.engine.on_status(status("offline"), rig.clock.to(1))
    for t in range(2, 260, 5):
        if back_at is not None and t >= back_at:  # back, and heard from every few seconds
            rig.engine.on_telemetry(Telemetry(site="west-1", agent="mast-01", ts=at(t)), rig.clock.to(t))
        rig.tick(t)
    assert rig.pages() == pages
    assert rig.store.count() == (1 if pages else 0)


def test_a_silent_agent_pages_after_the_silence_deadline_and_debounce(alert_stores: Stores) -> None:
    rig = Rig(alert_stores, AlertsConfig(health=Health(silence_s=100, debounce_s=30)))
    rig.engine.on_telemetry(Telemetry(site="west-1", agent="mast-02", ts=at(0)), rig.clock.to(0))
    rig.tick(99)
    rig.tick(100)  # silent: pending
    rig.tick(125)
    assert not rig.paged
    rig.tick(131)
    assert rig.pages() == [("agent-offline", "fired")] and "sent nothing" in rig.paged[0].alert.summary


def test_degraded_sensor_from_telemetry(rig: Rig) -> None:
    sensors = [{"id": "cam1", "kind": "camera", "state": "degraded"}, {"id": "cam2", "kind": "camera"}]
    rig.engine.on_telemetry(Telemetry(site="west-1", agent="mast-01", ts=at(0), sensors=sensors), rig.clock.to(0))
    rig.tick(1)
    rig.tick(62)
    assert rig.pages() == [("sensor-degraded", "fired")] and rig.paged[0].alert.sensor_id == "cam1"


def test_sensor_offline_resolves_when_the_sensor_is_back(rig: Rig) -> None:
    rig.handle(0, event(0, kind="sensor_offline", lat=None, track=None))
    rig.tick(500)  # no auto-resolve for a sensor that stays offline
    rig.handle(600, event(600, kind="sensor_online", lat=None, track=None))
    assert rig.pages() == [("sensor-offline", "fired"), ("sensor-offline", "auto_resolved")]


def test_silence_mutes_notifiers_not_watchers_and_expires(rig: Rig) -> None:
    req = SilenceRequest(site="west-1", rule="border-crossing-person", duration_s=60, comment="drill")
    s = rig.engine.add_silence(req, "ops-1")
    rig.handle(1, event(1))
    assert not rig.paged and rig.seen[-1].alert.silenced
    rig.tick(61)  # expired: the next change pages again
    rig.handle(62, event(3, "radar", "rad9", track=4))  # evidence for the same alert, not a page
    rig.engine.act(rig.store.list()[0].id, "resolve", "ops-1", "checked on site")
    assert rig.pages() == [("border-crossing-person", "resolved")]
    assert [e.action for e in rig.store.audit_log(AuditQuery())] == ["resolve", "silence"]
    assert rig.store.get_silence(s.id) is not None


def test_open_alerts_carry_on_after_a_restart(rig: Rig, alert_stores: Stores) -> None:
    (alert,) = rig.handle(0, event(0))
    again = Rig(alert_stores)
    again.handle(5, event(5, sensor="cam3", track=8))
    again.engine.flush()
    assert again.store.count() == 1 and len(again.store.get(alert.id).event_ids) == 2  # type: ignore[union-attr]
    again.tick(5 + 121)
    assert again.store.get(alert.id).state is AlertState.RESOLVED  # type: ignore[union-attr]


def test_reload_swaps_rules_for_what_comes_next(rig: Rig) -> None:
    rig.engine.reload(AlertsConfig(rules=[AlertRule(name="only-vehicles", classes=["vehicle"])]), "admin-1")
    assert rig.handle(0, event(0)) == []
    assert rig.handle(1, event(1, cls="vehicle", track=3))[0].rule == "only-vehicles"
    assert rig.store.audit_log(AuditQuery())[0].action == "rules_reload"
