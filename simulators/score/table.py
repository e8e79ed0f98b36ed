"""The eval table: one row per scenario, per-sensor figures, and the library's figures against the floors.

Alert latency (crossing and humanitarian) is pooled over the real-time scenarios without process faults (an
outage delays alerts by design; those runs show their own latency in their row).

Why pooled counts: a library figure such as crossing-alert recall is alerted situations over situations
summed over every scenario, so a scenario with one crossing weighs as much as that crossing, not as much as
a scenario with thirty. Errors and latencies are pooled likewise before their percentiles are taken.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from borderwatch.simulators.score.floors import Floors, verdict
from borderwatch.simulators.score.gospa import gospa_table
from borderwatch.simulators.score.match import percentiles, ratio
from borderwatch.simulators.score.run import RunScore


def is_nuisance(run: RunScore) -> bool:
    """No person or vehicle crossed at all, not even during the warm-up: any crossing alert is false."""
    return run.situations + run.situations_warmup + run.situations_pending + run.situations_unseen == 0


def _realtime(run: RunScore) -> bool:
    """Played at real time without process faults: its latencies are pooled (see the module docstring)."""
    return run.speed == 1.0 and not run.process_faults


def library_figures(runs: Sequence[RunScore]) -> dict[str, float | None]:
    """The targets' figures over the library (see the module docstring)."""
    nuisance = [r for r in runs if is_nuisance(r)]
    hours = sum(r.simulated_s for r in nuisance) / 3600.0
    realtime = [r for r in runs if _realtime(r)]
    return {
        "crossing_alert_recall": ratio(sum(r.situations_alerted for r in runs), sum(r.situations for r in runs)),
        "crossing_alert_precision": ratio(
            sum(r.crossing_alerts_matched for r in runs), sum(r.crossing_alerts for r in runs)
        ),
        "nuisance_false_alerts_per_hour": sum(r.false_alerts for r in nuisance) / hours if hours > 0 else None,
        "localisation_p95_m": percentiles([x for r in runs for x in r.localisation_m])[1],
        "alert_latency_p95_s": percentiles([x for r in realtime for x in r.latency_s])[1],
        "humanitarian_alert_recall": ratio(
            sum(r.distress_alerted for r in runs), sum(r.distress_situations for r in runs)
        ),
        "humanitarian_alert_latency_p95_s": percentiles([x for r in realtime for x in r.distress_latency_s])[1],
    }


def checks(figures: dict[str, float | None], targets: dict[str, float]) -> list[tuple[str, float | None, float, str]]:
    """(metric, measured, target, verdict) for every target ``figures`` names (an undefined figure included)."""
    return [(k, figures.get(k), t, verdict(k, figures.get(k), t)) for k, t in targets.items() if k in figures]


def fmt(x: float | None, spec: str = "{:.2f}") -> str:
    """A figure for people: "undefined" when there was nothing to divide by."""
    return "undefined" if x is None else spec.format(x)


def _pending(run: RunScore) -> str:
    return f" (+{run.alerts_pending} pending)" if run.alerts_pending else ""


def _source(run: RunScore) -> str:
    lost = f"; {run.alerts_not_received} never received" if run.alerts_not_received else ""
    return run.latency_source + lost


def _status(run: RunScore) -> str:
    pending = [s for s in run.sensors if s.status != "scored"]
    if run.situations_pending and not run.situations:
        kinds = sorted({s.kind for s in pending})
        return f"not scoreable yet ({', '.join(kinds)} not built): {run.situations_pending} situations kept"
    return "scored" + (f"; {run.situations_pending} situations pending other sensors" if run.situations_pending else "")


def markdown(runs: Sequence[RunScore], floors: Floors, title: str = "borderwatch eval") -> str:
    """The whole table as markdown."""
    tol = floors.tolerances
    lines = [
        f"# {title}",
        "",
        f"Gates: position {tol.position_m:g} m, time {tol.time_s:g} s, class and direction must agree; "
        f"warm-up {floors.warmup_s:g} s, fault recovery {floors.recovery_s:g} s (simulators/scenarios/floors.toml).",
        "",
        "| scenario | speed | status | situations | alerted | alert recall | alert precision | false alerts | "
        "false/h | fault alerts | loc p50/p95 m | latency p50/p95 s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        d = r.summary()
        lines.append(
            f"| {r.scenario} | {r.speed:g} | {_status(r)} | {r.situations} | {r.situations_alerted} | "
            f"{fmt(r.crossing_alert_recall)} | {fmt(r.crossing_alert_precision)} | "
            f"{r.false_alerts}/{r.alerts_total}{_pending(r)} | "
            f"{fmt(r.false_alerts_per_hour, '{:.1f}')} | {r.fault_alerts_matched}/{r.fault_alerts_expected} | "
            f"{fmt(d['localisation_p50_m'], '{:.1f}')}/{fmt(d['localisation_p95_m'], '{:.1f}')} | "
            f"{fmt(d['latency_p50_s'], '{:.1f}')}/{fmt(d['latency_p95_s'], '{:.1f}')} ({_source(r)}) |"
        )
    lines += ["", "| scenario | sensor | status | crossings found | recall | precision | MOTA | IDF1 | ID switches |"]
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        for s in r.sensors:
            found = f"{s.found}/{s.expected} ({s.false} false)" if s.status == "scored" else f"{s.expected} in view"
            lines.append(
                f"| {r.scenario} | {s.sensor} ({s.kind}) | {s.status} | {found} | "
                f"{fmt(s.recall)} | {fmt(s.precision)} | {fmt(s.mota)} | {fmt(s.idf1)} | "
                f"{'-' if s.id_switches is None else s.id_switches} |"
            )
    lines += gospa_table((r.scenario, s.sensor, s.gospa) for r in runs for s in r.sensors)
    rescue = [r for r in runs if r.distress_situations or r.distress_alerts]
    if rescue:
        lines += [
            "",
            "| scenario | people entering water | humanitarian alerts | answered | recall | latency p50/p95 s |",
        ]
        lines.append("|---|---|---|---|---|---|")
        for r in rescue:
            d = r.summary()
            lines.append(
                f"| {r.scenario} | {r.distress_situations} | {r.distress_alerts} | {r.distress_alerted} | "
                f"{fmt(r.distress_alert_recall)} | "
                f"{fmt(d['distress_latency_p50_s'], '{:.1f}')}/{fmt(d['distress_latency_p95_s'], '{:.1f}')} |"
            )
    lines += ["", "| library figure | measured | target | verdict |", "|---|---|---|---|"]
    for k, v, t, ok in checks(library_figures(runs), floors.library):
        lines.append(f"| {k} | {fmt(v, '{:.3f}')} | {t:g} | {ok} |")
    return "\n".join(lines) + "\n"


def write_table(runs: Sequence[RunScore], floors: Floors, out_dir: Path, title: str = "borderwatch eval") -> bool:
    """Write results.md and results.json under out_dir; True when no figure is BELOW its target."""
    out_dir.mkdir(parents=True, exist_ok=True)
    verdicts = checks(library_figures(runs), floors.library)
    (out_dir / "results.md").write_text(markdown(runs, floors, title), encoding="utf-8")
    doc = {
        "runs": [r.summary() for r in runs],
        "library": [{"metric": k, "measured": v, "target": t, "verdict": ok} for k, v, t, ok in verdicts],
    }
    (out_dir / "results.json").write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
    return all(ok != "BELOW" for *_, ok in verdicts)
