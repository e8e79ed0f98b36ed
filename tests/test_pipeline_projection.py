"""Ground projection round trip (forward model written here from the spec) and geo border lines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from borderwatch.edge.config.pose import HomographyConfig, PoseConfig
from borderwatch.edge.pipeline.projection import HomographyProjector, LocalFrame, PoseProjector
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.scene import Scene
from borderwatch.runtime.geo import EARTH_RADIUS_M

R = EARTH_RADIUS_M
POSE = PoseConfig(lat=48.2, lon=16.37, height_m=12.0, heading_deg=75.0, tilt_deg=14.0, hfov_deg=62.0)
W, H = 1280, 720


def latlon_of(en: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    lat = lat0 + np.degrees(en[:, 1] / R)
    lon = lon0 + np.degrees(en[:, 0] / (R * math.cos(math.radians(lat0))))
    return np.stack((lat, lon), axis=1)


def metres_of(latlon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    east = R * math.cos(math.radians(lat0)) * np.radians(latlon[:, 1] - lon0)
    north = R * np.radians(latlon[:, 0] - lat0)
    return np.stack((east, north), axis=1)


def forward(en: np.ndarray, pose: PoseConfig, w: int, h: int) -> np.ndarray:
    """Ground east/north metres -> pixels, straight from the spec (independent of the module)."""
    psi, th = math.radians(pose.heading_deg), math.radians(pose.tilt_deg)
    fwd = np.array([math.sin(psi) * math.cos(th), math.cos(psi) * math.cos(th), -math.sin(th)])
    right = np.array([math.cos(psi), -math.sin(psi), 0.0])
    up = np.array([math.sin(psi) * math.sin(th), math.cos(psi) * math.sin(th), math.cos(th)])
    d = np.concatenate((en, np.full((len(en), 1), -pose.height_m)), axis=1)
    f = (w / 2) / math.tan(math.radians(pose.hfov_deg) / 2)
    zc = d @ fwd
    return np.stack((w / 2 + f * (d @ right) / zc, h / 2 - f * (d @ up) / zc), axis=1)


def test_pose_round_trip_pixels_to_ground_to_pixels():
    rng = np.random.default_rng(1)
    psi = math.radians(POSE.heading_deg)
    rng_m = rng.uniform(60, 900, 200)
    bearing = psi + rng.uniform(-0.4, 0.4, 200)
    en = np.stack((rng_m * np.sin(bearing), rng_m * np.cos(bearing)), axis=1)
    uv = forward(en, POSE, W, H)
    inside = (uv[:, 0] >= 0) & (uv[:, 0] < W) & (uv[:, 1] >= 0) & (uv[:, 1] < H)
    assert inside.sum() > 100
    back = PoseProjector(POSE).to_ground(uv[inside], W, H)
    assert np.allclose(back, en[inside], rtol=1e-9, atol=1e-6)
    frame = LocalFrame(POSE.lat, POSE.lon)
    assert np.allclose(frame.to_latlon(back), latlon_of(en[inside], POSE.lat, POSE.lon), atol=1e-10)
    assert np.allclose(
        frame.to_metres(latlon_of(en, POSE.lat, POSE.lon)),
        metres_of(latlon_of(en, POSE.lat, POSE.lon), POSE.lat, POSE.lon),
    )


def test_image_centre_lands_on_the_optical_axis():
    ground = PoseProjector(POSE).to_ground(np.array([[W / 2, H / 2]]), W, H)[0]
    dist = POSE.height_m / math.tan(math.radians(POSE.tilt_deg))
    bearing = math.degrees(math.atan2(ground[0], ground[1])) % 360
    assert np.hypot(*ground) == pytest.approx(dist, rel=1e-9)
    assert bearing == pytest.approx(POSE.heading_deg, abs=1e-9)


def test_points_at_or_above_the_horizon_have_no_position():
    pose = PoseConfig(lat=0, lon=0, height_m=5, heading_deg=0, tilt_deg=5, hfov_deg=90)
    f = (W / 2) / math.tan(math.radians(45))
    horizon_v = H / 2 - f * math.tan(math.radians(5))
    ground = PoseProjector(pose).to_ground(np.array([[640, 0.0], [640, horizon_v - 1], [640, H - 1]]), W, H)
    assert np.isnan(ground[:2]).all() and np.isfinite(ground[2]).all()


def test_homography_projector():
    cfg = HomographyConfig(matrix=[[0.1, 0, -32], [0, -0.1, 48], [0, 0, 1]], origin_lat=10, origin_lon=20)
    g = HomographyProjector(cfg).to_ground(np.array([[320.0, 240.0], [420.0, 140.0]]), 640, 480)
    assert np.allclose(g, [[0.0, 24.0], [10.0, 34.0]])


def _geo_scene(side: str) -> tuple[Scene, np.ndarray]:
    """A geo border 200 m in front of the camera, perpendicular to its view, walked from P1 to P2."""
    psi = math.radians(POSE.heading_deg)
    centre = 200 * np.array([math.sin(psi), math.cos(psi)])
    across = np.array([math.cos(psi), -math.sin(psi)])  # to the camera's right
    p1, p2 = centre - 60 * across, centre + 60 * across
    line = latlon_of(np.stack((p1, p2)), POSE.lat, POSE.lon)
    cfg = CameraConfig.model_validate(
        {
            "pose": POSE.model_dump(),
            "lines": [{"name": "border", "coords": "geo", "points": line.tolist(), "inbound_side": side}],
        }
    )
    return Scene(cfg, (W, H)), centre


@pytest.mark.parametrize(
    ("side", "start_m", "end_m", "expected"),
    [
        ("left", 150, 260, "inbound"),  # walking P1->P2 = to the camera's right: left hand = away from camera
        ("left", 260, 150, "outbound"),
        ("right", 150, 260, "outbound"),
        ("right", 260, 150, "inbound"),
    ],
)
def test_geo_line_crossing_on_projected_positions(side: str, start_m: float, end_m: float, expected: str):
    scene, _ = _geo_scene(side)
    rule, coords = scene.lines[0]
    psi = math.radians(POSE.heading_deg)
    axis = np.array([math.sin(psi), math.cos(psi)])
    seen = []
    for r in np.linspace(start_m, end_m, 12):
        uv = forward((r * axis)[None], POSE, W, H)[0]
        box = np.array([[uv[0] - 5, uv[1] - 20, uv[0] + 5, uv[1]]])
        anchors = scene.anchors(box)
        assert np.allclose(anchors.ground[0], r * axis, atol=1e-6)
        hit = rule.update(np.array([1]), scene.rule_points(anchors, coords), np.array([0]))
        seen += ["inbound" if b else "outbound" for b in hit.inbound]
    assert seen == [expected]


def test_geo_rules_need_a_pose_or_homography():
    with pytest.raises(ValueError, match="neither pose nor homography"):
        CameraConfig.model_validate({"lines": [{"coords": "geo", "points": [[1, 2], [1.001, 2]]}]})
