"""The engine's zone membership per track (hysteresis), shared by the instances of a fleet.

Why: hysteresis needs to know whether a track was inside before; with several hub instances the
events of one track land on either of them, so an instance that did not see the track enter would
call an event inside the edge band "outside" while the other calls it "inside": the track flaps
between instances, and a failover forgets every track. With a :class:`FleetState`, membership is
read before deciding for tracks with an event inside the band (only there does the past matter:
deep inside or far outside is decided by position alone) and written when it changes, and
refreshed while a track stays inside, so every instance applies the same hysteresis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from borderwatch.contract import Event
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.fleet_state import FleetState
from borderwatch.hub.alerts.rules import MEMBERSHIP_TTL_S, Match, TrackKey, ZoneState, evaluate, track_key, zone_edges

REFRESH_S = MEMBERSHIP_TTL_S / 4
"""A shared membership is written again after this long while the track stays inside, so the
fleet's prune (after ``MEMBERSHIP_TTL_S`` without a write) only forgets tracks gone silent."""


def band_tracks(cfg: AlertsConfig, events: Sequence[Event]) -> set[TrackKey]:
    """Tracks with an event within the hysteresis margin of a zone's edge: the only ones whose
    membership depends on the past."""
    if not cfg.zones:
        return set()
    edges = zone_edges(cfg.zones, events)
    near = (np.abs(edges) <= cfg.lifecycle.hysteresis_m).any(axis=1)
    return {track_key(events[i]) for i in np.flatnonzero(near) if events[i].track_id is not None}


class ZoneWatch:
    """Zone state of every track; not thread-safe (the engine's lock guards it)."""

    def __init__(self) -> None:
        self.state = ZoneState.empty()
        self._written: dict[tuple[TrackKey, str], float] = {}  # memberships this instance wrote, when

    def evaluate(self, cfg: AlertsConfig, events: Sequence[Event], fleet: FleetState | None, t: float) -> list[Match]:
        """The rule matches of ``events``; with ``fleet``, membership is the fleet's."""
        if fleet is not None and cfg.zones:
            self._adopt(fleet, band_tracks(cfg, events))
        before = self.state.inside
        matches, self.state = evaluate(cfg.rules, events, cfg.zones, self.state, cfg.lifecycle.hysteresis_m)
        if fleet is not None and cfg.zones:
            self._publish(fleet, events, before, t)
        return matches

    def _adopt(self, fleet: FleetState, tracks: set[TrackKey]) -> None:
        if not tracks:
            return
        stored = fleet.members(tracks)
        inside = {k: v for k, v in self.state.inside.items() if k[0] not in tracks}
        inside.update(dict.fromkeys(stored, True))
        self.state = ZoneState(inside, self.state.seen, self.state.pruned_at)

    def _publish(self, fleet: FleetState, events: Sequence[Event], before: dict, t: float) -> None:
        tracks = {track_key(ev) for ev in events if ev.track_id is not None}
        after = self.state.inside
        entered = [
            k for k in after if k[0] in tracks and (k not in before or t - self._written.get(k, -1e18) > REFRESH_S)
        ]
        left = [k for k in before if k[0] in tracks and k not in after]
        fleet.set_members(entered, left, t)
        for k in entered:
            self._written[k] = t
        for k in left:
            self._written.pop(k, None)
        if len(self._written) > 4 * max(1, len(after)):  # forget what the pure state pruned
            self._written = {k: v for k, v in self._written.items() if k in after}
