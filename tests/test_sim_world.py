"""Scenario world: determinism, motion, groups, border-crossing ground truth, scenario files."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.runtime.configfile import ConfigError
from borderwatch.runtime.geo import EARTH_RADIUS_M, to_geo, to_local
from borderwatch.simulators.presets import PRESETS
from borderwatch.simulators.scenario import ActorSpec, BorderSpec, GeoPoint, Scenario, load_scenario
from borderwatch.simulators.truth import crossings
from borderwatch.simulators.world import World

ORIGIN = GeoPoint(lat=48.0, lon=16.0)


def _border(side: str) -> BorderSpec:
    """West -> east at north = 50 m: left is north, right is south."""
    pts = [tuple(float(x) for x in to_geo(e, 50.0, ORIGIN.lat, ORIGIN.lon)) for e in (-100.0, 100.0)]
    return BorderSpec(points=pts, inbound_side=side)


def _scenario(actors: list[ActorSpec], side: str = "right", seed: int = 3) -> Scenario:
    return Scenario(origin=ORIGIN, seed=seed, border=_border(side), actors=actors)


def test_state_is_deterministic_and_interpolates() -> None:
    a = ActorSpec(id="p", cls="person", waypoints=[(0, 0), (0, 10), (10, 10)], speed_mps=2.0, start_s=1.0)
    w1, w2 = World(_scenario([a])), World(_scenario([a]))
    s1, s2 = w1.state(4.0), w2.state(4.0)
    assert np.array_equal(s1.east_m, s2.east_m) and np.array_equal(s1.height_m, s2.height_m)
    assert (s1.east_m[0], s1.north_m[0]) == pytest.approx((0.0, 6.0))
    assert s1.heading_deg[0] == pytest.approx(0.0) and s1.speed_mps[0] == pytest.approx(2.0)
    s = w1.state(8.5)  # 15 m travelled: 5 m east along the second leg, heading east
    assert (s.east_m[0], s.north_m[0], s.heading_deg[0]) == pytest.approx((5.0, 10.0, 90.0))
    assert not w1.state(0.5).visible[0] and w1.state(5.0).visible[0] and not w1.state(12.0).visible[0]


def test_groups_expand_into_members_and_seed_matters() -> None:
    g = ActorSpec(id="g", cls="person", count=3, spacing_m=1.5, waypoints=[(0, 0), (0, 100)])
    w = World(_scenario([g]))
    s = w.state(10.0)
    assert list(s.ids) == ["g-0", "g-1", "g-2"]
    assert np.ptp(s.east_m) == pytest.approx(3.0, abs=1.0)  # side by side across the path
    other = World(_scenario([g], seed=4)).state(10.0)
    assert not np.array_equal(s.east_m, other.east_m)


@pytest.mark.parametrize(
    ("side", "path", "expected"),
    [
        ("right", [(0, 100), (0, 0)], ["inbound"]),  # walking south into the protected south
        ("right", [(0, 0), (0, 100)], ["outbound"]),
        ("left", [(0, 0), (0, 100)], ["inbound"]),
        ("right", [(-50, 100), (-50, 0), (50, 0), (50, 100)], ["inbound", "outbound"]),
        ("right", [(-50, 20), (50, 20)], []),  # parallel to the border: never crosses
    ],
)
def test_crossings_direction(side: str, path: list, expected: list[str]) -> None:
    w = World(_scenario([ActorSpec(id="x", cls="person", waypoints=path, speed_mps=1.0)], side))
    got = crossings(w)
    assert [c.direction for c in got] == expected
    for c in got:
        assert c.north_m == pytest.approx(50.0)
        e, n = to_local(c.lat, c.lon, ORIGIN.lat, ORIGIN.lon)
        assert (float(e), float(n)) == pytest.approx((c.east_m, c.north_m), abs=1e-6)
        pos = w.state(c.t_s)
        assert pos.north_m[0] == pytest.approx(50.0, abs=1e-6)


def test_crossing_time_matches_speed() -> None:
    w = World(_scenario([ActorSpec(id="x", cls="animal", waypoints=[(0, 80), (0, 0)], speed_mps=2.0, start_s=5)]))
    (c,) = crossings(w)
    assert c.t_s == pytest.approx(5 + 30 / 2.0) and c.cls == "animal"


def test_demo_preset_ground_truth() -> None:
    s = PRESETS["border-crossing"]()
    assert s.site == "west-1" and len(s.cameras) == 2 and s.duration_s <= 180
    got = crossings(World(s))
    by_dir = [(c.cls, c.direction) for c in got]
    assert by_dir.count(("person", "inbound")) >= 4 and ("person", "outbound") in by_dir
    assert ("animal", "inbound") in by_dir and not any(c == "vehicle" for c, _ in by_dir)
    assert all(c.t_s < s.duration_s for c in got)
    assert PRESETS["border-crossing-night"]().lighting == "night"


def test_geo_round_trip() -> None:
    e, n = to_local(48.001, 16.002, ORIGIN.lat, ORIGIN.lon)
    lat, lon = to_geo(e, n, ORIGIN.lat, ORIGIN.lon)
    assert (float(lat), float(lon)) == pytest.approx((48.001, 16.002), abs=1e-12)
    assert float(n) == pytest.approx(EARTH_RADIUS_M * np.radians(0.001))


def test_scenario_toml_loads_and_rejects_unknown_keys(tmp_path) -> None:
    good = tmp_path / "s.toml"
    good.write_text(
        'name = "t"\nsite = "s1"\nduration_s = 30\n[origin]\nlat = 48.0\nlon = 16.0\n'
        '[border]\npoints = [[48.0004, 15.999], [48.0004, 16.001]]\ninbound_side = "right"\n'
        '[[cameras]]\nid = "cam-1"\nwidth = 320\nheight = 240\n[cameras.pose]\nlat = 48.0\nlon = 16.0\n'
        '[[actors]]\nid = "p1"\nclass = "person"\nwaypoints = [[0, 80], [0, 0]]\n'
    )
    s = load_scenario(good)
    assert s.cameras[0].width == 320 and s.actors[0].cls == "person"
    assert [c.direction for c in crossings(World(s))] == ["inbound"]
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "t"\n[[actors]]\nid = "p1"\nclas = "person"\n')
    with pytest.raises(ConfigError, match=r"actors\[0\]\.clas"):
        load_scenario(bad)


def test_example_scenario_file_loads() -> None:
    from pathlib import Path

    s = load_scenario(Path(__file__).resolve().parents[1] / "simulators" / "scenarios" / "example.toml")
    got = crossings(World(s))
    assert len(got) == 5 and {c.direction for c in got} == {"inbound"}
