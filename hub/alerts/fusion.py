"""Multi-sensor fusion: matches close in space and time become one situation (one alert).

Pure: ids and times come in as arguments. Distances are one numpy broadcast (every new match
against every open alert, every new match against each other); clusters are connected
components of the gate graph, so the result does not depend on the order events arrive in.

Confidence: each contributing sensor (``agent/sensor``) counts once with its best confidence
``c_i``; sensors are taken as independent, so the fused confidence is ``1 - prod(1 - c_i)``: two
sensors at 0.6 give 0.84, a third at 0.5 gives 0.92. A radar-only situation is a cue, capped at
``warning``; once a camera or thermal imager joins it takes its rule's severity and the imager's
object class.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from borderwatch.contract import Alert, AlertEvidence, Event, SensorKind, Severity
from borderwatch.contract.alerts import SEVERITY_RANK
from borderwatch.hub.alerts.geo import pairwise_m
from borderwatch.hub.alerts.rules import Match, TrackKey, track_key

MAX_EVIDENCE = 64
MAX_EVENT_IDS = 256
CUE_SEVERITY = Severity.WARNING

FusionKey = tuple[str, str, str, str]
"""(rule, site, direction, zone): only matches of one key fuse; direction is "-" for a rule not on
crossings alone."""


def fusion_key(m: Match) -> FusionKey:
    """The key matches must share to fuse: same rule, site, zone and, for a rule on line crossings only,
    direction (inbound and outbound at one place are two crossings). A rule on other kinds as well follows
    its person across the line: a person in distress who wades across stays one humanitarian alert."""
    hit = m.event.rule
    direction = hit.direction if hit is not None and m.rule.per_direction else None
    return (m.rule.name, m.event.site, direction or "-", m.zone or "-")


def fused_confidence(best: dict[str, float]) -> float:
    """1 - prod(1 - c_i) over the sensors' best confidences (0 for no sensor)."""
    return float(1.0 - np.prod([1.0 - c for c in best.values()])) if best else 0.0


@dataclass(frozen=True, slots=True)
class Situation:
    """What the hub knows of one alert's evidence; the lifecycle state lives beside it."""

    rule_name: str
    key: FusionKey
    alert: Alert
    best: dict[str, float]  # agent/sensor -> best confidence
    tracks: frozenset[TrackKey]
    last: tuple[float, str]  # (epoch, event id) of the newest evidence
    crossed: tuple[float, str] | None = None  # (epoch, event id) of the crossing whose direction the alert shows

    def group_size(self) -> int:
        """Distinct tracks of the sensor that sees the most: one person seen by two sensors is one."""
        per: dict[tuple[str, str], int] = {}
        for site_agent_sensor in self.tracks:
            if site_agent_sensor[3] is not None:
                per[site_agent_sensor[1:3]] = per.get(site_agent_sensor[1:3], 0) + 1
        return max(per.values(), default=1)


def evidence_of(ev: Event) -> AlertEvidence:
    """The parts of an event an operator looks at: snapshot, temperature, radar speed."""
    temp = ev.attributes.get("temperature_c")
    imaged = ev.sensor.kind is not SensorKind.RADAR
    return AlertEvidence(
        event_id=ev.id,
        ts=ev.ts,
        agent=ev.agent,
        sensor_id=ev.sensor.id,
        sensor_kind=ev.sensor.kind,
        object_class=ev.object_class,
        confidence=ev.confidence,
        track_id=ev.track_id,
        position=ev.position,
        snapshot=f"/api/v1/evidence/{ev.id}" if imaged else None,
        temperature_c=float(temp) if isinstance(temp, int | float) and not isinstance(temp, bool) else None,
        speed_mps=ev.polar.speed_mps if ev.polar is not None else None,
    )


def _summary(a: Alert) -> str:
    what = a.object_class.value
    how = f" {a.direction}" if a.direction else ""
    where = f" at {a.position.lat:.5f},{a.position.lon:.5f}" if a.position else ""
    zone = f" in zone {a.zone}" if a.zone else ""
    return f"{a.rule}: {what}{how}{zone} seen by {', '.join(a.sensors)}{where}"[:512]


def _order(e: AlertEvidence) -> tuple[datetime, str]:
    return (e.ts, e.event_id)


def new_situation(m: Match, alert_id: str) -> Situation:
    """A situation holding one match; ``alert_id`` from the caller (the core draws no randomness)."""
    ev = m.event
    key = fusion_key(m)
    alert = Alert(id=alert_id, fingerprint=":".join(key)[:128], ts=ev.ts, rule=m.rule.name, severity=m.rule.severity,
                  site=ev.site, agent=ev.agent, sensor_id=ev.sensor.id, sensor_kind=ev.sensor.kind,
                  object_class=ev.object_class, confidence=0.0, summary="-", zone=m.zone)  # fmt: skip
    empty = Situation(m.rule.name, key, alert, {}, frozenset(), (float("-inf"), ""))
    return absorb(empty, m)


