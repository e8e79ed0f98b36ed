"""A mast whose clock is off stamps its events in hub time: the offset is the least-delayed recent sample
from the hub's delivery confirmations (a confirmation held up in a partition must not skew it), and
events are shifted only past the configured threshold, with the correction noted on each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from borderwatch.contract import Channel, DeliveryConfirm, topic
from borderwatch.edge.clock import CORRECTED_ATTRIBUTE, in_hub_time
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.link import AgentLink
from borderwatch.edge.outbox import Outbox
from borderwatch.runtime.broker import BrokerConfig
from tests.support.builders import make_event


def test_events_are_shifted_only_past_the_threshold_and_say_so() -> None:
    t = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    events = [make_event(1, ts=t), make_event(2, ts=t + timedelta(seconds=1))]
    assert in_hub_time(events, None, 1.0) == events and in_hub_time(events, 0.4, 1.0) == events
    assert in_hub_time(events, -20.0, None) == events  # correction switched off
    fixed = in_hub_time(events, -20.0, 1.0)
    assert [e.ts for e in fixed] == [t - timedelta(seconds=20), t - timedelta(seconds=19)]
    assert all(e.attributes[CORRECTED_ATTRIBUTE] == -20.0 and e.id == o.id for e, o in zip(fixed, events, strict=True))


def _confirm(link: AgentLink, hub_ts: datetime, retain: bool = False) -> None:
    body = DeliveryConfirm(site="s1", agent="a1", ts=hub_ts, acked_seq=-1).model_dump_json()
    msg = SimpleNamespace(topic=topic("s1", "a1", Channel.DELIVERY), payload=body.encode(), retain=retain)
    link._on_message(msg)  # paho's callback, as the network thread calls it


def test_the_offset_is_the_least_delayed_recent_live_confirmation(tmp_path) -> None:
    link = AgentLink(
        "s1", "a1", BrokerConfig(), Outbox(tmp_path / "o.sqlite3", OutboxConfig()), lambda: None, LinkConfig()
    )
    assert link.clock_offset_s is None
    now = datetime.now(UTC)
    _confirm(link, now - timedelta(seconds=20))  # hub 20 s behind us, arrived at once
    _confirm(link, now - timedelta(seconds=45))  # sent 25 s ago, held up in a partition
    _confirm(link, now + timedelta(hours=1), retain=True)  # a retained one may be hours old: ignored
    assert link.clock_offset_s is not None and -20.5 < link.clock_offset_s < -19.5
