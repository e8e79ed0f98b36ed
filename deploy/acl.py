"""Mosquitto's ACL file, read and applied by the embedded broker: one file pins agents on both brokers.

Why interpret the file instead of a second rule set: the shipped ``deploy/mosquitto/borderwatch.acl``
is the one statement of who may publish and read what; the embedded broker applying the same
lines means a lab or single-site setup behaves like production. The subset understood is what
Mosquitto 2 documents for ``acl_file``: ``user``, ``topic [read|write|readwrite|deny]`` and
``pattern ...`` with ``%u`` / ``%c``; pure functions, no I/O but :func:`load_acl`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from paho.mqtt.client import topic_matches_sub

_ACCESS = {"read": {"read"}, "write": {"write"}, "readwrite": {"read", "write"}, "deny": set()}


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``topic``/``pattern`` line: the access it grants (empty: deny) on a topic filter."""

    access: frozenset[str]  # empty = deny
    topic: str


@dataclass(frozen=True, slots=True)
class Acl:
    """Rules per user name (``None``: before any ``user`` line, i.e. anonymous) and patterns."""

    users: dict[str | None, list[Rule]] = field(default_factory=dict)
    patterns: list[Rule] = field(default_factory=list)


def parse_acl(text: str) -> Acl:
    """Parse ACL lines; raises ValueError naming the line for anything not understood."""
    acl = Acl()
    user: str | None = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "user" and rest:
            user = rest
            continue
        if word in ("topic", "pattern") and rest:
            access, _, topic = rest.partition(" ")
            if access not in _ACCESS:  # "topic a/b" grants readwrite
                access, topic = "readwrite", rest
            rule = Rule(frozenset(_ACCESS[access]), topic.strip())
            if word == "pattern":
                acl.patterns.append(rule)
            else:
                acl.users.setdefault(user, []).append(rule)
            continue
        raise ValueError(f"ACL line {n}: cannot read {line!r}")
    return acl


def load_acl(path: Path) -> Acl:
    """Read and parse an ACL file (OSError or ValueError naming the line)."""
    return parse_acl(path.read_text(encoding="utf-8"))


def topic_matches(filt: str, topic: str) -> bool:
    """MQTT topic-filter match (``+`` one level, ``#`` the rest, including none); paho's matcher, which
    like Mosquitto keeps wildcards off ``$`` topics, so the ACL is read as the broker would read it."""
    return topic_matches_sub(filt, topic)


def allowed(acl: Acl, username: str | None, client_id: str, topic: str, access: str) -> bool:
    """Whether ``username`` may ``access`` ("read" or "write") ``topic``, as Mosquitto decides:
    a matching deny rule wins, otherwise any matching grant (user rules, then patterns)."""
    rules = list(acl.users.get(username, []))
    for r in acl.patterns:
        if ("%u" in r.topic and not _substitutable(username)) or ("%c" in r.topic and not _substitutable(client_id)):
            continue
        rules.append(Rule(r.access, r.topic.replace("%u", username or "").replace("%c", client_id)))
    hits = [r for r in rules if topic_matches(r.topic, topic)]
    return bool(hits) and all(r.access for r in hits) and any(access in r.access for r in hits)


def _substitutable(name: str | None) -> bool:
    """Mosquitto never puts a name with wildcards into a pattern (it would widen the rule)."""
    return bool(name) and "+" not in name and "#" not in name  # type: ignore[operator]
