"""Ingest benchmark: detections/s from the broker into the time-series store, with zero loss.

One run, side by side, on one broker stream:
- a raw paho-mqtt subscriber (QoS 1, counts messages, does nothing else): the baseline;
- the hub path: paho-mqtt with manual ack -> hub.ingest.decode -> InfluxStore (VictoriaMetrics,
  InfluxDB v2 write API); a message is acked only after its points are written.
Each runs in its own process (own GIL), fed by one publisher sending EventBatch messages
(QoS 1) from many simulated agents through our own Mosquitto (max_queued_messages 0).
Printed: each rate, the ratio hub/raw (target >= 0.7), the hub rate (target >= 20,000/s),
and loss read back from VictoriaMetrics (must be 0). Also: one-pass decode vs json.loads.

The full ingest loop (ledger, delivery confirmations) is hub/service.py; this drives decode
and the store directly from a simple subscriber, the part this benchmark is about.

    python bench/bench_ingest.py                  # 200,000 detections, as fast as possible
    python bench/bench_ingest.py --soak           # + 10 min at half rate, hub memory must stay flat
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt  # noqa: E402

from tests.test_influx_servers import free_port, victoria_metrics  # noqa: E402

TOPIC = "bw/v1/{site}/{agent}/events"
_EVENT = (
    '{{"id":"{site}-{agent}-{seq:010d}","seq":{seq},"ts":"{ts}","site":"{site}","agent":"{agent}",'
    '"sensor":{{"id":"cam{cam}","kind":"camera"}},"kind":"track_update","class":"{cls}",'
    '"confidence":0.{conf:03d},"track_id":{track},"box":{{"x1":{x1},"y1":40.0,"x2":{x2},"y2":180.0,'
    '"frame_width":1280,"frame_height":720}}}}'
)


# -- publisher side ------------------------------------------------------------------------------


def batch_payload(site: str, agent: str, first_seq: int, n: int, t0: datetime) -> bytes:
    """One EventBatch; event ts = t0 + 2 ms * seq, so each agent stays under 100 events per 100 ms."""
    events = ",".join(
        _EVENT.format(
            site=site,
            agent=agent,
            seq=s,
            ts=(t0 + timedelta(milliseconds=2 * s)).isoformat().replace("+00:00", "Z"),
            cam=s % 2,
            cls=("person", "vehicle")[s // 2 % 2],
            conf=s % 1000,
            track=s % 50,
            x1=s % 900,
            x2=s % 900 + 60,
        )  # fmt: skip
        for s in range(first_seq, first_seq + n)
    )
    sent = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return f'{{"v":1,"site":"{site}","agent":"{agent}","sent_at":"{sent}","events":[{events}]}}'.encode()


def publish(port: int, site: str, agents: int, batch: int, total: int, rate: float | None) -> float:
    """Publish ``total`` detections round-robin over agents; returns the publisher's own rate."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{os.getpid()}")
    client.max_inflight_messages_set(100)
    client.connect("127.0.0.1", port)
    client.loop_start()
    t0, seqs, sent, start = datetime.now(UTC), [0] * agents, 0, time.monotonic()
    last: mqtt.MQTTMessageInfo | None = None
    while sent < total:
        a = (sent // batch) % agents
        n = min(batch, total - sent)
        last = client.publish(
            TOPIC.format(site=site, agent=f"a{a}"), batch_payload(site, f"a{a}", seqs[a], n, t0), 1
        )
        seqs[a] += n
        sent += n
        if sent // batch % 200 == 0:
            last.wait_for_publish(60)  # bounds paho's own queue
        if rate is not None and (ahead := sent / rate - (time.monotonic() - start)) > 0:
            time.sleep(ahead)
    assert last is not None
    last.wait_for_publish(120)
    elapsed = time.monotonic() - start
    client.loop_stop()
    client.disconnect()
    return sent / elapsed


# -- subscriber roles (each in its own process) ---------------------------------------------------


def _subscriber(port: int, site: str, name: str, manual_ack: bool) -> tuple[mqtt.Client, threading.Event]:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, manual_ack=manual_ack)
    ready = threading.Event()
    client.on_subscribe = lambda *a: ready.set()
    client.on_connect = lambda c, *a: c.subscribe(f"bw/v1/{site}/+/events", qos=1)
    client.connect("127.0.0.1", port)
    return client, ready


