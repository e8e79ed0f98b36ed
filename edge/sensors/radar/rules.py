"""Border lines for a radar: the shared ``LineCrossingRule`` in ground east/north metres around the
antenna, fed with the tracks' positions; line crossings are the events the hub alerts on.

Only geographic lines make sense for a radar (it has no image), so ``coords`` must be ``geo``
(checked in ``config.py``); the dead band defaults to 2 m either side.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from borderwatch.contract.events import Event, EventKind
from borderwatch.edge.config.rules import LineConfig
from borderwatch.edge.pipeline.events import EventFactory, TrackView
from borderwatch.edge.pipeline.filters import class_ids
from borderwatch.edge.pipeline.projection import LocalFrame
from borderwatch.edge.pipeline.rules import LineCrossingRule

F64 = npt.NDArray[np.float64]


class RadarLines:
    """The configured lines, in metres around the radar's position."""

    def __init__(self, lines: list[LineConfig], lat: float, lon: float) -> None:
        self.frame = LocalFrame(lat, lon)
        self.rules = [
            LineCrossingRule(
                c.name, self.frame.to_metres(np.asarray(c.points, np.float64)), c.inbound_side == "left",
                c.hysteresis or 2.0, class_ids(c.classes) if c.classes else None,
            )
            for c in lines
        ]  # fmt: skip

    def events(self, factory: EventFactory, view: TrackView, active: npt.NDArray[np.bool_], ts: float) -> list[Event]:
        """Line crossings of the ``active`` rows of ``view`` (positions from its lat/lon)."""
        if not self.rules or not active.any():
            return []
        rows = np.flatnonzero(active)
        points = self.frame.to_metres(view.latlon[rows])
        out: list[Event] = []
        for rule in self.rules:
            hit = rule.update(view.ids[rows], points, view.class_id[rows])
            dirs = ["inbound" if x else "outbound" for x in hit.inbound]
            out += factory.rule(EventKind.LINE_CROSSING, view, rows[hit.index], rule.name, ts, direction=dirs)
        return out

    def forget(self, ids: npt.ArrayLike) -> None:
        for rule in self.rules:
            rule.forget(np.asarray(ids, np.int64))
