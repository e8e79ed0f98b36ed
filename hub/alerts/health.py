"""Health facts: which agents are offline and which sensors degraded, from what the hub heard.

Pure: the shell records when each agent last spoke and whether it left a last will; these
functions say which faults hold at ``now``. The lifecycle's pending state (``for_s`` = the
debounce) turns a fault into an alert only once it has lasted: a short blip pages nobody, a
silent agent always does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from borderwatch.contract import Degraded, SensorState, Telemetry

AgentKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class AgentSeen:
    """Hub-clock epoch seconds of the last message and of a last will (None: online)."""

    last_seen: float
    will_at: float | None = None


def seen(prev: AgentSeen | None, now: float, offline: bool = False) -> AgentSeen:
    """The record after one more message: its last will (``offline``), or anything else, which
    says the agent is back (the broker sends the will only after the agent's last message)."""
    if offline:
        return AgentSeen(prev.last_seen if prev else now, now)
    return AgentSeen(now, None)


def agent_faults(agents: Mapping[AgentKey, AgentSeen], now: float, silence_s: float) -> dict[AgentKey, str]:
    """Agents offline at ``now``: ``last_will`` (the broker said so) or ``silent`` (nothing for silence_s)."""
    out: dict[AgentKey, str] = {}
    for key, a in agents.items():
        if a.will_at is not None:
            out[key] = "last_will"
        elif now - a.last_seen >= silence_s:
            out[key] = "silent"
    return out


def loss_fault(t: Telemetry, lost_before: int) -> str | None:
    """Whether an agent is losing events: ``disk_full`` while its telemetry says so, ``events_lost``
    when its count grew since ``lost_before`` (a short episode between two reports), else None."""
    if Degraded.DISK_FULL in t.degraded:
        return "disk_full"
    return "events_lost" if t.events_lost_disk_full > lost_before else None


def sensor_faults(t: Telemetry) -> dict[str, str]:
    """Sensors of one telemetry message that are degraded, offline or graded D (unusable)."""
    out: dict[str, str] = {}
    for s in t.sensors:
        if s.state in (SensorState.DEGRADED, SensorState.OFFLINE):
            out[s.id] = s.state.value
        elif s.quality == "D":
            out[s.id] = "quality_D"
    return out
