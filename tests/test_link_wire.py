"""The agent link's wire helpers: batches from stored JSON, holes in a replay, the replay answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from borderwatch.contract import CONTRACT_VERSION, Command, CommandAck, CommandKind, EventBatch, ReplayAnswer
from borderwatch.contract.commands import MAX_REPLAY_RANGES
from borderwatch.contract.common import MAX_PAYLOAD_BYTES
from borderwatch.edge.link_wire import ReplayJob, batch_json, holes, replay_acks
from tests.support.builders import outbox_events


@pytest.mark.parametrize(
    ("seqs", "lo", "hi", "expected"),
    [
        ((), 3, 7, [(3, 7)]),
        ((3, 4, 5, 6, 7), 3, 7, []),
        ((5, 6), 3, 7, [(3, 4), (7, 7)]),
        ((3, 7), 3, 7, [(4, 6)]),
        ((3, 4), 3, 2, []),
    ],
)
def test_holes(seqs, lo, hi, expected):
    assert holes([(s, "") for s in seqs], lo, hi) == expected


def _job(missing: list[tuple[int, int]], replayed: int = 0) -> ReplayJob:
    cmd = Command(id="cmd-00001", ts=datetime.now(UTC), kind=CommandKind.REPLAY, from_seq=0, to_seq=10)
    return ReplayJob(cmd, 0, replayed, missing)


def test_replay_answer_names_the_missing_ranges_and_the_confirmation():
    (ack,) = replay_acks(_job([(0, 4), (8, 8)], replayed=5), acked=3)
    assert not ack.ok and ack.command_id == "cmd-00001"
    assert ack.replay == ReplayAnswer(replayed=5, unavailable=[(0, 4), (8, 8)], acked_seq=3)
    assert CommandAck.model_validate_json(ack.model_dump_json()) == ack


def test_replay_answer_is_never_clipped_but_split():
    missing = [(i * 10, i * 10 + 5) for i in range(MAX_REPLAY_RANGES + 7)]
    acks = replay_acks(_job(missing), acked=-1)
    assert len(acks) == 2
    assert [r for a in acks for r in a.replay.unavailable] == missing
    assert all(len(a.model_dump_json()) < MAX_PAYLOAD_BYTES for a in acks)


def test_full_replay_is_ok_with_no_ranges():
    (ack,) = replay_acks(_job([], replayed=11), acked=10)
    assert ack.ok and ack.replay == ReplayAnswer(replayed=11, acked_seq=10)


def test_batch_json_from_stored_bodies_validates_as_an_event_batch():
    evs = [e.model_copy(update={"seq": i}) for i, e in enumerate(outbox_events("s1", "a1", 0, 3))]
    bodies = [e.model_dump_json(by_alias=True, exclude_none=True) for e in evs]
    batch = EventBatch.model_validate_json(batch_json("s1", "a1", bodies, replay=True))
    assert batch.replay and [e.id for e in batch.events] == [e.id for e in evs]
    assert batch.v == CONTRACT_VERSION
