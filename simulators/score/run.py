"""Score one run: per-sensor detection, track quality, crossing alerts, fault alerts, errors and latency.

Why these units: a camera is judged on each crossing it had in view (its line_crossing events, animals
too), operators on alerts per situation. A situation is the truth's own: one scenario actor (a person,
a vehicle, or a group walking together) crossing in one direction, its members within SITUATION_SPAN_S of
each other, joined by whoever crosses within the scoring gates of one of them (a party crossing together);
the hub's grouping settings play no part. Every alert that fired is counted (one still pending,
waiting out its debounce, paged nobody): a crossing alert matching
no situation, a tamper or offline alert matching no injected fault, and any other alert are false.
A sensor under an injected fault (and for recovery_s after) is blind: what it missed then is not a miss.
A person entering water in view of a working sensor is a distress situation: a humanitarian alert
(``severity = humanitarian``) within the gates answers it; one answering nothing is false.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import numpy as np

from borderwatch.contract import Alert, AlertState, Event, EventKind
from borderwatch.contract.alerts import Severity
from borderwatch.simulators.scenario import PROCESS_FAULTS
from borderwatch.simulators.score.alerts import expected_alert_kinds, match_faults, match_situations
from borderwatch.simulators.score.gospa import GospaScore, gospa_over_run
from borderwatch.simulators.score.hubread import HubRecords
from borderwatch.simulators.score.match import Tolerances, assign, distances_m, percentiles, positions, ratio
from borderwatch.simulators.score.tracks import track_quality
from borderwatch.simulators.score.truthfile import SCOREABLE_KINDS, Crossing, DistressCase, Truth
from borderwatch.simulators.truth import POSITION_STEP_S

ALERTED_CLASSES = ("person", "vehicle")
SITUATION_SPAN_S = 60.0
BLINDING_PROCESS_FAULTS = ("agent_kill",)  # broker or hub down: the outbox must deliver late, not lose


@dataclass(frozen=True)
class Window:
    """The scored span: truth before ``start`` (warm-up) can absorb reports but is never a miss."""

    start: datetime
    end: datetime

    def scores(self, ts: datetime) -> bool:
        """Is truth at ts scored (a miss when nothing matches it)?"""
        return self.start <= ts <= self.end


@dataclass
class Detection:
    """One sensor's line crossings against the crossings it had in view."""

    sensor: str
    kind: str
    status: str  # "scored", or "pending: <kind> not built" (truth kept, nothing scored)
    expected: int = 0
    found: int = 0
    reported: int = 0
    false: int = 0
    recall: float | None = None
    precision: float | None = None
    mota: float | None = None
    idf1: float | None = None
    id_switches: int | None = None
    gospa: GospaScore | None = None  # radars: GOSPA (c = 10 m, p = 2) and its parts, means per instant


@dataclass
class RunScore:
    """Everything measured on one run (JSON-ready through asdict)."""

    scenario: str
    simulated_s: float
    speed: float
    tolerances: dict
    process_faults: int = 0  # broker, hub or agent taken down: alerts then arrive late by design
    sensors: list[Detection] = field(default_factory=list)
    situations: int = 0
    situations_alerted: int = 0
    situations_pending: int = 0
    situations_unseen: int = 0
    situations_warmup: int = 0  # seen, but crossed during the warm-up: neither a hit nor a miss
    crossing_alerts: int = 0
    crossing_alerts_matched: int = 0
    crossing_alert_recall: float | None = None
    crossing_alert_precision: float | None = None
    fault_alerts_expected: int = 0
    fault_alerts_matched: int = 0
    alerts_total: int = 0  # alerts that fired (paged an operator)
    alerts_pending: int = 0  # still pending at the end (a debounce not yet run out): paged nobody, not counted
    false_alerts: int = 0
    false_alerts_per_hour: float | None = None
    alert_precision: float | None = None
    localisation_m: list[float] = field(default_factory=list)
    latency_s: list[float] = field(default_factory=list)
    latency_source: str = "arrival"
    alerts_not_received: int = 0  # matched alerts the arrival subscriber never saw (no latency for them)
    distress_situations: int = 0  # people entering water in view of a working, scoreable sensor
    distress_alerted: int = 0
    distress_alerts: int = 0  # humanitarian alerts that fired
    distress_alert_recall: float | None = None
    distress_latency_s: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        """The headline figures (percentiles rather than the raw error lists)."""
        d = asdict(self)
        loc, lat = d.pop("localisation_m"), d.pop("latency_s")
        d["localisation_p50_m"], d["localisation_p95_m"] = percentiles(loc)
        d["latency_p50_s"], d["latency_p95_s"] = percentiles(lat)
        d["distress_latency_p50_s"], d["distress_latency_p95_s"] = percentiles(d.pop("distress_latency_s"))
        return d


