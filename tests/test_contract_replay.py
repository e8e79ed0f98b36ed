"""ReplayAnswer (contract/commands.py): typed ranges survive the wire unchanged; bad ranges are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from borderwatch.contract import CommandAck, ReplayAnswer
from borderwatch.contract.commands import MAX_REPLAY_RANGES
from borderwatch.contract.common import MAX_COUNT

_seq = st.integers(min_value=0, max_value=MAX_COUNT)


@st.composite
def sorted_disjoint_ranges(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Sorted, disjoint inclusive ranges: cut points drawn from the whole seq space, paired up."""
    cuts = sorted(draw(st.sets(_seq, max_size=60)))
    return list(zip(cuts[::2], cuts[1::2], strict=False))


answers = st.builds(
    ReplayAnswer,
    replayed=_seq,
    unavailable=sorted_disjoint_ranges(),
    acked_seq=st.integers(min_value=-1, max_value=MAX_COUNT),
)


@given(answer=answers)
def test_replay_answer_round_trips_through_json(answer: ReplayAnswer) -> None:
    ack = CommandAck(command_id="cmd-00000001", ts=datetime.now(UTC), ok=not answer.unavailable, replay=answer)
    back = CommandAck.model_validate_json(ack.model_dump_json(exclude_none=True))
    assert back == ack
    assert all(isinstance(r, tuple) for r in back.replay.unavailable)


@given(answer=answers)
def test_ranges_are_pairs_on_the_wire(answer: ReplayAnswer) -> None:
    doc = answer.model_dump(mode="json")
    assert doc["unavailable"] == [[a, b] for a, b in answer.unavailable]


BAD = [
    ("reversed", [(5, 3)]),
    ("overlapping", [(0, 5), (5, 9)]),
    ("unsorted", [(10, 12), (0, 1)]),
    ("negative", [(-1, 3)]),
    ("past MAX_COUNT", [(0, MAX_COUNT + 1)]),
    ("not a pair", [(1, 2, 3)]),
]


@pytest.mark.parametrize(("name", "ranges"), BAD, ids=[b[0] for b in BAD])
def test_bad_ranges_are_refused(name: str, ranges: list) -> None:
    with pytest.raises(ValidationError):
        ReplayAnswer(replayed=0, unavailable=ranges, acked_seq=-1)


def test_one_answer_carries_at_most_max_replay_ranges() -> None:
    too_many = [(2 * i, 2 * i) for i in range(MAX_REPLAY_RANGES + 1)]
    with pytest.raises(ValidationError):
        ReplayAnswer(replayed=0, unavailable=too_many, acked_seq=-1)
