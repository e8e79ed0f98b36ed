"""Shared vocabulary of the wire contract: version, enums, base model and bounded identifiers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

CONTRACT_VERSION = 1
"""Bumped only for breaking changes; it is also the ``v1`` segment of every topic."""

MAX_PAYLOAD_BYTES = 1_048_576
"""Largest JSON payload a producer may send; the hub dead-letters anything bigger."""

IDENT_MAX_LEN = 64
IDENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
"""Letters, digits, ``_ . -``; not starting with punctuation (no ``..``, no hidden files, no options)."""

Ident = Annotated[
    str,
    StringConstraints(min_length=1, max_length=IDENT_MAX_LEN, pattern=IDENT_PATTERN),
]
"""Site, agent, sensor and rule names: safe as MQTT topic levels, file names and tag values."""

_IDENT_RE = re.compile(IDENT_PATTERN)


def is_ident(text: str) -> bool:
    """Whether ``text`` is a valid :data:`Ident`, for code that checks outside a pydantic model."""
    return 0 < len(text) <= IDENT_MAX_LEN and _IDENT_RE.fullmatch(text) is not None


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (UTC), e.g. 2026-01-01T00:00:00Z")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]
"""Naive timestamps are refused: a mast's local clock zone must never leak onto the wire.
Normalised to UTC on validation; for messages whose timestamps get rendered as text."""

AwareTimestamp = AwareDatetime
"""Event timestamps: naive ones are refused as with :data:`UtcDatetime`, but checked natively by
pydantic-core and kept in the offset they were sent with (a Python validator per event cost
about 10 % of ingest). Any offset names one instant; consumers use instants (epoch arithmetic,
comparisons), and a model that renders timestamps as text (Alert) normalises with UtcDatetime."""


def utc_now() -> datetime:
    """Current time as an aware UTC datetime (the only clock format the contract accepts)."""
    return datetime.now(UTC)


class WireModel(BaseModel):
    """Base of every payload: unknown fields are refused so that typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SensorKind(StrEnum):
    """The three sensor families a mast carries."""

    CAMERA = "camera"
    THERMAL = "thermal"
    RADAR = "radar"


class ObjectClass(StrEnum):
    """Classes every detector maps its own labels onto (models map theirs through config)."""

    PERSON = "person"
    VEHICLE = "vehicle"
    ANIMAL = "animal"
    VESSEL = "vessel"
    UNKNOWN = "unknown"


Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
