"""The per-agent sequence ledger as pure functions over immutable state.

Why pure: every decision that makes delivery exactly-once in effect (is this a duplicate, where
are the holes, how far may the agent trim) is testable without a broker or a database, and the
service can stage a round's changes and drop them if the store refuses the write.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from borderwatch.hub.delivery import ranges as rg

COUNTERS = ("received", "duplicates", "gaps_detected", "replay_requests", "replayed", "lost", "recovered")
"""Per-agent counters: new events stored, duplicates dropped, holes seen, REPLAY commands sent,
new events that came from replays, seqs declared lost for good, seqs the agent had already
trimmed after an earlier confirmation (not a loss)."""


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


@dataclass(frozen=True, slots=True)
class AgentLedger:
    """What the hub holds of one agent: everything up to ``contiguous`` plus ``above`` ranges."""

    contiguous: int = -1
    above: rg.Ranges = ()
    counters: dict[str, int] = field(default_factory=_zero)

    @property
    def holes(self) -> rg.Ranges:
        return rg.holes(self.contiguous, self.above)

    @property
    def highest(self) -> int:
        return self.above[-1][1] if self.above else self.contiguous


def _bump(counters: dict[str, int], **delta: int) -> dict[str, int]:
    out = dict(counters)
    for k, v in delta.items():
        out[k] = out.get(k, 0) + v
    return out


def new_mask(state: AgentLedger, seqs: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Which of ``seqs`` the hub does not hold yet; repeats inside ``seqs`` count once."""
    fresh = (seqs > state.contiguous) & ~rg.covered(seqs, state.above)
    _, first = np.unique(seqs, return_index=True)
    once = np.zeros(seqs.shape, dtype=bool)
    once[first] = True
    return fresh & once


def admit(state: AgentLedger, seqs: npt.NDArray[np.int64], replay: bool) -> tuple[AgentLedger, npt.NDArray[np.bool_]]:
    """Record a batch's seqs; returns the new state and the mask of events to store."""
    mask = new_mask(state, seqs)
    added = np.sort(seqs[mask])
    contiguous, above = rg.advance(state.contiguous, rg.union(state.above, rg.runs(added)))
    known = state.holes
    opened = sum(1 for h in rg.holes(contiguous, above) if not rg.intersect((h,), known))
    counters = _bump(
        state.counters,
        received=int(added.size),
        duplicates=int(seqs.size - added.size),
        replayed=int(added.size) if replay else 0,
        gaps_detected=opened,
    )
    return AgentLedger(contiguous, above, counters), mask


def cover(state: AgentLedger, gone: rg.Ranges, confirmed_upto: int) -> AgentLedger:
    """The agent no longer has ``gone``: stop waiting for it.

    Seqs at or below ``confirmed_upto`` were confirmed by this hub before (its ledger was
    reset), so they count as recovered; the rest are lost for good.
    """
    missing = rg.intersect(state.holes, rg.union(gone))
    if not missing:
        return state
    old = rg.intersect(missing, ((0, confirmed_upto),)) if confirmed_upto >= 0 else ()
    contiguous, above = rg.advance(state.contiguous, rg.union(state.above, missing))
    counters = _bump(state.counters, lost=rg.size(missing) - rg.size(old), recovered=rg.size(old))
    return AgentLedger(contiguous, above, counters)


def _held(contiguous: int, above: rg.Ranges) -> int:
    return contiguous + 1 + rg.size(above)


def merge(mine: AgentLedger, theirs: AgentLedger, delta: dict[str, int]) -> AgentLedger:
    """Union of two views of one agent (shared ledger); counters = theirs + our unsaved delta.

    Events another instance committed meanwhile (both were sent one replay) are not counted as
    received twice: what the union gained over ``theirs`` bounds our new events, the rest of our
    ``received`` (and ``replayed``) were duplicates."""
    top = max(mine.contiguous, theirs.contiguous)
    contiguous, above = rg.advance(top, rg.union(mine.above, theirs.above))
    d = dict(delta)
    gained = _held(contiguous, above) - _held(theirs.contiguous, theirs.above)
    extra = min(d.get("received", 0), d.get("received", 0) + d.get("lost", 0) + d.get("recovered", 0) - gained)
    if extra > 0:
        d["received"] -= extra
        d["replayed"] = max(0, d.get("replayed", 0) - extra)
        d["duplicates"] = d.get("duplicates", 0) + extra
    return AgentLedger(contiguous, above, _bump(theirs.counters, **d))


def delta(after: AgentLedger, before: AgentLedger) -> dict[str, int]:
    return {k: after.counters.get(k, 0) - before.counters.get(k, 0) for k in COUNTERS}


def count_requests(state: AgentLedger, n: int) -> AgentLedger:
    return replace(state, counters=_bump(state.counters, replay_requests=n))