def blind(truth: Truth, sensor: str, ts: datetime, recovery_s: float) -> bool:
    """Was ``sensor`` under an injected fault (or recovering from it) at ``ts``?"""
    for f in truth.faults:
        hit = f.target == sensor or (f.kind in BLINDING_PROCESS_FAULTS and truth.sensors.get(sensor) == "camera")
        if hit and f.ts <= ts <= f.end + timedelta(seconds=recovery_s):
            return True
    return False


def effective_seen(truth: Truth, c: Crossing, recovery_s: float) -> tuple[str, ...]:
    """The sensors that covered a crossing and were working then."""
    return tuple(s for s in c.seen_by if not blind(truth, s, c.ts, recovery_s))


def _offsets(report_ts: Sequence[datetime], truth_ts: Sequence[datetime]) -> np.ndarray:
    r = np.array([t.timestamp() for t in report_ts], np.float64)
    t = np.array([t.timestamp() for t in truth_ts], np.float64)
    return r[None, :] - t[:, None]


def _direction(x: Event | Alert) -> str | None:
    return x.direction if isinstance(x, Alert) else (x.rule.direction if x.rule else None)


def _same(truth: Sequence[Crossing], reports: Sequence[Event] | Sequence[Alert]) -> np.ndarray:
    """Class must agree; direction must agree whenever the truth has one (a report without one fails)."""
    return np.array(
        [
            [r.object_class.value == c.object_class and (c.direction is None or _direction(r) == c.direction)
             for r in reports]
            for c in truth
        ],
        dtype=bool,
    ).reshape(len(truth), len(reports))  # fmt: skip


def detection(
    truth: Truth, sensor: str, events: Sequence[Event], window: Window, tol: Tolerances, recovery_s: float
) -> tuple[Detection, list[float]]:
    """One sensor's line crossings vs the crossings it covered while working; returns the position errors too."""
    kind = truth.sensors.get(sensor, "camera")
    if kind not in SCOREABLE_KINDS:
        n = sum(sensor in c.seen_by and window.scores(c.ts) for c in truth.crossings)
        return Detection(sensor, kind, f"pending: no {kind} simulator yet", expected=n), []
    seen = [c for c in truth.crossings if sensor in effective_seen(truth, c, recovery_s)]
    reps = [e for e in events if e.sensor.id == sensor and e.kind == EventKind.LINE_CROSSING]
    m = assign(_same(seen, reps), _offsets([e.ts for e in reps], [c.ts for c in seen]), _dist(seen, reps), tol)
    scored = np.array([window.scores(c.ts) for c in seen], bool)
    expected, found = int(scored.sum()), int(scored[m.truth].sum()) if len(m) else 0
    det = Detection(sensor, kind, "scored", expected, found, len(reps), len(reps) - len(m))
    det.recall, det.precision = ratio(found, expected), ratio(len(m), len(reps))
    return det, [float(x) for x in m.error_m if np.isfinite(x)]


def _dist(seen: Sequence[Crossing], reps: Sequence[Event] | Sequence[Alert]) -> np.ndarray:
    r_lat, r_lon = positions(reps)
    return distances_m(np.array([c.lat for c in seen]), np.array([c.lon for c in seen]), r_lat, r_lon)


