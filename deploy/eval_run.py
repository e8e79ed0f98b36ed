"""`borderwatch eval`: play the scenario library through the real pipeline and score every run.

Each scenario runs as the demo does, every part its own process (broker, hub, simulated site, agent),
at the scenario's eval speed (1 = real time, where alert latency is scored). The process faults a
scenario asks for (broker restart, agent killed, hub down) are done here, to the processes, and so are the
link faults (a partition between agent and broker, a skewed agent clock: deploy/eval_faults.py); camera
faults the simulated site plays itself. An MQTT subscriber notes when each alert reaches an operator,
which is what alert latency is measured to. The table goes to OUT/results.md and OUT/results.json.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.deploy.alert_feed import AlertFeed
from borderwatch.deploy.demo_configs import DEMO_ACL, HUB_USER, DemoLayout, write_configs
from borderwatch.deploy.eval_faults import LinkFaults
from borderwatch.deploy.procs import Child, free_port, free_port_run, wait_port
from borderwatch.deploy.settle import wait_hub_settled
from borderwatch.simulators.scenario import CAMERA_FAULTS, FaultSpec, Scenario, load_scenario
from borderwatch.simulators.score.cli import score_files
from borderwatch.simulators.score.floors import load_floors
from borderwatch.simulators.score.run import RunScore
from borderwatch.simulators.score.table import write_table
from borderwatch.simulators.score.truthfile import parse_ts

log = logging.getLogger("borderwatch.eval")
LIBRARY = Path(__file__).resolve().parents[1] / "simulators" / "scenarios"
DRAIN_S = 8.0  # after the scenario ends: let the last events and alerts reach the hub


class AlertRecorder(AlertFeed):
    """Notes the arrival time of every alert published on the alert topic (JSON lines: id, received, and the
    direction it showed: a distress alert shows one once its person crossed)."""

    def __init__(self, port: int, path: Path, user: str, secret: Path) -> None:
        self._fh = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        super().__init__(port, user, secret, f"bw-eval-{port}")

    def on_alert(self, topic: str, payload: bytes) -> None:
        """Append the alert's id and the time it arrived here (latency is scored from it)."""
        received = datetime.now(UTC).isoformat()
        try:
            alert = json.loads(payload)
            alert_id, direction = alert["id"], alert.get("direction")
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("unreadable alert topic=%s", topic)
            return
        with self._lock:
            self._fh.write(json.dumps({"id": alert_id, "received": received, "direction": direction}) + "\n")
            self._fh.flush()

    def stop(self) -> None:
        """Disconnect and close the file (alerts after this are not noted)."""
        super().stop()
        with self._lock:
            self._fh.close()


def library(ci_only: bool = False) -> list[Path]:
    """The scenario files of the library (floors.toml aside), optionally only those marked for CI."""
    files = sorted(p for p in LIBRARY.glob("*.toml") if p.name not in ("floors.toml", "example.toml"))
    return [p for p in files if not ci_only or load_scenario(p).eval.ci]


