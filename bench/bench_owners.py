"""Event-id owner index benchmark: the cost of one claim (one MQTT message) on the local SQLite
index (one hub) and on the shared PostgreSQL index (several hubs), side by side in one run.

What the ingest thread pays per message is ``claim`` (and, for the local index, its share of the
``flush`` the store makes before each write): CPU of the calling thread (it holds the GIL
meanwhile except while waiting for the database) and wall time. The workload is bench_ingest's:
messages of ``--batch`` numbered ids from ``--agents`` agents in turn, fresh ids each time (the
steady state: every sender and the hour already known). Then two instances on PostgreSQL claim at
once from two threads (own connections, agents split), as two hubs of a fleet would.

Target: claims alone keep up with the hub's 20,000 detections/s (``ids/s``). Exit 1 if a stranger
reusing a claimed id is not refused afterwards (the check that the runs were recorded).

    python bench/bench_owners.py                 # 2,000 messages of 100 ids on each backend
    python bench/bench_owners.py --ids random    # ids that form no runs (a row per id)
    python bench/bench_owners.py --batch 10 --round 20   # small messages, claimed a round at once
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from borderwatch.hub.sqldb import open_postgres
from borderwatch.hub.store.base import StoreRefusedError
from borderwatch.hub.store.owners import OwnerIndex
from borderwatch.hub.store.owners_pg import SharedOwnerIndex

TARGET_IDS_S = 20_000


class _Ev(NamedTuple):
    """What the index reads of an event (site, agent, id): no pydantic cost in the set-up."""

    site: str
    agent: str
    id: str


def messages(n_msgs: int, batch: int, agents: int, ids: str, tag: str) -> list[list[_Ev]]:
    """``n_msgs`` messages of ``batch`` events, agents in turn, each agent's ids numbered on."""
    seqs = [0] * agents
    out = []
    for m in range(n_msgs):
        a = m % agents
        if ids == "random":
            evs = [_Ev("s", f"a{a}", uuid.uuid4().hex[:16]) for _ in range(batch)]
        else:
            evs = [_Ev("s", f"a{a}", f"{tag}-a{a}-{seqs[a] + i:010d}") for i in range(batch)]
        seqs[a] += batch
        out.append(evs)
    return out


def rounds(msgs: list[list[_Ev]], per_round: int) -> list[list[_Ev]]:
    """Messages grouped as the hub's ingest loop claims them: a round of several agents' messages."""
    return [[e for m in msgs[i : i + per_round] for e in m] for i in range(0, len(msgs), per_round)]


FLUSH_EVERY = 8
"""Messages between two flushes: the InfluxDB store flushes staged claims before each HTTP write,
and bench_ingest.py's hub writes about every 8 messages of 100 detections."""


def timed(idx: OwnerIndex | SharedOwnerIndex, msgs: list[list[_Ev]]) -> tuple[float, float]:
    """(wall s, CPU s of this thread) for claiming every message in turn, with the flushes the store
    makes (the local index stages a known sender's runs and writes them then)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    for k, m in enumerate(msgs, 1):
        idx.claim(m)
        if k % FLUSH_EVERY == 0:
            idx.flush()
    idx.flush()
    return time.perf_counter() - wall, time.thread_time() - cpu


def refuses_stranger(idx: OwnerIndex | SharedOwnerIndex, msg: list[_Ev]) -> bool:
    try:
        idx.claim([msg[len(msg) // 2]._replace(agent="stranger")])
    except StoreRefusedError:
        return True
    return False


def row(name: str, msgs: list[list[_Ev]], wall: float, cpu: float) -> str:
    n = len(msgs)
    ids = sum(map(len, msgs))
    verdict = "PASS" if ids / wall >= TARGET_IDS_S else "BELOW"
    return (f"{name:<34} {wall / n * 1e6:>9.0f} {cpu / n * 1e6:>9.0f} {n / wall:>9,.0f} {ids / wall:>11,.0f}"
            f"  {verdict} (>= {TARGET_IDS_S:,} ids/s)")  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--batch", type=int, default=100, help="ids per message")
    p.add_argument("--agents", type=int, default=50)
    p.add_argument("--round", type=int, default=1, help="messages per claim (the hub claims a round at once)")
    p.add_argument("--ids", choices=("numbered", "random"), default="numbered")
    p.add_argument("--dsn", default=os.environ.get("BORDERWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"))
    args = p.parse_args()
    schema = f"bench_owners_{os.getpid()}"
    ok, lines = True, []
    with tempfile.TemporaryDirectory() as tmp:
        local = OwnerIndex(Path(tmp) / "owners.sqlite")
        shared = SharedOwnerIndex(open_postgres(args.dsn, schema))
        second = SharedOwnerIndex(open_postgres(args.dsn, schema))
        try:
            for name, idx in (("sqlite (one hub, local file)", local), ("postgres (shared, one instance)", shared)):
                warm = messages(args.agents, 1, args.agents, "numbered", "warm")  # codes and hour known
                timed(idx, warm)
                msgs = rounds(messages(args.messages, args.batch, args.agents, args.ids, name[:2]), args.round)
                wall, cpu = timed(idx, msgs)
                lines.append(row(name, msgs, wall, cpu))
                ok &= refuses_stranger(idx, msgs[-1])
            halves = [rounds(messages(args.messages // 2, args.batch, args.agents // 2, args.ids, f"p{k}"), args.round)
                      for k in (0, 1)]  # fmt: skip
            timed(second, messages(args.agents, 1, args.agents, "numbered", "warm2"))
            results: list[tuple[float, float]] = [(0.0, 0.0), (0.0, 0.0)]

            def run(k: int, idx: SharedOwnerIndex) -> None:
                results[k] = timed(idx, halves[k])

            start = time.perf_counter()
            threads = [threading.Thread(target=run, args=(k, i)) for k, i in enumerate((shared, second))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            both = halves[0] + halves[1]
            lines.append(row("postgres, two instances at once", both, time.perf_counter() - start,
                             sum(c for _, c in results)))  # fmt: skip
            ok &= refuses_stranger(second, halves[0][-1]) and refuses_stranger(shared, halves[1][-1])
        finally:
            local.close()
            shared.close()
            second.close()
            admin = open_postgres(args.dsn)
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.close()
    load = os.getloadavg()
    print(f"owner claims: {args.messages:,} messages of {args.batch} {args.ids} ids, {args.agents} agents, "
          f"{args.round} per claim; "
          f"{os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    print(f"{'backend':<34} {'wall us':>9} {'cpu us':>9} {'claims/s':>9} {'ids/s':>11}  (per claim)")
    print("\n".join(lines))
    print("stranger refused afterwards:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
