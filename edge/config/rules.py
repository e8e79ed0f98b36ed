"""Rule configuration of a sensor: class filters, masks, zones and virtual lines.

Line sides, precisely. Walk along the line from its first point to its last. "left" is the side on
your left hand. For ``coords = "geo"`` the points are (lat, lon) and the test runs on the ground
position of each object (east/north metres around the camera): a point X is on the left of segment
P1->P2 when cross(P2-P1, X-P1) > 0. For ``coords = "image"`` the points are (x, y) pixels and "left"
means left as seen on the screen (image y grows downwards, so the pixel-space cross product is < 0).
``inbound_side`` names the protected territory: moving into it is an "inbound" crossing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from borderwatch.contract.common import Ident, ObjectClass
from borderwatch.edge.config.settings import Settings

Coordinate = Annotated[float, Field(ge=-16384, le=16384)]
Point = tuple[Coordinate, Coordinate]
RuleName = Ident


def _check_geo(points: list[Point], what: str) -> None:
    bad = [p for p in points if not (-90 <= p[0] <= 90 and -180 <= p[1] <= 180)]
    if bad:
        raise ValueError(f"{what}: geo points are (lat, lon) in degrees; out of range: {bad[:3]}")


def _check_image(points: list[Point], what: str) -> None:
    bad = [p for p in points if p[0] < 0 or p[1] < 0]
    if bad:
        raise ValueError(f"{what}: image points are (x, y) pixels >= 0; out of range: {bad[:3]}")


class ClassFilter(Settings):
    """Drop detections of one class that are too weak, too small, too big or the wrong shape."""

    min_score: float = Field(0.4, ge=0, le=1, description="weakest detection kept")
    min_area: float = Field(0.0, ge=0, le=1e8, description="smallest box area in frame pixels")
    max_area: float = Field(1e8, gt=0, le=1e8, description="largest box area in frame pixels")
    min_ratio: float = Field(0.0, ge=0, le=100, description="smallest width/height")
    max_ratio: float = Field(100.0, gt=0, le=100, description="largest width/height")

    @model_validator(mode="after")
    def _ordered(self) -> ClassFilter:
        if self.max_area < self.min_area or self.max_ratio < self.min_ratio:
            raise ValueError("filter bounds out of order (min_area <= max_area, min_ratio <= max_ratio)")
        return self


def default_filters() -> dict[ObjectClass, ClassFilter]:
    """A standing person is tall, a vehicle wide; the defaults only cut absurd shapes."""
    return {
        ObjectClass.PERSON: ClassFilter(min_score=0.4, min_ratio=0.1, max_ratio=2.0),
        ObjectClass.VEHICLE: ClassFilter(min_score=0.4),
        ObjectClass.ANIMAL: ClassFilter(min_score=0.4),
        ObjectClass.UNKNOWN: ClassFilter(min_score=0.0),
    }


class MaskConfig(Settings):
    """An image polygon to ignore: objects whose bottom centre lies inside, and/or motion inside."""

    points: list[Point] = Field(default_factory=list, min_length=3, max_length=256, description="(x, y) px")
    applies_to: Literal["objects", "motion", "both"] = Field("both", description="what the mask hides")

    @model_validator(mode="after")
    def _valid(self) -> MaskConfig:
        _check_image(self.points, "mask")
        return self


class ZoneConfig(Settings):
    """A watched area: entry/exit events, and loitering after ``loiter_s`` inside."""

    name: RuleName = Field("zone", description="rule name in events")
    points: list[Point] = Field(default_factory=list, min_length=3, max_length=256, description="polygon")
    coords: Literal["image", "geo"] = Field("image", description="image (x, y) px or geo (lat, lon)")
    loiter_s: float = Field(30.0, gt=0, le=86400, description="inside this long = loitering")
    inertia: int = Field(2, ge=1, le=100, description="consecutive frames inside/outside before it counts")
    classes: list[ObjectClass] = Field(default_factory=list, description="empty = every class")

    @model_validator(mode="after")
    def _valid(self) -> ZoneConfig:
        (_check_geo if self.coords == "geo" else _check_image)(self.points, f"zone {self.name}")
        return self


class LineConfig(Settings):
    """A virtual line (a polyline), above all the border: crossings with direction (see module doc)."""

    name: RuleName = Field("border", description="rule name in events")
    points: list[Point] = Field(default_factory=list, min_length=2, max_length=256, description="polyline")
    coords: Literal["image", "geo"] = Field("image", description="image (x, y) px or geo (lat, lon)")
    inbound_side: Literal["left", "right"] = Field(
        "left", description="side of the protected territory, walking from the first to the last point"
    )
    hysteresis: float = Field(
        0.0,
        ge=0,
        le=1000,
        description="dead band either side (px for image lines, metres for geo); 0 = auto (2 % / 1 m)",
    )
    classes: list[ObjectClass] = Field(default_factory=list, description="empty = every class")

    @model_validator(mode="after")
    def _valid(self) -> LineConfig:
        (_check_geo if self.coords == "geo" else _check_image)(self.points, f"line {self.name}")
        if len(set(self.points)) < 2:
            raise ValueError(f"line {self.name}: needs two distinct points")
        return self
