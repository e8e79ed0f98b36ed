"""The ``[ingest]`` section of the hub config: what the hub accepts from whom, and when it says degraded.

Why a section of its own: these are the hub's trust boundary (which agents, how far an agent's clock
may be off, how often a store may refuse a message), not delivery mechanics (``[delivery]``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from borderwatch.hub.store.base import DEAD_LETTER_KEEP_BYTES

AgentKeyText = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
]
"""An agent as "site/agent" (both contract identifiers)."""


class IngestConfig(BaseModel):
    """Admission, time sanity and poison isolation of the ingest loop (hub/service.py)."""

    model_config = ConfigDict(extra="forbid")

    allow_agents: list[AgentKeyText] | None = Field(
        default=None,
        max_length=100_000,
        description='agents the hub tracks, as "site/agent"; others are dead-lettered (unknown_agent). '
        "None = learn agents as they appear, up to max_auto_agents",
    )
    max_auto_agents: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="without allow_agents: agents learned at most (those in the ledger count); "
        "messages of further agents are dead-lettered",
    )
    max_clock_skew_s: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description="events stamped further ahead of the hub's clock are dead-lettered (clock_ahead)",
    )
    max_event_age_days: float = Field(
        default=90.0,
        gt=0,
        le=3650,
        description="events older than this are dead-lettered (too_old); the SQLite store's own "
        "events retention is used when shorter",
    )
    refused_tries: int = Field(
        default=3,
        ge=1,
        le=100,
        description="writes of one event a store refuses (integrity, overflow, type) before it is "
        "dead-lettered with the store's reason and acknowledged",
    )
    dead_letter_keep_bytes: int = Field(
        default=DEAD_LETTER_KEEP_BYTES,
        ge=0,
        le=1_048_576,
        description="first bytes of a refused payload kept (plus size and SHA-256)",
    )
    degraded_lag_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="/health says degraded when received messages wait longer than this to be stored",
    )
    degraded_hold_s: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description="/health stays degraded this long after the store last refused a message",
    )

    def allowed(self) -> frozenset[tuple[str, str]] | None:
        """The allow-list as (site, agent) keys; None when agents are learned."""
        if self.allow_agents is None:
            return None
        return frozenset((site, agent) for site, agent in (k.split("/", 1) for k in self.allow_agents))
