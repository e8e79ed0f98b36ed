"""tune_gc: a batch's objects no longer trigger collections; cycles are still collected."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from borderwatch.contract import Channel, topic
from borderwatch.hub.ingest.decode import Accepted, decode
from borderwatch.hub.ingest.gc_tuning import tune_gc
from tests.support.builders import make_batch, make_events


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def _young_collections() -> int:
    return gc.get_stats()[0]["collections"]


def test_decoding_a_batch_runs_no_collection_once_tuned(restore_gc: None) -> None:
    payload = make_batch(make_events(500, end=datetime.now(UTC))).model_dump_json(by_alias=True).encode()
    ev_topic = topic("s1", "a1", Channel.EVENTS)
    gc.collect()
    start = _young_collections()
    assert isinstance(decode(ev_topic, payload), Accepted)
    assert _young_collections() > start  # CPython's default threshold (700) collects mid-batch
    tune_gc()
    assert gc.get_threshold()[0] == 50_000 and gc.get_freeze_count() > 0
    start = _young_collections()
    for _ in range(5):
        assert isinstance(decode(ev_topic, payload), Accepted)
    assert _young_collections() == start


def test_cycles_are_still_collected(restore_gc: None) -> None:
    tune_gc(young_threshold=1000)
    start = _young_collections()
    for _ in range(3000):
        a: list[object] = []
        a.append(a)
    assert _young_collections() > start


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        tune_gc(0)
