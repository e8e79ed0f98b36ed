"""Hub -> agent commands, the agent's acknowledgements, and delivery confirmations."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from borderwatch.contract.common import CONTRACT_VERSION, Ident, UtcDatetime, WireModel


class CommandKind(StrEnum):
    REPLAY = "replay"  # republish events from_seq..to_seq from the outbox
    PING = "ping"  # answer with an ack; proves the command path
    REBIRTH = "rebirth"  # republish the birth certificate (hub restarted)


class Command(WireModel):
    """A request to one agent; ``id`` lets the ack name the command it answers."""

    v: Literal[1] = CONTRACT_VERSION
    id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ts: UtcDatetime
    kind: CommandKind
    from_seq: int | None = Field(default=None, ge=0)
    to_seq: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _replay_range(self) -> Command:
        bad_range = self.from_seq is None or self.to_seq is None or self.to_seq < self.from_seq
        if self.kind is CommandKind.REPLAY and bad_range:
            raise ValueError("replay needs from_seq <= to_seq")
        return self


class CommandAck(WireModel):
    v: Literal[1] = CONTRACT_VERSION
    command_id: str = Field(min_length=8, max_length=64)
    ts: UtcDatetime
    ok: bool
    detail: str = Field(default="", max_length=512)


class DeliveryConfirm(WireModel):
    """The hub holds every event of this agent up to ``acked_seq``: the outbox may trim them."""

    v: Literal[1] = CONTRACT_VERSION
    site: Ident
    agent: Ident
    ts: UtcDatetime
    acked_seq: int = Field(ge=-1, description="highest contiguous stored sequence number; -1 = none")
