"""Event-id ownership for the InfluxDB path: ids as exact runs, first sender keeps an id, retention, upgrade."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.hub.ingest.config import IngestConfig
from borderwatch.hub.store import owners
from borderwatch.hub.store.base import StoreError, StoreRefusedError
from borderwatch.hub.store.id_runs import MAX_RUN, MAX_WIDTH, id_runs, join_id, split_id
from borderwatch.hub.store.owners import OwnerIndex
from borderwatch.runtime.sqlite import is_disk_full
from tests.support.builders import make_event, make_events

# Ids as the contract allows them, biased towards what makes runs interesting: shared prefixes,
# numbers with and without leading zeros, long digit tails, no digits at all.
_PREFIXES = st.sampled_from(["a-", "a-0", "b_", "x", "9", "ab-12-", "id"])
_NUMBERED = st.builds(lambda p, n, w: p + str(n).zfill(w), _PREFIXES, st.integers(0, 10**20), st.integers(0, 22))
_IDS = st.one_of(_NUMBERED, st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"))


@given(_IDS)
def test_split_and_join_are_inverse(event_id):
    prefix, width, number = split_id(event_id)
    assert join_id(prefix, width, number) == event_id
    assert 0 <= width <= MAX_WIDTH and 0 <= number < 2**63


@given(st.lists(_IDS, min_size=1, max_size=300) | st.builds(
    lambda p, start, n, w: [p + str(start + i).zfill(w) for i in range(n)],
    _PREFIXES, st.integers(0, 10**6), st.integers(1, 2500), st.integers(1, 12),
))  # fmt: skip
def test_runs_hold_exactly_the_ids(ids):
    runs = id_runs(ids)
    expanded = [join_id(r.prefix, r.width, n) for r in runs for n in range(r.first, r.last + 1)]
    assert sorted(expanded) == sorted(set(ids))  # every id once, nothing else
    assert all(0 <= r.last - r.first < MAX_RUN for r in runs)


def test_numbered_ids_of_one_message_are_one_run():
    assert len(id_runs([f"s1-a1-{i:010d}" for i in range(100)])) == 1
    assert len(id_runs([f"4f1c9a-{i}" for i in range(95, 105)])) == 2  # 95..99, then 100..104 (a digit more)
    assert len(id_runs(["a-7", "a-007"])) == 2  # leading zeros make another id


@pytest.fixture
def index(tmp_path):
    idx = OwnerIndex(tmp_path / "owners.sqlite")
    yield idx
    idx.close()


def test_owner_index_keeps_ids_with_their_first_sender(index):
    mine = make_events(3, site="s1", agent="a1")
    index.claim(mine)
    index.claim(mine)  # a replay by the owner
    with pytest.raises(StoreRefusedError, match="id_taken: event id s1-a1-0000000001 belongs to another sender"):
        index.claim([make_event(9, agent="a2"), mine[1].model_copy(update={"agent": "a2"})])
    index.claim([make_event(9, agent="a2")])  # nothing of the refused batch was recorded
    assert [index.owner(e.id) for e in mine] == ["s1/a1"] * 3 and index.owner(make_event(9, agent="a2").id) == "s1/a2"
    assert index.forget_before(datetime.now(UTC) + timedelta(days=3)) == 2  # two runs
    assert index.owner(mine[0].id) is None
    index.claim([mine[0].model_copy(update={"agent": "a2"})])  # forgotten ids are free again
    index.close()
    with pytest.raises(StoreError, match="closed"):
        index.claim(mine)


def test_a_stranger_cannot_take_an_id_inside_or_at_the_edge_of_a_run(index):
    index.claim(make_events(100, start=1000, agent="a1"))  # one run 1000..1099
    for seq in (1000, 1050, 1099):
        with pytest.raises(StoreRefusedError, match="id_taken"):
            index.claim([make_event(seq, agent="a1").model_copy(update={"agent": "a2"})])
    stolen = make_events(300, start=900, agent="a1")  # 900..1199 overlaps the run on both sides
    with pytest.raises(StoreRefusedError, match="id_taken"):
        index.claim([e.model_copy(update={"agent": "a2"}) for e in stolen])
    neighbours = [e.model_copy(update={"agent": "a2"}) for e in stolen if not 1000 <= e.seq < 1100]
    index.claim(neighbours)  # ids just outside the run are not a1's
    assert index.owner(stolen[99].id) == "s1/a2" and index.owner(stolen[100].id) == "s1/a1"


def test_a_batch_from_two_senders_is_claimed_or_refused_as_a_whole(index):
    index.claim([make_event(1, agent="a1"), make_event(2, agent="a2")])
    assert (index.owner(make_event(1, agent="a1").id), index.owner(make_event(2, agent="a2").id)) == ("s1/a1", "s1/a2")
    reuse = make_event(1, agent="a1").model_copy(update={"agent": "a3"})
    with pytest.raises(StoreRefusedError):
        index.claim([make_event(5, agent="a4"), reuse])
    assert index.owner(make_event(5, agent="a4").id) is None


def test_a_round_in_which_a_stranger_copies_a_new_id_is_refused_whole(index):
    mine = make_events(5, agent="a1")  # ids nobody has claimed yet, interleaved with a2's messages
    copy = mine[2].model_copy(update={"agent": "a2"})
    with pytest.raises(StoreRefusedError, match="id_taken"):
        index.claim([*mine[:3], make_event(7, agent="a2"), copy, *mine[3:]])
    assert all(index.owner(e.id) is None for e in mine) and index.owner(make_event(7, agent="a2").id) is None
    index.claim([*mine[:3], make_event(7, agent="a2"), *mine[3:]])  # the bisected round without the copy
    assert index.owner(mine[4].id) == "s1/a1"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a1", "a2", "a3"]), st.lists(st.integers(0, 40), min_size=1, max_size=25)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([0, 3]),
    st.booleans(),
)
def test_the_index_behaves_like_a_first_sender_dict(claims, width, look_each_time):
    """Against the plain rule: a message is refused iff one of its ids is someone else's; otherwise
    all its ids become (or stay) its sender's. Looking (``owner``) writes what is staged, so the
    index is also checked only at the end, with every claim in between staged or not."""
    model: dict[str, str] = {}
    idx = OwnerIndex(Path(":memory:"))
    universe = {f"e-{n:0{width}d}" if width else f"e-{n}" for n in range(42)}
    for agent, numbers in claims:
        ids = [f"e-{n:0{width}d}" if width else f"e-{n}" for n in numbers]
        events = [make_event(n, agent=agent).model_copy(update={"id": i}) for n, i in zip(numbers, ids, strict=True)]
        theirs = [i for i in ids if model.get(i, f"s1/{agent}") != f"s1/{agent}"]
        if theirs:
            with pytest.raises(StoreRefusedError, match="id_taken"):
                idx.claim(events)
        else:
            idx.claim(events)
            model.update(dict.fromkeys(ids, f"s1/{agent}"))
        if look_each_time:
            assert {i: idx.owner(i) for i in universe} == {i: model.get(i) for i in universe}
    assert {i: idx.owner(i) for i in universe} == {i: model.get(i) for i in universe}
    idx.close()


def _staged(idx: OwnerIndex) -> int:
    return sum(map(len, idx._staged.values()))


def test_a_known_senders_numbered_ids_are_staged_and_written_in_one_go(tmp_path):
    idx = OwnerIndex(tmp_path / "o.sqlite")
    idx.claim(make_events(10, start=0, agent="a1"))  # a new sender: checked and written at once
    for k in range(1, 6):
        idx.claim(make_events(10, start=k * 10, agent="a1"))
    assert _staged(idx) == 1  # five messages continue one run: one row to write
    on_disk = OwnerIndex(tmp_path / "o.sqlite")  # what a hub that died now would find
    assert on_disk.owner(make_event(55, agent="a1").id) is None
    idx.flush()
    assert _staged(idx) == 0 and on_disk.owner(make_event(55, agent="a1").id) == "s1/a1"
    on_disk.close()
    idx.close()


def test_a_stranger_cannot_take_a_staged_id(index):
    index.claim(make_events(3, agent="a1"))
    mine = make_events(5, start=3, agent="a1")
    index.claim(mine)
    assert _staged(index) == 1
    copy = mine[4].model_copy(update={"agent": "a2"})
    with pytest.raises(StoreRefusedError, match="id_taken"):
        index.claim([make_event(100, agent="a2"), copy])
    with pytest.raises(StoreRefusedError, match="id_taken"):  # in a round with the owner's own messages too
        index.claim([*make_events(2, start=8, agent="a1"), copy])
    assert index.owner(copy.id) == "s1/a1" and index.owner(make_event(100, agent="a2").id) is None


def test_a_prefix_two_senders_have_used_is_checked_every_time(index):
    index.claim(make_events(3, agent="a1"))
    index.claim(make_events(2, start=3, agent="a1"))
    assert _staged(index) == 1
    shared = [make_event(50, agent="a1").model_copy(update={"agent": "a2"})]  # a1's prefix, a new number
    index.claim(shared)  # allowed (nobody has id 50), but the prefix is no longer a1's alone
    assert _staged(index) == 0
    index.claim(make_events(2, start=5, agent="a1"))
    assert _staged(index) == 0  # checked and written at once
    with pytest.raises(StoreRefusedError, match="id_taken"):
        index.claim([make_event(6, agent="a1").model_copy(update={"agent": "a2"})])


def test_staged_runs_stay_bounded_without_a_flush(tmp_path, monkeypatch):
    monkeypatch.setattr(owners, "_STAGED_MAX", 4)
    idx = OwnerIndex(tmp_path / "o.sqlite")
    idx.claim(make_events(1, agent="a1"))
    for k in range(1, 40):
        idx.claim(make_events(1, start=k * 2, agent="a1"))  # gaps: a run each
        assert _staged(idx) < 4
    idx.close()
    reopened = OwnerIndex(tmp_path / "o.sqlite")
    assert all(reopened.owner(make_event(k * 2, agent="a1").id) == "s1/a1" for k in range(40))
    reopened.close()


def test_retention_forgets_old_hours_only_and_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(owners, "_DELETE_CHUNK", 7)
    idx = OwnerIndex(tmp_path / "o.sqlite")
    now = datetime.now(UTC)
    old, new = now - timedelta(days=10), now
    for k in range(40):  # interleaved old and new runs of many prefixes
        idx.claim(make_events(3, start=k * 10, agent=f"x{k}", end=old if k % 2 else new))
    assert idx.forget_before(now - timedelta(days=5) + owners.KEEP_AFTER) == 0  # old events, but claimed today: kept
    idx.close()
    db = sqlite3.connect(tmp_path / "o.sqlite")
    db.execute("UPDATE claim_runs SET hour = hour - 240 WHERE owner % 2 = 0")  # claimed 10 days ago
    db.execute("INSERT OR IGNORE INTO claim_hours SELECT DISTINCT hour FROM claim_runs")
    db.commit()
    db.close()
    idx = OwnerIndex(tmp_path / "o.sqlite")
    assert idx.forget_before(now - timedelta(days=5) + owners.KEEP_AFTER) == 20
    assert idx.forget_before(now - timedelta(days=5) + owners.KEEP_AFTER) == 0  # nothing older left: no scan
    kept = {idx.owner(make_event(k * 10, agent=f"x{k}").id) for k in range(40)}
    assert len(kept - {None}) == 20
    idx.close()


def test_runs_outlive_events_stamped_a_day_ahead_of_the_clock(index):
    index.claim([make_event(1, ts=datetime.now(UTC) + timedelta(hours=23))])  # within the largest skew
    event_gone = datetime.now(UTC) + timedelta(hours=23)  # the cutoff when its event leaves the store
    assert index.forget_before(event_gone) == 0
    assert index.forget_before(event_gone + owners.KEEP_AFTER) == 1


def test_claims_of_the_first_version_are_kept_on_upgrade(tmp_path):
    path = tmp_path / "owners.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE event_owners (id TEXT PRIMARY KEY, owner TEXT NOT NULL, ts_us INTEGER NOT NULL) WITHOUT ROWID"
    )
    now_us = int(datetime.now(UTC).timestamp() * 1e6)
    db.executemany(
        "INSERT INTO event_owners VALUES (?, ?, ?)", [("old-id-0001", "s1/a1", now_us), ("plainid", "s2/b", now_us)]
    )
    db.commit()
    db.close()
    idx = OwnerIndex(path)
    assert (idx.owner("old-id-0001"), idx.owner("plainid")) == ("s1/a1", "s2/b")
    with pytest.raises(StoreRefusedError):
        idx.claim([make_event(1, agent="a9").model_copy(update={"id": "old-id-0001"})])
    idx.close()
    assert OwnerIndex(path).owner("plainid") == "s2/b"  # migrated once, table gone


def test_runs_outlive_the_largest_clock_skew_the_hub_allows():
    [le] = [m.le for m in IngestConfig.model_fields["max_clock_skew_s"].metadata if hasattr(m, "le")]
    assert timedelta(seconds=le) + timedelta(hours=1) <= owners.KEEP_AFTER


def test_a_full_disk_keeps_sqlites_error_and_the_index_recovers(tmp_path):
    # A round of several senders is one transaction (runtime/sqlite.py's helper): on a full disk
    # SQLite has already rolled back, and the caller must see that error (the store is down: the
    # round is retried), not "cannot rollback"; once there is room the retried round goes through.
    idx = OwnerIndex(tmp_path / "o.sqlite")
    idx.claim(make_events(3, agent="a0"))
    (pages,) = idx._db.execute("PRAGMA page_count").fetchone()
    idx._db.execute(f"PRAGMA max_page_count = {pages}")
    round_ = [make_event(n, agent=f"a{n % 4 + 1}") for n in range(0, 8000, 2)]  # a run per id: many rows
    with pytest.raises(sqlite3.OperationalError) as full:
        idx.claim(round_)
    assert is_disk_full(full.value) and not idx._db.in_transaction
    idx._db.execute(f"PRAGMA max_page_count = {pages * 100}")
    idx.claim(round_)
    assert idx.owner(round_[-1].id) == "s1/a3"


def test_a_shared_prefix_is_looked_up_once(index, monkeypatch):
    index.claim(make_events(3, agent="a1"))
    index.claim([make_event(50, agent="a1").model_copy(update={"agent": "a2"})])  # a1's prefix, used by a2
    looked: list[str] = []
    real = index._db

    class Counting:
        def execute(self, sql: str, *args: object) -> object:
            looked.append(sql)
            return real.execute(sql, *args)

    monkeypatch.setattr(index, "_db", Counting())
    for k in range(5):
        index.claim(make_events(1, start=3 + k, agent="a1"))
    assert not any(sql == owners._SOMEONE_ELSE for sql in looked)
