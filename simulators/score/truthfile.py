"""Reading a ground-truth file (simulators/truth.py writes it) into arrays the scorer works on.

Why its own file: the scorer must not re-run the world to know what happened; the truth file is the
record of the run (its start, sensors, crossings, sampled positions, people entering water, injected faults).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SCOREABLE_KINDS = frozenset({"camera", "radar", "thermal"})  # sensor kinds with a simulator and an edge pipeline today


def parse_ts(text: str) -> datetime:
    """An ISO-8601 UTC stamp: the truth file's ("...Z") or the eval's alert subscriber's ("...+00:00")."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class Crossing:
    """One actor crossing the border line."""

    ts: datetime
    object_class: str
    direction: str | None
    lat: float
    lon: float
    seen_by: tuple[str, ...]
    actor: str = ""
    group: str = ""


@dataclass(frozen=True, slots=True)
class Position:
    """One actor's place at one sampled instant and the sensors covering it."""

    ts: datetime
    actor: str
    object_class: str
    lat: float
    lon: float
    seen_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DistressCase:
    """A person coming into distress (entering water): a situation for a humanitarian alert."""

    ts: datetime
    actor: str
    reason: str
    lat: float
    lon: float
    seen_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault the scenario injected: kill, black, ... (camera) or broker_restart, agent_kill, hub_down, partition,
    clock_skew (process and link faults the eval runner plays)."""

    ts: datetime
    kind: str
    target: str
    duration_s: float  # scenario seconds, as the scenario and the truth file state it
    offset_s: float = 0.0  # clock_skew: the agent's clock minus the true time
    speed: float = 1.0  # the run's scenario seconds per wall second

    @property
    def end(self) -> datetime:
        """When the fault was lifted: the site and the eval runner lift it after duration_s / speed wall seconds."""
        return self.ts + timedelta(seconds=self.duration_s / self.speed)


@dataclass
class Truth:
    """A whole truth file; ``sensors`` maps sensor id -> kind (camera, thermal, radar)."""

    scenario: str = ""
    started: datetime | None = None
    duration_s: float = 0.0
    speed: float = 1.0
    sensors: dict[str, str] = field(default_factory=dict)
    crossings: list[Crossing] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    distress: list[DistressCase] = field(default_factory=list)

    @property
    def pending_sensors(self) -> list[str]:
        """Sensors of kinds not built yet: their truth is kept, not scored."""
        return sorted(s for s, k in self.sensors.items() if k not in SCOREABLE_KINDS)


def read_truth(path: Path) -> Truth:
    """Parse a truth file; records without a UTC ``ts`` (offline renders) are skipped."""
    truth = Truth()
    faults: list[tuple[datetime, dict[str, Any]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        kind = rec.get("kind")
        if kind == "run":
            truth.scenario, truth.duration_s, truth.speed = rec["scenario"], rec["duration_s"], rec.get("speed", 1.0)
            truth.started = parse_ts(rec["started"]) if rec.get("started") else None
            truth.sensors = dict(rec.get("sensors", {}))
            continue
        if "ts" not in rec:
            continue
        ts, seen = parse_ts(rec["ts"]), tuple(rec.get("seen_by", ()))
        if kind == "crossing":
            actor = rec.get("actor", "")
            c = Crossing(
                ts, rec["class"], rec["direction"], rec["lat"], rec["lon"], seen, actor, rec.get("group", actor)
            )
            truth.crossings.append(c)
        elif kind == "position":
            truth.positions.append(Position(ts, rec["actor"], rec["class"], rec["lat"], rec["lon"], seen))
        elif kind == "distress":
            truth.distress.append(DistressCase(ts, rec["actor"], rec["reason"], rec["lat"], rec["lon"], seen))
        elif kind == "fault":
            faults.append((ts, rec))
    truth.faults = [  # after the loop: the run record gives the speed
        Fault(ts, r["fault"], r.get("target", ""), float(r["duration_s"]), float(r.get("offset_s", 0.0)), truth.speed)
        for ts, r in faults
    ]
    if not truth.sensors:  # an older file: crossings only, every sensor a camera
        truth.sensors = {s: "camera" for c in truth.crossings for s in c.seen_by}
    return truth
