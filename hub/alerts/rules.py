"""Rule matching: events x rules -> matches. Pure: no clock, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from borderwatch.contract import Event
from borderwatch.hub.alerts.config import AlertRule


@dataclass(frozen=True, slots=True)
class Match:
    rule: AlertRule
    event: Event


def matches(rule: AlertRule, ev: Event) -> bool:
    """Whether one event satisfies every condition of one rule."""
    return (
        ev.kind in rule.kinds
        and (not rule.classes or ev.object_class in rule.classes)
        and (not rule.sensor_kinds or ev.sensor.kind in rule.sensor_kinds)
        and (not rule.rules or (ev.rule is not None and ev.rule.rule in rule.rules))
        and (not rule.directions or (ev.rule is not None and ev.rule.direction in rule.directions))
        and ev.confidence >= rule.min_confidence
    )


def evaluate(rules: Sequence[AlertRule], events: Sequence[Event]) -> list[Match]:
    """Every (rule, event) pair that matches, in event order; the first matching rule wins."""
    out: list[Match] = []
    for ev in events:
        rule = next((r for r in rules if matches(r, ev)), None)
        if rule is not None:
            out.append(Match(rule, ev))
    return out
