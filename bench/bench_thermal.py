"""Thermal benchmark: every figure beside its reference, measured in the same run.

1. Hot-spot extraction on a 640x512 frame (per-pixel bounds from the background, hot mask,
   connected components, per-blob box and max/mean temperature): vectorised
   (``edge/sensors/thermal/hotspots.py``) against a straightforward per-pixel / per-blob Python
   version giving the same blobs. The timed path refreshes the bounds on every frame (the unit does
   it every ``background_every`` frames), so the figure is an upper bound. Target <= 2 ms.
2. Throughput at 640x512: the whole thermal path through the real ``SensorService`` (the reader's
   bad-frame checks and conversion in the reader thread, hot spots, background, range gates, chips,
   the batched ONNX classifier on its inference lanes, tracking, the shared rules and events,
   temperatures, distress) replaying a rendered night scene losslessly at its own clock (9 fps scene
   time, so every frame is classified: re-check after 0.1 s), against raw onnxruntime
   ``session.run`` of the shipped classifier on exactly the chips the pipeline sends for the same
   frames, split at the same ``max_batch``, in the same thread plan (one call per lane at once).
   Left out of both arms: the network socket (frames come from memory), MQTT and the outbox (events
   go to a no-op sink), evidence snapshots (off). Target >= 0.9.
3. Where the pipeline's time goes: the same frames through one unit in one thread, each stage's
   thread CPU time per frame (mean), beside the classifier's own CPU time on the same chips.

Run: ``python bench/bench_thermal.py [--quick]``. Needs the shipped thermal model (models/manifest.json).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_pipeline import LANES, THREADS, machine, verdict  # noqa: E402
from borderwatch.contract.common import SensorKind  # noqa: E402
from borderwatch.edge.config.detector import DetectorConfig  # noqa: E402
from borderwatch.edge.pipeline.batcher import InferenceBatcher  # noqa: E402
from borderwatch.edge.pipeline.detector import OnnxDetector  # noqa: E402
from borderwatch.edge.pipeline.modelref import resolve_model  # noqa: E402
from borderwatch.edge.sensor.kind import BuildContext, Built  # noqa: E402
from borderwatch.edge.sensor.reader import SensorReader  # noqa: E402
from borderwatch.edge.sensor.service import SensorService  # noqa: E402
from borderwatch.edge.sensors.frame import Frame  # noqa: E402
from borderwatch.edge.sensors.health import ReaderStats  # noqa: E402
from borderwatch.edge.sensors.thermal import hotspots as hs  # noqa: E402
from borderwatch.edge.sensors.thermal.checks import bad_frame_reason  # noqa: E402
from borderwatch.edge.sensors.thermal.config import ThermalConfig  # noqa: E402
from borderwatch.edge.sensors.thermal.stream import to_centikelvin  # noqa: E402
from borderwatch.edge.sensors.thermal.unit import ThermalUnit  # noqa: E402
from borderwatch.simulators.scenario import ActorSpec, CameraPose, Scenario, ThermalSpec  # noqa: E402
from borderwatch.simulators.thermal.render import ThermalRenderer  # noqa: E402

MODEL = "bw-thermal-s"
DELTA, LO, HI = 300.0, (20 + 273.15) * 100, (150 + 273.15) * 100
POSE = CameraPose(height_m=8.0, tilt_deg=8.0, hfov_deg=40.0)


def scene(width: int, height: int, people: int) -> tuple[ThermalRenderer, np.ndarray]:
    """A night scene with ``people`` walking for 16 s at 20-150 m, and its empty background (float32 centikelvin)."""
    rng = np.random.default_rng(1)
    actors = [
        ActorSpec(id=f"p{k}", cls="person", waypoints=[(e, n), (e + 20.0, n - 5.0)], speed_mps=1.3)
        for k, (e, n) in enumerate(zip(rng.uniform(-25, 25, people), rng.uniform(20, 150, people), strict=True))
    ]
    spec = ThermalSpec(id="th", pose=POSE, width=width, height=height, ffc_every_s=0)
    scn = Scenario(seed=1, lighting="night", thermals=[spec], actors=actors, duration_s=600)
    empty = ThermalRenderer(scn.model_copy(update={"actors": []}), spec).render(0.0).ck.astype(np.float32)
    return ThermalRenderer(scn, spec), empty


def naive_hotspots(temp: np.ndarray, bg: np.ndarray) -> list[tuple[int, float, float]]:
    """Per pixel and per blob in plain Python: (pixels, max, mean) of every 8-connected hot region."""
    h, w = temp.shape
    t, b = temp.tolist(), bg.tolist()
    hot = [[(t[y][x] - b[y][x]) > DELTA and LO <= t[y][x] <= HI for x in range(w)] for y in range(h)]
    seen = [[False] * w for _ in range(h)]
    out = []
    for y in range(h):
        for x in range(w):
            if not hot[y][x] or seen[y][x]:
                continue
            stack, values = [(y, x)], []
            seen[y][x] = True
            while stack:
                cy, cx = stack.pop()
                values.append(t[cy][cx])
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        ny, nx = cy + dy, cx + dx
                        if 0 <= ny < h and 0 <= nx < w and hot[ny][nx] and not seen[ny][nx]:
                            seen[ny][nx] = True
                            stack.append((ny, nx))
            out.append((len(values), max(values), sum(values) / len(values)))
    return out


def report_extraction(repeats: int) -> None:
    renderer, bg = scene(640, 512, 12)
    frame = renderer.render(2.0).ck
    temp = frame.astype(np.float32)

    def ours() -> hs.Hotspots:
        return hs.blobs(frame, hs.hot_mask(frame, hs.Thresholds.of(bg, DELTA, LO, HI)), 1)

    spots = ours()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ours()
        times.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    naive = naive_hotspots(temp, bg)
    naive_ms = (time.perf_counter() - t0) * 1000
    same = sorted((int(a), round(float(m), 2)) for a, m in zip(spots.area, spots.max_ck, strict=True)) == sorted(
        (a, round(m, 2)) for a, m, _ in naive
    )
    ms = statistics.median(times)
    print(
        f"[1] hot-spot extraction, 640x512, {len(spots)} blobs: {ms:.2f} ms vectorised, bounds refreshed"
        f" every frame (median of {repeats})"
        f" vs {naive_ms:.0f} ms per-pixel/per-blob Python ({naive_ms / ms:.0f}x); same blobs: {same}"
    )
    print(f"    -> target <= 2 ms: {verdict(ms <= 2.0 and same)}")


SCENE_FPS = 9.0
T0 = 1_790_000_000.0


def thermal_config() -> ThermalConfig:
    """The imager as the pipeline arm runs it: shipped model, pose, re-check every 0.1 s, no snapshots."""
    return ThermalConfig.model_validate(
        {
            "url": "tcp://memory:1",
            "queue_size": 4,
            "model": MODEL,
            "pose": POSE.model_dump(include={"height_m", "tilt_deg", "hfov_deg"}),
            "hotspots": {"recheck_s": 0.1, "warmup_frames": 1},
            "evidence": {"enabled": False},
        }
    )


class ReplayReader(SensorReader):
    """Frames from memory, losslessly, stamped at the scene's clock; per frame the thermal reader's own
    work (bad-frame checks against the previous frame, conversion to centikelvin) in this thread.
    """

    def __init__(self, sensor_id: str, cfg: ThermalConfig, frames: list[np.ndarray]) -> None:
        super().__init__(sensor_id, f"bench-replay-{sensor_id}", cfg.queue_size)
        self.cfg, self.source = cfg, frames
        self.refused = 0

    @property
    def lossless(self) -> bool:
        """A replay: nothing dropped, nothing stale."""
        return True

    def stats(self) -> ReaderStats:
        """Not asked for in the bench window; the base figures suffice."""
        return self._link_stats(0.0, 0.0, self.cfg.fps, 0.0)

    def _run(self) -> None:
        previous: np.ndarray | None = None
        k = 0
        while not self._stop.is_set():
            counts = self.source[k % len(self.source)]
            if bad_frame_reason(counts, k, previous, k - 1 if previous is not None else None, self.cfg.bad_frames):
                self.refused += 1
            previous = counts
            self._alive(time.time())
            ck = to_centikelvin(counts, "tlinear_0.01")
            if not self._hand_over(ck, T0 + k / SCENE_FPS, wait=True):
                return
            k += 1


class ReplayKind:
    """The thermal kind with the replay reader: the real ``ThermalUnit`` behind it."""

    contract_kind = SensorKind.THERMAL

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames

    def model_ref(self, cfg: ThermalConfig) -> str | None:
        """The classifier named in the config."""
        return cfg.model

    def build(self, sensor_id: str, cfg: ThermalConfig, ctx: BuildContext) -> Built:
        """Replay reader + the imager's unit."""
        return Built(ReplayReader(sensor_id, cfg, self.frames), ThermalUnit(sensor_id, cfg, ctx), cfg.evidence)


