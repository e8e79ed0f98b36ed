"""Property tests of the broker-identity parsers: the ACL reader applied to the shipped ACL pins
every possible agent to its own topics, and password hashes verify exactly their password."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.contract import Channel, topic
from borderwatch.deploy.acl import allowed, load_acl, topic_matches
from borderwatch.deploy.credentials import agent_identity, hash_password, parse_password_lines, verify_password

ACL = load_acl(Path(__file__).resolve().parents[1] / "deploy" / "mosquitto" / "borderwatch.acl")
ident = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,15}", fullmatch=True)
one_line = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Zl", "Zp")), max_size=60)
AGENT_WRITES = {Channel.STATUS, Channel.EVENTS, Channel.TELEMETRY, Channel.EVIDENCE, Channel.COMMAND_ACK}
AGENT_READS = {Channel.COMMAND, Channel.DELIVERY}
SUFFIX = {Channel.EVIDENCE: "ev-1", Channel.ALERTS: "a1b2c3"}  # evidence per event, alerts retained per alert id


@given(site=ident, agent=ident, to_site=ident, to_agent=ident, channel=st.sampled_from(list(Channel)))
def test_an_agent_writes_and_reads_only_its_own_topics(site, agent, to_site, to_agent, channel):
    me = agent_identity(site, agent)
    name = topic(to_site, to_agent, channel, SUFFIX.get(channel))
    mine = (to_site, to_agent) == (site, agent)
    assert allowed(ACL, me, "any-client", name, "write") == (mine and channel in AGENT_WRITES)
    assert allowed(ACL, me, "any-client", name, "read") == (mine and channel in AGENT_READS)


@given(site=ident, agent=ident, channel=st.sampled_from(list(Channel)))
def test_the_hub_reads_everything_and_writes_only_commands_delivery_alerts(site, agent, channel):
    name = topic(site, agent, channel, SUFFIX.get(channel))
    assert allowed(ACL, "hub", "hub-client", name, "read")
    hub_writes = {Channel.COMMAND, Channel.DELIVERY, Channel.ALERTS}
    assert allowed(ACL, "hub", "hub-client", name, "write") == (channel in hub_writes)


@given(st.lists(ident, min_size=1, max_size=6))
def test_a_filter_without_wildcards_matches_only_itself(levels):
    name = "/".join(levels)
    assert topic_matches(name, name)
    assert not topic_matches(name, name + "/x") and not topic_matches(name + "/x", name)
    assert topic_matches(name + "/#", name) and topic_matches("+/" * (len(levels) - 1) + "+", name)


@settings(max_examples=30, deadline=None)  # PBKDF2 is slow on purpose
@given(password=st.text(min_size=0, max_size=40), other=st.text(max_size=40))
def test_a_hash_verifies_its_password_only(password, other):
    stored = hash_password(password)
    assert verify_password(password, stored)
    assert verify_password(other, stored) == (other == password)


@given(st.text(max_size=120))
def test_verify_never_raises_on_a_malformed_hash(stored):
    assert verify_password("pw", stored) in (True, False)


@given(st.lists(st.tuples(ident, one_line), max_size=5))
def test_password_lines_round_trip(entries):
    """Every ``user:hash`` line comes back; the hash may itself contain ``:``."""
    text = "# comment\n\n" + "".join(f"{u}:{h.strip()}\n" for u, h in entries)
    assert parse_password_lines(text) == {u: h.strip() for u, h in entries}