def role_raw(args: argparse.Namespace) -> dict[str, float]:
    """Baseline: receive and count, nothing else."""
    client, ready = _subscriber(args.port, args.site, "bench-raw", manual_ack=False)
    got, times, done = [0], [0.0, 0.0], threading.Event()

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        if got[0] == 0:
            times[0] = time.time()
        got[0] += args.batch
        times[1] = time.time()
        if got[0] >= args.total:
            done.set()

    client.on_message = on_message
    client.loop_start()
    ready.wait(10)
    print("READY", flush=True)
    done.wait(args.timeout)
    client.loop_stop()
    return {"events": got[0], "first": times[0], "last": times[1], "cpu_s": _cpu_s()}


def role_hub(args: argparse.Namespace) -> dict[str, object]:
    """decode -> InfluxStore.submit_events -> ack from the write future (in order)."""
    from hub.contract import EventBatch
    from hub.ingest.decode import Accepted, decode
    from hub.store.config import InfluxStoreConfig
    from hub.store.influx import InfluxStore

    cfg = InfluxStoreConfig(url=args.vm, precision="ms", dead_letter_path=Path(args.tmp) / "dl.sqlite")
    store = InfluxStore(cfg)
    client, ready = _subscriber(args.port, args.site, "bench-hub", manual_ack=True)
    inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    client.on_message = lambda _c, _u, msg: inbox.put(msg)
    acked, times, done, rss = [0], [0.0, 0.0], threading.Event(), []

    def on_written(n: int, mid: int, qos: int) -> None:
        client.ack(mid, qos)
        acked[0] += n
        times[1] = time.time()
        if acked[0] >= args.total:
            done.set()

    def work() -> None:
        while True:
            msg = inbox.get()
            if times[0] == 0.0:
                times[0] = time.time()
            out = decode(msg.topic, msg.payload)
            if not (isinstance(out, Accepted) and isinstance(out.message, EventBatch)):
                raise SystemExit(f"bench produced a rejected message: {out}")
            n, mid, qos = len(out.message.events), msg.mid, msg.qos
            store.submit_events(out.message.events).add_done_callback(
                lambda _f, n=n, m=mid, q=qos: on_written(n, m, q)
            )

    threading.Thread(target=work, daemon=True).start()
    client.loop_start()
    ready.wait(10)
    print("READY", flush=True)
    while not done.wait(args.rss_every):
        rss.append(_rss_kb())
        if times[0] and time.time() - times[0] > args.timeout:
            break
    stats = store.stats().__dict__
    store.close()
    client.loop_stop()
    cpu = _cpu_s()
    return {
        "events": acked[0],
        "first": times[0],
        "last": times[1],
        "rss_kb": rss,
        "stats": stats,
        "cpu_s": cpu,
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- orchestration ---------------------------------------------------------------------------------


def start_mosquitto(tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages 100\nmessage_size_limit 1048576\n"
    )
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(0.5)
    if proc.poll() is not None:
        raise SystemExit("mosquitto did not start")
    return proc, port


def spawn(role: str, args: argparse.Namespace, port: int, vm: str, tmp: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, __file__, "--role", role, "--port", str(port), "--vm", vm, "--tmp", str(tmp),
           "--site", args.site, "--batch", str(args.batch), "--total", str(args.total),
           "--timeout", str(args.timeout), "--rss-every", str(args.rss_every)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip() if proc.stdout else ""
    if line != "READY":
        raise SystemExit(f"{role} subscriber failed to start: {line!r}")
    return proc


def result(proc: subprocess.Popen[str]) -> dict:
    out, _ = proc.communicate(timeout=proc_timeout)
    return json.loads(out.strip().splitlines()[-1])


proc_timeout = 900.0


def rate(r: dict) -> float:
    return r["events"] / max(1e-9, r["last"] - r["first"])


def run(args: argparse.Namespace, tmp: Path, vm_url: str, port: int, pub_rate: float | None) -> dict:
    raw = spawn("raw", args, port, vm_url, tmp)
    hub = spawn("hub", args, port, vm_url, tmp)
    published = publish(port, args.site, args.agents, args.batch, args.total, pub_rate)
    return {"publisher": published, "raw": result(raw), "hub": result(hub)}


def stored(vm: object, site: str, expected: int) -> int:
    """Detections VictoriaMetrics holds for the run; polls because it publishes rows lazily."""
    deadline, count = time.monotonic() + 60, -1
    while time.monotonic() < deadline:
        vm.settle()  # type: ignore[attr-defined]
        last, count = count, vm.samples(f'events_count{{site="{site}"}}')  # type: ignore[attr-defined]
        if count == expected or count == last:
            break
    return count


def decode_micro(n_events: int = 100, reps: int = 200) -> tuple[float, float]:
    """µs per detection: one-pass model_validate_json vs json.loads + model_validate."""
    from hub.contract import EventBatch

    payload = batch_payload("m", "a0", 0, n_events, datetime.now(UTC))
    timings = []
    for fn in (lambda: EventBatch.model_validate_json(payload),
               lambda: EventBatch.model_validate(json.loads(payload))):  # fmt: skip
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        timings.append((time.perf_counter() - start) / reps / n_events * 1e6)
    return timings[0], timings[1]


def report(label: str, res: dict, lost: int) -> None:
    raw_rate, hub_rate = rate(res["raw"]), rate(res["hub"])
    print(f"{label}: publisher {res['publisher']:,.0f}/s | raw paho subscriber {raw_rate:,.0f}/s "
          f"({res['raw']['events']:,}) | hub decode+store {hub_rate:,.0f}/s ({res['hub']['events']:,})")  # fmt: skip
    print(f"  ratio hub/raw = {hub_rate / raw_rate:.2f} (target >= 0.70: {'PASS' if hub_rate / raw_rate >= 0.7 else 'BELOW'})"
          f" | hub >= 20,000/s: {'PASS' if hub_rate >= 20_000 else 'BELOW'} | lost = {lost}")  # fmt: skip
    cpu = {k: res[k]["cpu_s"] / max(1, res[k]["events"]) * 1e6 for k in ("raw", "hub")}
    print(f"  CPU per detection: raw {cpu['raw']:.1f} us, hub {cpu['hub']:.1f} us (process totals)")
    print(f"  writer: {json.dumps(res['hub']['stats'])}")


def soak_report(res: dict) -> bool:
    samples = res["hub"]["rss_kb"]
    steady = samples[len(samples) // 6 :]  # skip the first minute of a 10-min run (warm-up)
    growth = max(steady) / min(steady) - 1 if steady else float("nan")
    print(f"  hub RSS MB: start {samples[0] / 1024:.1f} min {min(steady) / 1024:.1f} max {max(steady) / 1024:.1f} "
          f"end {samples[-1] / 1024:.1f} -> spread {growth:.1%} (target <= 10 %: {'PASS' if growth <= 0.1 else 'FAIL'})")  # fmt: skip
    return growth <= 0.1


def orchestrate(args: argparse.Namespace) -> int:
    one, naive = decode_micro()
    print(f"decode: one-pass model_validate_json {one:.2f} us/detection, json.loads+validate {naive:.2f} "
          f"us/detection ({naive / one:.2f}x)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as d:
        tmp = Path(d)
        broker, port = start_mosquitto(tmp)
        try:
            with victoria_metrics(tmp / "vm") as vm:
                res = run(args, tmp, vm.url, port, None)
                lost = args.total - stored(vm, args.site, args.total)
                report(f"burst {args.total:,} detections, batches of {args.batch}", res, lost)
                ok = lost == 0
                if args.soak:
                    ok &= soak(args, tmp, vm, port, rate(res["hub"]))
        finally:
            broker.terminate()
            broker.wait(10)
    return 0 if ok else 1


def soak(args: argparse.Namespace, tmp: Path, vm: object, port: int, burst_rate: float) -> bool:
    half = max(1000.0, min(args.rate, burst_rate) / 2)
    args.site, args.total = f"{args.site}soak", int(half * args.soak_seconds)
    args.rss_every, args.timeout = 10.0, args.soak_seconds * 2
    print(f"soak: {args.soak_seconds:.0f} s at {half:,.0f} detections/s ({args.total:,})", flush=True)
    res = run(args, tmp, vm.url, port, half)  # type: ignore[attr-defined]
    lost = args.total - stored(vm, args.site, args.total)
    report("soak", res, lost)
    return soak_report(res) and lost == 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--total", type=int, default=200_000, help="detections to publish in the burst")
    p.add_argument("--batch", type=int, default=100, help="detections per MQTT message (EventBatch)")
    p.add_argument("--agents", type=int, default=50, help="simulated agents (topics)")
    p.add_argument("--soak", action="store_true", help="then 10 min at half rate; hub RSS must stay flat")
    p.add_argument("--soak-seconds", type=float, default=600.0)
    p.add_argument("--rate", type=float, default=40_000.0, help="soak runs at half of min(rate, burst rate)")
    p.add_argument("--site", default=f"bench{os.getpid()}")
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--rss-every", type=float, default=1.0)
    p.add_argument("--role", choices=["raw", "hub"], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--vm", help=argparse.SUPPRESS)
    p.add_argument("--tmp", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.role:
        print(json.dumps((role_raw if args.role == "raw" else role_hub)(args)), flush=True)
        return 0
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, python {sys.version.split()[0]}")
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
