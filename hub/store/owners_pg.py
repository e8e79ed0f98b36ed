"""The event-id owner index in the fleet's shared PostgreSQL schema, for several hub instances.

Why: with a time-series store the hub keeps "an event id belongs to the site/agent that first
stored it" in its own index (hub/store/owners.py). Several instances behind one shared
subscription each see part of an agent's messages, so a per-process index would let a stranger
store a reused id through the instance that never saw the owner's claim. With ``[state] type =
"postgres"`` every instance claims in the same tables instead; the rule, the runs
(hub/store/id_runs.py), the owner codes and the retention by hour are those of the SQLite index.

Concurrency: two instances may claim overlapping runs for different senders at the same moment;
a check-then-insert in one statement sees only what was committed when it started, so both could
pass. Each claim therefore takes a transaction-level advisory lock per block of
:data:`MAX_RUN` numbers its runs touch (:func:`lock_keys`): overlapping runs share a number, so
they share a block and their claims run one after the other; the second one's statement starts
after the first committed and sees its runs. Claims of other blocks never wait.

Cost: one round trip per message in the steady state: the locks and the one INSERT that records
every run of the message (all senders of a round at once, each run carrying its owner) unless one
overlaps another sender's run go out as one query string, one implicit transaction
(``SqlDb.script``), so the locks are held for one trip to the server and the ingest thread sends no separate
BEGIN ... COMMIT (``bench/bench_owners.py`` measures a claim's cost). A new sender or a
new hour costs a statement more, once per instance.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import groupby

from borderwatch.contract import Event
from borderwatch.hub.sqldb import SqlDb, advisory_key
from borderwatch.hub.store.base import StoreError, StoreRefusedError
from borderwatch.hub.store.id_runs import MAX_RUN, Run, id_runs, join_id, split_id
from borderwatch.hub.store.owners import OWNER_OF, RunIndex, by_sender, claim_hour

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claim_runs (
    prefix TEXT NOT NULL, width SMALLINT NOT NULL, first BIGINT NOT NULL, last BIGINT NOT NULL,
    owner BIGINT NOT NULL, hour INTEGER NOT NULL, PRIMARY KEY (prefix, width, first)
);
CREATE TABLE IF NOT EXISTS owner_names (code {serial}, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS claim_hours (hour INTEGER PRIMARY KEY)
"""
# The runs of a claim as five arrays (prefix, width, first, last, owner code): one row each.
_RUNS = (
    "unnest(?::text[], ?::smallint[], ?::bigint[], ?::bigint[], ?::bigint[]) AS j (prefix, width, first, last, owner)"
)
# Another sender's run overlaps [first, last] only if it starts at most MAX_RUN - 1 before
# ``first``: a bounded key range of the primary key.
_OVERLAP = f"""
    c.prefix = j.prefix AND c.width = j.width AND c.first BETWEEN j.first - {MAX_RUN - 1} AND j.last
    AND c.last >= j.first AND c.owner <> j.owner
"""
_OTHERS = f"SELECT c.prefix, c.width, greatest(c.first, j.first) FROM {_RUNS} JOIN claim_runs c ON {_OVERLAP} LIMIT 1"
# Every run is recorded (a replay by its owner extends or keeps it), or none is when any id is
# someone else's.
_CLAIM = f"""
WITH j AS (SELECT * FROM {_RUNS})
INSERT INTO claim_runs AS c (prefix, width, first, last, owner, hour)
    SELECT prefix, width, first, last, owner, ? FROM j
    WHERE NOT EXISTS (SELECT FROM j, claim_runs c WHERE {_OVERLAP})
ON CONFLICT (prefix, width, first) DO UPDATE
    SET last = greatest(c.last, excluded.last), hour = greatest(c.hour, excluded.hour)
    WHERE c.owner = excluded.owner
"""
# One message to the server, one implicit transaction: the locks of the runs' blocks (sorted: no
# deadlock), then the claim, whose snapshot is taken once the locks are held. Durability as the
# local index's (no flush per claim): a server crash may lose the last claims, so a stranger could
# reuse one of those ids once; the events stored meanwhile are not affected.
_CLAIM_LOCKED = f"""
SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(k)
    FROM (SELECT unnest(?::bigint[]) AS k ORDER BY 1) AS s;
{_CLAIM}"""


