"""CameraConfig: a documented TOML example loads; bad values are refused with the key path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from borderwatch.contract.common import ObjectClass
from borderwatch.edge.config.agent import load_agent_config
from borderwatch.edge.config.detector import COCO_CLASS_MAP, DetectorConfig
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.tools.detect_cli import main as detect_main
from borderwatch.runtime.configfile import ConfigError, load_config
from tests.support.synthetic_models import bright_object_model
from tests.support.testpattern import Mover, background, render, write_video

EXAMPLE = """
[detector]
models_dir = "models"
intra_op_threads = 2
max_batch = 8
batch_timeout_ms = 4

[cameras.north]
url = "rtsp://viewer:secret@10.0.0.21:554/stream1"
fps = 5

[cameras.north.watchdog]
stall_timeout_s = 5
backoff_max_s = 30

[cameras.north.pose]
lat = 48.2082
lon = 16.3738
height_m = 12
heading_deg = 350
tilt_deg = 12
hfov_deg = 60

[cameras.north.detection]
model = "bw-camera-n"
class_map = { person = "person", car = "vehicle", truck = "vehicle", dog = "animal" }

[cameras.north.filters.person]
min_score = 0.5
min_area = 150
max_ratio = 1.2

[[cameras.north.masks]]
points = [[0, 0], [300, 0], [300, 40], [0, 40]]
applies_to = "both"

[[cameras.north.zones]]
name = "approach"
points = [[100, 400], [1180, 400], [1280, 720], [0, 720]]
loiter_s = 20
classes = ["person"]

[[cameras.north.lines]]
name = "border"
coords = "geo"
points = [[48.2101, 16.3690], [48.2110, 16.3790]]
inbound_side = "right"
classes = ["person", "vehicle"]

[cameras.north.events]
update_min_interval_s = 1
heartbeat_s = 10

[cameras.north.evidence]
max_bytes = 150000
keep_s = 604800
dir = "var/evidence"
"""


class AgentPart(BaseModel):
    """How an agent config embeds the camera tree (the lead's agent model does the same)."""

    model_config = ConfigDict(extra="forbid")
    detector: DetectorConfig = DetectorConfig()
    cameras: dict[str, CameraConfig] = {}


def test_documented_example_loads(tmp_path: Path):
    path = tmp_path / "agent.toml"
    path.write_text(EXAMPLE)
    cfg = load_config(path, AgentPart)
    cam = cfg.cameras["north"]
    assert cam.lines[0].coords == "geo" and cam.filters[ObjectClass.PERSON].min_score == 0.5
    assert cam.detection.class_map["car"] is ObjectClass.VEHICLE
    assert cam.filters[ObjectClass.VEHICLE].min_score == 0.4  # defaults kept for classes not set
    assert "secret" not in repr(cam)


@pytest.mark.parametrize(
    ("snippet", "path_in_error"),
    [
        ("[cameras.c]\nfsp = 5\n", "cameras.c.fsp"),
        ("[cameras.c]\nfps = 0\n", "cameras.c.fps"),
        ("[cameras.c.pose]\ntilt_deg = 95\n", "cameras.c.pose.tilt_deg"),
        ("[[cameras.c.lines]]\npoints = [[1, 1]]\n", "cameras.c.lines[0].points"),
        (
            '[[cameras.c.lines]]\npoints = [[1, 1], [5, 5]]\ninbound_side = "north"\n',
            "cameras.c.lines[0].inbound_side",
        ),
        ("[cameras.c.filters.person]\nmin_area = 10\nmax_area = 5\n", "cameras.c.filters.person"),
        ("[cameras.c.watchdog]\nbackoff_initial_s = 10\nbackoff_max_s = 1\n", "cameras.c.watchdog"),
        ("[detector]\nmax_batch = 0\n", "detector.max_batch"),
        ("[cameras.c.motion]\nthreshold = 4\n", "cameras.c.motion"),  # under the hazy threshold's default 5
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, snippet: str, path_in_error: str):
    path = tmp_path / "bad.toml"
    path.write_text(snippet)
    with pytest.raises(ConfigError) as err:
        load_config(path, AgentPart)
    assert path_in_error in str(err.value)


def test_cross_field_checks():
    with pytest.raises(ValidationError, match="unique"):
        CameraConfig.model_validate(
            {
                "lines": [{"name": "x", "points": [[0, 0], [1, 1]]}],
                "zones": [{"name": "x", "points": [[0, 0], [1, 0], [1, 1]]}],
            }
        )
    with pytest.raises(ValidationError, match="geo points"):
        CameraConfig.model_validate({"pose": {}, "lines": [{"coords": "geo", "points": [[100, 0], [0, 0]]}]})


def test_default_class_map_covers_coco_and_own_labels():
    for label, cls in [
        ("person", "person"),
        ("car", "vehicle"),
        ("truck", "vehicle"),
        ("bus", "vehicle"),
        ("motorcycle", "vehicle"),
        ("bicycle", "vehicle"),
        ("dog", "animal"),
        ("horse", "animal"),
        ("cow", "animal"),
        ("bear", "animal"),
        ("vehicle", "vehicle"),
        ("animal", "animal"),
    ]:
        assert COCO_CLASS_MAP[label].value == cls


def test_detect_cli_prints_json_lines_for_images_and_videos(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    model = bright_object_model(tmp_path / "b.onnx", (320, 320))
    bg = background((640, 480))
    walker = [Mover((100, 200), (100, 0), (30, 60))]
    import cv2

    cv2.imwrite(str(tmp_path / "f.png"), render(0.0, walker, bg))
    assert detect_main(["--model", str(model), str(tmp_path / "f.png")]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(rows) == 1 and rows[0]["class"] == "person" and rows[0]["mapped"] == "person"
    assert rows[0]["box"] == pytest.approx([100, 200, 130, 260], abs=1)
    video = write_video(tmp_path / "v.avi", [render(i / 10, walker, bg) for i in range(6)], 10)
    assert detect_main(["--model", str(model), "--every", "2", str(video)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["frame"] for r in rows] == [0, 2, 4]
    assert rows[2]["box"][0] == pytest.approx(140, abs=2)
    assert detect_main(["--model", str(tmp_path / "none.onnx"), str(video)]) == 2


@pytest.mark.parametrize(("username", "ok"), [(None, True), ("west-1/mast-01", True), ("mast-01", False)])
def test_broker_username_must_be_the_site_and_agent(tmp_path: Path, username: str | None, ok: bool):
    path = tmp_path / "agent.toml"
    broker = f'[broker]\nusername = "{username}"\n' if username else ""
    path.write_text(f'site = "west-1"\nagent = "mast-01"\n{broker}[cameras.c]\nurl = "x.mp4"\n')
    if ok:
        load_agent_config(path)
        return
    with pytest.raises(ConfigError, match=r"broker.username = 'mast-01': must be 'west-1/mast-01'"):
        load_agent_config(path)
