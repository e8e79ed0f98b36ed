"""Wire helpers of the agent link: EventBatch assembly from stored JSON and replay answers.

A replay is answered by CommandAcks carrying a ``ReplayAnswer`` (contract/commands.py): how many
events were re-sent, the seqs the outbox no longer holds, and the agent's last confirmation (seqs
at or below it were delivered before, not lost). Nothing is clipped: more ranges than one answer
carries go out in several answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from borderwatch.contract import Command, CommandAck, EventBatch, ReplayAnswer
from borderwatch.contract.commands import MAX_REPLAY_RANGES
from borderwatch.contract.common import utc_now


@dataclass(slots=True)
class ReplayJob:
    """A REPLAY command being served chunk by chunk."""

    cmd: Command
    next_from: int
    replayed: int = 0
    missing: list[tuple[int, int]] | None = None


def batch_json(site: str, agent: str, bodies: list[str], replay: bool) -> str:
    """An EventBatch from stored event JSON without re-validating each event (they were, at append).

    The head (contract version, sender, time) is the contract's own serialisation of an empty batch.
    """
    head = EventBatch.model_construct(site=site, agent=agent, sent_at=utc_now(), replay=replay, events=[])
    return f'{head.model_dump_json(exclude={"events"})[:-1]},"events":[{",".join(bodies)}]}}'


def holes(rows: list[tuple[int, str]], lo: int, hi: int) -> list[tuple[int, int]]:
    """Seqs in ``[lo, hi]`` absent from ``rows`` (sorted by seq)."""
    out, expect = [], lo
    for seq, _ in rows:
        if seq > expect:
            out.append((expect, seq - 1))
        expect = seq + 1
    if expect <= hi:
        out.append((expect, hi))
    return out


def replay_acks(job: ReplayJob, acked: int) -> list[CommandAck]:
    """The answers to a finished REPLAY: one, or one per ``MAX_REPLAY_RANGES`` unavailable ranges."""
    missing = job.missing or []
    parts = [missing[i : i + MAX_REPLAY_RANGES] for i in range(0, len(missing), MAX_REPLAY_RANGES)] or [[]]
    return [
        CommandAck(
            command_id=job.cmd.id,
            ts=utc_now(),
            ok=not missing,
            detail=f"replayed {job.replayed}",
            replay=ReplayAnswer(replayed=job.replayed, unavailable=part, acked_seq=acked),
        )
        for part in parts
    ]
