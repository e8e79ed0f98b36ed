"""Health and zone membership shared by hub instances (two engines on one store, SQLite file and
PostgreSQL schema): a sensor fault one instance saw cleared is cleared on all (no re-page), a new
instance after a failover pages an agent that went silent before it started, and a track on a
zone's edge whose events alternate between instances keeps the hysteresis it entered with."""

from __future__ import annotations

from borderwatch.contract import SensorKind, SensorState, SensorTelemetry, Telemetry
from borderwatch.hub.alerts.config import AlertRule, AlertsConfig, Health, Lifecycle, Zone
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.alerts.fleet_state import AgentHealth
from tests.support.alerts import at, event
from tests.support.fleet_engines import Fleet, Stores

M_PER_DEG = 111_195.0
SQUARE = [(52.0, 14.0), (52.0018, 14.0), (52.0018, 14.0029), (52.0, 14.0029)]  # 200 m x 200 m


def tel(dt: float, state: SensorState, agent: str = "mast-01") -> Telemetry:
    return Telemetry(site="west-1", agent=agent, ts=at(dt),
                     sensors=[SensorTelemetry(id="cam1", kind=SensorKind.CAMERA, state=state)])  # fmt: skip


def rules(f: Fleet, rule: str) -> list[tuple[str, str]]:
    return [(n, c.reason.value) for n, c in f.paged if c.alert.rule == rule]


def tick_both(f: Fleet, t: float) -> None:
    for hub in f.hubs:
        hub.tick(f.to(t))


def test_a_sensor_fault_cleared_on_one_instance_is_cleared_on_all(alert_stores: Stores) -> None:
    cfg = AlertsConfig(health=Health(debounce_s=5, agent_offline=False))
    f = Fleet(alert_stores, cfg)
    a, b = f.hubs
    a.on_telemetry(tel(0, SensorState.DEGRADED), f.to(0))  # the fault reaches hub a
    b.on_telemetry(tel(1, SensorState.DEGRADED), f.to(1))  # and hub b (a shared subscription alternates)
    for t in range(2, 10):
        tick_both(f, t)
    assert [r for _, r in rules(f, "sensor-degraded")] == ["fired"]
    a.on_telemetry(tel(10, SensorState.ONLINE), f.to(10))  # only hub a hears the sensor recover
    for t in range(11, 60):
        tick_both(f, t)
    assert [r for _, r in rules(f, "sensor-degraded")] == ["fired", "auto_resolved"]  # not opened again by b
    assert [x.state.value for x in f.store.list() if x.rule == "sensor-degraded"] == ["resolved"]


def test_a_new_instance_pages_an_agent_that_fell_silent_before_it_started(alert_stores: Stores) -> None:
    cfg = AlertsConfig(health=Health(debounce_s=5, silence_s=30, sensor_degraded=False))
    f = Fleet(alert_stores, cfg)
    a, b = f.hubs
    a.handle([event(0, kind="track_update", agent="mast-07")], f.to(0))
    b.handle([event(1, kind="track_update", agent="mast-08")], f.to(1))
    tick_both(f, 2)  # the instances tell the fleet what they heard
    del f.hubs[:]  # both die; mast-07 goes silent meanwhile, mast-08 keeps talking to nobody yet
    c = AlertEngine(cfg, alert_stores(), [lambda ch: f.paged.append(("c", ch))], clock=f.clock)
    for t in range(3, 50):
        if t % 5 == 0:
            c.handle([event(t, kind="track_update", agent="mast-08")], f.to(t))
        c.tick(f.to(t))
    offline = [(n, ch.alert.agent, ch.reason.value) for n, ch in f.paged if ch.alert.rule == "agent-offline"]
    assert offline == [("c", "mast-07", "fired")]


def test_a_track_on_a_zone_edge_keeps_its_hysteresis_across_instances(alert_stores: Stores) -> None:
    rule = AlertRule(name="intrusion", kinds=["track_update"], zone="restricted-a", for_s=0)
    cfg = AlertsConfig(rules=[rule], zones=[Zone(name="restricted-a", polygon=SQUARE)],
                       lifecycle=Lifecycle(hysteresis_m=5.0), health=Health(agent_offline=False))  # fmt: skip
    f = Fleet(alert_stores, cfg)
    walk = [-8, 7, 2, -3, 4, -2, 1, 3, -1, 2]  # metres from the edge: enters once, then jitters inside the band
    for i, m in enumerate(walk):
        hub = f.hubs[i % 2]  # the track's events alternate between the instances
        hub.handle([event(i, kind="track_update", lat=52.0 + m / M_PER_DEG, lon=14.0015)], f.to(i))
    (alert,) = [x for x in f.store.list() if x.rule == "intrusion"]
    assert len(alert.event_ids) == len(walk) - 1  # every event after the entry is inside, on either instance
    assert [r for _, r in rules(f, "intrusion")] == ["fired"]


def test_the_shared_agent_record_keeps_the_latest_will_and_telemetry(alert_stores: Stores) -> None:
    store = alert_stores()
    fleet = store.fleet
    assert fleet is not None
    key = ("west-1", "mast-01")
    fleet.merge_health({key: AgentHealth(10.0, None, 10.0, {"cam1": "degraded"}, None, 0)})
    fleet.merge_health({key: AgentHealth(5.0, 12.0, 4.0, {}, None, 0)})  # older news and a will
    h = fleet.health(["west-1"])[key]
    assert (h.last_seen, h.will_at, h.offline_will) == (10.0, 12.0, 12.0)
    assert h.sensor_faults == {"cam1": "degraded"} and h.telemetry_at == 10.0  # the older telemetry lost
    fleet.merge_health({key: AgentHealth(13.0, None, 13.0, {}, None, 0)})  # back after its will
    h = fleet.health(["west-1"])[key]
    assert h.offline_will is None and h.sensor_faults == {}
    assert fleet.sites() == {"west-1"}
