"""The per-agent bound on open alerts: one agent's flood of matches must not slow every decision.

Pure: the caller counts what each agent holds open (``OpenIndex.per_agent``) and passes it in.
Matches that would open a new alert for an agent already holding ``cap`` open alerts are set aside
(the engine counts and logs them); matches that join an open alert never come here, so a flooding
agent's real situations keep their evidence, and other agents' matches are untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from borderwatch.hub.alerts.rules import Match

AgentKey = tuple[str, str]


def within_cap(ms: Sequence[Match], held: Mapping[AgentKey, int], cap: int) -> tuple[list[Match], list[Match]]:
    """(kept, dropped): each kept match counts as one more open alert of its agent (a fused cluster
    of several counts several: the bound errs on the safe side). ``held`` is only read."""
    added: Counter[AgentKey] = Counter()
    kept: list[Match] = []
    dropped: list[Match] = []
    for m in ms:
        key = (m.event.site, m.event.agent)
        if held.get(key, 0) + added[key] >= cap:
            dropped.append(m)
        else:
            added[key] += 1
            kept.append(m)
    return kept, dropped
