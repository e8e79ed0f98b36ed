"""The demo's closing summary: events per sensor, alerts, and the comparison with ground truth."""

from __future__ import annotations

from datetime import datetime

from deploy.demo_configs import DemoLayout
from hub.alerts.store import SqliteAlertStore
from hub.contract import Alert, EventKind
from hub.store.sqlite import SqliteStore
from simulators.score import Reported, read_crossings, score


def _reported(alerts: list[Alert]) -> list[Reported]:
    crossing_rules = [a for a in alerts if a.direction is not None]
    return [
        Reported(
            a.ts,
            a.object_class.value,
            a.direction,
            a.position.lat if a.position else None,
            a.position.lon if a.position else None,
        )
        for a in crossing_rules
    ]


def print_summary(layout: DemoLayout, started: datetime, ended: datetime) -> None:
    print("\n=== summary ===")
    if layout.events_db.exists():
        store = SqliteStore(layout.events_db)
        counts = store.counts_by_sensor()
        crossings_seen = store.count_events(kind=EventKind.LINE_CROSSING.value)
        store.close()
    else:
        counts, crossings_seen = [], 0
    print(
        "events per sensor: "
        + (", ".join(f"{c.agent}/{c.sensor} ({c.sensor_kind}) {c.events}" for c in counts) or "none")
    )
    print(f"line-crossing events: {crossings_seen}")
    alerts = SqliteAlertStore(layout.alerts_db).list(limit=10_000) if layout.alerts_db.exists() else []
    by_rule: dict[str, int] = {}
    for a in alerts:
        by_rule[a.rule] = by_rule.get(a.rule, 0) + 1
    print(
        f"alerts raised: {len(alerts)}"
        + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items())) + ")" if by_rule else "")
    )
    if not layout.truth.exists():
        print("ground truth: not written (the simulator did not start)")
        return
    truth = [c for c in read_crossings(layout.truth) if started <= c.ts <= ended]
    alerted = [c for c in truth if c.object_class in ("person", "vehicle")]
    s = score(alerted, _reported(alerts))
    print(
        f"ground truth: {len(truth)} crossings in the run ({s.expected} of people/vehicles in view, "
        f"{s.unseen} out of view, {len(truth) - len(alerted)} of animals: no alert expected)"
    )
    err = f", mean position error {s.mean_error_m:.1f} m" if s.mean_error_m is not None else ""
    delay = f", mean delay {s.mean_delay_s:.1f} s" if s.mean_delay_s is not None else ""
    print(
        f"alerts vs ground truth: {s.matched} matched, {s.missed} missed, {s.false_reports} false "
        f"(recall {s.recall:.0%}, precision {s.precision:.0%}{err}{delay})"
    )
    print(f"run folder: {layout.run_dir} (configs, logs/, stores, truth.jsonl)")
