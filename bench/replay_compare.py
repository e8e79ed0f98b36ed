"""Recorded replay: every event and every track state of the camera path over a fixed clip, and a diff.

Why: a structural change of the agent (the sensor seam) must not change what the agent sees. This
script renders a fixed frame sequence from the example scenario (``simulators/scenarios/example.toml``,
camera ``cam-1``), plays it losslessly through the real sensor service with the shipped camera model,
and writes every emitted event, every evidence snapshot (SHA-256 of the JPEG) and the tracker's state
after every frame to a JSON file. ``compare`` says whether two such files agree.

Wall-clock values are made comparable: the clip starts at a fixed time (``T0``), track ids are counted
from a fixed first id, event ids are replaced by their position, and the time of events made on end of
file (video loss) is recorded as ``"wall"``.

    python bench/replay_compare.py record out.json [--frames 300]
    python bench/replay_compare.py compare a.json b.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support, as the other benches

import numpy as np

from borderwatch.contract.events import Event, EventKind
from borderwatch.deploy.demo_configs import MODELS_DIR, DemoLayout, agent_config
from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.evidence import Evidence
from borderwatch.edge.sensor.service import SensorService
from borderwatch.edge.sensors.camera.capture import ArrayCapture
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.kind import CameraKind
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.scenario import load_scenario
from tests.support.waits import wait_until

SCENARIO = Path(__file__).resolve().parents[1] / "simulators" / "scenarios" / "example.toml"
CAMERA = "cam-1"
FPS = 5.0
T0 = 1_700_000_000.0
FIRST_TRACK_ID = 1_700_000_000_000
REPLAY_TIMEOUT_S = 600.0  # a slow, loaded machine still finishes the clip; a stuck replay fails by then


class HeldClip(ArrayCapture):
    """The clip once, then end of file only when ``release`` is set: every frame is finished before the
    end-of-file video loss ends the tracks (else the order of the two would depend on thread timing).
    """

    def __init__(self, frames: list[np.ndarray], release: threading.Event) -> None:
        super().__init__(frames, FPS, loop=False)
        self.release_eof = release

    def grab(self) -> bool:
        if self.index + 1 >= len(self.frames):
            self.release_eof.wait(600)
        return super().grab()


def clip(n: int) -> list[np.ndarray]:
    """``n`` frames of ``cam-1`` at ``FPS`` from scenario time 0 (deterministic: noise seeded by time)."""
    renderer = CameraRenderer(load_scenario(SCENARIO), CAMERA)
    return [renderer.render(i / FPS).frame for i in range(n)]


def camera_config(evidence_dir: Path) -> tuple[CameraConfig, DetectorConfig]:
    """The camera section ``borderwatch demo`` writes for the scenario, replayed from memory."""
    scn = load_scenario(SCENARIO)
    layout = DemoLayout(evidence_dir, 1883, api_port=1, camera_base_port=1)
    raw = agent_config(scn, layout)
    cam = raw["cameras"][CAMERA] | {"url": "memory", "realtime": False, "queue_size": 8, "fps": FPS}
    cam["evidence"] = {"dir": str(evidence_dir / "evidence")}
    return CameraConfig.model_validate(cam), DetectorConfig(models_dir=MODELS_DIR)


class Recorder:
    """The emit callback plus the per-frame track states."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.evidence: list[Evidence] = []
        self.tracks: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, events: list[Event], evidence: list[Evidence]) -> None:
        with self.lock:
            self.events += events
            self.evidence += evidence

    def track_state(self, ts: float, tracks: Any) -> None:
        self.tracks.append(
            {
                "ts": ts,
                "ids": tracks.ids.tolist(),
                "mean": tracks.mean.tolist(),
                "class_id": tracks.class_id.tolist(),
                "confidence": tracks.confidence.tolist(),
                "hits": tracks.hits.tolist(),
                "misses": tracks.misses.tolist(),
                "confirmed": tracks.confirmed.tolist(),
                "looked_ts": tracks.looked_ts.tolist(),
            }
        )


