"""The agent link's wire helpers: batches from stored JSON, holes in a replay, the ack detail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from borderwatch.contract import Command, CommandKind, EventBatch
from borderwatch.edge.link_wire import ReplayJob, ack_detail, batch_json, holes
from borderwatch.hub.delivery import ranges as rg
from tests.chaos.synth import make_events


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


def test_ack_detail_is_what_the_hub_parses():
    detail = ack_detail(_job([(0, 4), (8, 8)], replayed=5), acked=3)
    assert detail == "replayed=5 unavailable=0-4,8-8 acked=3"
    assert rg.parse(detail.split("unavailable=")[1].split()[0]) == ((0, 4), (8, 8))


def test_ack_detail_fits_the_contract_and_keeps_the_oldest_ranges():
    missing = [(i * 1_000_000, i * 1_000_000 + 5) for i in range(100)]
    detail = ack_detail(_job(missing), acked=-1)
    assert len(detail) <= 512
    assert "unavailable=0-5,1000000-1000005," in detail and detail.endswith("acked=-1")


def test_batch_json_from_stored_bodies_validates_as_an_event_batch():
    evs = [e.model_copy(update={"seq": i}) for i, e in enumerate(make_events("s1", "a1", 0, 3))]
    bodies = [e.model_dump_json(by_alias=True, exclude_none=True) for e in evs]
    batch = EventBatch.model_validate_json(batch_json("s1", "a1", bodies, replay=True))
    assert batch.replay and [e.id for e in batch.events] == [e.id for e in evs]
