"""The heat-map path: the TI simulator sends only the range-Doppler heat map and azimuth antenna
samples (no detected-points TLV); the agent's radar unit finds the targets itself (CFAR, peak
grouping, angle from the antennas), clusters and tracks them, and announces a walker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from borderwatch.contract import EventKind
from borderwatch.edge.sensor.kind import BuildContext
from borderwatch.edge.sensors.radar import ti
from borderwatch.edge.sensors.radar.config import CfarConfig, LinkConfig, RadarConfig, RadarTrackerConfig
from borderwatch.edge.sensors.radar.kind import RadarUnit
from borderwatch.edge.sensors.radar.mapdetect import heatmap_plots
from borderwatch.edge.sensors.radar.reader import RadarReader
from borderwatch.edge.sensors.radar.scan import RadarScan
from borderwatch.simulators.radar.heatmap import MapGeometry, render_maps
from borderwatch.simulators.radar.render import Plots, RadarSpec
from borderwatch.simulators.radar.server import PtyLink, RadarSimulator
from borderwatch.simulators.scenario import ActorSpec, Scenario
from borderwatch.simulators.world import World
from tests.support.waits import wait_until

GEOMETRY = MapGeometry()
CFAR = CfarConfig(enabled=True, points="heatmap", pfa=1e-4, guard=(2, 1), train=(8, 4), doppler_bins=16,
                  range_bin_m=GEOMETRY.range_bin_m, doppler_bin_mps=GEOMETRY.doppler_bin_mps)  # fmt: skip


def test_maps_give_back_range_bearing_and_doppler_of_each_target() -> None:
    plots = Plots(np.array([22.0, 47.5]), np.array([12.0, -30.0]), np.array([1.5, -2.5]), np.array([25.0, 20.0]),
                  np.array([0, 1]))  # fmt: skip
    for seed in range(5):
        heat, azimuth = render_maps(plots, GEOMETRY, np.random.default_rng(seed))
        frame = ti.decode_frame(ti.encode_frame(seed, np.zeros((0, 4)), heatmap=heat, azimuth=azimuth))
        assert frame is not None and len(frame.points) == 0 and frame.azimuth is not None
        found = heatmap_plots(frame.heatmap, frame.azimuth, CFAR)
        assert found is not None
        assert len(found["range_m"]) <= 4  # the two targets and at most a couple of noise peaks (Pfa 1e-4)
        nearest = np.abs(found["range_m"][None, :] - plots.range_m[:, None]).argmin(axis=1)
        np.testing.assert_allclose(found["range_m"][nearest], [22.0, 47.5], atol=0.5)
        np.testing.assert_allclose(found["bearing_deg"][nearest], [12.0, -30.0], atol=1.5)
        np.testing.assert_allclose(found["doppler_mps"][nearest], [1.5, -2.5], atol=0.5)
        assert np.all(found["snr_db"][nearest] > 10)


def test_noise_only_map_has_few_false_alarms() -> None:
    empty = Plots(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
    alarms = 0
    for seed in range(50):
        heat, azimuth = render_maps(empty, GEOMETRY, np.random.default_rng(seed))
        alarms += len(heatmap_plots(heat, azimuth, CFAR)["range_m"])  # type: ignore[index]
    cells = 50 * GEOMETRY.range_bins * GEOMETRY.doppler_bins
    assert alarms / cells < 5 * CFAR.pfa  # CFAR holds the configured rate (peak grouping only lowers it)


def test_bad_map_sizes_are_ignored() -> None:
    assert heatmap_plots(np.zeros(17, np.uint16), None, CFAR) is None
    found = heatmap_plots(np.full(GEOMETRY.range_bins * 16, 64, np.uint16), np.zeros(5, np.complex64), CFAR)
    assert found is not None and len(found["range_m"]) == 0


@pytest.mark.integration
def test_a_walker_becomes_a_track_from_the_heat_map_alone(tmp_path: Path) -> None:
    """Simulator (heat map + azimuth TLVs only) -> pty -> RadarReader -> RadarUnit -> track events."""
    walker = ActorSpec(id="p1", cls="person", waypoints=[(6.0, 48.0), (6.0, 14.0)], speed_mps=1.4)
    world = World(Scenario(name="heatmap-walker", duration_s=40.0, actors=[walker]))
    spec = RadarSpec(fov_deg=120.0, max_range_m=60.0, clutter_per_scan=0.5, ref_range_m=10.0, snr_ref_db=35.0)
    sim = RadarSimulator(world, spec, "ti", PtyLink(tmp_path / "ttyTI"), speed=1.0, seed=3, maps=GEOMETRY)
    link = LinkConfig(offline_after_s=2.0, garbage_after_s=5.0, backoff_initial_s=0.05, backoff_max_s=0.2)
    cfg = RadarConfig(protocol="ti", device=str(tmp_path / "ttyTI"), link=link, cfar=CFAR, max_range_m=60.0,
                      tracker=RadarTrackerConfig(gate_m=4.0, measurement_std_m=0.5, cluster_m=1.5,
                                                 confirm_m=4, confirm_n=6, max_coast_s=1.0))  # fmt: skip
    unit = RadarUnit("fmcw-1", cfg, BuildContext("site-a", "agent-1", 1))
    reader = RadarReader("fmcw-1", cfg)
    events, device_points, frames = [], [], [0]

    def step() -> bool:
        frame = reader.get(0.2)
        if frame is not None:
            assert isinstance(frame.data, RadarScan) and frame.data.heatmap is not None
            device_points.append(frame.data.n_plots)
            frames[0] += 1
            events.extend(unit.finish(unit.plan(frame), None).events)
        return any(e.kind == EventKind.TRACK_UPDATE and _walker_like(e) for e in events)

    sim.start()
    reader.start()
    try:
        wait_until(step, 40, "a walker's track from the heat map")
    finally:
        reader.stop()
        sim.stop()
    assert frames[0] >= 5 and set(device_points) == {0}  # no detected-points TLV: the map alone
    walker_ids = {e.track_id for e in events if e.kind == EventKind.TRACK_UPDATE and _walker_like(e)}
    announced = {e.track_id for e in events if e.kind == EventKind.TRACK_NEW}
    assert walker_ids <= announced  # announced (track_new) before it was updated


def _walker_like(event: object) -> bool:
    """Range 14..48 m, bearing 7..24 degrees (6 m east of the boresight), walking pace, heading south."""
    polar = getattr(event, "polar", None)
    if polar is None:
        return False
    course_south = abs((polar.course_deg - 180.0 + 180.0) % 360.0 - 180.0) < 45.0
    return (12 < polar.range_m < 50 and 5 < polar.bearing_deg < 27 and 0.6 < polar.speed_mps < 2.5
            and course_south)  # fmt: skip