def sequence(seconds: float) -> list[np.ndarray]:
    """``seconds`` of the 640x512 night scene at the scene's frame rate (uint16 centikelvin)."""
    renderer, _ = scene(640, 512, 12)
    return [renderer.render(2.0 + k / SCENE_FPS).ck for k in range(round(seconds * SCENE_FPS))]


def pipeline_rate(frames: list[np.ndarray], seconds: float) -> tuple[float, float, float]:
    """(frames per second, CPU ms per frame, classifier images per frame) through the real service."""
    svc = SensorService(
        "bench",
        "agent",
        {"thermals": {"th": thermal_config()}},
        DetectorConfig(models_dir=ROOT / "models"),
        lambda e, v: None,
        {"thermals": ReplayKind(frames)},
    )
    svc.start()
    try:
        time.sleep(1.0)
        s = svc.sensors["th"]
        assert s.batcher is not None
        p0, i0, t0, c0 = s.processed.total, s.batcher.stats.images, time.perf_counter(), time.process_time()
        time.sleep(seconds)
        p1, i1, t1, c1 = s.processed.total, s.batcher.stats.images, time.perf_counter(), time.process_time()
    finally:
        svc.stop()
    n = max(p1 - p0, 1)
    return n / (t1 - t0), (c1 - c0) * 1000 / n, (i1 - i0) / n