def absorb(s: Situation, m: Match) -> Situation:
    """The situation with one more match (order of absorbing does not change the outcome)."""
    ev = m.event
    sensor = f"{ev.agent}/{ev.sensor.id}"
    best = {**s.best, sensor: max(s.best.get(sensor, 0.0), ev.confidence)}
    evidence = list(s.alert.evidence)
    insort(evidence, evidence_of(ev), key=_order)  # kept sorted: arrival order does not matter
    evidence = evidence[-MAX_EVIDENCE:]
    stamp = (ev.ts.timestamp(), ev.id)
    newest = stamp >= s.last
    kinds = sorted({*s.alert.sensor_kinds, ev.sensor.kind})
    imaged = [e for e in evidence if e.sensor_kind is not SensorKind.RADAR]
    update: dict[str, object] = {
        "ts": min(s.alert.ts, ev.ts) if s.alert.evidence else ev.ts,
        "confidence": round(fused_confidence(best), 6),
        "sensors": sorted(best)[:64],
        "sensor_kinds": kinds,
        "evidence": evidence,
        "event_ids": [*s.alert.event_ids, ev.id][-MAX_EVENT_IDS:],
        "severity": _severity(m.rule.severity, kinds),
    }
    if newest:
        update.update(agent=ev.agent, sensor_id=ev.sensor.id, sensor_kind=ev.sensor.kind, track_id=ev.track_id)
        if ev.position is not None:
            update["position"] = ev.position
    crossed = s.crossed
    direction = ev.rule.direction if ev.rule is not None else None
    if direction is not None and (crossed is None or stamp < crossed):  # the earliest crossing names the way
        update["direction"], crossed = direction, stamp
    top = max(imaged or evidence, key=lambda e: (e.confidence, e.event_id))
    update["object_class"] = top.object_class
    alert = s.alert.model_copy(update={k: v for k, v in update.items() if v is not None})
    alert = alert.model_copy(update={"summary": _summary(alert)})
    tracks = s.tracks | {track_key(ev)}
    return replace(s, alert=alert, best=best, tracks=tracks, last=max(s.last, stamp), crossed=crossed)


def _severity(rule_severity: Severity, kinds: list[SensorKind]) -> Severity:
    if kinds == [SensorKind.RADAR] and SEVERITY_RANK[rule_severity] > SEVERITY_RANK[CUE_SEVERITY]:
        return CUE_SEVERITY
    return rule_severity


def _columns(ms: list[Match]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lat = np.array([m.event.position.lat if m.event.position else np.nan for m in ms], dtype=float)
    lon = np.array([m.event.position.lon if m.event.position else np.nan for m in ms], dtype=float)
    ts = np.array([m.event.ts.timestamp() for m in ms], dtype=float)
    return lat, lon, ts


def clusters(ms: list[Match]) -> list[list[int]]:
    """Connected components of the gate graph among ``ms`` (indices), in order of first member."""
    n = len(ms)
    if n == 0:
        return []
    lat, lon, ts = _columns(ms)
    dist = np.nan_to_num(pairwise_m(lat, lon, lat, lon), nan=np.inf)
    gate = np.minimum.outer(*(np.array([m.rule.group_radius_m for m in ms]),) * 2)
    window = np.minimum.outer(*(np.array([m.rule.group_window_s for m in ms]),) * 2)
    key = _codes([fusion_key(m) for m in ms])  # equal values, equal codes: pairs compare as ints
    tk = _codes([track_key(m.event) if m.event.track_id is not None else None for m in ms])
    sensor_of = _codes([(m.event.agent, m.event.sensor.id) for m in ms])
    same = key[:, None] == key[None, :]
    track = (tk[:, None] == tk[None, :]) & (tk >= 0)[:, None]
    unplaced = np.isnan(lat)
    sensor = sensor_of[:, None] == sensor_of[None, :]
    quiet = unplaced[:, None] & unplaced[None, :] & sensor & (gate == 0)
    adj = same & (np.abs(ts[:, None] - ts[None, :]) <= window) & ((dist <= gate) | track | quiet)
    label = np.arange(n)
    while True:  # min-label propagation: converges in at most n rounds, usually 2-3
        nxt = np.where(adj, label[None, :], n).min(axis=1)
        nxt = np.minimum(nxt, label)
        if np.array_equal(nxt, label):
            break
        label = nxt
    return [list(np.flatnonzero(label == lab)) for lab in dict.fromkeys(label.tolist())]


def _codes(values: list) -> np.ndarray:
    """One int per distinct value, in order of first sight; None is -1."""
    seen: dict[object, int] = {}
    return np.array([-1 if v is None else seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)


def fuse(ms: list[Match], ids: list[str]) -> list[Situation]:
    """Batch fusion of matches into situations (one per cluster, ``ids`` consumed in order)."""
    out: list[Situation] = []
    for members, alert_id in zip(clusters(ms), ids, strict=False):
        s = new_situation(ms[members[0]], alert_id)
        for i in members[1:]:
            s = absorb(s, ms[i])
        out.append(s)
    return out
