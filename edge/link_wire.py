"""Wire helpers of the agent link: EventBatch assembly from stored JSON and replay answers.

A replay answer is a CommandAck whose detail reads ``replayed=<n> unavailable=<a-b,...> acked=<seq>``;
the hub parses ``unavailable`` (seqs the outbox no longer holds) and ``acked`` (the agent's last
confirmation: seqs at or below it were delivered before, not lost).
"""

from __future__ import annotations

from dataclasses import dataclass

from borderwatch.contract import Command
from borderwatch.contract.common import utc_now

_MAX_DETAIL = 512


@dataclass(slots=True)
class ReplayJob:
    """A REPLAY command being served chunk by chunk."""

    cmd: Command
    next_from: int
    replayed: int = 0
    missing: list[tuple[int, int]] | None = None


def batch_json(site: str, agent: str, bodies: list[str], replay: bool) -> str:
    """An EventBatch from stored event JSON without re-validating each event (they were, at append)."""
    head = f'{{"v":1,"site":"{site}","agent":"{agent}","sent_at":"{utc_now().isoformat()}"'
    return f'{head},"replay":{"true" if replay else "false"},"events":[{",".join(bodies)}]}}'


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


def ack_detail(job: ReplayJob, acked: int) -> str:
    """``replayed=.. unavailable=.. acked=..`` clipped to the contract's 512 characters."""
    ranges, tail = "", f" acked={acked}"
    for a, b in job.missing or []:
        part = f"{',' if ranges else ''}{a}-{b}"
        if len(ranges) + len(part) + len(tail) + 40 > _MAX_DETAIL:
            break  # the hub asks again for what did not fit
        ranges += part
    return f"replayed={job.replayed}" + (f" unavailable={ranges}" if ranges else "") + tail
