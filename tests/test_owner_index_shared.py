"""The event-id owner index on the fleet's shared PostgreSQL: the first sender keeps an id whichever
hub instance saw its claim, two instances racing for one id cannot both win, retention by hour."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.hub.config.state import PostgresStateConfig, SqliteStateConfig
from borderwatch.hub.ingest.isolate import verdict
from borderwatch.hub.sqldb import SqlDb, open_postgres, open_sqlite
from borderwatch.hub.store import owners
from borderwatch.hub.store.base import StoreError, StoreRefusedError
from borderwatch.hub.store.config import InfluxStoreConfig
from borderwatch.hub.store.id_runs import Run, id_runs
from borderwatch.hub.store.influx import open_owner_index
from borderwatch.hub.store.owners import KEEP_AFTER, OwnerIndex
from borderwatch.hub.store.owners_pg import SharedOwnerIndex, crossing, lock_keys
from tests.support.builders import make_event, make_events
from tests.support.postgres import PG_DSN, pg_schema
from tests.support.waits import wait_until


@pytest.fixture
def hubs() -> Iterator[tuple[str, Callable[[], SharedOwnerIndex]]]:
    """The schema and a factory of instances' indexes on it (each its own connection)."""
    opened: list[SharedOwnerIndex] = []
    with pg_schema() as schema:
        yield schema, lambda: opened.append(SharedOwnerIndex(open_postgres(PG_DSN, schema))) or opened[-1]
        for idx in opened:
            idx.close()


def _as(agent: str, events):
    return [e.model_copy(update={"agent": agent}) for e in events]


def test_a_stranger_is_refused_through_the_instance_that_never_saw_the_owner(hubs) -> None:
    _, instance = hubs
    hub_a, hub_b = instance(), instance()
    mine = make_events(100, start=1000, agent="a1")
    hub_a.claim(mine)
    hub_b.claim(mine[40:60])  # the owner's replay through the other instance
    for stolen in ([mine[0]], [mine[99]], make_events(300, start=900, agent="a1")):
        with pytest.raises(StoreRefusedError, match=r"id_taken: event id s1-a1-00000010\d\d belongs to another sender"):
            hub_b.claim(_as("a2", stolen))
    neighbours = _as("a2", [e for e in make_events(300, start=900, agent="a1") if not 1000 <= e.seq < 1100])
    hub_b.claim(neighbours)  # ids just outside the run are nobody's yet
    assert hub_a.owner(mine[50].id) == "s1/a1" and hub_a.owner(neighbours[0].id) == "s1/a2"
    hub_a.close()
    with pytest.raises(StoreError, match="closed"):
        hub_a.claim(mine)


def test_a_round_of_several_senders_is_claimed_or_refused_whole(hubs) -> None:
    _, instance = hubs
    hub_a, hub_b = instance(), instance()
    hub_a.claim([make_event(1, agent="a1"), make_event(2, agent="a2")])
    reuse = _as("a3", [make_event(1, agent="a1")])
    with pytest.raises(StoreRefusedError, match="id_taken"):
        hub_b.claim([make_event(5, agent="a4"), *reuse])
    assert hub_a.owner(make_event(5, agent="a4").id) is None  # nothing of the refused round
    mine = make_events(5, agent="a5")  # new ids, copied by a stranger inside the same round
    with pytest.raises(StoreRefusedError, match="id_taken: event id s1-a5-0000000003"):
        hub_b.claim([*mine[:3], make_event(7, agent="a6"), *_as("a6", mine[3:4]), *mine[3:]])
    assert all(hub_a.owner(e.id) is None for e in mine)
    hub_b.claim([*mine[:3], make_event(7, agent="a6"), *mine[3:]])
    assert hub_a.owner(mine[4].id) == "s1/a5" and hub_a.owner(make_event(7, agent="a6").id) == "s1/a6"


def test_crossing_finds_an_id_two_owners_of_one_round_name() -> None:
    a, b = id_runs([f"x-{n}" for n in range(10, 20)]), id_runs([f"x-{n}" for n in (5, 6, 19)])
    assert crossing([(r, 1) for r in a] + [(r, 2) for r in b]) == "x-19"
    assert crossing([(r, 1) for r in a] + [(Run("x-", 1, 5, 9), 2), (Run("y-", 2, 10, 19), 2)]) is None


