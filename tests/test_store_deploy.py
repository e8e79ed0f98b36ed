"""deploy/ artefacts of the store agree with the code: dashboard queries, bucket names, retention."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.contract import EventKind, RuleHit
from borderwatch.deploy.grafana.make_dashboard import OUT, PANELS, dashboard, flux
from borderwatch.hub.store.base import AlertCount
from borderwatch.hub.store.config import Buckets
from borderwatch.hub.store.points import alert_count_lines, dead_letter_line, event_lines, telemetry_lines
from borderwatch.hub.store.retention import Retention
from tests.support.builders import make_event, make_telemetry

SETUP = Path("deploy/influxdb/setup.sh")


def _written() -> dict[str, tuple[set[str], set[str]]]:
    """measurement -> (tags, fields) of everything points.py writes for sample data."""
    now = datetime.now(UTC)
    crossing = make_event(2, kind=EventKind.LINE_CROSSING, rule=RuleHit(rule="border", direction="inbound"))
    lines = event_lines([make_event(1), crossing, make_event(3, radar=True)])
    lines += telemetry_lines(make_telemetry())
    lines += alert_count_lines([AlertCount(now, "s1", "border", "critical", 1)])
    lines += [dead_letter_line(now, "s1", "not_json")]
    out: dict[str, tuple[set[str], set[str]]] = {}
    for line in lines:
        head, fields, _ts = line.rsplit(" ", 2)
        measurement, *tags = head.split(",")
        seen = out.setdefault(measurement, (set(), set()))
        seen[0].update(t.split("=")[0] for t in tags)
        seen[1].update(f.split("=")[0] for f in fields.split(","))
    return out


def test_dashboard_json_is_generated_from_panels():
    assert json.loads(OUT.read_text()) == dashboard(), "run python deploy/grafana/make_dashboard.py"


@pytest.mark.parametrize("panel", PANELS, ids=[p.title for p in PANELS])
def test_every_panel_queries_what_the_hub_writes(panel):
    written = _written()
    assert panel.measurement in written, panel.measurement
    tags, fields = written[panel.measurement]
    assert panel.field in fields
    assert set(panel.group) <= tags
    assert f'from(bucket: "{panel.bucket}")' in flux(panel)
    for tag in re.findall(r"r\.(\w+) ==", panel.extra_filter):
        assert tag in tags


def test_panel_buckets_are_the_store_buckets():
    assert {p.bucket for p in PANELS} == set(Buckets().model_dump().values())


def test_setup_script_dry_run_matches_store_defaults(tmp_path):
    env = {**os.environ, "DRY_RUN": "1", "BW_TOKEN_DIR": str(tmp_path)}
    out = subprocess.run(["sh", str(SETUP)], env=env, capture_output=True, text=True, check=True).stdout
    ret, buckets = Retention(), Buckets()
    for family in ("events", "telemetry", "alerts", "dead_letters"):
        name, days = getattr(buckets, family), ret.days(family)
        assert f"bucket create --org borderwatch --name {name} --retention {days:g}d" in out
    assert out.count("auth create") == 2
    assert not list(tmp_path.iterdir())  # dry run writes no token files
