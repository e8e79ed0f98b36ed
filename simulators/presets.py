"""Built-in scenarios: the demo's border crossing by day and by night.

Layout (metres from the site origin, north up): the border runs east-west at north = 32 m and the
protected land is south of it. One mast south of the line carries two cameras looking north
across it; a road runs parallel to the border at north = 22 m on the protected side.
"""

from __future__ import annotations

from collections.abc import Callable

from borderwatch.runtime.geo import to_geo
from borderwatch.simulators.scenario import (
    ActorSpec,
    BorderSpec,
    CameraPose,
    CameraSpec,
    GeoPoint,
    RoadSpec,
    Scenario,
    TerrainSpec,
    ThermalSpec,
)

ORIGIN = GeoPoint(lat=47.95, lon=22.85)
BORDER_NORTH_M = 32.0


def _geo(east: float, north: float) -> tuple[float, float]:
    lat, lon = to_geo(east, north, ORIGIN.lat, ORIGIN.lon)
    return float(lat), float(lon)


def _camera(cam_id: str, east: float, heading: float) -> CameraSpec:
    lat, lon = _geo(east, 0.0)
    pose = CameraPose(lat=lat, lon=lon, height_m=8.0, heading_deg=heading, tilt_deg=10.0, hfov_deg=50.0)
    return CameraSpec(id=cam_id, pose=pose, width=960, height=540, fps=10.0)


def _thermal(thermal_id: str, east: float, heading: float) -> ThermalSpec:
    """A wide-angle 320x256 imager on the cameras' mast, covering both their fields of view at the border."""
    lat, lon = _geo(east, 0.0)
    pose = CameraPose(lat=lat, lon=lon, height_m=8.0, heading_deg=heading, tilt_deg=10.0, hfov_deg=95.0)
    return ThermalSpec(id=thermal_id, pose=pose, width=320, height=256, fps=9.0)


def _person(aid: str, path: list[tuple[float, float]], speed: float, start: float, count: int = 1) -> ActorSpec:
    return ActorSpec(id=aid, cls="person", waypoints=path, speed_mps=speed, start_s=start, count=count, spacing_m=1.3)


def _actors() -> list[ActorSpec]:
    """Who does what: 4 inbound crossings (one a group of 3), 1 outbound, a vehicle, an animal."""
    return [
        _person("p1", [(-32.0, 85.0), (-27.0, 50.0), (-20.0, 16.0)], 1.4, 4.0),
        _person("g1", [(30.0, 90.0), (26.0, 50.0), (20.0, 16.0)], 1.2, 22.0, count=3),
        ActorSpec(id="v1", cls="vehicle", waypoints=[(-160.0, 22.0), (160.0, 22.0)], speed_mps=7.0, start_s=30.0),
        _person("p2", [(-32.0, 16.0), (-34.0, 55.0), (-38.0, 95.0)], 1.5, 55.0),
        ActorSpec(
            id="a1",
            cls="animal",
            waypoints=[(45.0, 85.0), (35.0, 45.0), (28.0, 22.0), (12.0, 12.0)],
            speed_mps=1.8,
            start_s=70.0,
        ),
        _person("p3", [(38.0, 95.0), (33.0, 50.0), (30.0, 16.0)], 1.6, 90.0),
    ]


def border_crossing(lighting: str = "day") -> Scenario:
    """The demo: site west-1, two cameras and a thermal imager, ~2.5 minutes of crossings."""
    name = "border-crossing" if lighting == "day" else "border-crossing-night"
    return Scenario(
        name=name,
        site="west-1",
        origin=ORIGIN,
        seed=7,
        duration_s=150.0,
        lighting=lighting,
        border=BorderSpec(points=[_geo(-300.0, BORDER_NORTH_M), _geo(300.0, BORDER_NORTH_M)], inbound_side="right"),
        cameras=[_camera("cam-1", -10.0, 340.0), _camera("cam-2", 10.0, 20.0)],
        thermals=[_thermal("th-1", 0.0, 0.0)],
        actors=_actors(),
        terrain=TerrainSpec(
            style="grass",
            roads=[RoadSpec(points=[(-400.0, 22.0), (400.0, 22.0)], width_m=5.0)],
            bushes=80,
            border_posts_every_m=6.0,
        ),
    )


PRESETS: dict[str, Callable[[], Scenario]] = {
    "border-crossing": lambda: border_crossing("day"),
    "border-crossing-night": lambda: border_crossing("night"),
}
