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
   two hubs on one ``$share`` group; capacity = events / time until the shared ledger holds all.
   Target: two >= 1.8x one. Printed with the machine's core count: the publisher, Mosquitto,
   VictoriaMetrics and PostgreSQL share the same cores as the hubs.

    python bench/bench_fleet.py                   # defaults: 200 agents, 20 s at field rate, 40,000-event bursts
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt
import tomli_w

from borderwatch.hub.delivery.persist import LedgerFile
from borderwatch.hub.sqldb import open_postgres
from tests.support.broker import Mosquitto
from tests.support.postgres import PG_DSN
from tests.support.victoria import VictoriaMetrics, victoria_metrics

CLI = [sys.executable, "-m", "borderwatch.deploy.cli"]
_EVENT = (
    '{{"id":"{site}-{agent}-{seq:010d}","seq":{seq},"ts":"{ts}","site":"{site}","agent":"{agent}",'
    '"sensor":{{"id":"cam{cam}","kind":"camera"}},"kind":"track_update","class":"person",'
    '"confidence":0.{conf:03d},"track_id":{track},"box":{{"x1":{x1},"y1":40.0,"x2":{x2},"y2":180.0,'
    '"frame_width":1280,"frame_height":720}}}}'
)


def _iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def batch(site: str, agent: str, first: int, n: int, t0: datetime) -> bytes:
    """One EventBatch of ``n`` events from seq ``first``; ts = t0 + 2 ms * seq keeps samples distinct."""
    events = ",".join(
        _EVENT.format(site=site, agent=agent, seq=s, ts=_iso(t0 + timedelta(milliseconds=2 * s)), cam=s % 3,
                      conf=s % 1000, track=s % 50, x1=s % 900, x2=s % 900 + 60)
        for s in range(first, first + n)
    )  # fmt: skip
    head = f'{{"v":1,"site":"{site}","agent":"{agent}","sent_at":"{_iso(datetime.now(UTC))}","events":['
    return (head + events + "]}").encode()


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


def hub_config(tmp: Path, name: str, port: int, vm: VictoriaMetrics, schema: str) -> Path:
    state = tmp / name
    cfg = {
        "broker": {"port": port},
        "store": {"type": "influxdb", "url": vm.url, "precision": "ms", "dead_letter_path": str(state / "dl.sqlite3")},
        "delivery": {"client_id": f"bw-{name}-{schema}", "shared_group": schema, "mqtt_version": "5",
                     "receive_maximum": 256, "queue_max": 1024, "session_expiry_s": 60},
        "alerts": {"db_path": str(state / "tokens.sqlite3")},
        "evidence": {"enabled": False},
        "api": {"enabled": False},
        "state": {"type": "postgres", "dsn": PG_DSN, "schema": schema},
    }  # fmt: skip
    path = tmp / f"{name}-{schema}.toml"
    path.write_bytes(tomli_w.dumps(cfg).encode())
    return path


class Phase:
    """Hub processes on one fresh schema, and the shared ledger they write."""

    def __init__(self, tmp: Path, port: int, vm: VictoriaMetrics, schema: str, hubs: int) -> None:
        import psycopg

        self.schema = schema
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.procs = []
        for i in range(hubs):
            log = (tmp / f"hub{i}-{schema}.log").open("wb")
            cfg = hub_config(tmp, f"hub{i}", port, vm, schema)
            self.procs.append(subprocess.Popen([*CLI, "hub", "run", "-c", str(cfg)], stdout=log, stderr=log))
            _wait(lambda log=log: b"hub link connected" in Path(log.name).read_bytes(), 60, "hub connected")
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
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.ledger.close()


def _wait(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def field(args: argparse.Namespace, tmp: Path, port: int, vm: VictoriaMetrics) -> bool:
    per_batch = round(3 * args.per_sensor_rate * args.period)
    total = args.agents * per_batch * round(args.seconds / args.period)
    phase = Phase(tmp, port, vm, "bench_fleet_field", 1)
    try:
        rate = publish(port, "field", args.agents, per_batch, total, args.period)
        _wait(lambda: phase.held()[0] >= total, 120, "field-rate events stored")
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


def capacity(args: argparse.Namespace, tmp: Path, port: int, vm: VictoriaMetrics, hubs: int) -> float:
    per_batch = round(3 * args.per_sensor_rate * args.period)
    phase = Phase(tmp, port, vm, f"bench_fleet_cap{hubs}", hubs)
    try:
        pub = subprocess.Popen([sys.executable, __file__, "--role", "publish", "--port", str(port),
                                "--site", f"cap{hubs}", "--agents", str(args.agents), "--burst", str(args.burst),
                                "--per-batch", str(per_batch)])  # fmt: skip
        _wait(lambda: phase.held()[0] > 0, 60, "the first events stored")  # the clock starts at the first
        start, first = time.monotonic(), phase.held()[0]
        _wait(lambda: phase.held()[0] >= args.burst, 600, f"burst stored by {hubs} hub(s)")
        elapsed = time.monotonic() - start
        pub.wait(60)
        rate = (args.burst - first) / elapsed
        print(f"capacity, {hubs} hub(s): {args.burst:,} events in {elapsed:.1f} s = {rate:,.0f} events/s")
        return rate
    finally:
        phase.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agents", type=int, default=200)
    p.add_argument("--per-sensor-rate", type=float, default=2.0, help="events/s per sensor at field rate")
    p.add_argument("--period", type=float, default=0.5, help="seconds between an agent's batches")
    p.add_argument("--seconds", type=float, default=20.0, help="length of the field-rate phase")
    p.add_argument("--burst", type=int, default=40_000, help="events of each capacity burst")
    p.add_argument("--role", choices=["main", "publish"], default="main", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--site", help=argparse.SUPPRESS)
    p.add_argument("--per-batch", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.role == "publish":
        publish(args.port, args.site, args.agents, args.per_batch, args.burst, None)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as d:
        tmp = Path(d)
        broker = Mosquitto(tmp / "broker", persistence=False).start()
        try:
            with victoria_metrics(tmp / "vm") as vm:
                ok = field(args, tmp, broker.port, vm)
                one = capacity(args, tmp, broker.port, vm, 1)
                two = capacity(args, tmp, broker.port, vm, 2)
        finally:
            broker.kill()
    ratio = two / one
    verdict = "PASS" if ratio >= 1.8 else "BELOW"
    print(f"two hubs / one: {ratio:.2f}x (target >= 1.8) -> {verdict} "
          f"[{os.cpu_count()} cores shared by publisher, Mosquitto, VictoriaMetrics, PostgreSQL, hubs]")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
