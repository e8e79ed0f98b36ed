"""The demo's closing summary: events per sensor, alerts, the score against ground truth, and the verdict.

The score is `borderwatch sim score`'s (simulators/score/): each camera on every crossing it had in view
(class and direction, the deer too), operators on one alert per situation (a group crossing together is
one), every alert that fired counted (one still pending when the run stops paged nobody). The demo exits
non-zero when crossing-alert recall or precision falls below the demo floors in
simulators/scenarios/floors.toml (the README states them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from datetime import datetime

from borderwatch.contract import Alert, AlertState
from borderwatch.deploy.demo_configs import DemoLayout
from borderwatch.hub.store.sqlite import SqliteStore
from borderwatch.simulators.score.floors import Floors, load_floors
from borderwatch.simulators.score.hubread import read_hub
from borderwatch.simulators.score.match import percentiles
from borderwatch.simulators.score.run import RunScore, score_run
from borderwatch.simulators.score.table import checks
from borderwatch.simulators.score.table import fmt as _f
from borderwatch.simulators.score.truthfile import read_truth


def _events_per_sensor(layout: DemoLayout) -> str:
    if not layout.events_db.exists():
        return "none"
    with closing(SqliteStore(layout.events_db)) as store:
        counts = store.counts_by_sensor()
    return ", ".join(f"{c.agent}/{c.sensor} ({c.sensor_kind}) {c.events}" for c in counts) or "none"


def _by_rule(alerts: Sequence[Alert]) -> str:
    counts = Counter(a.rule for a in alerts)
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _alerts_raised(alerts: Sequence[Alert]) -> str:
    """The alerts line. One still pending when the run stops (the agent-offline alert raised by stopping the
    agent, waiting out its for-duration) paged nobody: shown apart, not raised, as the scorer counts it."""
    fired = [a for a in alerts if a.state != AlertState.PENDING]
    pending = [a for a in alerts if a.state == AlertState.PENDING]
    line = f"alerts raised: {len(fired)}" + (f" ({_by_rule(fired)})" if fired else "")
    if pending:
        line += f"; {len(pending)} still pending ({_by_rule(pending)}), paged nobody"
    return line


def _print_score(run: RunScore, floors: Floors) -> bool:
    for s in run.sensors:
        tracks = f", MOTA {_f(s.mota)}, IDF1 {_f(s.idf1)}" if s.status == "scored" else f" ({s.status})"
        print(
            f"  {s.sensor}: line crossings {s.found}/{s.expected} found, {s.false} false "
            f"(recall {_f(s.recall)}, precision {_f(s.precision)}){tracks}"
        )
    print(
        f"alerts vs ground truth: {run.situations} situations (a group crossing together is one), "
        f"{run.situations_alerted} alerted, {run.situations - run.situations_alerted} missed, "
        f"{run.false_alerts} false alerts of {run.alerts_total} "
        f"(recall {_f(run.crossing_alert_recall)}, precision {_f(run.crossing_alert_precision)})"
    )
    loc, lat = percentiles(run.localisation_m), percentiles(run.latency_s)
    print(
        f"position error p50/p95 {_f(loc[0], '{:.1f}')}/{_f(loc[1], '{:.1f}')} m; "
        f"crossing -> alert p50/p95 {_f(lat[0], '{:.1f}')}/{_f(lat[1], '{:.1f}')} s ({run.latency_source}); "
        f"gates {floors.tolerances.position_m:g} m, {floors.tolerances.time_s:g} s"
    )
    figures = {
        "crossing_alert_recall": run.crossing_alert_recall,
        "crossing_alert_precision": run.crossing_alert_precision,
    }
    results = checks(figures, floors.demo)
    print("demo floors: " + ", ".join(f"{k} {_f(v)} >= {t:g} {ok}" for k, v, t, ok in results))
    return all(ok != "BELOW" for *_, ok in results)


def print_summary(layout: DemoLayout, started: datetime, ended: datetime) -> int:
    """Print the summary; 0 when the demo floors hold (an undefined figure fails nothing by itself), 1 below
    them or when the simulator wrote no ground truth."""
    print("\n=== summary ===")
    print(f"events per sensor: {_events_per_sensor(layout)}")
    hub = read_hub(layout.events_db, layout.alerts_db)
    print(_alerts_raised(hub.alerts))
    if not layout.truth.exists():
        print("ground truth: not written (the simulator did not start)")
        return 1
    truth = read_truth(layout.truth)
    during = [c for c in truth.crossings if started <= c.ts <= ended]
    people = [c for c in during if c.object_class != "animal"]
    print(
        f"ground truth: {len(during)} border crossings during the run, {len(people)} by people or vehicles "
        f"({sum(not c.seen_by for c in people)} out of every camera's view), "
        f"{len(during) - len(people)} by animals (no alert expected)"
    )
    floors = load_floors()
    run = score_run(truth, hub, floors.tolerances, floors.warmup_s, floors.recovery_s, until=ended)
    ok = _print_score(run, floors)
    print(f"run folder: {layout.run_dir} (configs, logs/, stores, truth.jsonl)")
    return 0 if ok else 1
