"""Alert decision latency: event arrival -> alert state change, at a paced 1,000 events/s.

Side by side in one run, over the same synthetic events (camera, radar and thermal crossings at
many places, so alerts keep opening, fusing, firing and resolving):
- ours: the hub's AlertEngine (rules, zones, fusion, lifecycle, SQLite store, hooks), fed in
  ingest rounds every ``--round-ms`` with the ticker's work in the same thread;
- raw: first-matching rule per event and one SQLite insert per match, nothing else.
Latency of an event = wall time from its scheduled arrival to the hook call that carries it.
Prints p50/p95/max for both and PASS/BELOW for ours against the 50 ms target.

    .venv/bin/python bench/bench_alerts.py [--rate 1000] [--seconds 20] [--round-ms 10]

``--open-scale`` instead measures how one decision's cost grows with the open alerts: crossings at
far-apart places (none fuse) from one hostile agent, per-event ``handle`` time at 100, 1,000 and
5,000 open alerts (``--agent-cap`` sets ``lifecycle.max_open_per_agent``; 0 = the default).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from borderwatch.contract import Event
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.engine import AlertChange, AlertEngine
from borderwatch.hub.alerts.rules import matches
from borderwatch.hub.alerts.store import SqliteAlertStore

TARGET_P95_MS = 50.0
KINDS = [("camera", "cam1", "person"), ("radar", "rad1", "unknown"), ("thermal", "th1", "person")]


def scene(rate: int, seconds: float, places: int = 40, seed: int = 1) -> list[Event]:
    """``rate`` events per second; each place sees a crossing burst from all three sensors."""
    rng = np.random.default_rng(seed)
    t0 = datetime.now(UTC)
    out = []
    for n in range(int(rate * seconds)):
        kind, sensor, cls = KINDS[n % 3]
        place = int(rng.integers(places))
        body = {
            "id": f"bench{n:010d}", "seq": n, "ts": (t0 + timedelta(seconds=n / rate)).isoformat(),
            "site": "west-1", "agent": f"mast-{place % 8:02d}", "sensor": {"id": sensor, "kind": kind},
            "kind": "line_crossing", "class": cls, "confidence": float(rng.uniform(0.4, 0.9)),
            "track_id": int(rng.integers(1000)), "position": {"lat": 52.0 + place * 0.01, "lon": 14.0},
            "rule": {"rule": "border", "direction": "inbound" if place % 2 else "outbound"},
        }  # fmt: skip
        if kind == "radar":
            body["polar"] = {"range_m": 150.0, "bearing_deg": 20.0, "speed_mps": 1.3}
        out.append(Event.model_validate(body))
    return out


def paced(
    events: list[Event],
    rate: int,
    round_ms: float,
    decide: Callable[[list[Event]], list[str]],
    tick: Callable[[], object] | None = None,
) -> np.ndarray:
    """Hand events over in rounds at their scheduled times; returns per-event latency (ms)."""
    arrival = {ev.id: i / rate for i, ev in enumerate(events)}
    lat = np.full(len(events), np.nan)
    index = {ev.id: i for i, ev in enumerate(events)}
    start = time.perf_counter()
    step = round_ms / 1000.0
    i, next_tick = 0, 1.0
    while i < len(events):
        now = time.perf_counter() - start
        j = i
        while j < len(events) and arrival[events[j].id] <= now:
            j += 1
        if j == i:
            time.sleep(min(step, arrival[events[i].id] - now))
            continue
        for eid in decide(events[i:j]):
            k = index[eid]
            if np.isnan(lat[k]):
                lat[k] = (time.perf_counter() - start - arrival[eid]) * 1000
        i = j
        if tick is not None and now >= next_tick:
            tick()
            next_tick += 1.0
    return lat


def run_ours(events: list[Event], rate: int, round_ms: float, tmp: Path) -> np.ndarray:
    done: list[str] = []

    def watcher(ch: AlertChange) -> None:
        done.extend(ch.alert.event_ids[-len(batch) :])

    store = SqliteAlertStore(tmp / "ours.sqlite3")
    engine = AlertEngine(AlertsConfig(), store, watchers=[watcher])
    batch: list[Event] = []

    def decide(evs: list[Event]) -> list[str]:
        nonlocal batch
        batch = evs
        done.clear()
        engine.handle(evs)
        return list(done)

    try:
        return paced(events, rate, round_ms, decide, engine.tick)
    finally:
        store.close()


def run_raw(events: list[Event], rate: int, round_ms: float, tmp: Path) -> np.ndarray:
    rules = AlertsConfig().rules
    db = sqlite3.connect(tmp / "raw.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE a (id TEXT PRIMARY KEY, rule TEXT, body TEXT)")

    def decide(evs: list[Event]) -> list[str]:
        hits = [(ev.id, r.name, ev.model_dump_json()) for ev in evs for r in rules[:1] + rules if matches(r, ev)]
        with db:
            db.executemany("INSERT OR IGNORE INTO a VALUES (?,?,?)", hits)
        return [h[0] for h in hits]

    try:
        return paced(events, rate, round_ms, decide)
    finally:
        db.close()


def summary(name: str, lat: np.ndarray) -> float:
    got = lat[~np.isnan(lat)]
    p50, p95, mx = np.percentile(got, 50), np.percentile(got, 95), got.max()
    print(f"{name:5s} decided={got.size:6d}/{lat.size}  p50={p50:6.2f} ms  p95={p95:6.2f} ms  max={mx:7.2f} ms")
    return float(p95)


def open_scale(levels: tuple[int, ...] = (100, 1_000, 5_000), probe: int = 50, agents: int = 1, cap: int = 0) -> None:
    """Per-event decision time once ``level`` alerts are open (SQLite store, clock held still)."""
    t0 = datetime.now(UTC)

    def crossing(n: int) -> Event:
        return Event.model_validate({
            "id": f"scale{n:08d}", "seq": n, "ts": t0.isoformat(), "site": "west-1", "agent": f"mast-{n % agents:02d}",
            "sensor": {"id": "cam1", "kind": "camera"}, "kind": "line_crossing", "class": "person",
            "confidence": 0.8, "track_id": n,
            "position": {"lat": 50.0 + (n // 400) * 0.01, "lon": 10.0 + (n % 400) * 0.01},
            "rule": {"rule": "border", "direction": "inbound"},
        })  # fmt: skip

    with tempfile.TemporaryDirectory() as d:
        store = SqliteAlertStore(Path(d) / "scale.sqlite3")
        cfg = AlertsConfig()
        if cap:
            cfg.lifecycle.max_open_per_agent = cap
        engine = AlertEngine(cfg, store, clock=lambda: t0)
        n = 0
        for level in levels:
            while n < level:
                engine.handle([crossing(n)])
                n += 1
            took = []
            for _ in range(probe):
                s0 = time.perf_counter()
                engine.handle([crossing(n)])
                took.append((time.perf_counter() - s0) * 1000)
                n += 1
            print(f"open={engine.open_count:5d} (after {level} crossings)  per-event p50={np.median(took):7.2f} ms  "
                  f"max={max(took):7.2f} ms  fired={engine.raised}")  # fmt: skip
        store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--round-ms", type=float, default=10.0)
    ap.add_argument("--open-scale", action="store_true", help="per-event cost against open alerts instead")
    ap.add_argument("--agents", type=int, default=1, help="--open-scale: crossings spread over this many agents")
    ap.add_argument("--agent-cap", type=int, default=0, help="--open-scale: max_open_per_agent (0: the default)")
    a = ap.parse_args()
    logging.getLogger("borderwatch").setLevel(logging.ERROR)  # every fired alert logs a warning
    if a.open_scale:
        print(f"machine: {platform.machine()} {os.cpu_count()} cpu, python {platform.python_version()}")
        open_scale(agents=a.agents, cap=a.agent_cap)
        return 0
    events = scene(a.rate, a.seconds)
    print(f"machine: {platform.machine()} {os.cpu_count()} cpu, python {platform.python_version()}; "
          f"{len(events)} events at {a.rate}/s, rounds every {a.round_ms} ms")  # fmt: skip
    with tempfile.TemporaryDirectory() as d:
        raw = summary("raw", run_raw(events, a.rate, a.round_ms, Path(d)))
        ours = summary("ours", run_ours(events, a.rate, a.round_ms, Path(d)))
    print(f"p95 ours/raw = {ours / max(raw, 1e-9):.2f}")
    verdict = "PASS" if ours <= TARGET_P95_MS else "BELOW"
    print(f"{verdict}: alert decision p95 {ours:.2f} ms (target <= {TARGET_P95_MS:.0f} ms at {a.rate} events/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
