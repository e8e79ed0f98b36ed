"""A YOLO export with dynamic input axes runs at the size its metadata names (Ultralytics' ``imgsz``).

The model under test is the shipped bw-cam-s graph re-saved with symbolic height and width, as
``yolo export ... dynamic=True`` writes it: its detections must equal the static model's at 320.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import onnx
import pytest

from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import ModelError, parse_imgsz, resolve_model
from borderwatch.edge.tools import detect_cli
from borderwatch.models.registry import MODELS_DIR
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.scenario import ActorSpec, CameraPose, CameraSpec, Scenario, TerrainSpec

SHIPPED = MODELS_DIR / "camera" / "bw-cam-s.onnx"


def dynamic_export(path: Path, imgsz: str | None) -> Path:
    """bw-cam-s with symbolic H/W (and N) axes; ``imgsz`` metadata set to the given text or removed."""
    model = onnx.load(str(SHIPPED))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for axis, name in ((2, "height"), (3, "width")):
        dims[axis].ClearField("dim_value")
        dims[axis].dim_param = name
    out = model.graph.output[0].type.tensor_type.shape.dim[2]
    out.ClearField("dim_value")
    out.dim_param = "anchors"
    del model.graph.value_info[:]
    props = [(p.key, p.value) for p in model.metadata_props if p.key != "imgsz"]
    if imgsz is not None:
        props.append(("imgsz", imgsz))
    del model.metadata_props[:]
    for key, value in props:
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def frame(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cam = CameraSpec(
        id="c", pose=CameraPose(height_m=4, tilt_deg=8, hfov_deg=50, heading_deg=40), width=960, height=540
    )
    actors = [
        ActorSpec(id="p", cls="person", waypoints=[(6.0, 10.8), (12.0, 10.8)], speed_mps=1.0),
        ActorSpec(id="v", cls="vehicle", waypoints=[(-8.0, 25.0), (8.0, 25.0)], speed_mps=3.0),
    ]
    scn = Scenario(seed=5, lighting="day", cameras=[cam], actors=actors, terrain=TerrainSpec(bushes=20))
    path = tmp_path_factory.mktemp("frame") / "scene.png"
    cv2.imwrite(str(path), CameraRenderer(scn, "c", texture_px=512).render(3.0).frame)
    return path


def _detect(model: Path, image: Path, whole_frame: str) -> list[dict[str, object]]:
    args = detect_cli.parser().parse_args([str(image), "--model", str(model), "--threads", "1"])
    args.whole_frame = whole_frame
    out = io.StringIO()
    detect_cli.run(args, out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("whole_frame", ["letterbox", "tiles"])
def test_dynamic_export_runs_at_its_imgsz_and_matches_the_static_model(
    tmp_path: Path, frame: Path, whole_frame: str
) -> None:
    dynamic = dynamic_export(tmp_path / "dyn.onnx", "[320, 320]")
    det = OnnxDetector(resolve_model(str(dynamic), tmp_path), 1, default_size=640)
    assert det.session.get_inputs()[0].shape[2:] == ["height", "width"]
    assert det.input_wh == (320, 320)
    static = _detect(SHIPPED, frame, whole_frame)
    assert static, "the shipped model finds the rendered objects"
    assert _detect(dynamic, frame, whole_frame) == static


def test_without_imgsz_the_configured_default_is_used(tmp_path: Path) -> None:
    dynamic = dynamic_export(tmp_path / "dyn.onnx", None)
    ref = resolve_model(str(dynamic), tmp_path)
    assert OnnxDetector(ref, 1, default_size=320).input_wh == (320, 320)
    # This graph's anchors are fixed for 320: at the 640 default its warm-up fails with a clear error.
    with pytest.raises(ModelError, match="warm-up"):
        OnnxDetector(ref, 1, default_size=640)


def test_manifest_input_wins_over_metadata(tmp_path: Path) -> None:
    dynamic_export(tmp_path / "dyn.onnx", "[640, 640]")
    entry = {"name": "dyn", "file": "dyn.onnx", "sha256": "0" * 64, "input": [3, 320, 320]}
    (tmp_path / "manifest.json").write_text(json.dumps({"models": [entry]}))
    assert OnnxDetector(resolve_model("dyn", tmp_path, verify=False), 1).input_wh == (320, 320)


@pytest.mark.parametrize(
    ("text", "hw"),
    [("[320, 320]", (320, 320)), ("[384, 640]", (384, 640)), ("640", (640, 640)), ("(32, 64)", (32, 64))],
)
def test_parse_imgsz(text: str, hw: tuple[int, int]) -> None:
    assert parse_imgsz(text) == hw


@pytest.mark.parametrize("text", ["", "[320]", "[0, 320]", "[320, 320, 3]", "big", "[1.5, 2]", "__import__('os')"])
def test_parse_imgsz_refuses_junk(text: str) -> None:
    with pytest.raises(ModelError):
        parse_imgsz(text)