def test_two_instances_racing_for_one_id_cannot_both_win(hubs) -> None:
    """A third connection holds the lock of the runs' block while both claims are sent, so both are
    in flight together; once it lets go exactly one sender owns the ids."""
    _, instance = hubs
    hub_a, hub_b = instance(), instance()
    hub_a.claim([make_event(1, agent="a0"), make_event(1, agent="b0")])  # codes and hour known: the fast path
    blocker = psycopg.connect(PG_DSN, autocommit=True)
    try:
        for k in range(5):
            first, second = make_events(50, start=100 * (k + 1), agent="a1"), make_events(30, start=100 * (k + 1) + 20)
            keys = lock_keys(id_runs([e.id for e in first]))
            outcome: dict[str, str] = {}

            def claim(name: str, idx: SharedOwnerIndex, events, outcome: dict[str, str] = outcome) -> None:
                try:
                    idx.claim(events)
                    outcome[name] = "won"
                except StoreRefusedError:
                    outcome[name] = "refused"

            with blocker.transaction():
                blocker.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", (keys,))
                threads = [threading.Thread(target=claim, args=("a", hub_a, first)),
                           threading.Thread(target=claim, args=("b", hub_b, _as("b1", second)))]  # fmt: skip
                for t in threads:
                    t.start()
                wait_until(lambda: _waiting_for_locks(blocker) >= 2, 10, "both claims waiting for the lock")
            for t in threads:
                t.join(10)
            assert sorted(outcome.values()) == ["refused", "won"], outcome
            owners = {hub_a.owner(e.id) for e in second}
            assert owners == {"s1/a1" if outcome["a"] == "won" else "s1/b1"}
    finally:
        blocker.close()


