"""Rules (pure): restricted zones with hysteresis, night hours, loitering, distress first, and
config validation that names the path of what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.contract import Severity
from borderwatch.hub.alerts.config import AlertRule, AlertsConfig, Hours, Zone
from borderwatch.hub.alerts.geo import hysteresis_inside, signed_edge_m
from borderwatch.hub.alerts.rules import ZoneState, evaluate, in_hours
from borderwatch.hub.config import HubConfig
from borderwatch.runtime.configfile import ConfigError, parse_config
from tests.support.alerts import at, event

M_PER_DEG = 111_195.0
# a 200 m x 200 m square north-east of (52.0, 14.0)
SQUARE = [(52.0, 14.0), (52.0018, 14.0), (52.0018, 14.0029), (52.0, 14.0029)]
ZONE = Zone(name="restricted-a", polygon=SQUARE)


def north_of_edge(metres: float) -> float:
    """Latitude ``metres`` north of the square's south edge (negative = outside, south)."""
    return 52.0 + metres / M_PER_DEG


def test_signed_edge_distance_is_positive_inside() -> None:
    lat = np.array([north_of_edge(10), north_of_edge(-10), north_of_edge(100)])
    d = signed_edge_m(lat, np.full(3, 14.0015), np.asarray(SQUARE))
    assert d[0] == pytest.approx(10, abs=0.2) and d[1] == pytest.approx(-10, abs=0.2) and d[2] > 90


@pytest.mark.parametrize(
    ("edge_m", "was", "now"),
    [(3, False, False), (6, False, True), (-3, True, True), (-6, True, False), (0, True, True), (0, False, False)],
)
def test_hysteresis_table(edge_m: float, was: bool, now: bool) -> None:
    assert bool(hysteresis_inside(np.array([edge_m]), np.array([was]), 5.0)[0]) is now


def test_a_target_on_the_zone_edge_enters_once() -> None:
    rule = AlertRule(name="intrusion", kinds=["track_update"], zone="restricted-a")
    walk = [-8, 3, 7, 2, -3, 4, -2, 1, -7, 8]  # metres from the edge, jittering around it
    state, hits = ZoneState.empty(), []
    for i, m in enumerate(walk):
        ev = event(i, kind="track_update", lat=north_of_edge(m), lon=14.0015)
        ms, state = evaluate([rule], [ev], [ZONE], state, margin_m=5.0)
        hits.append(bool(ms))
    assert hits == [False, False, True, True, True, True, True, True, False, True]


def test_zone_membership_of_ended_tracks_is_forgotten() -> None:
    rule = AlertRule(name="intrusion", kinds=["track_update", "track_end"], zone="restricted-a")
    inside = event(0, kind="track_update", lat=north_of_edge(50), lon=14.001)
    _, state = evaluate([rule], [inside], [ZONE], ZoneState.empty(), 5.0)
    assert state.inside
    _, state = evaluate([rule], [event(1, kind="track_end", lat=north_of_edge(50), lon=14.001)], [ZONE], state, 5.0)
    assert not state.inside and not state.seen


@pytest.mark.parametrize(("hour", "inside"), [(23.5, True), (2.0, True), (6.0, False), (12.0, False), (20.0, True)])
def test_night_window_wraps_midnight(hour: float, inside: bool) -> None:
    assert in_hours(at(hour * 3600 - 12 * 3600), Hours(start=20, end=6)) is inside  # T0 is 12:00 UTC


def test_vehicle_in_restricted_zone_at_night() -> None:
    rule = AlertRule(name="night-vehicle", kinds=["zone_entry", "track_update"], classes=["vehicle"],
                     zone="restricted-a", hours=Hours(start=20, end=6, utc_offset_h=10))  # fmt: skip
    inside = dict(lat=north_of_edge(50), lon=14.001, kind="track_update", cls="vehicle")
    night = event(0, **inside)  # 12:00 UTC = 22:00 at UTC+10
    day = event(12 * 3600, **inside)
    person = event(1, **{**inside, "cls": "person", "track": 2})
    ms, _ = evaluate([rule], [night, day, person], [ZONE], None, 5.0)
    assert [m.event.id for m in ms] == [night.id]


@pytest.mark.parametrize(("dwell", "hit"), [(30.0, False), (90.0, True)])
def test_loitering_needs_the_dwell(dwell: float, hit: bool) -> None:
    rule = AlertRule(name="loiter", kinds=["loitering"], min_dwell_s=60)
    ev = event(0, kind="loitering", rule={"rule": "fence", "dwell_s": dwell})
    assert bool(evaluate([rule], [ev])[0]) is hit


def test_person_in_distress_outranks_a_border_crossing() -> None:
    ev = event(0, "thermal", "th1", attributes={"distress": True, "temperature_c": 31.0})
    (m,), _ = evaluate(AlertsConfig().rules, [ev])
    assert m.rule.name == "person-in-distress" and m.rule.severity is Severity.HUMANITARIAN
    (plain,), _ = evaluate(AlertsConfig().rules, [event(0, attributes={"distress": "yes"})])
    assert plain.rule.name == "border-crossing-person"  # only a boolean true marks distress


def test_typed_distress_field_alone_raises_a_humanitarian_alert() -> None:
    ev = event(0, "thermal", "th1", distress={"body_temp_c": 33.5, "immobile_s": 240.0, "in_water": True})
    (m,), _ = evaluate(AlertsConfig().rules, [ev])
    assert m.rule.name == "person-in-distress" and m.rule.severity is Severity.HUMANITARIAN


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ({"rules": [{"name": "a", "zone": "nowhere"}]}, "rules[0].zone 'nowhere' is not one of alerts.zones"),
        ({"rules": [{"name": "a"}, {"name": "a"}]}, "rules[1].name 'a' is used twice"),
        ({"zones": [{"name": "z", "polygon": [[52, 14], [52, 15]]}]}, "alerts.zones[0].polygon: List should have"),
        ({"zones": [{"name": "z", "polygon": [[152, 14], [52, 15], [53, 15]]}]}, "polygon[0]"),
        ({"rules": [{"name": "a", "min_count": 0}]}, "alerts.rules[0].min_count = 0"),
        ({"lifecycle": {"resolve_after": 5}}, "alerts.lifecycle.resolve_after"),
    ],
)
def test_config_errors_name_the_path(alerts: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config({"alerts": alerts}, HubConfig, "hub.toml")
