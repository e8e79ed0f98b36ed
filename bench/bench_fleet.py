"""Fleet benchmark: 200 agents x 3 sensors through the full hub (`borderwatch hub run`), then the
capacity of two hub instances on PostgreSQL against one.

Everything is real: our own Mosquitto, VictoriaMetrics as the shared event store, PostgreSQL
(127.0.0.1:5432, a throw-away schema per phase) for the alert state and the delivery ledger, and
the hub processes with ingest, ledger, alert engine and store. A publisher process plays the
fleet: each agent sends an EventBatch (QoS 1, seqs from 0) every ``--period`` seconds holding its
three sensors' events.

1. Field rate: ``--per-sensor-rate`` events/s per sensor (default 2: a target's track updates at
   about 1 Hz, a couple of targets in view) for ``--seconds``, one hub. Pass: 0 lost (the ledger is
   complete for every agent and VictoriaMetrics holds every event).
2. Capacity: a burst of ``--burst`` events published at full speed, once into one hub, once into
   two hubs on one ``$share`` group; capacity = events / time from the first event in the shared
   ledger until it holds all. ``--pairs`` (one hub, two hubs) pairs, run side by side; the verdict
   is on the median ratio. Target: two >= 1.8x one.

   Two regimes, both printed:
   - uncapped: every process takes what the scheduler gives it. On a small shared machine (this
     one has 2 cores shared by the publisher, Mosquitto, VictoriaMetrics, PostgreSQL and other
     jobs) the hubs get a share of the cores, not a core each, and a second hub mostly splits that
     share: the ratio then measures the machine, not the hubs. Each arm prints the CPU (in cores)
     each part used and the load average, and the events per hub CPU-second, which says whether
     the shared state costs a second hub anything per event.
   - capped (``--hub-cpu``, default 0.12 of a core per hub, a cgroup v1 CPU quota; skipped when
     /sys/fs/cgroup/cpu is not writable): each hub has the same fixed CPU, as on its own host, so
     two hubs have twice one hub's CPU and the ratio says how the shared state scales. The cap is
     small so that this busy machine can give it to both hubs at once; each arm prints whether
     the hubs used at least 90 % of their caps (if not, the machine, not the cap, set the pace).

    python bench/bench_fleet.py                   # defaults: 200 agents, 20 s at field rate, 40,000-event bursts
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt
import psutil

from bench.bench_ingest import batch_payload
from borderwatch.hub.delivery.persist import LedgerFile
from borderwatch.hub.sqldb import open_postgres
from tests.support.broker import Mosquitto
from tests.support.fleet import fleet_hub_config, start_hub, stop_hubs, wait_connected
from tests.support.postgres import PG_DSN
from tests.support.victoria import VictoriaMetrics, victoria_metrics
from tests.support.waits import wait_until


def batch(site: str, agent: str, first: int, n: int, t0: datetime) -> bytes:
    """One EventBatch of ``n`` events from seq ``first``: bench_ingest's payload, over a mast's three sensors."""
    return batch_payload(site, agent, first, n, t0, cameras=3, classes=("person",))


def publish(port: int, site: str, agents: int, per_batch: int, total: int, period_s: float | None) -> float:
    """Round-robin over agents; ``period_s`` paces each agent to one batch per period (None: full speed)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"fleet-pub-{os.getpid()}-{site}")
    client.max_inflight_messages_set(200)
    client.connect("127.0.0.1", port)
    client.loop_start()
    t0, seq, sent, start, info = datetime.now(UTC), [0] * agents, 0, time.monotonic(), None
    rounds = 0
    while sent < total:
        for a in range(agents):
            n = min(per_batch, total - sent)
            if n <= 0:
                break
            info = client.publish(f"bw/v1/{site}/a{a:03d}/events", batch(site, f"a{a:03d}", seq[a], n, t0), qos=1)
            seq[a], sent = seq[a] + n, sent + n
        info.wait_for_publish(120)  # type: ignore[union-attr]
        rounds += 1
        if period_s and (ahead := rounds * period_s - (time.monotonic() - start)) > 0:
            time.sleep(ahead)
    elapsed = time.monotonic() - start
    client.loop_stop()
    client.disconnect()
    return sent / elapsed


