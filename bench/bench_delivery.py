"""Sustained delivery: agents (outbox + link) -> Mosquitto -> hub (ledger + store), loss counted,
beside a raw paho-mqtt QoS 1 publisher -> subscriber moving the same payload bytes over the same
broker in the same run. Prints both rates and their ratio.

    /work/venv/bin/python bench/bench_delivery.py [--events 20000] [--agents 2] [--batch 100]

The raw run does nothing but move bytes; the pipeline run also fsyncs every outbox append,
validates every event on the hub, keeps the ledger and writes the store durably before acking.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from borderwatch.contract import AgentState, AgentStatus, EventBatch
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.link import AgentLink
from borderwatch.edge.outbox import Outbox
from borderwatch.hub.delivery.config import DeliveryConfig
from borderwatch.hub.service import HubService
from borderwatch.hub.store.sqlite import SqliteStore
from tests.support.broker import Mosquitto
from tests.support.builders import outbox_events
from tests.support.store import stored_seqs


def raw_run(port: int, payload: bytes, n_msgs: int, validate: bool = False) -> float:
    """Messages per second, QoS 1 both ways, publisher as fast as paho allows; ``validate`` makes
    the subscriber parse each payload as an EventBatch (the decode cost alone, no store)."""
    got = threading.Event()
    count = [0]

    def on_message(c: mqtt.Client, u: object, m: mqtt.MQTTMessage) -> None:
        if validate:
            EventBatch.model_validate_json(m.payload)
        count[0] += 1
        if count[0] >= n_msgs:
            got.set()

    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-raw-sub")
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe("bench/raw", qos=1)
    sub.loop_start()
    time.sleep(0.5)
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-raw-pub")
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    t0 = time.perf_counter()
    for _ in range(n_msgs):
        pub.publish("bench/raw", payload, qos=1)
    ok = got.wait(300)
    elapsed = time.perf_counter() - t0
    for c in (pub, sub):
        c.loop_stop()
        c.disconnect()
    if not ok:
        raise RuntimeError(f"raw run delivered {count[0]}/{n_msgs}")
    return n_msgs / elapsed


def _birth(agent: str) -> AgentStatus:
    return AgentStatus(site="bench", agent=agent, state=AgentState.ONLINE, ts=datetime.now(UTC))


def pipeline_run(
    broker: Mosquitto, workdir: Path, n_agents: int, per_agent: int, batch: int, catch_up: bool
) -> tuple[float, int, dict]:
    """Events per second into the store, and how many were lost.

    Live: timed from the first outbox append (fsync per append of ``batch`` events) to the last
    stored event. Catch-up: the outboxes are filled first (as after an outage) and the clock
    runs from starting the links, so it measures link + broker + hub alone.
    """
    workdir.mkdir(parents=True)
    store = SqliteStore(workdir / "store.sqlite3")
    hub = HubService(
        broker.broker_config(),
        DeliveryConfig(ledger_path=workdir / "ledger.sqlite3", client_id=f"bench-hub-{workdir.name}"),
        store,
    )
    hub.start()
    hub.wait_connected(10)
    names = [f"{workdir.name}{i}" for i in range(n_agents)]
    events = {a: outbox_events("bench", a, 0, per_agent) for a in names}  # built before the clock starts
    boxes = {a: Outbox(workdir / f"{a}.sqlite3", OutboxConfig(replay_window_s=0)) for a in names}
    links = {
        a: AgentLink(
            "bench",
            a,
            broker.broker_config(),
            boxes[a],
            lambda a=a: _birth(a),
            LinkConfig(batch_max_events=batch),
        )
        for a in names
    }

    def produce(a: str) -> None:
        for i in range(0, per_agent, batch):
            boxes[a].append(events[a][i : i + batch])
            links[a].notify()

    threads = [threading.Thread(target=produce, args=(a,)) for a in names]
    if catch_up:
        for t in threads:
            t.run()
    t0 = time.perf_counter()
    for link in links.values():
        link.start()
    if not catch_up:
        for t in threads:
            t.start()
    total = n_agents * per_agent
    deadline = time.monotonic() + 600
    while sum(c["received"] for c in hub.stats()["agents"].values()) < total and time.monotonic() < deadline:
        time.sleep(0.02)
    elapsed = time.perf_counter() - t0
    time.sleep(1.0)
    stats = hub.stats()
    for a in names:
        links[a].stop()
        boxes[a].close()
    hub.stop()
    stored = sum(len(set(stored_seqs(workdir / "store.sqlite3", "bench", a))) for a in names)
    store.close()
    return total / elapsed, total - stored, stats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=20_000, help="events per agent")
    p.add_argument("--agents", type=int, default=2)
    p.add_argument("--batch", type=int, default=100, help="events per outbox append and per EventBatch")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        work = Path(tmp)
        broker = Mosquitto(work / "broker", persistence=True, max_queued=0, max_inflight=100).start()
        try:
            sample = outbox_events("bench", "m0", 0, args.batch)
            sample = [e.model_copy(update={"seq": i}) for i, e in enumerate(sample)]
            payload = (
                EventBatch(site="bench", agent="m0", sent_at=datetime.now(UTC), events=sample)
                .model_dump_json(by_alias=True, exclude_none=True)
                .encode()
            )
            n_msgs = args.agents * args.events // args.batch
            raw = raw_run(broker.port, payload, n_msgs) * args.batch
            decoded = raw_run(broker.port, payload, n_msgs, validate=True) * args.batch
            live = pipeline_run(broker, work / "live", args.agents, args.events, args.batch, catch_up=False)
            catch = pipeline_run(broker, work / "catchup", args.agents, args.events, args.batch, catch_up=True)
        finally:
            broker.kill()
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpu, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}"
    )
    print(
        f"payload: {len(payload)} bytes per message, {args.batch} events per message, "
        f"{args.agents} agents x {args.events} events"
    )
    print("store: hub.store.sqlite.SqliteStore (WAL, synchronous=FULL)")
    print(f"raw paho QoS1 pub->sub             : {raw:9.0f} events/s")
    print(f"raw paho + EventBatch validation   : {decoded:9.0f} events/s  ratio={decoded / raw:5.3f}")
    lost = 0
    for name, (rate, missing, stats) in (
        ("pipeline live (fsync per append)", live),
        ("pipeline catch-up (outbox full)", catch),
    ):
        c = stats["agents"].values()
        lost += missing + sum(x["lost"] for x in c)
        print(
            f"{name:35s}: {rate:9.0f} events/s  ratio={rate / raw:5.3f}  lost={missing} "
            f"ledger_lost={sum(x['lost'] for x in c)} duplicates={sum(x['duplicates'] for x in c)}"
        )
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
