"""People in distress: which person tracks get rescue priority, and the contract field they carry.

A person who has not moved for ``immobile_s`` (exhausted, injured, hypothermic) or who is inside a
configured water or river zone is flagged; the hub alerts on ``Event.distress`` ahead of ordinary
crossings. Pure: arrays in, arrays out.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from borderwatch.contract.alerts import DISTRESS_ATTRIBUTE
from borderwatch.contract.common import ObjectClass
from borderwatch.contract.events import Distress
from borderwatch.edge.pipeline.classes import CLASS_INDEX
from borderwatch.runtime.geometry import points_in_polygon

F64 = npt.NDArray[np.float64]
_PERSON = CLASS_INDEX[ObjectClass.PERSON]
MAX_IMMOBILE_S = 604_800.0


def in_zones(points: F64, zones: list[F64]) -> npt.NDArray[np.bool_]:
    """(T,) True where a point lies inside any of the polygons (NaN points are inside none)."""
    inside = np.zeros(len(points), bool)
    for polygon in zones:  # a handful of water zones, each vectorised over tracks
        inside |= points_in_polygon(points, polygon)
    return inside


def in_distress(
    class_id: npt.NDArray[np.int64], immobile_s: F64, in_water: npt.NDArray[np.bool_], limit_s: float
) -> npt.NDArray[np.bool_]:
    """(T,) people immobile at least ``limit_s`` or in water."""
    return (class_id == _PERSON) & ((immobile_s >= limit_s) | in_water)


def distress_field(body_temp_c: float, immobile_s: float, in_water: bool) -> Distress:
    """The contract field, with values clamped into its bounds (non-finite temperatures become 0 C)."""
    temp = body_temp_c if math.isfinite(body_temp_c) else 0.0
    still = immobile_s if math.isfinite(immobile_s) else 0.0
    return Distress(
        body_temp_c=min(max(temp, -50.0), 100.0),
        immobile_s=min(max(still, 0.0), MAX_IMMOBILE_S),
        in_water=bool(in_water),
    )


def distress_attributes(field: Distress) -> dict[str, str | float | bool]:
    """The event attributes the hub's distress rules key on (``contract.alerts.DISTRESS_ATTRIBUTE``),
    beside the typed ``Event.distress`` field: why, and the body temperature.
    """
    reason = "in_water" if field.in_water else "immobile"
    return {DISTRESS_ATTRIBUTE: True, "distress_reason": reason, "temperature_c": round(field.body_temp_c, 2)}