def _waiting_for_locks(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()
    return int(row[0]) if row else 0


def test_many_racing_claims_leave_every_id_with_one_owner(hubs) -> None:
    """Two threads, two instances, overlapping runs of one prefix for different senders at the same
    moment, many times: never both, and the ids both wanted end with the winner."""
    _, instance = hubs
    hub_a, hub_b = instance(), instance()
    rounds, offsets = 40, {"a": 0, "b": 3}
    wins: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def run(name: str, idx: SharedOwnerIndex) -> None:
        for k in range(rounds):
            start.wait(10)
            try:
                idx.claim(_as(name, make_events(20, start=k * 100 + offsets[name], agent="a1")))
                wins[name].append(k)
            except StoreRefusedError:
                pass

    threads = [threading.Thread(target=run, args=(n, i)) for n, i in (("a", hub_a), ("b", hub_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not set(wins["a"]) & set(wins["b"]), "both senders won one round"
    assert sorted(wins["a"] + wins["b"]) == list(range(rounds))  # a refusal means the other had won
    for k in range(rounds):
        winner = "s1/a" if k in wins["a"] else "s1/b"
        assert {hub_b.owner(make_event(k * 100 + 3 + i).id) for i in range(17)} == {winner}


def test_retention_forgets_old_hours_only_on_every_instance(hubs, monkeypatch) -> None:
    monkeypatch.setattr(owners, "_DELETE_CHUNK", 7)  # the pass goes in several chunks
    schema, instance = hubs
    hub_a, hub_b = instance(), instance()
    now = datetime.now(UTC)
    for k in range(40):
        (hub_a if k % 3 else hub_b).claim(make_events(3, start=k * 10, agent=f"x{k}"))
    assert hub_a.forget_before(now) == 0  # claimed this hour: kept
    with psycopg.connect(PG_DSN, autocommit=True) as db:
        db.execute(f"UPDATE {schema}.claim_runs SET hour = hour - 240 WHERE owner % 2 = 0")  # claimed 10 days ago
        db.execute(
            f"INSERT INTO {schema}.claim_hours SELECT DISTINCT hour FROM {schema}.claim_runs ON CONFLICT DO NOTHING"
        )
    assert hub_b.forget_before(now - timedelta(days=5) + KEEP_AFTER) == 20
    assert hub_a.forget_before(now - timedelta(days=5) + KEEP_AFTER) == 0  # nothing older left, on either
    kept = {hub_a.owner(make_event(k * 10, agent=f"x{k}").id) for k in range(40)}
    assert len(kept - {None}) == 20
    forgotten = next(k for k in range(40) if hub_b.owner(make_event(k * 10, agent=f"x{k}").id) is None)
    hub_a.claim(_as("y", [make_event(forgotten * 10, agent=f"x{forgotten}")]))  # forgotten ids are free again


def test_the_shared_index_needs_postgres(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        SharedOwnerIndex(open_sqlite(tmp_path / "x.sqlite"))


def test_the_state_section_picks_the_index(tmp_path: Path) -> None:
    cfg = InfluxStoreConfig(dead_letter_path=tmp_path / "dl.sqlite")
    local = open_owner_index(cfg, SqliteStateConfig())
    assert isinstance(local, OwnerIndex)
    local.close()
    with pg_schema() as schema:
        shared = open_owner_index(cfg, PostgresStateConfig(dsn=PG_DSN, schema=schema))
        assert isinstance(shared, SharedOwnerIndex)
        shared.claim([make_event(1)])
        other = SharedOwnerIndex(open_postgres(PG_DSN, schema))
        assert other.owner(make_event(1).id) == "s1/a1"
        other.close()
        shared.close()


def test_a_script_is_one_implicit_transaction_on_postgres_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        open_sqlite(tmp_path / "x.sqlite").script("SELECT 1")
    with pg_schema() as schema:
        db = open_postgres(PG_DSN, schema)
        db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
        with pytest.raises(psycopg.errors.UniqueViolation):
            db.script("INSERT INTO t VALUES (?); INSERT INTO t VALUES (?)", (1, 1))
        assert db.fetchall("SELECT k FROM t") == []  # the first INSERT went with the second
        cur = db.script("INSERT INTO t VALUES (?); INSERT INTO t SELECT unnest(?::int[])", (1, [2, 3]))
        assert cur.nextset() and cur.rowcount == 2
        db.close()


def test_postgres_gone_is_down_and_a_stranger_is_refused_like_the_local_index(hubs) -> None:
    # The ingest loop retries a round when the store is down and dead-letters what it refuses
    # (hub/ingest/isolate.py): a lost connection must read as down, an id of another sender as
    # refused, and the next claim after the outage goes through on a new connection.
    _, instance = hubs
    idx = instance()
    mine = make_events(10, start=0, agent="a1")
    idx.claim(mine)
    (pid,) = idx._db.fetchone("SELECT pg_backend_pid()") or (0,)
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))  # waits until it is gone
    with pytest.raises(psycopg.OperationalError) as gone:
        idx.claim(make_events(10, start=10, agent="a1"))
    assert verdict(gone.value) == "down"
    idx.claim(make_events(10, start=10, agent="a1"))  # reconnected: the retried round goes through
    with pytest.raises(StoreRefusedError) as taken:
        idx.claim(_as("a2", mine[:1]))
    assert verdict(taken.value) == "refused" and idx.owner(mine[0].id) == "s1/a1"


# PostgreSQL text holds no NUL, and lone surrogates are no UTF-8 (the driver cannot send them at all)
_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40)


@pytest.fixture(scope="module")
def pg() -> Iterator[SqlDb]:
    with pg_schema() as schema:
        db = open_postgres(PG_DSN, schema)
        yield db
        db.close()


@settings(max_examples=80, deadline=None)
@given(one=_TEXT, many=st.lists(_TEXT, max_size=6))
def test_script_parameters_are_quoted_never_pasted(pg: SqlDb, one: str, many: list[str]) -> None:
    # SqlDb.script binds on the client (one query string, several statements): quotes, backslashes,
    # braces, commas and semicolons in a value must come back as data, never run as SQL.
    cur = pg.script(
        "SELECT ?::text; SELECT x FROM unnest(?::text[]) WITH ORDINALITY AS u (x, i) ORDER BY i", (one, many)
    )
    assert cur.fetchall() == [(one,)]
    assert cur.nextset() and [x for (x,) in cur.fetchall()] == many
