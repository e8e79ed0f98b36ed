"""Alerts against the truth: crossing alerts per situation, tamper and offline alerts per injected fault.

Why all alerts: an operator is disturbed by every one that fired, so the false-alert figure counts crossing
alerts that match no situation, tamper or offline alerts that match no fault the scenario injected, and
alerts of any other kind (save a humanitarian alert answering a person entering water: run.py scores those).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from borderwatch.contract import Alert, EventKind
from borderwatch.simulators.scenario import CAMERA_FAULTS
from borderwatch.simulators.score.match import Matches, Tolerances, assign, distances_m, positions
from borderwatch.simulators.score.truthfile import Crossing, Fault

SENSOR_DEGRADED = "sensor-degraded"  # the hub's health alert (a rule name, no event behind it)
FAULT_ALERT_GRACE_S = 30.0  # a fault alert may come this long after the fault was lifted (watchdogs, backoff)


def expected_alert_kinds(fault: Fault) -> frozenset[str]:
    """The alerts an injected fault should raise (one of them, once): offline for a dead stream, tamper for
    a spoiled picture, or the hub's sensor-degraded health alert for either. Process faults: none, the
    system should ride them out without paging anyone."""
    if fault.kind == "kill":
        return frozenset({EventKind.SENSOR_OFFLINE.value, SENSOR_DEGRADED})
    if fault.kind in CAMERA_FAULTS:
        return frozenset({EventKind.TAMPER.value, SENSOR_DEGRADED})
    return frozenset()


def match_situations(sits: Sequence[Sequence[Crossing]], alerts: Sequence[Alert], tol: Tolerances) -> Matches:
    """One crossing alert per situation: class and direction agree, and the alert is within the gates of one
    member's crossing (its time and place). A party's members cross over some seconds and the camera may see
    only the last of them: the first member's time alone would call that alert late."""
    if not sits or not alerts:
        empty = np.zeros((len(sits), len(alerts)))
        return assign(empty.astype(bool), empty, empty, tol)
    a_lat, a_lon = positions(alerts)
    t_alert = np.array([a.ts.timestamp() for a in alerts])
    dist = np.empty((len(sits), len(alerts)))
    offset = np.empty((len(sits), len(alerts)))
    for i, s in enumerate(sits):
        d = distances_m(*_points(s), a_lat, a_lon)  # (members, alerts)
        o = t_alert[None, :] - np.array([c.ts.timestamp() for c in s])[:, None]
        cost = np.abs(o) / tol.time_s + np.nan_to_num(d, nan=tol.position_m) / tol.position_m
        best = cost.argmin(axis=0)  # the member each alert is nearest to in time and place
        cols = np.arange(len(alerts))
        dist[i], offset[i] = d[best, cols], o[best, cols]
    same = np.array(
        [[a.object_class.value == s[0].object_class and a.direction == s[0].direction for a in alerts] for s in sits]
    )
    return assign(same, offset, dist, tol)


def _points(sit: Sequence[Crossing]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([c.lat for c in sit]), np.array([c.lon for c in sit])


def match_faults(faults: Sequence[Fault], alerts: Sequence[Alert], kinds: Sequence[str]) -> set[int]:
    """Indices of the alerts claimed by an injected fault: its kind, its sensor, during it or shortly after."""
    claimed: set[int] = set()
    for f in sorted(faults, key=lambda f: f.ts):
        want = expected_alert_kinds(f)
        if not want:
            continue
        until: datetime = f.end + timedelta(seconds=FAULT_ALERT_GRACE_S)
        for i, (a, k) in enumerate(zip(alerts, kinds, strict=True)):
            if (
                i not in claimed
                and k in want
                and a.sensor_id == f.target
                and f.ts - timedelta(seconds=1) <= a.ts <= until
            ):
                claimed.add(i)
                break
    return claimed
