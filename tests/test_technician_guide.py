"""docs/technician-guide.md stays true: its config fragments form a valid agent config, its
manifest example names real manifest fields, and the commands it shows exist."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from borderwatch.deploy.cli import build_parser
from borderwatch.edge.config.agent import AgentConfig
from borderwatch.models.registry import ModelEntry
from borderwatch.runtime.configfile import parse_config

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "technician-guide.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", GUIDE.read_text("utf-8"), re.S)


def test_toml_fragments_form_a_valid_agent_config() -> None:
    cfg = parse_config(tomllib.loads("\n".join(blocks("toml"))), AgentConfig)
    cam = cfg.cameras["cam-1"]
    assert cam.pose is not None and cam.lines[0].coords == "geo" and cam.lines[0].inbound_side == "right"
    assert cam.detection.model == "yolov8n-coco" and set(cam.detection.class_map) == {"person", "car", "truck"}
    assert cfg.broker.password_env == "BW_MQTT_PASSWORD" and cfg.broker.tls is not None
    assert cfg.outbox.max_event_age_s == 7 * 86400


def test_manifest_example_uses_real_fields() -> None:
    [doc] = [json.loads(b) for b in blocks("json")]
    [entry] = doc["models"]
    assert set(entry) <= set(ModelEntry.model_fields)
    ModelEntry.model_validate({**entry, "sha256": "0" * 64})


@pytest.mark.parametrize("command", ["init", "check", "doctor", "run"])
def test_edge_commands_exist(command: str) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["edge", command, "--help"])
    assert exc.value.code == 0