def situations(crossings: Sequence[Crossing], tol: Tolerances) -> list[list[Crossing]]:
    """The truth's situations: crossings of one class and direction that are one party crossing.

    Members of one scenario group within SITUATION_SPAN_S belong together, and so do crossings within the
    scoring gates of each other (tol: position and time), whoever the scenario says walks there: two
    people crossing 4 m and 2 s apart are one party to every sensor and operator, and one alert at either
    point is inside the gates of both, so demanding two alerts would make the pairing arbitrary.
    Single linkage: a file of people each close to the one before is one party."""
    cs = sorted(crossings, key=lambda c: c.ts)
    parent = list(range(len(cs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if cs:
        t = np.array([c.ts.timestamp() for c in cs])
        dist = distances_m(np.array([c.lat for c in cs]), np.array([c.lon for c in cs]),
                           np.array([c.lat for c in cs]), np.array([c.lon for c in cs]))  # fmt: skip
        for i, j in zip(*np.nonzero(np.triu(np.ones((len(cs), len(cs)), bool), 1)), strict=True):
            a, b = cs[i], cs[j]
            if (a.object_class, a.direction) != (b.object_class, b.direction):
                continue
            dt = abs(t[j] - t[i])
            group = (a.group or a.actor) == (b.group or b.actor) and dt <= SITUATION_SPAN_S
            if group or (dt <= tol.time_s and dist[i, j] <= tol.position_m):
                parent[root(j)] = root(i)
    out: dict[int, list[Crossing]] = {}
    for i, c in enumerate(cs):
        out.setdefault(root(i), []).append(c)
    return sorted(out.values(), key=lambda s: s[0].ts)


def _window(truth: Truth, warmup_s: float, until: datetime | None) -> Window:
    if truth.started is None:
        raise ValueError("the truth file has no run start: it was not written by a running site")
    end = truth.started + timedelta(seconds=truth.duration_s / truth.speed)
    return Window(truth.started + timedelta(seconds=warmup_s / truth.speed), min(end, until) if until else end)


def _instants(window: Window, speed: float) -> list[float]:
    """The truth's 1 s sampling grid (scenario seconds) inside the window, as epoch seconds."""
    step = POSITION_STEP_S / speed
    span = (window.end - window.start).total_seconds()
    return [window.start.timestamp() + k * step for k in range(int(span / step) + 1)]


def score_run(
    truth: Truth,
    hub: HubRecords,
    tol: Tolerances,
    warmup_s: float,
    recovery_s: float,
    until: datetime | None = None,
) -> RunScore:
    """Score one run of one scenario (see the module docstring for the units and rules).

    ``until`` ends the scored window early (a demo stopped before its scenario ended): truth after it is
    neither a miss nor scored; every stored alert still counts.
    """
    window = _window(truth, warmup_s, until)
    gates = {"position_m": tol.position_m, "time_s": tol.time_s}
    simulated = (window.end - window.start).total_seconds() * truth.speed
    run = RunScore(truth.scenario, simulated, truth.speed, gates)
    run.process_faults = sum(f.kind in PROCESS_FAULTS for f in truth.faults)
    sensors = sorted(set(truth.sensors) | {e.sensor.id for e in hub.events})
    instants = _instants(window, truth.speed)
    for sensor in sensors:
        det, errors = detection(truth, sensor, hub.events, window, tol, recovery_s)
        run.localisation_m += errors
        if det.status == "scored":
            covered = [
                p for p in truth.positions
                if sensor in p.seen_by and window.scores(p.ts) and not blind(truth, sensor, p.ts, recovery_s)
            ]  # fmt: skip
            own = [e for e in hub.events if e.sensor.id == sensor]
            tq = track_quality(covered, own, instants, tol.position_m)
            det.mota, det.idf1, det.id_switches = tq.mota, tq.idf1, tq.switches
            det.gospa = gospa_over_run(covered, own, instants) if det.kind == "radar" else None
        run.sensors.append(det)
    _score_alerts(run, truth, hub, window, tol, recovery_s)
    return run


def _score_alerts(
    run: RunScore, truth: Truth, hub: HubRecords, window: Window, tol: Tolerances, recovery_s: float
) -> None:
    fired = [a for a in hub.alerts if a.state != AlertState.PENDING]  # a pending alert paged nobody yet
    run.alerts_pending = len(hub.alerts) - len(fired)
    kinds = [hub.alert_kind(a) for a in fired]
    crossing = [r for a, k in zip(fired, kinds, strict=True) if (r := hub.crossing_report(a, k)) is not None]
    sits = situations([c for c in truth.crossings if c.object_class in ALERTED_CLASSES], tol)
    seen, pending = [], 0
    for s in sits:
        eff = {x for c in s for x in effective_seen(truth, c, recovery_s)}
        if any(truth.sensors.get(x) in SCOREABLE_KINDS for x in eff):
            seen.append(s)
        elif eff:
            pending += 1
    m = match_situations(seen, crossing, tol)
    scored = np.array([window.scores(s[0].ts) for s in seen], bool)
    run.situations = int(scored.sum())
    run.situations_pending, run.situations_unseen = pending, len(sits) - len(seen) - pending
    run.situations_warmup = len(seen) - run.situations
    run.crossing_alerts, run.crossing_alerts_matched = len(crossing), len(m)
    run.situations_alerted = int(scored[m.truth].sum()) if len(m) else 0
    run.crossing_alert_recall = ratio(run.situations_alerted, run.situations)
    run.crossing_alert_precision = ratio(len(m), len(crossing))
    run.latency_source = "arrival" if hub.arrivals is not None else "alert timestamp"
    for ai, offset in zip(m.report.tolist(), m.offset_s.tolist(), strict=True):
        a = crossing[ai]
        when = a.ts if hub.arrivals is None else hub.crossing_arrival(a)
        if when is None:
            run.alerts_not_received += 1
        else:  # from the true crossing of the member the alert matched (alert time - offset)
            run.latency_s.append((when - a.ts).total_seconds() + offset)
    faults_claimed = match_faults(truth.faults, fired, kinds)
    run.fault_alerts_expected = sum(bool(expected_alert_kinds(f)) for f in truth.faults)
    run.fault_alerts_matched = len(faults_claimed)
    rescue = _score_distress(run, truth, hub, [a for a in fired if a.severity == Severity.HUMANITARIAN], window, tol,
                             recovery_s)  # fmt: skip
    answered = {crossing[i].id for i in m.report.tolist()} | {fired[i].id for i in faults_claimed} | rescue
    run.alerts_total = len(fired)
    run.false_alerts = run.alerts_total - len(answered)
    run.false_alerts_per_hour = run.false_alerts / (run.simulated_s / 3600.0) if run.simulated_s > 0 else None
    run.alert_precision = ratio(len(m) + len(faults_claimed), run.alerts_total)


def _score_distress(
    run: RunScore,
    truth: Truth,
    hub: HubRecords,
    rescue: Sequence[Alert],
    window: Window,
    tol: Tolerances,
    recovery_s: float,
) -> set[str]:
    """Humanitarian alerts against the people entering water in view of a working, scoreable sensor; the ids of
    the alerts that answered a case.
    """
    cases = [
        d for d in truth.distress
        if any(truth.sensors.get(s) in SCOREABLE_KINDS and not blind(truth, s, d.ts, recovery_s) for s in d.seen_by)
    ]  # fmt: skip
    run.distress_alerts = len(rescue)
    m = assign(
        np.tile(np.array([a.object_class.value == "person" for a in rescue], bool), (len(cases), 1)),
        _offsets([a.ts for a in rescue], [d.ts for d in cases]),
        _case_dist(cases, rescue),
        tol,
    )
    scored = np.array([window.scores(d.ts) for d in cases], bool)
    run.distress_situations = int(scored.sum())
    run.distress_alerted = int(scored[m.truth].sum()) if len(m) else 0
    run.distress_alert_recall = ratio(run.distress_alerted, run.distress_situations)
    for ci, ai in zip(m.truth.tolist(), m.report.tolist(), strict=True):
        a = rescue[ai]
        when = a.ts if hub.arrivals is None else hub.arrivals.get(a.id)
        if when is not None:
            run.distress_latency_s.append((when - cases[ci].ts).total_seconds())
    return {rescue[i].id for i in m.report.tolist()}


def _case_dist(cases: Sequence[DistressCase], reps: Sequence[Alert]) -> np.ndarray:
    r_lat, r_lon = positions(reps)
    return distances_m(np.array([d.lat for d in cases]), np.array([d.lon for d in cases]), r_lat, r_lon)
