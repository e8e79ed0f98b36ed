"""The demo's closing summary: events per sensor, alerts, and the comparison with ground truth.

Two levels are scored, because they answer different questions: did each camera see each person,
vehicle or animal it had in view cross, with the right class and direction (line-crossing events
vs individual crossings), and did operators get one alert per situation (alerts vs crossings
grouped the way the hub groups alerts; animals raise none).
"""

from __future__ import annotations

from datetime import datetime

from borderwatch.contract import Alert, Event, EventKind
from borderwatch.deploy.demo_configs import DemoLayout
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.store import SqliteAlertStore
from borderwatch.hub.store.sqlite import SqliteStore
from borderwatch.simulators.score import Crossing, Reported, Score, read_crossings, score, situations

ALERTED = ("person", "vehicle")


def _reported(items: list[Alert] | list[Event]) -> list[Reported]:
    out = []
    for x in items:
        direction = x.direction if isinstance(x, Alert) else (x.rule.direction if x.rule else None)
        pos = x.position
        out.append(Reported(x.ts, x.object_class.value, direction, pos.lat if pos else None, pos.lon if pos else None))
    return out


def _per_camera(truth: list[Crossing], events: list[Event]) -> dict[str, Score]:
    cams = sorted({c for t in truth for c in t.seen_by} | {e.sensor.id for e in events})
    return {
        cam: score([t for t in truth if cam in t.seen_by], _reported([e for e in events if e.sensor.id == cam]))
        for cam in cams
    }


def _line(s: Score) -> str:
    err = f", position error {s.mean_error_m:.1f} m" if s.mean_error_m is not None else ""
    delay = f", delay {s.mean_delay_s:.1f} s" if s.mean_delay_s is not None else ""
    return f"{s.matched}/{s.expected} found, {s.false_reports} false{err}{delay}"


def _read_stores(layout: DemoLayout) -> tuple[list, list[Event], list[Alert]]:
    counts, crossings = [], []
    if layout.events_db.exists():
        store = SqliteStore(layout.events_db)
        counts = store.counts_by_sensor()
        crossings = store.events(limit=100_000, kind=EventKind.LINE_CROSSING.value)
        store.close()
    alerts = SqliteAlertStore(layout.alerts_db).list(limit=10_000) if layout.alerts_db.exists() else []
    return counts, crossings, alerts


def print_summary(layout: DemoLayout, started: datetime, ended: datetime) -> None:
    print("\n=== summary ===")
    counts, crossings, alerts = _read_stores(layout)
    print(
        "events per sensor: "
        + (", ".join(f"{c.agent}/{c.sensor} ({c.sensor_kind}) {c.events}" for c in counts) or "none")
    )
    by_rule: dict[str, int] = {}
    for a in alerts:
        by_rule[a.rule] = by_rule.get(a.rule, 0) + 1
    rules = ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items()))
    print(f"alerts raised: {len(alerts)}" + (f" ({rules})" if rules else ""))
    if not layout.truth.exists():
        print("ground truth: not written (the simulator did not start)")
        return
    truth = [c for c in read_crossings(layout.truth) if started <= c.ts <= ended]
    alerted = [c for c in truth if c.object_class in ALERTED]
    print(
        f"ground truth: {len(truth)} border crossings during the run, {len(alerted)} by people or vehicles "
        f"({sum(not c.seen_by for c in alerted)} out of every camera's view), "
        f"{len(truth) - len(alerted)} by animals (no alert expected)"
    )
    for cam, s in _per_camera(truth, crossings).items():  # animals too: a camera reports what it sees
        print(f"  {cam}: line crossings detected {_line(s)}")
    rule = next(r for r in AlertsConfig().rules if EventKind.LINE_CROSSING in r.kinds and not r.distress)
    grouped = situations(alerted, rule.group_radius_m, rule.group_window_s)
    s = score(grouped, _reported([a for a in alerts if a.direction is not None]))
    print(
        f"alerts vs ground truth: {len(grouped)} situations (a group crossing together is one), "
        f"{s.matched} alerted, {s.missed} missed, {s.false_reports} false alerts "
        f"(recall {s.recall:.0%}, precision {s.precision:.0%})"
    )
    print(f"run folder: {layout.run_dir} (configs, logs/, stores, truth.jsonl)")
