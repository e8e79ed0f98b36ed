"""The hub's sequence ledger: duplicates, holes, replay timing, loss accounting and persistence."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.contract import EventBatch
from borderwatch.hub.delivery import ranges as rg
from borderwatch.hub.delivery.book import LedgerBook
from borderwatch.hub.delivery.config import DeliveryConfig
from borderwatch.hub.delivery.ledger import AgentLedger, admit, cover, delta, merge
from borderwatch.hub.delivery.persist import LedgerFile
from borderwatch.hub.delivery.replay import GapWatch, decide, observe
from borderwatch.hub.sqldb import open_postgres
from tests.support.builders import outbox_events
from tests.support.postgres import PG_DSN, pg_schema


def _seqs(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _feed(*batches: tuple[int, ...], replay: bool = False) -> AgentLedger:
    state = AgentLedger()
    for b in batches:
        state, _ = admit(state, _seqs(*b), replay)
    return state


@pytest.mark.parametrize(
    ("batches", "contiguous", "above", "received", "dups", "gaps"),
    [
        ([(0, 1, 2)], 2, (), 3, 0, 0),
        ([(0, 1), (1, 2)], 2, (), 3, 1, 0),
        ([(0, 0, 1)], 1, (), 2, 1, 0),
        ([(0,), (3, 4)], 0, ((3, 4),), 3, 0, 1),
        ([(0,), (3,), (6,)], 0, ((3, 3), (6, 6)), 3, 0, 2),
        ([(0,), (3,), (1, 2)], 3, (), 4, 0, 1),
        ([(5,)], -1, ((5, 5),), 1, 0, 1),
        ([(2, 0, 1)], 2, (), 3, 0, 0),
        ([(0,), (2,), (2,), (0,)], 0, ((2, 2),), 2, 2, 1),
    ],
)
def test_admit_table(batches, contiguous, above, received, dups, gaps):
    state = _feed(*batches)
    assert (state.contiguous, state.above) == (contiguous, above)
    c = state.counters
    assert (c["received"], c["duplicates"], c["gaps_detected"]) == (received, dups, gaps)


def test_admit_mask_marks_only_new_first_occurrences():
    state = _feed((0, 1, 2), (5,))
    _, mask = admit(state, _seqs(1, 3, 3, 5, 6), replay=True)
    assert mask.tolist() == [False, True, False, False, True]


def test_replayed_counts_new_events_from_replays_only():
    state = _feed((0,), (3,))
    state, _ = admit(state, _seqs(1, 2, 3), replay=True)
    assert (state.contiguous, state.counters["replayed"], state.counters["duplicates"]) == (3, 2, 1)


@pytest.mark.parametrize(
    ("gone", "confirmed_upto", "contiguous", "lost", "recovered"),
    [
        (((1, 2),), -1, 4, 2, 0),
        (((0, 10),), -1, 4, 2, 0),  # only the holes count
        (((1, 2),), 1, 4, 1, 1),  # seq 1 was confirmed by an earlier hub life
        (((7, 9),), -1, 0, 0, 0),  # nothing missing there
    ],
)
def test_cover_table(gone, confirmed_upto, contiguous, lost, recovered):
    state = cover(_feed((0,), (3, 4)), gone, confirmed_upto)
    assert (state.contiguous, state.counters["lost"], state.counters["recovered"]) == (
        contiguous,
        lost,
        recovered,
    )


def test_merge_is_a_union_and_adds_our_counter_delta():
    mine = _feed((0, 1), (5, 6))
    theirs = _feed((0, 1, 2, 3))
    merged = merge(mine, theirs, {"received": 2})
    assert (merged.contiguous, merged.above) == (3, ((5, 6),))
    assert merged.counters["received"] == 4 + 2


@pytest.mark.parametrize(
    ("seqs", "expected"),
    [
        ((), ()),
        ((3,), ((3, 3),)),
        ((1, 2, 3, 7, 8, 10), ((1, 3), (7, 8), (10, 10))),
    ],
)
def test_runs(seqs, expected):
    assert rg.runs(_seqs(*seqs)) == expected


def test_ranges_helpers():
    assert rg.union(((5, 6),), ((1, 2), (3, 4))) == ((1, 6),)
    assert rg.holes(1, ((4, 5), (8, 8))) == ((2, 3), (6, 7))
    assert rg.intersect(((0, 5), (8, 12)), ((4, 9),)) == ((4, 5), (8, 9))
    assert rg.clip(((0, 4), (10, 19)), 7) == ((0, 4), (10, 11))
    assert rg.render(((3, 7), (9, 9))) == "3-7,9-9"


def _cfg(**kw) -> DeliveryConfig:
    return DeliveryConfig(**{"reorder_wait_s": 2, "replay_retry_s": 5, "replay_retry_max_s": 20, **kw})


def test_replay_waits_for_reorder_then_retries_with_doubling():
    cfg = _cfg()
    state = _feed((0,), (3,))
    w = observe(None, state, 100.0, cfg)
    assert decide(w, state, 101.0, True, cfg).ask == ()
    d = decide(w, state, 102.0, True, cfg)
    assert d.ask == ((1, 2),)
    assert decide(d.watch, state, 106.9, True, cfg).ask == ()
    d = decide(d.watch, state, 107.0, True, cfg)
    assert d.ask == ((1, 2),) and d.watch.next_at == 117.0
    d = decide(d.watch, state, 117.0, True, cfg)
    assert d.watch.next_at == 137.0  # capped at replay_retry_max_s


def test_progress_pushes_the_next_request_back_and_resets_attempts():
    cfg = _cfg()
    state = _feed((0,), (10,))
    w = decide(observe(None, state, 0.0, cfg), state, 2.0, True, cfg).watch
    state, _ = admit(state, _seqs(1, 2, 3), replay=True)
    w2 = observe(w, state, 6.5, cfg)
    assert w2 == GapWatch(8.5, 0, 6)


def test_offline_agents_are_not_asked_and_attempts_are_kept():
    cfg = _cfg(give_up_after_attempts=1)
    state = _feed((0,), (3,))
    w = observe(None, state, 0.0, cfg)
    d = decide(w, state, 3.0, False, cfg)
    assert d.ask == () and d.watch.attempts == 0 and not d.give_up
    d = decide(d.watch, state, 9.0, True, cfg)
    assert d.ask == ((1, 2),)
    assert decide(d.watch, state, 100.0, True, cfg).give_up


def test_replay_request_is_capped():
    cfg = _cfg(replay_max_events=5)
    state = _feed((0,), (100,))
    d = decide(observe(None, state, 0.0, cfg), state, 2.0, True, cfg)
    assert d.ask == ((1, 5),)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _batch(start: int, count: int, replay: bool = False) -> EventBatch:
    evs = [e.model_copy(update={"seq": start + i}) for i, e in enumerate(outbox_events("s1", "a1", start, count))]
    return EventBatch(site="s1", agent="a1", sent_at=datetime.now(UTC), replay=replay, events=evs)


def test_book_persists_commits_and_forgets_staged_rounds(tmp_path: Path):
    clock = Clock()
    book = LedgerBook(LedgerFile(tmp_path / "l.sqlite3"), _cfg(), clock)
    rnd = book.stage()
    assert len(rnd.admit(_batch(0, 5))) == 5
    book.commit(rnd)
    dropped = book.stage()
    dropped.admit(_batch(5, 5))  # never committed: the store refused, say
    assert len(book.stage().admit(_batch(3, 4))) == 2
    book.close()
    book = LedgerBook(LedgerFile(tmp_path / "l.sqlite3"), _cfg(), clock)
    assert book.snapshot()["s1/a1"]["contiguous"] == 4
    assert book.due_confirms() == [(("s1", "a1"), 4)]
    assert book.due_confirms() == []


def test_book_asks_for_replay_then_confirms_when_filled(tmp_path: Path):
    clock = Clock()
    book = LedgerBook(LedgerFile(tmp_path / "l.sqlite3"), _cfg(confirm_interval_s=0), clock)
    rnd = book.stage()
    rnd.admit(_batch(0, 3))
    rnd.admit(_batch(6, 2))
    book.commit(rnd)
    assert book.replay_asks() == []
    clock.t = 2.0
    assert book.replay_asks() == [(("s1", "a1"), ((3, 5),))]
    book.due_confirms()
    rnd = book.stage()
    assert len(rnd.admit(_batch(3, 5, replay=True))) == 3
    book.commit(rnd)
    assert book.due_confirms() == [(("s1", "a1"), 7)]
    snap = book.snapshot()["s1/a1"]
    assert (snap["replayed"], snap["duplicates"], snap["replay_requests"], snap["missing"]) == (3, 2, 1, 0)


@pytest.fixture(params=["sqlite", "postgres"])
def ledgers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], LedgerFile]]:
    """Opens ledgers on one database: an SQLite file or a PostgreSQL schema (shared by hubs)."""
    if request.param == "sqlite":
        yield lambda: LedgerFile(tmp_path / "l.sqlite3")
        return
    with pg_schema() as schema:
        opened: list[LedgerFile] = []
        yield lambda: opened.append(LedgerFile.on(open_postgres(PG_DSN, schema))) or opened[-1]
        for f in opened:
            f.close()


def test_two_books_on_one_file_merge_their_views(ledgers: Callable[[], LedgerFile]):
    a = LedgerBook(ledgers(), _cfg())
    b = LedgerBook(ledgers(), _cfg())
    ra, rb = a.stage(), b.stage()
    ra.admit(_batch(0, 3))
    rb.admit(_batch(3, 3))
    b.commit(rb)
    a.commit(ra)
    snap = a.snapshot()["s1/a1"]
    assert (snap["contiguous"], snap["received"]) == (5, 6)


def test_a_shared_ledger_drops_what_another_instance_stored(ledgers: Callable[[], LedgerFile]):
    """Hub a stored 0-9 and died before acking; the broker hands them to hub b: none is stored twice."""
    a = LedgerBook(ledgers(), _cfg())
    b = LedgerBook(ledgers(), _cfg())
    rb = b.stage()  # b knew nothing of the agent until now
    ra = a.stage()
    ra.admit(_batch(0, 10))
    a.commit(ra)
    rb = b.stage()
    fresh = rb.admit(_batch(5, 10, replay=False))
    b.commit(rb)
    shared = ledgers().get(("s1", "a1"))
    if ledgers().shared:  # PostgreSQL: b reads the agent's row in its round
        assert [e.seq for e in fresh] == list(range(10, 15))
        assert shared is not None and (shared.contiguous, shared.counters["received"]) == (14, 15)
    else:  # one SQLite file per hub in practice: b only learns at commit (the merge)
        assert shared is not None and shared.contiguous == 14


def test_one_replay_admitted_by_two_instances_counts_once(ledgers: Callable[[], LedgerFile]):
    a = LedgerBook(ledgers(), _cfg())
    b = LedgerBook(ledgers(), _cfg())
    ra, rb = a.stage(), b.stage()
    assert len(ra.admit(_batch(0, 10, replay=True))) == len(rb.admit(_batch(0, 10, replay=True))) == 10
    a.commit(ra)
    b.commit(rb)  # both admitted before either committed: the merge finds b's ten were duplicates
    final = ledgers().get(("s1", "a1"))
    assert final is not None
    assert (final.counters["received"], final.counters["replayed"], final.counters["duplicates"]) == (10, 10, 10)


def test_concurrent_saves_of_a_new_agent_lose_nothing(ledgers: Callable[[], LedgerFile]):
    books = [LedgerBook(ledgers(), _cfg()) for _ in range(4)]

    def run(i: int) -> None:
        for k in range(10):
            rnd = books[i].stage()
            rnd.admit(_batch(i * 100 + k * 10, 10))
            books[i].commit(rnd)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    final = ledgers().get(("s1", "a1"))
    assert final is not None and final.counters["received"] == 400
    assert final.contiguous == 399 and final.above == ()


def test_splitting_a_known_hole_is_not_a_new_gap_but_a_hole_found_by_a_replay_is():
    state = _feed((0,), (10,))
    state, _ = admit(state, _seqs(5), replay=True)
    assert (state.counters["gaps_detected"], state.holes) == (1, ((1, 4), (6, 9)))
    state, _ = admit(state, _seqs(20), replay=True)
    assert state.counters["gaps_detected"] == 2


def test_a_postgres_ledger_reconnects_after_its_connection_was_killed():
    psycopg = pytest.importorskip("psycopg")
    with pg_schema() as schema:
        file = LedgerFile.on(open_postgres(PG_DSN, schema))
        book = LedgerBook(file, _cfg())
        rnd = book.stage()
        rnd.admit(_batch(0, 3))
        book.commit(rnd)
        pid = file._db.fetchone("SELECT pg_backend_pid()")[0]  # type: ignore[index]
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.OperationalError):  # the round that finds it broken fails (and is retried)
            book.stage().admit(_batch(3, 3))
        rnd = book.stage()
        rnd.admit(_batch(3, 3))
        book.commit(rnd)
        assert book.snapshot()["s1/a1"]["contiguous"] == 5
        file.close()


@given(st.sets(st.integers(0, 200), max_size=60), st.sets(st.integers(0, 200), max_size=60), st.booleans())
def test_two_instances_merged_count_each_seq_once(seen_a: set[int], seen_b: set[int], a_first: bool):
    """Whatever two instances admitted from one base, after both merges each distinct seq is received
    once and every other admission is a duplicate; the union of what they hold is kept."""
    views = []
    for seen in (seen_a, seen_b):
        state, _ = admit(AgentLedger(), np.array(sorted(seen), dtype=np.int64), replay=False)
        views.append(state)
    order = views if a_first else views[::-1]
    stored = AgentLedger()
    for v in order:
        stored = merge(v, stored, delta(v, AgentLedger()))
    union = seen_a | seen_b
    assert stored.counters["received"] == len(union)
    assert stored.counters["received"] + stored.counters["duplicates"] == len(seen_a) + len(seen_b)
    held = set(range(stored.contiguous + 1)) | {s for a, b in stored.above for s in range(a, b + 1)}
    assert held == union
