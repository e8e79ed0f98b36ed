"""End to end at night: thermal simulator (Y16 over TCP) -> agent -> real Mosquitto -> hub -> store -> alert.

One mast carries a camera and a thermal imager, configured exactly as `borderwatch demo` configures
them (``deploy/demo_configs.py``). A person crosses the border at night in view of both, but the
camera is a visible-light camera without an illuminator (``CameraSpec.illuminator_m = 0``): it sees the
dark, and its events hold no crossing. The imager's crossing reaches the hub with its temperature and
position and raises the person-crossing alert.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.contract import Alert, EventKind, SensorKind
from borderwatch.deploy.demo_configs import shipped_model
from borderwatch.hub.app import Hub
from borderwatch.simulators.scenario import (
    ActorSpec,
    BorderSpec,
    CameraPose,
    CameraSpec,
    GeoPoint,
    Scenario,
    ThermalSpec,
)
from borderwatch.simulators.site import seen_by
from borderwatch.simulators.truth import crossings
from borderwatch.simulators.world import World
from tests.support.demo_site import geo, run_demo

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ORIGIN = GeoPoint(lat=47.95, lon=22.85)
PERSON_RULE = "border-crossing-person"


def _geo(east: float, north: float) -> tuple[float, float]:
    return geo(ORIGIN, east, north)


def _person_alerts(hub: Hub) -> list[Alert]:
    return [a for a in hub.alert_store.list() if a.rule == PERSON_RULE]


def night_scenario() -> Scenario:
    """Camera (no illuminator) and imager both looking north-east; a person walks south across the border."""
    lat, lon = _geo(0.0, 0.0)
    cam = CameraPose(lat=lat, lon=lon, height_m=8.0, heading_deg=30.0, tilt_deg=9.0, hfov_deg=40.0)
    imager = CameraPose(lat=lat, lon=lon, height_m=8.0, heading_deg=30.0, tilt_deg=9.0, hfov_deg=40.0)
    return Scenario(
        name="e2e-thermal",
        site="west-1",
        origin=ORIGIN,
        seed=4,
        duration_s=60.0,
        lighting="night",
        border=BorderSpec(points=[_geo(-300, 30), _geo(300, 30)], inbound_side="right"),
        cameras=[CameraSpec(id="cam-1", pose=cam, width=960, height=540, fps=10.0, illuminator_m=0.0)],
        thermals=[ThermalSpec(id="th-1", pose=imager, width=320, height=256, fps=9.0)],
        actors=[ActorSpec(id="p1", cls="person", waypoints=[(28.0, 60.0), (18.0, 16.0)], speed_mps=1.4, start_s=3.0)],
    )


@pytest.mark.skipif(shipped_model("thermal") is None, reason="no thermal model in models/manifest.json")
def test_night_crossing_the_dark_camera_misses_reaches_the_hub_from_the_imager_as_an_alert(tmp_path: Path) -> None:
    scenario = night_scenario()
    (crossing,) = crossings(World(scenario))
    assert seen_by(scenario, crossing) == ["cam-1", "th-1"], "both must have the crossing in view"
    run = run_demo(tmp_path, scenario, _person_alerts, 90, "the person alert", 2000)
    stored, alerts = run.stored, run.alerts
    crossed = [e for e in stored if e.kind is EventKind.LINE_CROSSING]
    assert not [e for e in crossed if e.sensor.id == "cam-1"], "the camera sees the dark: no crossing of its own"
    thermal = [e for e in crossed if e.sensor.kind is SensorKind.THERMAL]
    assert thermal, f"no thermal crossing stored; kinds seen {sorted({e.kind.value for e in stored})}"
    first = thermal[0]
    assert first.rule is not None and first.rule.direction == "inbound"
    assert first.object_class.value == "person" and first.position is not None
    assert first.temperature is not None and 29.0 <= first.temperature.max_c <= 38.0
    person = [a for a in alerts if a.rule == PERSON_RULE]
    assert person, [a.rule for a in alerts]
    assert abs(person[0].position.lat - _geo(0.0, 30.0)[0]) * 111_000 < 10.0