def _run_service(frames: list[np.ndarray], rec: Recorder, tmp: Path) -> None:
    cfg, det = camera_config(tmp)
    eof = threading.Event()
    kind = CameraKind(capture_factory=lambda c: HeldClip(frames, eof))
    svc = SensorService("east-2", "replay", {"cameras": {CAMERA: cfg}}, det, rec, {"cameras": kind})
    build = svc._build

    def build_fixed(kind: Any, sensor_id: str, cfg: CameraConfig, first_id: int) -> Any:
        sensor = build(kind, sensor_id, cfg, FIRST_TRACK_ID)
        sensor.reader._clip_time = T0  # the clip starts at a fixed time: frame times are the same in every run
        pipeline = sensor.unit.pipeline
        finish = pipeline.finish

        def finish_recorded(plan: Any, cands: Any, inferred: bool = True) -> Any:
            out = finish(plan, cands, inferred)
            rec.track_state(plan.frame.ts, pipeline.tracker.tracks)
            return out

        pipeline.finish = finish_recorded
        return sensor

    svc._build = build_fixed  # type: ignore[method-assign]
    svc.start()
    try:
        wait_until(lambda: len(rec.tracks) >= len(frames), REPLAY_TIMEOUT_S, "every frame of the clip tracked")
        eof.set()
        wait_until(
            lambda: any(e.kind is EventKind.SENSOR_OFFLINE for e in rec.events),
            REPLAY_TIMEOUT_S,
            "the end-of-clip video loss (sensor_offline)",
        )
    finally:
        eof.set()
        svc.stop()


def record(n: int) -> dict[str, Any]:
    frames = clip(n)
    rec = Recorder()
    with tempfile.TemporaryDirectory() as tmp:
        _run_service(frames, rec, Path(tmp))
    frame_ts = {r["ts"] for r in rec.tracks} | {T0 + i / FPS for i in range(n)}
    base = FIRST_TRACK_ID
    position = {e.id: k for k, e in enumerate(rec.events)}
    events = []
    for e in rec.events:
        d = e.model_dump(mode="json", exclude={"id", "seq"})
        ts = e.ts.timestamp()
        d["ts"] = ts if any(abs(ts - f) < 1e-5 for f in frame_ts) else "wall"
        if e.track_id is not None:
            d["track_id"] = e.track_id - base
        events.append(d)
    for r in rec.tracks:
        r["ids"] = [i - base for i in r["ids"]]
    evidence = sorted((position[x.event_id], x.sensor_id, hashlib.sha256(x.jpeg).hexdigest()) for x in rec.evidence)
    return {"frames": n, "finished": len(rec.tracks), "events": events, "evidence": evidence, "tracks": rec.tracks}


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Differences, as readable lines (empty = identical)."""
    out = []
    for key in ("frames", "finished"):
        if a[key] != b[key]:
            out.append(f"{key}: {a[key]} != {b[key]}")
    for key in ("events", "evidence", "tracks"):
        if len(a[key]) != len(b[key]):
            out.append(f"{key}: {len(a[key])} != {len(b[key])} entries")
        for k, (x, y) in enumerate(zip(a[key], b[key], strict=False)):
            if x != y:
                out.append(f"{key}[{k}] differs:\n  {json.dumps(x)[:400]}\n  {json.dumps(y)[:400]}")
                break
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out", type=Path)
    r.add_argument("--frames", type=int, default=300)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "record":
        data = record(args.frames)
        args.out.write_text(json.dumps(data), encoding="utf-8")
        kinds: dict[str, int] = {}
        for e in data["events"]:
            kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
        print(f"frames={data['frames']} finished={data['finished']} evidence={len(data['evidence'])} events={kinds}")
        return 0
    diffs = compare(json.loads(args.a.read_text()), json.loads(args.b.read_text()))
    print("\n".join(diffs) if diffs else "identical: every event, evidence snapshot and track state")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
