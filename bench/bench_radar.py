"""Radar hot paths: CA-CFAR on a 256 x 128 range-Doppler map (vectorised vs a straightforward Python
loop) and each parser's throughput against its link's line rate. Prints PASS/BELOW per target.

    .venv/bin/python bench/bench_radar.py [--repeat 200]

CA-CFAR: the median wall and thread CPU time of ``20 x repeat`` calls (and the loop's median of
3). The 1 ms verdict is on the median wall time; the ratio to the loop is judged on thread CPU time,
because under load the loop's seconds of wall time mostly measure the other jobs (docs/radar.md).

Targets (issue 13): CA-CFAR <= 1 ms and >= 50x the loop; each parser >= 10x its line rate. Line
rates: TI data port 921,600 baud, NMEA high-speed (IEC 61162-2) 38,400 baud, both 8N1 (10 bits a
byte); ASTERIX 2 Mbit/s (an E1 radar data link; on a LAN the radar's own output is the limit).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from borderwatch.edge.sensors.radar import asterix, nmea, ti
from borderwatch.edge.sensors.radar.cfar import ca_cfar, ca_cfar_loop, os_cfar
from borderwatch.edge.sensors.radar.scan import scan_of_asterix

GUARD, TRAIN, PFA = (2, 2), (8, 8), 1e-6


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(median wall, median thread CPU, 90th-percentile wall) seconds over ``repeat`` calls. On a
    shared machine a call can be preempted: the median ignores those bursts, and the thread's CPU
    time (what the call itself used; OpenCV is held to one thread as the sensor service holds it)
    shows what remains when the machine is busy."""
    wall, cpu = np.empty(repeat), np.empty(repeat)
    for i in range(repeat):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        wall[i], cpu[i] = time.perf_counter() - t0, time.thread_time() - c0
    return float(np.median(wall)), float(np.median(cpu)), float(np.percentile(wall, 90))


def _verdict(ok: bool) -> str:
    return "PASS " if ok else "BELOW"


