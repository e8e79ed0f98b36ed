"""What hub instances of one fleet must agree on beyond the alerts: agent health and zone membership.

Why: with a shared subscription each instance hears only part of every agent's messages. Health
kept per instance would let one instance think an agent silent (its messages went elsewhere) or
keep a sensor fault another instance has seen cleared, so a failover or a second instance
re-pages or flaps. Zone membership kept per instance would decide a track on a zone's edge
without the hysteresis another instance applied to the same track. Both live here, in the alert
store's database, and are merged so that the order in which instances write does not matter:

- health: the latest message time and the latest last will per agent (``GREATEST``: the will
  holds while no message came after it), and the sensor and loss faults of the latest telemetry;
- zones: one row per (track, zone) the track is inside, written when an instance sees it enter
  or leave (and refreshed while it stays), deleted when it leaves or ends.

The engine calls this under its cross-instance site lock (:meth:`SqlAlertStore.locked`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from borderwatch.hub.alerts.health import AgentKey
from borderwatch.hub.alerts.rules import TrackKey
from borderwatch.hub.sqldb import SqlDb

_SCHEMA = """
CREATE TABLE IF NOT EXISTS agent_health (
    site TEXT NOT NULL, agent TEXT NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL, will_at DOUBLE PRECISION,
    telemetry_at DOUBLE PRECISION, sensor_faults TEXT, loss_fault TEXT, lost_count BIGINT,
    PRIMARY KEY (site, agent));
CREATE TABLE IF NOT EXISTS zone_members (
    site TEXT NOT NULL, agent TEXT NOT NULL, sensor TEXT NOT NULL, track BIGINT NOT NULL, zone TEXT NOT NULL,
    written_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (site, agent, sensor, track, zone));
"""


def _later(col: str) -> str:
    """SQL keeping the larger of the stored and the new value, NULL meaning none (both databases)."""
    return (f"CASE WHEN excluded.{col} IS NULL THEN agent_health.{col} WHEN agent_health.{col} IS NULL "
            f"OR excluded.{col} > agent_health.{col} THEN excluded.{col} ELSE agent_health.{col} END")  # fmt: skip


def _newer_telemetry(col: str) -> str:
    return (f"CASE WHEN excluded.telemetry_at IS NOT NULL AND (agent_health.telemetry_at IS NULL OR "
            f"excluded.telemetry_at > agent_health.telemetry_at) THEN excluded.{col} "
            f"ELSE agent_health.{col} END")  # fmt: skip


_UPSERT_HEALTH = (
    "INSERT INTO agent_health(site, agent, last_seen, will_at, telemetry_at, sensor_faults, loss_fault, lost_count) "
    "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(site, agent) DO UPDATE SET "
    f"sensor_faults={_newer_telemetry('sensor_faults')}, loss_fault={_newer_telemetry('loss_fault')}, "
    f"lost_count={_newer_telemetry('lost_count')}, last_seen={_later('last_seen')}, will_at={_later('will_at')}, "
    f"telemetry_at={_later('telemetry_at')}"
)


@dataclass(frozen=True, slots=True)
class AgentHealth:
    """One agent's health as the fleet knows it (hub-clock epoch seconds).

    ``will_at`` counts only when later than ``last_seen`` (a message after the will means the agent
    is back); the faults are those of the telemetry at ``telemetry_at`` (None: none heard yet)."""

    last_seen: float
    will_at: float | None = None
    telemetry_at: float | None = None
    sensor_faults: Mapping[str, str] | None = None
    loss_fault: str | None = None
    lost_count: int | None = None

    @property
    def offline_will(self) -> float | None:
        """The last will in force, or None."""
        return self.will_at if self.will_at is not None and self.will_at > self.last_seen else None


class FleetState:
    """Agent health and zone membership shared by the instances writing one alert store."""

    def __init__(self, db: SqlDb) -> None:
        self._db = db
        db.create(_SCHEMA)

    # -- health ------------------------------------------------------------------------------
    def merge_health(self, rows: Mapping[AgentKey, AgentHealth]) -> None:
        """Merge this instance's news into the shared rows (later times and newer telemetry win)."""
        if not rows:
            return
        self._db.executemany(_UPSERT_HEALTH, [
            (site, agent, h.last_seen, h.will_at, h.telemetry_at,
             json.dumps(dict(h.sensor_faults)) if h.sensor_faults is not None else None, h.loss_fault, h.lost_count)
            for (site, agent), h in sorted(rows.items())])  # fmt: skip

    def health(self, sites: Iterable[str]) -> dict[AgentKey, AgentHealth]:
        """Every agent of ``sites`` the fleet has heard."""
        sites = sorted(set(sites))
        if not sites:
            return {}
        rows = self._db.fetchall(
            "SELECT site, agent, last_seen, will_at, telemetry_at, sensor_faults, loss_fault, lost_count "
            f"FROM agent_health WHERE site IN ({','.join('?' * len(sites))})",
            sites,
        )
        return {(r[0], r[1]): AgentHealth(float(r[2]), r[3], r[4], json.loads(r[5]) if r[5] is not None else None,
                                          r[6], int(r[7]) if r[7] is not None else None) for r in rows}  # fmt: skip

    def sites(self) -> set[str]:
        """Sites with an agent any instance heard (a new instance must watch them too)."""
        return {r[0] for r in self._db.fetchall("SELECT DISTINCT site FROM agent_health")}

    # -- zones -------------------------------------------------------------------------------
    def members(self, tracks: Iterable[TrackKey]) -> dict[tuple[TrackKey, str], float]:
        """The zones each of ``tracks`` is inside, with when that was last written."""
        keys = sorted({t for t in tracks if t[3] is not None}, key=str)
        if not keys:
            return {}
        where = " OR ".join(["(site=? AND agent=? AND sensor=? AND track=?)"] * len(keys))
        rows = self._db.fetchall(f"SELECT site, agent, sensor, track, zone, written_at FROM zone_members WHERE {where}",
                                 [v for k in keys for v in k])  # fmt: skip
        return {((r[0], r[1], r[2], int(r[3])), r[4]): float(r[5]) for r in rows}

    def set_members(self, inside: Sequence[tuple[TrackKey, str]], outside: Sequence[tuple[TrackKey, str]],
                    now: float) -> None:  # fmt: skip
        """Record tracks entering (or still inside) and leaving zones."""
        if inside:
            self._db.executemany(
                "INSERT INTO zone_members(site, agent, sensor, track, zone, written_at) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT(site, agent, sensor, track, zone) DO UPDATE SET written_at=excluded.written_at",
                [(*k, z, now) for k, z in inside],
            )
        if outside:
            self._db.executemany(
                "DELETE FROM zone_members WHERE site=? AND agent=? AND sensor=? AND track=? AND zone=?",
                [(*k, z) for k, z in outside],
            )

    def prune_members(self, before: float) -> None:
        """Forget memberships nobody refreshed since ``before`` (tracks that vanished without an end)."""
        self._db.execute("DELETE FROM zone_members WHERE written_at < ?", (before,))
