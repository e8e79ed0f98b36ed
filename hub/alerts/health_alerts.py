"""Alerts about the fleet itself (agent offline, sensor degraded), and rebuilding open alerts'
situations from the store after a restart. Pure: ids and times come in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from borderwatch.contract import Alert, ObjectClass, Severity
from borderwatch.hub.alerts.fusion import FusionKey, Situation

_WHY = {
    "last_will": "its connection dropped (last will)",
    "silent": "it has sent nothing past the silence deadline",
    "degraded": "it reports degraded",
    "offline": "it reports offline",
    "quality_D": "its link quality is D (unusable)",
    "disk_full": "its disk is full: events are being lost (telemetry events_lost_disk_full)",
    "events_lost": "it lost events to a full disk (telemetry events_lost_disk_full grew)",
}
HEALTH_RULES = ("agent-offline", "sensor-degraded", "events-lost")


@dataclass(frozen=True, slots=True)
class HealthFact:
    """A fault that holds now: an agent offline (why: last_will/silent) or a sensor degraded."""

    rule: str  # agent-offline | sensor-degraded | events-lost
    site: str
    agent: str
    sensor: str | None
    why: str


def health_situation(f: HealthFact, fingerprint: str, alert_id: str, now: datetime, severity: Severity) -> Situation:
    """An alert about an agent or sensor; no evidence events, no position."""
    who = f"{f.agent}/{f.sensor}" if f.sensor else f.agent
    summary = f"{f.rule}: {who} at {f.site}: {_WHY.get(f.why, f.why)}"
    alert = Alert(id=alert_id, fingerprint=fingerprint[:128], ts=now, rule=f.rule, severity=severity, site=f.site,
                  agent=f.agent, sensor_id=f.sensor, object_class=ObjectClass.UNKNOWN, confidence=1.0,
                  summary=summary[:512], sensors=[who])  # fmt: skip
    key: FusionKey = (f.rule, f.site, who, "-")
    return Situation(f.rule, key, alert, {}, frozenset(), (now.timestamp(), ""))


def restore_situation(a: Alert) -> tuple[Situation, str | None]:
    """A stored open alert's situation, and its health fingerprint if it is a health alert."""
    parts = a.fingerprint.split(":")
    health = a.fingerprint if a.rule in HEALTH_RULES else None
    key: FusionKey = tuple((parts + ["-"] * 4)[:4])  # type: ignore[assignment]
    best: dict[str, float] = {}
    for e in a.evidence:
        s = f"{e.agent}/{e.sensor_id}"
        best[s] = max(best.get(s, 0.0), e.confidence)
    tracks = frozenset((a.site, e.agent, e.sensor_id, e.track_id) for e in a.evidence)
    last = max(((e.ts.timestamp(), e.event_id) for e in a.evidence), default=(a.ts.timestamp(), ""))
    crossed = (float("-inf"), "") if a.direction else None  # the direction it shows stays (first crossing)
    return Situation(a.rule, key, a, best if health is None else {}, tracks, last, crossed), health
