"""Hub -> agent commands, the agent's acknowledgements, and delivery confirmations."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from borderwatch.contract.common import CONTRACT_VERSION, MAX_COUNT, Ident, UtcDatetime, WireModel


class CommandKind(StrEnum):
    """What the hub may ask an agent to do."""

    REPLAY = "replay"  # republish events from_seq..to_seq from the outbox
    PING = "ping"  # answer with an ack; proves the command path
    REBIRTH = "rebirth"  # republish the birth certificate (hub restarted)


class Command(WireModel):
    """A request to one agent; ``id`` lets the ack name the command it answers."""

    v: Literal[1] = CONTRACT_VERSION
    id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ts: UtcDatetime
    kind: CommandKind
    from_seq: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    to_seq: int | None = Field(default=None, ge=0, le=MAX_COUNT)

    @model_validator(mode="after")
    def _replay_range(self) -> Command:
        bad_range = self.from_seq is None or self.to_seq is None or self.to_seq < self.from_seq
        if self.kind is CommandKind.REPLAY and bad_range:
            raise ValueError("replay needs from_seq <= to_seq")
        return self


Seq = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A sequence number, bounded like every other wire integer (``MAX_COUNT``): an event's ``seq`` never
exceeds it, so neither does a range or count that names events."""

SeqRange = tuple[Seq, Seq]
"""Inclusive ``(first, last)`` sequence numbers with ``first <= last``; ``[3, 7]`` on the wire."""

MAX_REPLAY_RANGES = 10_000
"""Ranges one replay answer carries (about 42 bytes each, far under MAX_PAYLOAD_BYTES); an agent
that has more sends several answers to the same command."""


class ReplayAnswer(WireModel):
    """What an agent did for a REPLAY command, so the hub knows what to stop waiting for."""

    replayed: int = Field(ge=0, le=MAX_COUNT, description="events re-sent for the command")
    unavailable: list[SeqRange] = Field(
        default_factory=list,
        max_length=MAX_REPLAY_RANGES,
        description="seqs the outbox no longer holds: sorted, disjoint, inclusive [first, last] ranges",
    )
    acked_seq: int = Field(
        ge=-1,
        le=MAX_COUNT,
        description="the agent's last confirmation from the hub: seqs at or below it were delivered, not lost",
    )

    @model_validator(mode="after")
    def _sorted_disjoint(self) -> ReplayAnswer:
        last = -1
        for first, end in self.unavailable:
            if end < first:
                raise ValueError(f"range [{first}, {end}] ends before it starts")
            if first <= last:
                raise ValueError(f"range [{first}, {end}] overlaps or precedes the one before it")
            last = end
        return self


class CommandAck(WireModel):
    """An agent's answer to a command; ``replay`` carries the outcome of a REPLAY."""

    v: Literal[1] = CONTRACT_VERSION
    command_id: str = Field(min_length=8, max_length=64)
    ts: UtcDatetime
    ok: bool
    detail: str = Field(default="", max_length=512, description="for people: what happened, in words")
    replay: ReplayAnswer | None = None


class DeliveryConfirm(WireModel):
    """The hub holds every event of this agent up to ``acked_seq``: the outbox may trim them."""

    v: Literal[1] = CONTRACT_VERSION
    site: Ident
    agent: Ident
    ts: UtcDatetime
    acked_seq: int = Field(ge=-1, le=MAX_COUNT, description="highest contiguous stored sequence number; -1 = none")
