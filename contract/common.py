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

MAX_COUNT = 2**53 - 1
"""Ceiling of every integer on the wire (seqs, track ids, counters). Every store and stage holds
int64 (SQLite INTEGER, InfluxDB integer fields, numpy int64 in the ledger); 2^53 - 1 also stays
exact in a JavaScript client of the API and leaves the ledger room for ``seq + 1``."""

TS_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TS_MAX = datetime(2100, 1, 1, tzinfo=UTC)
"""Window of every timestamp on the wire: inside InfluxDB's int64-nanosecond range (1677-2262),
never before the epoch (a mast whose clock was never set still sends 1970, which the hub then
refuses as too old rather than the agent failing to build the event). How far from the hub's own
clock an event may be is hub config (``[ingest]``)."""

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A non-negative integer that fits every store."""

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


UtcDatetime = Annotated[datetime, Field(ge=TS_MIN, lt=TS_MAX), AfterValidator(_require_utc)]
"""Naive timestamps are refused: a mast's local clock zone must never leak onto the wire.
Normalised to UTC on validation; for messages whose timestamps get rendered as text."""

AwareTimestamp = Annotated[AwareDatetime, Field(ge=TS_MIN, lt=TS_MAX)]
"""Event timestamps: naive ones are refused as with :data:`UtcDatetime`, but checked natively by
pydantic-core and kept in the offset they were sent with (a Python validator per event cost
about 10 % of ingest). Any offset names one instant; consumers use instants (epoch arithmetic,
comparisons), and a model that renders timestamps as text (Alert) normalises with UtcDatetime."""


def utc_now() -> datetime:
    """Current time as an aware UTC datetime (the only clock format the contract accepts)."""
    return datetime.now(UTC)


class WireModel(BaseModel):
    """Base of every payload: unknown fields are refused so that typos never pass silently, and
    NaN or infinite numbers (``NaN``, ``Infinity``, ``1e999``) are refused: no store, sort or
    JSON encoder downstream handles them."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


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
