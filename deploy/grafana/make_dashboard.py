"""Generate deploy/grafana/borderwatch.json: the Grafana dashboard of the hub's measurements.

Why generated: every panel is one row of PANELS (measurement, field, grouping, aggregate),
so the Flux queries stay uniform and tests/test_store_deploy.py can check each one against
what hub/store/points.py actually writes. Run ``python deploy/grafana/make_dashboard.py``
after changing PANELS and commit the JSON.

Import: Grafana -> Dashboards -> Import -> upload borderwatch.json -> pick an InfluxDB data
source using the Flux query language (org "borderwatch", the grafana-reader token written by
deploy/influxdb/setup.sh). Variables: site and agent (multi-select, "All" by default).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).with_name("borderwatch.json")


@dataclass(frozen=True)
class Panel:
    """One panel is one Flux query: measurement and field, the tags it groups by, the window aggregate."""

    title: str
    bucket: str
    measurement: str
    field: str
    group: tuple[str, ...]
    fn: str  # aggregateWindow function: sum, mean, max, last
    unit: str = "short"
    kind: str = "timeseries"
    extra_filter: str = ""
    description: str = ""


PANELS: tuple[Panel, ...] = (
    Panel("Detections by class", "bw_events", "events", "count", ("class",), "sum",
          description="Events per window (all kinds), split by object class."),
    Panel("Detections by sensor", "bw_events", "events", "count", ("agent", "sensor"), "sum",
          description="Which masts and sensors report; a flat line at 0 is a silent sensor."),
    Panel("Line crossings by site and class", "bw_events", "events", "count", ("site", "class"), "sum",
          extra_filter='r.kind == "line_crossing"', description="Border-line crossings per window."),
    Panel("Mean confidence by class", "bw_events", "events", "confidence", ("class",), "mean",
          unit="percentunit"),
    Panel("Alerts by severity", "bw_alerts", "alerts", "count", ("severity",), "sum", kind="barchart",
          description="Alert counts the hub writes per interval (write_alert_counts)."),
    Panel("Agent link up", "bw_telemetry", "agent", "link_up", ("agent",), "last", kind="state-timeline",
          description="1 = the agent reports its broker link up."),
    Panel("Agent outbox depth", "bw_telemetry", "agent", "outbox_depth", ("agent",), "max",
          description="Events waiting on the mast for delivery confirmation; growing = link or hub trouble."),
    Panel("Agent outbox dropped", "bw_telemetry", "agent", "outbox_dropped", ("agent",), "max"),
    Panel("Sensor input fps", "bw_telemetry", "sensor", "input_fps", ("agent", "sensor"), "mean"),
    Panel("Sensor inference ms", "bw_telemetry", "sensor", "inference_ms", ("agent", "sensor"), "mean",
          unit="ms"),
    Panel("Sensor dropped frames", "bw_telemetry", "sensor", "dropped_frames", ("agent", "sensor"), "max"),
    Panel("Sensor online", "bw_telemetry", "sensor", "online", ("agent", "sensor"), "last",
          kind="state-timeline"),
    Panel("Dead letters by reason", "bw_dead_letters", "dead_letters", "count", ("reason",), "sum",
          description="Messages the hub refused (raw bytes kept in the hub's dead-letter file)."),
)  # fmt: skip

_HAS_AGENT = {"events", "agent", "sensor"}


def flux(p: Panel) -> str:
    """The Flux query of one panel, filtered by the dashboard's site/agent variables."""
    lines = [
        f'from(bucket: "{p.bucket}")',
        "  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)",
        f'  |> filter(fn: (r) => r._measurement == "{p.measurement}" and r._field == "{p.field}")',
        "  |> filter(fn: (r) => contains(value: r.site, set: ${site:json}))",
    ]
    if p.measurement in _HAS_AGENT:
        lines.append("  |> filter(fn: (r) => contains(value: r.agent, set: ${agent:json}))")
    if p.extra_filter:
        lines.append(f"  |> filter(fn: (r) => {p.extra_filter})")
    group = ", ".join(f'"{g}"' for g in p.group)
    lines += [
        f"  |> group(columns: [{group}])",
        f"  |> aggregateWindow(every: v.windowPeriod, fn: {p.fn}, createEmpty: false)",
    ]
    return "\n".join(lines)


def panel_json(i: int, p: Panel) -> dict:
    """Grafana JSON of panel ``i``: two per row, in PANELS order, on the dashboard's data source variable."""
    return {
        "id": i + 1,
        "type": p.kind,
        "title": p.title,
        "description": p.description,
        "datasource": {"type": "influxdb", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
        "fieldConfig": {"defaults": {"unit": p.unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}},
        "targets": [{"refId": "A", "datasource": {"type": "influxdb", "uid": "${datasource}"}, "query": flux(p)}],
    }


def variable(name: str, query: str) -> dict:
    """A multi-select query variable defaulting to All; panels filter on it as ${name:json}."""
    return {
        "name": name,
        "label": name,
        "type": "query",
        "datasource": {"type": "influxdb", "uid": "${datasource}"},
        "query": query,
        "definition": query,
        "multi": True,
        "includeAll": True,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "refresh": 2,
        "sort": 1,
    }


def dashboard() -> dict:
    """The whole dashboard; the committed borderwatch.json must equal it (tests/test_store_deploy.py)."""
    site_q = 'import "influxdata/influxdb/schema"\nschema.tagValues(bucket: "bw_events", tag: "site")'
    agent_q = (
        'import "influxdata/influxdb/schema"\nschema.tagValues(bucket: "bw_events", tag: "agent", '
        "predicate: (r) => contains(value: r.site, set: ${site:json}))"
    )
    datasource = {"name": "datasource", "label": "InfluxDB (Flux)", "type": "datasource", "query": "influxdb"}
    return {
        "uid": "borderwatch-hub",
        "title": "borderwatch: detections, alerts, fleet health",
        "description": "Generated by deploy/grafana/make_dashboard.py from the hub's line-protocol mapping.",
        "tags": ["borderwatch"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [datasource, variable("site", site_q), variable("agent", agent_q)]},
        "panels": [panel_json(i, p) for i, p in enumerate(PANELS)],
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(dashboard(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