class Run:
    """One scenario played through broker, hub, site and agent processes in its own folder."""

    def __init__(self, path: Path, run_dir: Path) -> None:
        self.path, self.scn = path, load_scenario(path)
        broker, api = _distinct_free(2)
        self.link = LinkFaults(self.scn, broker)
        ports = len(self.scn.cameras) + len(self.scn.thermals) + len(self.scn.sensors)  # the site's, in that order
        self.layout = DemoLayout(
            run_dir.resolve(), broker, api, free_port_run(ports), agent_broker_port=self.link.agent_port
        )
        self.logs = self.layout.run_dir / "logs"
        self.children: dict[str, Child] = {}
        self.arrivals = self.layout.run_dir / "alerts-received.jsonl"
        self._closing = threading.Event()  # set before stopping: a fault in progress starts nothing again

    def _spawn(self, name: str) -> Child:
        lay, speed = self.layout, self.scn.eval.speed
        site = ["--scenario", str(self.path), "--base-port", str(lay.camera_base_port), "--truth", str(lay.truth)]
        args = {
            "broker": ["broker", "--port", str(lay.broker_port), "--password-file", str(lay.passwd)]
            + (["--acl-file", str(DEMO_ACL)] if DEMO_ACL.is_file() else []),
            "hub": ["hub", "run", "-c", str(lay.hub_config)],
            "sim": ["sim", "site", *site, "--speed", str(speed)],
            "agent": ["edge", "run", "-c", str(lay.agent_config)],
        }[name]
        env = self.link.agent_env() if name == "agent" else None
        self.children[name] = Child(name, args, self.logs, env)
        return self.children[name]

    def play(self) -> RunScore:
        """Start everything, play the faults, stop in order, score."""
        write_configs(self.scn, self.layout)
        lay = self.layout
        waits = {"broker": lay.broker_port, "hub": lay.api_port, "sim": lay.camera_base_port}
        recorder = None
        try:
            for name in ("broker", "hub", "sim"):
                if not wait_port("127.0.0.1", waits[name], 30, self._spawn(name)):
                    raise RuntimeError(f"{name} did not start: {self.children[name].tail()}")
            recorder = AlertRecorder(lay.broker_port, self.arrivals, HUB_USER, lay.secret(HUB_USER))
            self._spawn("agent")
            started = self._started()
            self._run_faults(started)
            end = started + (self.scn.duration_s / self.scn.eval.speed) + DRAIN_S
            while time.time() < end:
                time.sleep(0.5)
        finally:
            if recorder is not None:
                recorder.stop()
            self._stop_all()
        return self.score()

    def score(self) -> RunScore:
        """Score the run folder (after play(), or again later with new scoring code)."""
        lay = self.layout
        return score_files(lay.truth, lay.events_db, lay.alerts_db, self.arrivals, load_floors())

    def _started(self) -> float:
        """The site clock's start (epoch seconds), from the truth file's run record."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.layout.truth.exists():
                first = self.layout.truth.read_text(encoding="utf-8").split("\n", 1)[0]
                if first:
                    return parse_ts(json.loads(first)["started"]).timestamp()
            time.sleep(0.2)
        raise RuntimeError("the simulated site wrote no ground truth")

    def _run_faults(self, started: float) -> None:
        played = (f for f in self.scn.faults if f.kind not in CAMERA_FAULTS and f.kind != "clock_skew")
        for f in sorted(played, key=lambda f: f.at_s):  # a clock skew is the agent's from its start
            threading.Thread(target=self._process_fault, args=(f, started), daemon=True).start()

    def _process_fault(self, f: FaultSpec, started: float) -> None:
        """broker_restart / hub_down: stop it and start it again; agent_kill: SIGKILL, then start again;
        partition: the agent's link carries nothing, then heals."""
        speed = self.scn.eval.speed
        if self._closing.wait(max(0.0, started + f.at_s / speed - time.time())):
            return
        if f.kind == "partition":
            log.warning("fault partition: agent link cut for %.0f s", f.duration_s)
            self.link.begin(f.kind)
            self._closing.wait(f.duration_s / speed)
            self.link.end(f.kind)
            return
        name = {"broker_restart": "broker", "hub_down": "hub", "agent_kill": "agent"}[f.kind]
        child = self.children[name]
        log.warning("fault %s: stopping %s for %.0f s", f.kind, name, f.duration_s)
        if f.kind == "agent_kill":  # no SIGTERM first: the agent gets no chance to flush or say goodbye
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.proc.pid, signal.SIGKILL)
        child.stop(10)
        if not self._closing.wait(f.duration_s / speed):
            self._spawn(name)

    def _stop_all(self) -> None:
        """Agent first (its last events still reach the hub), then the site, the hub, the broker."""
        self._closing.set()
        if "agent" in self.children:
            self.children["agent"].stop(15)
            wait_hub_settled(self.layout.events_db, self.layout.alerts_db)
        self.link.close()
        for name in ("sim", "hub", "broker"):
            if name in self.children:
                self.children[name].stop(15)


def _distinct_free(n: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(free_port())
    return sorted(ports)


def run_eval(scenarios: list[Path], out: Path, rescore: bool = False) -> int:
    """Play every scenario (or, with rescore, score the run folders already under out), write the table;
    0 when every library figure meets its floor, 1 otherwise."""
    floors = load_floors()
    runs: list[RunScore] = []
    for path in scenarios:
        scn: Scenario = load_scenario(path)
        if rescore:
            if (out / scn.name / "truth.jsonl").exists():
                runs.append(Run(path, out / scn.name).score())
            continue
        wall = scn.duration_s / scn.eval.speed + DRAIN_S
        print(f"eval: {scn.name} ({scn.duration_s:g} s at speed {scn.eval.speed:g}, ~{wall:.0f} s)", flush=True)
        runs.append(Run(path, out / scn.name).play())
    ok = write_table(runs, floors, out)
    print((out / "results.md").read_text(encoding="utf-8"), flush=True)
    print(f"eval: table in {out}/results.md and results.json; {'PASS' if ok else 'BELOW the floors'}", flush=True)
    return 0 if ok else 1