def bench_cfar(repeat: int) -> None:
    cv2.setNumThreads(1)  # as the sensor service runs it: the thread CPU time is then all the work
    rng = np.random.default_rng(0)
    power = rng.exponential(1.0, (256, 128))
    power[[40, 120, 200], [10, 64, 100]] += 200.0
    ca_cfar(power, GUARD, TRAIN, PFA)  # warm: the threshold factor is computed once per configuration
    fast, fast_cpu, fast_p90 = _timed(lambda: ca_cfar(power, GUARD, TRAIN, PFA), repeat)
    loop_masks: list[np.ndarray] = []
    slow, slow_cpu, _ = _timed(lambda: loop_masks.append(ca_cfar_loop(power, GUARD, TRAIN, PFA)), 3)
    same = bool(np.array_equal(loop_masks[-1], ca_cfar(power, GUARD, TRAIN, PFA)[0]))
    os_s, os_cpu, os_p90 = _timed(lambda: os_cfar(power, GUARD[0], TRAIN[0], PFA), max(repeat // 10, 20))
    print(f"{_verdict(fast <= 1e-3)} CA-CFAR 256x128 guard {GUARD} train {TRAIN}: median {fast * 1e3:.3f} ms wall, "
          f"{fast_cpu * 1e3:.3f} ms thread CPU (90th pct wall {fast_p90 * 1e3:.3f} ms; {repeat} calls; "
          f"target <= 1 ms wall)")  # fmt: skip
    ratio = slow_cpu / fast_cpu  # thread CPU time: the work itself, not the other jobs' share of the cores
    print(f"{_verdict(ratio >= 50)} CA-CFAR vs Python loop (median of 3: {slow_cpu:.2f} s thread CPU, {slow:.2f} s "
          f"wall): {ratio:,.0f}x thread CPU (target >= 50x), {slow / fast:,.0f}x wall (info); "
          f"same detections: {same}")  # fmt: skip
    print(f"info  OS-CFAR along range, same map: median {os_s * 1e3:.2f} ms wall, {os_cpu * 1e3:.2f} ms thread CPU "
          f"(90th pct wall {os_p90 * 1e3:.2f} ms)")  # fmt: skip


def _throughput(name: str, stream: bytes, feed: Callable[[bytes], int], line_bytes_s: float, repeat: int) -> None:
    chunk = 4096
    pieces = [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = sum(feed(p) for p in pieces)
        best = min(best, time.perf_counter() - t0)
    rate = len(stream) / best
    print(f"{_verdict(rate >= 10 * line_bytes_s)} {name}: {rate / 1e6:.2f} MB/s, {n / best:,.0f} records/s = "
          f"{rate / line_bytes_s:.0f}x line rate {line_bytes_s / 1e3:.1f} kB/s (target >= 10x)")  # fmt: skip


def bench_parsers(repeat: int) -> None:
    rng = np.random.default_rng(1)
    frames = [
        ti.encode_frame(i, rng.uniform(-20, 20, (30, 4)), snr_db=rng.uniform(5, 30, 30), noise_db=np.full(30, 10.0))
        for i in range(400)
    ]
    state = [ti.TiState()]

    def feed_ti(data: bytes) -> int:
        state[0], out = ti.feed(state[0], data)
        return sum(len(f.points) for f in out)

    _throughput("TI UART TLV (30 points + side info a frame)", b"".join(frames), feed_ti, 921_600 / 10, repeat)
    sentences = b"".join(
        nmea.sentence(f"RATTM,{i % 99 + 1:02d},{rng.uniform(0.1, 5):.3f},{rng.uniform(0, 360):.1f},T,"
                      f"{rng.uniform(0, 20):.1f},{rng.uniform(0, 360):.1f},T,,,N,TGT,T,,123519.00,A")
        + nmea.sentence(f"RATLL,{i % 99 + 1:02d},4917.24,N,12309.57,W,TGT,123519.00,T,")
        for i in range(5000)
    )  # fmt: skip
    nstate = [nmea.NmeaState()]

    def feed_nmea(data: bytes) -> int:
        nstate[0], out = nmea.feed(nstate[0], data)
        return len(out)

    _throughput("NMEA TTM+TLL", sentences, feed_nmea, 38_400 / 10, repeat)
    bench_asterix(rng, repeat * 4)  # 10 ms a round: more rounds, so a best-of survives a loaded machine


def _asterix_line(name: str, blocks: list[bytes], work: Callable[[bytes], int], repeat: int, target: bool) -> None:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = sum(work(b) for b in blocks)
        best = min(best, time.perf_counter() - t0)
    size, line = sum(map(len, blocks)), 2_000_000 / 8
    ratio = size / best / line
    tag = _verdict(ratio >= 10) if target else "info "
    print(f"{tag} ASTERIX CAT-048 {name}: {size / best / 1e6:.2f} MB/s, {n / best:,.0f} records/s = {ratio:.0f}x "
          f"line rate {line / 1e3:.0f} kB/s{' (target >= 10x)' if target else ''}")  # fmt: skip


def _decode_and_scan(block: bytes) -> int:
    batch = asterix.decode(block)[0]
    scan_of_asterix(batch, -100.0)
    return len(batch)


def bench_asterix(rng: np.random.Generator, repeat: int) -> None:
    """Datagrams of 40 records. Track reports (010, 140, 020, 040, 161, 200, 170: 19 octets) as
    before; PSR plots with amplitude and Doppler (010, 140, 020, 040, 130, 120: 19 octets) as the
    simulator sends them. ``decode`` yields columns; ``+ scan`` adds what the agent does next with a
    datagram (the RadarScan); ``objects`` builds a Cat048 per record as the CLI does."""
    n = 4000
    rngs, brgs = rng.uniform(10, 50_000, n), rng.uniform(0, 360, n)
    tracks = [
        asterix.Cat048(sac=7, sic=1, time_of_day_s=100.0, typ=1, sim=True, range_m=float(r), bearing_deg=float(b),
                       track_number=i % 4000, speed_mps=5.0, heading_deg=90.0, tentative=False)
        for i, (r, b) in enumerate(zip(rngs, brgs, strict=True))
    ]  # fmt: skip
    plots = [
        asterix.Cat048(sac=7, sic=1, time_of_day_s=100.0, typ=1, sim=True, range_m=float(r), bearing_deg=float(b),
                       amplitude_dbm=float(a), doppler_mps=float(d))
        for r, b, a, d in zip(rngs, brgs, rng.integers(-95, -50, n), rng.integers(-10, 10, n), strict=True)
    ]  # fmt: skip
    track_blocks = [asterix.encode_block(tracks[i : i + 40]) for i in range(0, n, 40)]
    plot_blocks = [asterix.encode_block(plots[i : i + 40]) for i in range(0, n, 40)]
    for label, blocks in (("track reports", track_blocks), ("PSR plots with I048/130+120", plot_blocks)):
        _asterix_line(f"{label}, decode", blocks, lambda b: len(asterix.decode(b)[0]), repeat, True)
        _asterix_line(f"{label}, decode + scan", blocks, _decode_and_scan, repeat, True)
    _asterix_line("track reports, decode + Cat048 objects", track_blocks, lambda b: len(list(asterix.decode(b)[0])),
                  max(repeat // 2, 1), False)  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"numpy {np.__version__}")  # fmt: skip
    bench_cfar(args.repeat * 20)
    bench_parsers(max(args.repeat // 40, 3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
