"""CI's short eval: the scenarios marked `ci` played through the real pipeline (broker, hub, simulated site,
agent, each its own process) and held to the floors in simulators/scenarios/floors.toml."""

from __future__ import annotations

import json

import pytest

from borderwatch.deploy.eval_run import library, run_eval

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_short_library_meets_the_floors(tmp_path):
    scenarios = library(ci_only=True)
    assert scenarios, "no scenario is marked for CI"
    rc = run_eval(scenarios, tmp_path)
    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    verdicts = {row["metric"]: row["verdict"] for row in doc["library"]}
    assert verdicts["crossing_alert_recall"] == "PASS", doc["library"]
    assert verdicts["nuisance_false_alerts_per_hour"] == "PASS", doc["library"]
    assert "BELOW" not in verdicts.values() and rc == 0, (tmp_path / "results.md").read_text(encoding="utf-8")
