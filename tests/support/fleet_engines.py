"""Several alert engines on one shared store, as several hubs behind a ``$share`` subscription run
them, driven by one hand-held clock (tests/test_alerts_shared.py, tests/test_alerts_fleet_state.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.engine import AlertChange, AlertEngine
from borderwatch.hub.alerts.store import SqlAlertStore
from tests.support.alerts import at

Stores = Callable[[], SqlAlertStore]


class Fleet:
    """Two engines (two hubs) on their own connections to one store, sharing a hand-driven clock."""

    def __init__(self, stores: Stores, cfg: AlertsConfig | None = None) -> None:
        self.now = at(0)
        self.paged: list[tuple[str, AlertChange]] = []
        self.store = stores()
        cfg = cfg or AlertsConfig()
        self.hubs = [AlertEngine(cfg, stores(), [lambda c, n=n: self.paged.append((n, c))], clock=self.clock)
                     for n in ("a", "b")]  # fmt: skip

    def clock(self) -> datetime:
        return self.now

    def to(self, dt: float) -> datetime:
        self.now = at(dt)
        return self.now

    def pages(self) -> list[str]:
        return [c.reason.value for _, c in self.paged]