class Phase:
    """Hub processes on one fresh schema, and the shared ledger they write."""

    def __init__(self, tmp: Path, port: int, vm: VictoriaMetrics, schema: str, hubs: int,
                 cpu: float | None = None) -> None:  # fmt: skip
        import psycopg

        self.schema = schema
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.procs: list[subprocess.Popen[bytes]] = []
        self.caps: list[CpuCap] = []
        for i in range(hubs):
            log = tmp / f"hub{i}-{schema}.log"
            self.procs.append(start_hub(fleet_hub_config(tmp, f"hub{i}", port, vm.url, schema), log))
            if cpu is not None:
                self.caps.append(CpuCap(f"{schema}-hub{i}", cpu, self.procs[-1].pid))
            wait_connected([log], 60)
        self.ledger = LedgerFile.on(open_postgres(PG_DSN, schema))

    def held(self) -> tuple[int, int]:
        """(events the ledger holds, events it is missing below the highest seen)."""
        rows = self.ledger.load().values()
        return sum(r.contiguous + 1 + sum(b - a + 1 for a, b in r.above) for r in rows), sum(
            sum(b - a + 1 for a, b in r.holes) for r in rows
        )

    def lost(self) -> int:
        return sum(r.counters["lost"] for r in self.ledger.load().values())

    def stop(self) -> None:
        stop_hubs(self.procs, 30)
        for cap in self.caps:
            cap.remove()
        self.ledger.close()


class CpuCap:
    """A cgroup v1 CPU quota of ``cores`` for one process (and the threads it starts)."""

    ROOT = Path("/sys/fs/cgroup/cpu")

    @classmethod
    def available(cls) -> bool:
        """Whether this user may create CPU cgroups here (root, cgroup v1 cpu controller mounted)."""
        return (cls.ROOT / "cpu.cfs_quota_us").exists() and os.access(cls.ROOT, os.W_OK)

    def __init__(self, name: str, cores: float, pid: int) -> None:
        self.dir = self.ROOT / f"borderwatch-bench-{os.getpid()}-{name}"
        self.dir.mkdir()
        (self.dir / "cpu.cfs_period_us").write_text("100000")
        (self.dir / "cpu.cfs_quota_us").write_text(str(round(cores * 100_000)))
        (self.dir / "cgroup.procs").write_text(str(pid))

    def remove(self) -> None:
        """Delete the group (its process has exited)."""
        with contextlib.suppress(OSError):
            self.dir.rmdir()


