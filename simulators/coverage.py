"""Which sensors of a scenario cover ground points: the `seen_by` of every ground-truth record.

Why one place: crossings and sampled positions must agree on coverage, and the scorer trusts it to
tell a miss (a sensor had it in view) from something no sensor could have reported. Cameras use the
same pinhole the renderer draws with (feet and head of a 1.7 m person inside the image), thermal imagers
(``thermals``) theirs; the truth-only sensors (``sensors``: thermal or radar without a simulator) a sector of
range and field of view.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from borderwatch.runtime.geo import to_local
from borderwatch.simulators.camera.projection import Pinhole
from borderwatch.simulators.scenario import Scenario
from borderwatch.simulators.thermal.render import pinhole

F64 = npt.NDArray[np.float64]
HEAD_M = 1.7


def coverage(scenario: Scenario, east_m: npt.ArrayLike, north_m: npt.ArrayLike) -> dict[str, npt.NDArray[np.bool_]]:
    """Sensor id -> (N,) bool: does the sensor cover each site point (east, north metres)."""
    east, north = np.atleast_1d(np.asarray(east_m, np.float64)), np.atleast_1d(np.asarray(north_m, np.float64))
    origin = (scenario.origin.lat, scenario.origin.lon)
    out: dict[str, npt.NDArray[np.bool_]] = {}
    imagers = [(c.id, Pinhole.from_spec(c)) for c in scenario.cameras] + [(t.id, pinhole(t)) for t in scenario.thermals]
    for sensor_id, cam in imagers:
        e, n = cam.from_site(east, north, origin)
        u, v, d = cam.project(np.concatenate([e, e]), np.concatenate([n, n]), np.repeat([0.0, HEAD_M], len(e)))
        inside = (u >= 0) & (u < cam.width) & (v >= 0) & (v < cam.height)
        k = len(e)
        out[sensor_id] = (d[:k] > 1) & inside[:k] & inside[k:]
    for s in scenario.sensors:
        se, sn = to_local(s.lat, s.lon, *origin)
        de, dn = east - se, north - sn
        bearing = np.degrees(np.arctan2(de, dn))
        off = (bearing - s.heading_deg + 180.0) % 360.0 - 180.0
        out[s.id] = (np.hypot(de, dn) <= s.range_m) & (np.abs(off) <= s.fov_deg / 2)
    return out


def sensor_kinds(scenario: Scenario) -> dict[str, str]:
    """Sensor id -> kind (camera, thermal, radar), as the truth file's run record lists them."""
    return (
        {c.id: "camera" for c in scenario.cameras}
        | {t.id: "thermal" for t in scenario.thermals}
        | {s.id: s.kind for s in scenario.sensors}
    )