class SharedOwnerIndex(RunIndex):
    """``claim`` records the owners of a batch's ids, or refuses the whole batch (``id_taken``),
    on a database every hub instance of the fleet shares."""

    def __init__(self, db: SqlDb) -> None:
        if db.dialect != "postgres":
            raise ValueError("the shared owner index needs PostgreSQL; one hub uses OwnerIndex (SQLite)")
        self._db = db
        self._lock = threading.Lock()
        self._db.create(_SCHEMA)
        self._codes: dict[str, int] = {}
        self._hours: set[int] = set()
        self._closed = False

    def claim(self, events: Sequence[Event]) -> None:
        """Own every id of ``events`` for its sender; StoreRefusedError (nothing recorded) when an
        id already belongs to another site/agent, so the caller can isolate the offending events."""
        if not events:
            return
        by_owner, hour = by_sender(events), claim_hour()
        with self._lock:
            if self._closed:
                raise StoreError("store is closed")
            runs = [(run, self._code(owner)) for owner, ids in by_owner.items() for run in id_runs(ids)]
            clash = crossing(runs)
            if clash is not None:  # two senders of this very round claim one id
                raise StoreRefusedError("id_taken", f"event id {clash} belongs to another sender")
            if hour not in self._hours:  # before the runs, so retention always knows their hour
                self._db.execute("INSERT INTO claim_hours (hour) VALUES (?) ON CONFLICT DO NOTHING", (hour,))
                self._hours.add(hour)
            columns = _columns(runs)
            cur = self._db.script(_CLAIM_LOCKED, (lock_keys([run for run, _ in runs]), *columns, hour))
            cur.nextset()  # past the locks, to the INSERT
            if cur.rowcount == len(runs):
                return
            taken = self._db.fetchone(_OTHERS, columns)
        where = "an event id" if taken is None else f"event id {join_id(*taken)}"  # None: just forgotten
        raise StoreRefusedError("id_taken", f"{where} belongs to another sender")

    def _code(self, owner: str) -> int:
        """The small integer that names ``owner`` in runs, the same on every instance (caller holds
        the lock). A code made for a claim that is then refused stays: a name without runs."""
        code = self._codes.get(owner)
        if code is None:
            self._db.execute("INSERT INTO owner_names (name) VALUES (?) ON CONFLICT DO NOTHING", (owner,))
            row = self._db.fetchone("SELECT code FROM owner_names WHERE name = ?", (owner,))
            if row is None:  # cannot happen: the row was there or was just made
                raise StoreError(f"no owner code for {owner}")
            code = self._codes[owner] = int(row[0])
        return code

    def owner(self, event_id: str) -> str | None:
        """``site/agent`` that owns ``event_id``, or None (for tests and operators' checks)."""
        prefix, width, n = split_id(event_id)
        row = self._db.fetchone(OWNER_OF, (prefix, width, n, n, n))
        return None if row is None else str(row[0])

    def _expired(self, last: int) -> bool:
        """Whether an hour before ``last`` still holds runs (caller holds the lock): one look at the
        few rows of ``claim_hours``, which every instance fills. Retention itself is the local
        index's pass in chunks (``forget_before``): one DELETE of a whole hour would hold this
        instance's connection, and so its claims, for as long as it runs. Every instance may run
        it; two at once delete a run once."""
        return self._db.fetchone("SELECT 1 FROM claim_hours WHERE hour < ? LIMIT 1", (last,)) is not None


def lock_keys(runs: Sequence[Run]) -> list[int]:
    """The advisory-lock keys of a claim, sorted: one per block of :data:`MAX_RUN` numbers a run
    touches (a run spans at most two). Two runs that share an id share a block, so their claims
    serialise; claims of other blocks never wait (a clash of two keys' hashes only makes one wait)."""
    return sorted(
        {
            advisory_key(f"owners:{r.width}:{block}:{r.prefix}")
            for r in runs
            for block in range(r.first // MAX_RUN, r.last // MAX_RUN + 1)
        }
    )


def crossing(runs: Sequence[tuple[Run, int]]) -> str | None:
    """An id two owners of one claim both name, or None (pure).

    The runs of one owner never overlap (``id_runs`` makes them disjoint), so, ordered by their
    first number, a run that starts before an earlier run of its prefix ended is another owner's.
    """
    ordered = sorted(runs, key=lambda rc: (rc[0].prefix, rc[0].width, rc[0].first))
    for _, group in groupby(ordered, key=lambda rc: (rc[0].prefix, rc[0].width)):
        reach = -1
        for run, _ in group:
            if run.first <= reach:
                return join_id(run.prefix, run.width, run.first)
            reach = max(reach, run.last)
    return None


def _columns(runs: Sequence[tuple[Run, int]]) -> tuple[list[str], list[int], list[int], list[int], list[int]]:
    """The claim's runs as the five arrays of ``_RUNS``."""
    return (
        [r.prefix for r, _ in runs],
        [r.width for r, _ in runs],
        [r.first for r, _ in runs],
        [r.last for r, _ in runs],
        [code for _, code in runs],
    )
