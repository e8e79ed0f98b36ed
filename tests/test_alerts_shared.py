"""Two alert engines on one shared store (SQLite file and PostgreSQL schema): what several hubs
behind a ``$share`` subscription see. Evidence of one crossing split between the instances makes
one alert that pages once; time-driven transitions and operator actions happen once; concurrent
ingest on both never opens a crossing twice."""

from __future__ import annotations

import threading

from borderwatch.contract import AlertState
from borderwatch.hub.alerts.config import AlertsConfig, Lifecycle
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.alerts.silences import SilenceRequest
from tests.support.alerts import at, event
from tests.support.fleet_engines import Fleet, Stores


def test_a_crossing_split_between_two_hubs_is_one_alert_paged_once(alert_stores: Stores) -> None:
    f = Fleet(alert_stores)
    a, b = f.hubs
    a.handle([event(0, "radar", "rad1")], f.to(0))  # a radar cue: fires at warning on hub a
    b.handle([event(1, "camera", "cam1", lat=52.00008)], f.to(1))  # the camera confirms on hub b
    b.handle([event(2, "thermal", "th1", lat=52.00005)], f.to(2))
    a.handle([event(3, "camera", "cam1", lat=52.00008)], f.to(3))
    alerts = f.store.list()
    assert len(alerts) == 1 and alerts[0].severity.value == "critical"
    assert len(alerts[0].event_ids) == 4  # every instance's evidence joined the one alert
    assert f.pages() == ["fired", "upgraded"]
    for t in (4, 5, 6):
        a.tick(f.to(t))
        b.tick(f.to(t))
    assert f.pages() == ["fired", "upgraded"]  # ticks on both hubs page nobody again


def test_renotify_and_auto_resolve_happen_once_across_hubs(alert_stores: Stores) -> None:
    f = Fleet(alert_stores, AlertsConfig(lifecycle=Lifecycle(renotify_s=30, resolve_after_s=100)))
    a, b = f.hubs
    a.handle([event(0)], f.to(0))
    for t in range(1, 260, 3):
        b.tick(f.to(t))
        a.tick(f.to(t))
        if t < 40:  # evidence keeps coming, to either hub
            (a if t % 2 else b).handle([event(t, lat=52.00001)], f.to(t))
    assert f.pages() == ["fired", "renotify", "renotify", "renotify", "renotify", "auto_resolved"]
    crossing = [x for x in f.store.list() if x.rule != "agent-offline"]  # silent after t=40: goes offline
    assert [x.state for x in crossing] == [AlertState.RESOLVED]
    offline = [x for x in f.store.list() if x.rule == "agent-offline"]
    assert [x.state for x in offline] == [AlertState.PENDING]  # one, in its debounce, on both hubs


def test_an_operator_acknowledges_on_the_hub_that_did_not_open_it(alert_stores: Stores) -> None:
    f = Fleet(alert_stores)
    a, b = f.hubs
    fired = a.handle([event(0)], f.to(0))
    b.act(fired[0].id, "ack", "op1")
    a.tick(f.to(1))
    assert f.store.get(fired[0].id).state is AlertState.ACKNOWLEDGED  # type: ignore[union-attr]
    a.handle([event(2, lat=52.00001)], f.to(2))  # evidence on hub a keeps it acknowledged
    assert f.store.get(fired[0].id).state is AlertState.ACKNOWLEDGED  # type: ignore[union-attr]
    assert [(n, c.reason.value) for n, c in f.paged] == [("a", "fired"), ("b", "acknowledged")]


def test_concurrent_ingest_on_two_hubs_opens_each_crossing_once(alert_stores: Stores) -> None:
    f = Fleet(alert_stores)
    crossings = 12  # far apart (0.01 deg ~ 1.1 km): each its own alert; each seen by both hubs

    def feed(engine: AlertEngine, sensor: str) -> None:
        for i in range(crossings):
            engine.handle([event(i * 0.1, "camera", sensor, lat=52.0 + 0.01 * i, track=i)], at(i * 0.1))

    threads = [threading.Thread(target=feed, args=(h, s)) for h, s in zip(f.hubs, ("cam1", "cam2"), strict=True)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    alerts = f.store.list(limit=100)
    assert len(alerts) == crossings
    assert all(len(x.sensors) == 2 for x in alerts)
    assert f.pages().count("fired") == crossings


def test_an_alert_resolved_on_one_hub_stays_quiet_on_the_other(alert_stores: Stores) -> None:
    f = Fleet(alert_stores, AlertsConfig(lifecycle=Lifecycle(renotify_s=30, resolve_after_s=600)))
    a, b = f.hubs
    fired = a.handle([event(0)], f.to(0))
    b.tick(f.to(1))  # hub b carries the alert too (it saw none of its events)
    a.act(fired[0].id, "resolve", "op1")
    for t in range(2, 100, 5):
        b.tick(f.to(t))
    assert f.pages() == ["fired", "resolved"]  # no re-notification of a resolved alert from hub b


def test_a_silence_set_on_one_hub_mutes_the_other(alert_stores: Stores) -> None:
    f = Fleet(alert_stores)
    a, b = f.hubs
    a.add_silence(SilenceRequest(site="west-1", duration_s=3600, comment="exercise"), "op1")
    b.handle([event(0)], f.to(0))
    assert f.pages() == []  # fired on hub b, silenced by hub a's operator: nobody paged
    assert [x.silenced for x in f.store.list()] == [True]
