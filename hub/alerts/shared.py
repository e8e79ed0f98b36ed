"""What several hub instances need to carry on each other's alerts: the lifecycle clock as JSON.

The contract's Alert says the state but not the clock behind it (when evidence last came, when
it was last notified); an instance adopting an alert opened by another needs both, or it would
fire, re-notify or auto-resolve it at the wrong time. Pure: text in, Life out.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from borderwatch.contract import Alert, AlertState
from borderwatch.hub.alerts.lifecycle import Life


def life_json(life: Life) -> str:
    """The lifecycle clock as compact JSON (stored beside the alert)."""
    return json.dumps({**asdict(life), "state": life.state.value}, separators=(",", ":"))


def life_of(alert: Alert, stored: str | None, now: float) -> Life:
    """The clock of a stored alert; an alert written before clocks were stored restarts at ``now``
    (as after a restart: its evidence window begins again)."""
    if stored:
        d = json.loads(stored)
        return Life(**{**d, "state": AlertState(d["state"])})
    fired = alert.fired_at.timestamp() if alert.fired_at else None
    return Life(alert.state, now, now, fired, fired, None, alert.acked_by)