def chips_per_frame(frames: list[np.ndarray], batcher: InferenceBatcher) -> list[np.ndarray | None]:
    """The chip tensor the unit sends for each frame of the replay (second pass: the background is learnt)."""
    unit = ThermalUnit("th", thermal_config(), BuildContext("bench", "agent", 1, batcher))
    out: list[np.ndarray | None] = []
    for k in range(2 * len(frames)):
        planned = unit.plan(Frame("th", T0 + k / SCENE_FPS, k, frames[k % len(frames)]))
        unit.finish(planned, batcher.infer(planned.inputs) if planned.inputs is not None else None)
        if k >= len(frames):
            out.append(planned.inputs)
    return out


def raw_rate(
    detector: OnnxDetector, per_frame: list[np.ndarray | None], seconds: float, max_batch: int
) -> tuple[float, float]:
    """(frames per second, CPU ms per frame): ``session.run`` on each frame's chips, ``max_batch`` at a time,
    frames cycled in order on ``LANES`` threads at once (the pipeline's plan).
    """
    calls = [[x[i : i + max_batch] for i in range(0, len(x), max_batch)] if x is not None else [] for x in per_frame]
    counts = [0] * LANES
    t0, c0 = time.perf_counter(), time.process_time()

    def loop(lane: int) -> None:
        k = lane
        while time.perf_counter() - t0 < seconds:
            for x in calls[k % len(calls)]:
                detector.session.run(None, {detector.input_name: x})
            counts[lane] += 1
            k += LANES

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(LANES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    n = max(sum(counts), 1)
    return n / (time.perf_counter() - t0), (time.process_time() - c0) * 1000 / n


def report_throughput(window: float, rounds: int) -> list[np.ndarray]:
    frames = sequence(10.0)
    detector = OnnxDetector(resolve_model(MODEL, ROOT / "models"), THREADS)
    cfg = DetectorConfig(models_dir=ROOT / "models")
    per_frame = chips_per_frame(frames, InferenceBatcher(detector, cfg))
    sent = statistics.mean(len(x) if x is not None else 0 for x in per_frame)
    raw, pipe, images = [], [], []
    for _ in range(rounds):  # interleaved so machine load hits both alike
        raw.append(raw_rate(detector, per_frame, window, cfg.max_batch))
        fps, cpu, img = pipeline_rate(frames, window)
        pipe.append((fps, cpu))
        images.append(img)
    ratio = statistics.median(p[0] / r[0] for p, r in zip(pipe, raw, strict=True))
    cpu_ratio = statistics.median(r[1] / p[1] for p, r in zip(pipe, raw, strict=True))
    pf, pc = statistics.median(p[0] for p in pipe), statistics.median(p[1] for p in pipe)
    rf, rc = statistics.median(r[0] for r in raw), statistics.median(r[1] for r in raw)
    print(
        f"[2] throughput, 640x512, 12 people at 20-150 m, {len(frames)} frames replayed: pipeline {pf:.0f} fps"
        f" ({pc:.2f} CPU ms/frame, {statistics.median(images):.1f} chips classified per frame) vs raw classifier"
        f" {rf:.0f} frames/s ({rc:.2f} CPU ms/frame, the same {sent:.1f} chips per frame, <= {cfg.max_batch} per call)"
        f" ({LANES} lanes x {THREADS} intra-op threads in both)"
    )
    print(
        f"    -> ratio {ratio:.2f} wall-clock, {cpu_ratio:.2f} by CPU per frame"
        f" (target >= 0.9: {verdict(ratio >= 0.9)}; paired-round median of {rounds})"
    )
    return frames


def _timed(obj: Any, name: str, bucket: list[float]) -> None:
    """Wrap ``obj.name`` (an instance attribute from then on) so each call adds its seconds to ``bucket``."""
    inner: Callable[..., Any] = getattr(obj, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            bucket.append(time.thread_time() - t0)

    setattr(obj, name, wrapper)


def report_breakdown(frames: list[np.ndarray]) -> None:
    """Each stage of the same replay through one unit in one thread: CPU ms per frame (this thread's CPU time,
    so other jobs on the machine do not inflate it; the classifier runs in this thread with one intra-op thread).
    """
    detector = OnnxDetector(resolve_model(MODEL, ROOT / "models"), 1)  # one intra-op thread: all in this thread
    cfg = DetectorConfig(models_dir=ROOT / "models")
    batcher = InferenceBatcher(detector, cfg)
    unit = ThermalUnit("th", thermal_config(), BuildContext("bench", "agent", 1, batcher))
    names = ("reader", "hot mask", "blobs", "range gate", "chips", "background", "classifier", "finish")
    stages: dict[str, list[float]] = {n: [] for n in names}
    inner = ("tracker", "shared rules/events", "distress", "temperatures", "decode")
    parts: dict[str, list[float]] = {n: [] for n in inner}
    _timed(unit.tracker, "step", parts["tracker"])
    _timed(unit.output, "build", parts["shared rules/events"])
    _timed(unit, "_distress_updates", parts["distress"])
    _timed(unit, "_enrich", parts["temperatures"])
    _timed(unit, "_detections", parts["decode"])
    saved = [(hs, n, hs.__dict__[n]) for n in ("hot_mask", "blobs", "range_gate", "chips", "learn_background")]
    saved.append((hs.Thresholds, "of", hs.Thresholds.__dict__["of"]))
    for name, fn in (("hot mask", "hot_mask"), ("blobs", "blobs"), ("range gate", "range_gate"), ("chips", "chips")):
        _timed(hs, fn, stages[name])
    _timed(hs, "learn_background", stages["background"])
    _timed(hs.Thresholds, "of", stages["background"])
    plan_total: list[float] = []
    previous = None
    try:
        for k in range(2 * len(frames)):
            counts = frames[k % len(frames)]
            t0 = time.thread_time()
            bad_frame_reason(counts, k, previous, k - 1 if previous is not None else None, unit.cfg.bad_frames)
            ck = to_centikelvin(counts, "tlinear_0.01")
            t1 = time.thread_time()
            planned = unit.plan(Frame("th", T0 + k / SCENE_FPS, k, ck))
            t2 = time.thread_time()
            answer = batcher.infer(planned.inputs) if planned.inputs is not None else None
            t3 = time.thread_time()
            unit.finish(planned, answer)
            t4 = time.thread_time()
            previous = counts
            if k == len(frames) - 1:  # first pass learns the background: measure the second
                for bucket in (*stages.values(), *parts.values(), plan_total):
                    bucket.clear()
                continue
            if k >= len(frames):
                stages["reader"].append(t1 - t0)
                plan_total.append(t2 - t1)
                stages["classifier"].append(t3 - t2)
                stages["finish"].append(t4 - t3)
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
    n = len(plan_total)

    def per_frame(bucket: list[float]) -> float:  # ms per frame (stages not run on every frame count as 0 there)
        return sum(bucket) * 1000 / n

    rest = per_frame(plan_total) - sum(
        per_frame(stages[s]) for s in ("hot mask", "blobs", "range gate", "chips", "background")
    )
    work = per_frame(stages["reader"]) + per_frame(plan_total) + per_frame(stages["finish"])
    print(
        f"[3] CPU ms per frame, one thread, mean over {n} frames: "
        + ", ".join(f"{s} {per_frame(stages[s]):.3f}" for s in names[:6])
        + f", rest of plan {rest:.3f}"
    )
    print(
        f"    finish {per_frame(stages['finish']):.3f} = "
        + ", ".join(f"{p} {per_frame(parts[p]):.3f}" for p in inner)
        + f", other {per_frame(stages['finish']) - sum(per_frame(parts[p]) for p in inner):.3f}"
    )
    print(
        f"    -> frame work {work:.3f} ms beside classifier {per_frame(stages['classifier']):.3f} ms"
        f" (work / classifier = {work / max(per_frame(stages['classifier']), 1e-9):.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="short windows (smoke run)")
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)  # as the agent's sensor workers run OpenCV (``SensorService._work``)
    print(f"machine: {machine()}; plan: {LANES} inference lanes x {THREADS} intra-op threads")
    report_extraction(20 if args.quick else 200)
    frames = report_throughput(2.0 if args.quick else 5.0, 1 if args.quick else 3)
    report_breakdown(frames)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
