"""Open alerts as columns for fusion, kept up to date on each change instead of rebuilt per round.

Why: every ingest round asks which open alert each new match joins (:func:`nearest`). Building
the position, time and key columns from every open situation each round cost O(open alerts)
Python work per round even when nothing changed; an engine holding many open alerts (a flood is
capped at ``max_open_per_agent`` per agent, but a big fleet has many agents) paid it on every
decision. The index changes one row per alert that opened, took evidence or closed, and keeps
how many open alerts each agent holds for the flood cap (``hub/alerts/flood.py``) the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np

from borderwatch.hub.alerts.flood import AgentKey
from borderwatch.hub.alerts.fusion import FusionKey, Situation, fusion_key
from borderwatch.hub.alerts.geo import pairwise_m
from borderwatch.hub.alerts.rules import Match, TrackKey, track_key

_UNKNOWN_KEY = -2


class OpenIndex:
    """Open situations by alert id, with their columns: latitude, longitude, newest evidence time,
    fusion key (as an int code) and the tracks each holds; and the open alerts per agent."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.sits: list[Situation] = []
        self._row: dict[str, int] = {}
        self._lat, self._lon, self._ts = np.empty(16), np.empty(16), np.empty(16)
        self._key = np.empty(16, dtype=np.int64)
        self._codes: dict[FusionKey, int] = {}
        self._by_track: dict[TrackKey, set[str]] = {}
        self._per_agent: Counter[AgentKey] = Counter()

    @classmethod
    def of(cls, sits: list[Situation]) -> OpenIndex:
        """An index of ``sits`` (ids from their alerts)."""
        ix = cls()
        for s in sits:
            ix.put(s)
        return ix

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._row

    @property
    def per_agent(self) -> Mapping[AgentKey, int]:
        """Open alerts held by each (site, agent), kept on every put and drop (read only: not a copy)."""
        return self._per_agent

    def put(self, sit: Situation) -> None:
        """Add the situation of an alert, or replace the one it had."""
        aid = sit.alert.id
        i = self._row.get(aid)
        added: frozenset[TrackKey] = sit.tracks
        if i is None:
            i = len(self.ids)
            if i == len(self._lat):
                self._lat, self._lon, self._ts, self._key = (np.resize(a, 2 * i) for a in
                                                             (self._lat, self._lon, self._ts, self._key))  # fmt: skip
            self._row[aid] = i
            self.ids.append(aid)
            self.sits.append(sit)
            self._count(sit, +1)
        else:
            old = self.sits[i]
            if _agent(old) != _agent(sit):  # an adopted copy may name another sender
                self._count(old, -1)
                self._count(sit, +1)
            if old.tracks is not sit.tracks:  # absorb only adds tracks; an adopted copy may differ
                self._untrack(aid, old.tracks - sit.tracks)
                added = sit.tracks - old.tracks
            else:
                added = frozenset()
            self.sits[i] = sit
        pos = sit.alert.position
        self._lat[i], self._lon[i] = (pos.lat, pos.lon) if pos else (np.nan, np.nan)
        self._ts[i] = sit.last[0]
        self._key[i] = self._codes.setdefault(sit.key, len(self._codes))
        for tk in added:
            self._by_track.setdefault(tk, set()).add(aid)

    def drop(self, alert_id: str) -> None:
        """Forget an alert (closed); the last row moves into its place."""
        i = self._row.pop(alert_id, None)
        if i is None:
            return
        self._untrack(alert_id, self.sits[i].tracks)
        self._count(self.sits[i], -1)
        last = len(self.ids) - 1
        if i != last:
            moved = self.ids[last]
            self.ids[i], self.sits[i], self._row[moved] = moved, self.sits[last], i
            for a in (self._lat, self._lon, self._ts, self._key):
                a[i] = a[last]
        self.ids.pop()
        self.sits.pop()

    def _count(self, sit: Situation, delta: int) -> None:
        key = _agent(sit)
        self._per_agent[key] += delta
        if self._per_agent[key] <= 0:
            del self._per_agent[key]

    def _untrack(self, alert_id: str, tracks: frozenset[TrackKey]) -> None:
        for tk in tracks:
            holders = self._by_track.get(tk)
            if holders is not None:
                holders.discard(alert_id)
                if not holders:
                    del self._by_track[tk]

    def nearest(self, ms: list[Match]) -> np.ndarray:
        """For each match, the row of the nearest open situation it joins (-1: none): same fusion
        key and either the same track or within the rule's gate (metres), and within its window
        (seconds). Every per-pair test is one numpy broadcast over the kept columns."""
        n = len(self.ids)
        if not n or not ms:
            return np.full(len(ms), -1)
        lat = np.array([m.event.position.lat if m.event.position else np.nan for m in ms], dtype=float)
        lon = np.array([m.event.position.lon if m.event.position else np.nan for m in ms], dtype=float)
        ts = np.array([m.event.ts.timestamp() for m in ms], dtype=float)
        mkey = np.array([self._codes.get(fusion_key(m), _UNKNOWN_KEY) for m in ms], dtype=np.int64)
        dist = pairwise_m(lat, lon, self._lat[:n], self._lon[:n])  # (N, M); NaN where either has no position
        gate = np.array([m.rule.group_radius_m for m in ms])[:, None]
        window = np.array([m.rule.group_window_s for m in ms])[:, None]
        joins = np.nan_to_num(dist, nan=np.inf) <= gate  # close; the same track or unplaced sensor below
        for i, m in enumerate(ms):
            if m.event.track_id is not None:
                holders = self._by_track.get(track_key(m.event))
                if holders:
                    joins[i, [self._row[a] for a in holders]] = True
            if m.event.position is None and m.rule.group_radius_m == 0:  # tamper, sensor offline: rare
                sensor = f"{m.event.agent}/{m.event.sensor.id}"  # without a position it joins by its own sensor
                joins[i] |= np.array([sensor in s.best for s in self.sits])
        ok = (mkey[:, None] == self._key[None, :n]) & (np.abs(ts[:, None] - self._ts[None, :n]) <= window) & joins
        score = np.where(ok, np.nan_to_num(dist, nan=0.0), np.inf)
        return np.where(ok.any(axis=1), score.argmin(axis=1), -1)


def _agent(sit: Situation) -> AgentKey:
    return (sit.alert.site, sit.alert.agent)


def nearest_open(open_: list[Situation], ms: list[Match]) -> np.ndarray:
    """:meth:`OpenIndex.nearest` over a list of situations (indices into ``open_``)."""
    return OpenIndex.of(open_).nearest(ms)
