"""`sim` subcommands: render writes frames and labels; errors are one line and a non-zero exit."""

from __future__ import annotations

import json

from borderwatch.simulators.cli import main


def test_render_writes_frames_labels_and_truth(tmp_path) -> None:
    assert main(["sim", "render", "--start", "40", "--every", "1", "--frames", "2", "--out", str(tmp_path)]) == 0
    labels = [json.loads(x) for x in (tmp_path / "labels.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in labels] == ["frame_00000.jpg", "frame_00001.jpg"]
    assert (tmp_path / "frame_00001.jpg").stat().st_size > 10_000
    assert any(b["class"] == "person" for r in labels for b in r["boxes"])
    truth = [json.loads(x) for x in (tmp_path / "crossings.jsonl").read_text().splitlines()]
    assert {r["direction"] for r in truth} == {"inbound", "outbound"}


def test_scenarios_lists_presets(capsys) -> None:
    assert main(["sim", "scenarios"]) == 0
    out = capsys.readouterr().out
    assert "border-crossing " in out and "border-crossing-night" in out


def test_bad_scenario_and_camera_are_clear_errors(tmp_path, capsys) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text("duration = 3\n")
    assert main(["sim", "render", "--scenario", str(bad), "--out", str(tmp_path)]) == 2
    assert "duration" in capsys.readouterr().err
    assert main(["sim", "camera", "--camera", "nope"]) == 2
    assert "no camera 'nope'" in capsys.readouterr().err