class CpuMeter:
    """CPU each part of the bench used over a window (in cores), and what the whole machine did, so
    the report says who had the cores: the hubs, or the load generator, the broker, the databases,
    or other jobs on this machine."""

    def __init__(self, parts: dict[str, list[int]]) -> None:
        self._parts = {k: [psutil.Process(p) for p in pids] for k, pids in parts.items()}
        self._pg = [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")]
        self._start = self._read()

    def _read(self) -> dict[str, float]:
        def cpu(ps: list[psutil.Process]) -> float:
            total = 0.0
            for p in ps:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
            return total

        m = psutil.cpu_times()
        busy = sum(m) - m.idle - getattr(m, "iowait", 0.0)
        return {**{k: cpu(v) for k, v in self._parts.items()}, "postgres (all users)": cpu(self._pg),
                "machine busy": busy, "wall": time.monotonic()}  # fmt: skip

    def used(self) -> dict[str, float]:
        """Cores each part used since construction; ``other jobs`` is the rest of the busy machine."""
        end = self._read()
        wall = end["wall"] - self._start["wall"]
        used = {k: (end[k] - self._start[k]) / wall for k in end if k != "wall"}
        ours = sum(v for k, v in used.items() if k != "machine busy")
        used["other jobs"] = max(0.0, used["machine busy"] - ours)
        return used


def field(args: argparse.Namespace, tmp: Path, port: int, vm: VictoriaMetrics) -> bool:
    per_batch = round(3 * args.per_sensor_rate * args.period)
    total = args.agents * per_batch * round(args.seconds / args.period)
    phase = Phase(tmp, port, vm, "bench_fleet_field", 1)
    try:
        rate = publish(port, "field", args.agents, per_batch, total, args.period)
        wait_until(lambda: phase.held()[0] >= total, 120, "field-rate events stored", every=0.2)
        vm.settle()
        in_vm = vm.samples('events_count{site="field"}')
        held, missing = phase.held()
        ok = held == total and missing == 0 and phase.lost() == 0 and in_vm == total
        print(f"field rate: {args.agents} agents x 3 sensors x {args.per_sensor_rate:g}/s = "
              f"{args.agents * 3 * args.per_sensor_rate:,.0f} events/s offered ({rate:,.0f}/s published), "
              f"{total:,} events: ledger {held:,}, VictoriaMetrics {in_vm:,}, lost {total - min(held, in_vm)} "
              f"-> {'PASS' if ok else 'FAIL'}")  # fmt: skip
        return ok
    finally:
        phase.stop()


def capacity(args: argparse.Namespace, tmp: Path, broker: Mosquitto, vm: VictoriaMetrics, hubs: int, run: str,
             cpu: float | None) -> tuple[float, float]:  # fmt: skip
    """(events/s, events per hub CPU-second) that ``hubs`` hub(s) store from a burst published at
    full speed (same burst, same publisher, same measurement for every arm: from the first event
    in the shared ledger to the last)."""
    per_batch = round(3 * args.per_sensor_rate * args.period)
    phase = Phase(tmp, broker.port, vm, f"bench_fleet_{run}_{hubs}", hubs, cpu)
    try:
        pub = subprocess.Popen([sys.executable, __file__, "--role", "publish", "--port", str(broker.port),
                                "--site", f"{run}-{hubs}", "--agents", str(args.agents), "--burst",
                                str(args.burst), "--per-batch", str(per_batch)], stdout=subprocess.PIPE)  # fmt: skip
        assert broker.proc is not None
        parts = {"hubs": [p.pid for p in phase.procs], "publisher": [pub.pid], "mosquitto": [broker.proc.pid],
                 "victoria-metrics": [vm.proc.pid]}  # fmt: skip
        wait_until(
            lambda: phase.held()[0] > 0, 60, "the first events stored", every=0.2
        )  # the clock starts at the first
        start, first, meter = time.monotonic(), phase.held()[0], CpuMeter(parts)
        wait_until(lambda: phase.held()[0] >= args.burst, 900, f"burst stored by {hubs} hub(s)", every=0.2)
        elapsed = time.monotonic() - start
        used = meter.used()
        published = float(pub.communicate(timeout=60)[0].decode().strip() or 0)
        rate = (args.burst - first) / elapsed
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
        per_cpu = rate / used["hubs"] if used["hubs"] > 0 else float("nan")
        held = "" if cpu is None else f", cap held: {'yes' if used['hubs'] >= 0.9 * cpu * hubs else 'NO'}"
        print(f"  {hubs} hub(s): {args.burst - first:,} events in {elapsed:.1f} s = {rate:,.0f} events/s, "
              f"{per_cpu:,.0f} per hub CPU-second (publisher offered {published:,.0f}/s; load average {load})\n"
              f"    CPU in cores: {', '.join(f'{k} {v:.2f}' for k, v in used.items())}{held}")  # fmt: skip
        return rate, per_cpu
    finally:
        phase.stop()


def regime(args: argparse.Namespace, tmp: Path, broker: Mosquitto, vm: VictoriaMetrics, cpu: float | None) -> float:
    """Median two-hub/one-hub ratio over ``--pairs`` pairs, each printed."""
    name = f"capped at {cpu:g} core per hub" if cpu else "uncapped"
    print(f"capacity, {name}:")
    ratios = []
    for k in range(args.pairs):  # one then two, side by side, so drift hits both arms alike
        run = f"cap{round(cpu * 100)}r{k}" if cpu else f"free{k}"
        one, one_cpu = capacity(args, tmp, broker, vm, 1, run, cpu)
        two, two_cpu = capacity(args, tmp, broker, vm, 2, run, cpu)
        ratios.append(two / one)
        print(f"  pair {k + 1}: two hubs / one = {two / one:.2f}x; events per hub CPU-second two / one = "
              f"{two_cpu / one_cpu:.2f} (below 1: sharing the state costs a hub CPU per event)")  # fmt: skip
    ratio = statistics.median(ratios)
    print(f"two hubs / one, {name}: median {ratio:.2f}x of {len(ratios)} pairs "
          f"({', '.join(f'{r:.2f}' for r in ratios)}) (target >= 1.8) -> {'PASS' if ratio >= 1.8 else 'BELOW'} "
          f"[{os.cpu_count()} cores shared by the publisher, Mosquitto, VictoriaMetrics, PostgreSQL, the hubs "
          f"and other jobs on this machine]")  # fmt: skip
    return ratio


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agents", type=int, default=200)
    p.add_argument("--per-sensor-rate", type=float, default=2.0, help="events/s per sensor at field rate")
    p.add_argument("--period", type=float, default=0.5, help="seconds between an agent's batches")
    p.add_argument("--seconds", type=float, default=20.0, help="length of the field-rate phase")
    p.add_argument("--burst", type=int, default=40_000, help="events of each capacity burst")
    p.add_argument("--pairs", type=int, default=3, help="capacity measured as this many (one hub, two hubs) pairs")
    p.add_argument("--hub-cpu", type=float, default=0.12, help="cores each hub may use in the capped regime")
    p.add_argument("--regimes", nargs="+", choices=["uncapped", "capped"], default=["uncapped", "capped"])
    p.add_argument("--role", choices=["main", "publish"], default="main", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--site", help=argparse.SUPPRESS)
    p.add_argument("--per-batch", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.role == "publish":
        print(f"{publish(args.port, args.site, args.agents, args.per_batch, args.burst, None):.1f}")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as d:
        tmp = Path(d)
        broker = Mosquitto(tmp / "broker", persistence=False).start()
        try:
            with victoria_metrics(tmp / "vm") as vm:
                ok = field(args, tmp, broker.port, vm)
                if "uncapped" in args.regimes:
                    regime(args, tmp, broker, vm, None)
                if "capped" in args.regimes:
                    if CpuCap.available():
                        regime(args, tmp, broker, vm, args.hub_cpu)
                    else:
                        print(f"capacity, capped: skipped ({CpuCap.ROOT} is not writable here)")
        finally:
            broker.kill()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
