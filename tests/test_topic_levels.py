"""Topic levels and ids that enter from the wire: control characters, NUL, wildcards, separators
and non-printables are refused in every level (parse_topic, topic) and in every contract id."""

from __future__ import annotations

import string
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from borderwatch.contract import Channel, Event, parse_topic, topic
from borderwatch.contract.common import Ident

SAFE = string.ascii_letters + string.digits + "_.-"
IDENT = TypeAdapter(Ident)
EVENT_ID = TypeAdapter(Annotated[str, Event.model_fields["id"]])
HOSTILE = ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\u0085", "\u2028", "\u200b", "\ufeff",
           "+", "#", "/", " ", "é", "$"]  # fmt: skip


def level(value: str, where: int) -> str:
    """A topic with ``value`` as its site (0), agent (1) or evidence suffix (2)."""
    parts = ["west-1", "mast-01", "abcdef0123"]
    parts[where] = value
    return f"bw/v1/{parts[0]}/{parts[1]}/evidence/{parts[2]}"


@pytest.mark.parametrize("where", [0, 1, 2])
@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize("place", ["start", "middle", "end"])
def test_parse_topic_refuses_hostile_characters_in_any_level(where: int, bad: str, place: str) -> None:
    value = {"start": bad + "mast01", "middle": "mast" + bad + "01", "end": "mast01" + bad}[place]
    with pytest.raises(ValueError):
        parse_topic(level(value, where))


@pytest.mark.parametrize("bad", HOSTILE)
def test_topic_refuses_what_parse_topic_refuses(bad: str) -> None:
    for args in ((f"w{bad}", "a", None), ("w", f"a{bad}", None), ("w", "a", f"e{bad}")):
        with pytest.raises(ValueError):
            topic(args[0], args[1], Channel.EVIDENCE, args[2])


@pytest.mark.parametrize("bad", HOSTILE)
def test_contract_ids_refuse_hostile_characters(bad: str) -> None:
    for value in (f"mast01{bad}", f"{bad}mast01", f"ma{bad}st01"):
        with pytest.raises(ValidationError):
            IDENT.validate_python(value)
        with pytest.raises(ValidationError):
            EVENT_ID.validate_python(value + "abcdefgh")


@given(st.text(min_size=1, max_size=80))
def test_any_accepted_level_is_plain(value: str) -> None:
    """Whatever parse_topic accepts in a level is 1-64 characters of letters, digits, _ . -"""
    for where in (0, 1, 2):
        try:
            info = parse_topic(level(value, where))
        except ValueError:
            continue
        got = (info.site, info.agent, info.suffix)[where]
        assert got == value and 1 <= len(value) <= 64 and set(value) <= set(SAFE)


@given(st.text(alphabet=SAFE, min_size=1, max_size=64).filter(lambda v: v[0].isalnum()))
def test_plain_levels_round_trip(value: str) -> None:
    info = parse_topic(topic(value, value, Channel.EVIDENCE, value))
    assert (info.site, info.agent, info.suffix) == (value, value, value)


@given(st.text(min_size=1, max_size=80))
def test_ident_and_topic_level_agree(value: str) -> None:
    """A site or agent id is valid in a config or a payload exactly when it is valid in a topic."""
    try:
        IDENT.validate_python(value)
        as_ident = True
    except ValidationError:
        as_ident = False
    try:
        topic(value, "a", Channel.EVENTS)
        as_level = True
    except ValueError:
        as_level = False
    assert as_ident == as_level, repr(value)
