"""When to ask an agent for a replay: after a reorder wait, then with doubling retries.

Pure timing decisions over one agent's ledger state; the service sends the commands. Progress
(fewer missing seqs) pushes the next request back, so a replay that is being served in many
batches is not asked for again while it flows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from borderwatch.hub.delivery import ranges as rg
from borderwatch.hub.delivery.config import DeliveryConfig
from borderwatch.hub.delivery.ledger import AgentLedger
from borderwatch.runtime.backoff import backoff_s


@dataclass(frozen=True, slots=True)
class GapWatch:
    """Replay bookkeeping of one agent while it has holes."""

    next_at: float
    attempts: int
    missing: int


@dataclass(frozen=True, slots=True)
class Decision:
    watch: GapWatch | None
    ask: rg.Ranges = ()
    give_up: bool = False


def observe(prev: GapWatch | None, state: AgentLedger, now: float, cfg: DeliveryConfig) -> GapWatch | None:
    """Update the watch after the agent's state changed."""
    missing = rg.size(state.holes)
    if missing == 0:
        return None
    if prev is None:
        return GapWatch(now + cfg.reorder_wait_s, 0, missing)
    if missing < prev.missing:
        return GapWatch(max(prev.next_at, now + cfg.reorder_wait_s), 0, missing)
    if missing > prev.missing:
        return GapWatch(min(prev.next_at, now + cfg.reorder_wait_s), prev.attempts, missing)
    return prev


def decide(watch: GapWatch, state: AgentLedger, now: float, online: bool, cfg: DeliveryConfig) -> Decision:
    """What to do for an agent with holes at time ``now``."""
    if now < watch.next_at:
        return Decision(watch)
    if not online:  # commands would only queue; retrying would just burn attempts
        return Decision(replace(watch, next_at=now + cfg.replay_retry_s))
    if cfg.give_up_after_attempts and watch.attempts >= cfg.give_up_after_attempts:
        return Decision(None, give_up=True)
    wait = backoff_s(watch.attempts, cfg.replay_retry_s, cfg.replay_retry_max_s)
    ask = rg.clip(state.holes, cfg.replay_max_events)
    return Decision(GapWatch(now + wait, watch.attempts + 1, watch.missing), ask)
