"""The MQTT topic tree: ``bw/v1/<site>/<agent>/<channel>[/<sensor>]``.

Versioned at the root so a v2 contract can run beside v1 on one broker. Subscribers use the
wildcards from :func:`subscription`; nothing else in the code base spells a topic by hand.

Every level is matched whole (``fullmatch``: a ``$`` would let a trailing newline through) against
a short allow-list of characters, so no control character, NUL, wildcard (``+`` ``#``) or
separator reaches a file name, a log line, a tag value or a database key through a topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from borderwatch.contract.common import CONTRACT_VERSION, is_ident

ROOT = f"bw/v{CONTRACT_VERSION}"
_SUFFIX = re.compile(r"[A-Za-z0-9_.-]{1,64}")
"""A sensor or an event id (contract event ids may start with ``_`` or ``-``)."""


class Channel(StrEnum):
    """What travels on a topic, and in which direction."""

    STATUS = "status"  # agent -> hub, retained: birth (online) and last will (offline)
    EVENTS = "events"  # agent -> hub, QoS 1: EventBatch
    TELEMETRY = "telemetry"  # agent -> hub: Telemetry
    EVIDENCE = "evidence"  # agent -> hub: JPEG bytes, topic suffix is the event id
    COMMAND = "cmd"  # hub -> agent: Command
    COMMAND_ACK = "cmdack"  # agent -> hub: CommandAck
    DELIVERY = "delivery"  # hub -> agent, retained: DeliveryConfirm
    ALERTS = "alerts"  # hub -> anyone, retained per alert: Alert (agent level names the hub; suffix the alert id)


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """A parsed topic."""

    site: str
    agent: str
    channel: Channel
    suffix: str | None = None


def _check_level(name: str, value: str, pattern: re.Pattern[str] | None = None) -> str:
    """``value`` if it is an Ident (or, given ``pattern``, matches it whole); else a ValueError naming ``name``."""
    if not (pattern.fullmatch(value) if pattern is not None else is_ident(value)):
        raise ValueError(f"{name} {value[:80]!r} is not a valid topic level (letters, digits, _ . -)")
    return value


def topic(site: str, agent: str, channel: Channel, suffix: str | None = None) -> str:
    """Build the topic of one agent's channel; ``suffix`` names a sensor or an event."""
    parts = [ROOT, _check_level("site", site), _check_level("agent", agent), channel.value]
    if suffix is not None:
        parts.append(_check_level("suffix", suffix, _SUFFIX))
    return "/".join(parts)


def subscription(channel: Channel, site: str = "+", agent: str = "+", share: str | None = None) -> str:
    """Wildcard subscription for one channel; ``share`` makes it an MQTT v5 shared subscription."""
    filt = f"{ROOT}/{site}/{agent}/{channel.value}"
    if channel in (Channel.EVIDENCE, Channel.ALERTS):
        filt += "/+"
    return f"$share/{share}/{filt}" if share else filt


def parse_topic(name: str) -> TopicInfo:
    """Split a received topic; raises ValueError for anything outside the tree."""
    parts = name.split("/")
    if len(parts) < 5 or "/".join(parts[:2]) != ROOT:
        raise ValueError(f"topic {name!r} is not under {ROOT}/<site>/<agent>/<channel>")
    try:
        channel = Channel(parts[4])
    except ValueError:
        raise ValueError(f"topic {name!r} has unknown channel {parts[4]!r}") from None
    if len(parts) > 6:
        raise ValueError(f"topic {name!r} has too many levels")
    suffix = _check_level("suffix", parts[5], _SUFFIX) if len(parts) == 6 else None
    return TopicInfo(_check_level("site", parts[2]), _check_level("agent", parts[3]), channel, suffix)
