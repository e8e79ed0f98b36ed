"""`borderwatch demo`: a whole site on one machine, alerts streamed, a summary against ground truth.

Every part runs as its own process, exactly as in the field (broker, hub, simulated cameras,
agent); the demo only supervises them, listens to the alert topic like an operator console,
and reads the hub's stores once everything has stopped.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from borderwatch.contract import Alert
from borderwatch.deploy.alert_feed import AlertFeed
from borderwatch.deploy.demo_configs import DEMO_ACL, HUB_USER, DemoLayout, write_configs
from borderwatch.deploy.demo_summary import print_summary
from borderwatch.deploy.procs import Child, free_port, free_port_run, wait_port
from borderwatch.deploy.settle import wait_hub_settled

if TYPE_CHECKING:
    from borderwatch.simulators.scenario import Scenario

log = logging.getLogger("borderwatch.demo")
GRACE_S = 8.0  # after the scenario ends: let the last events reach the hub


def _alert_line(a: Alert) -> str:
    where = f"{a.position.lat:.5f},{a.position.lon:.5f}" if a.position else "-"
    when = a.ts.astimezone(UTC).strftime("%H:%M:%S")
    what = f"{a.object_class.value} {a.direction or ''}".strip()
    return (
        f"[{when}] ALERT {a.severity.value.upper():8} {a.site} {a.agent}/{a.sensor_id or '-':6} {what:16} "
        f"at {where}  conf {a.confidence:.2f}  ({a.rule})"
    )


class AlertPrinter(AlertFeed):
    """Prints each alert once, as it fires."""

    def __init__(self, port: int, user: str, secret: Path) -> None:
        self.seen: set[str] = set()
        super().__init__(port, user, secret, f"bw-demo-{port}")

    def on_alert(self, topic: str, payload: bytes) -> None:
        """Print an alert the first time its id is seen (later changes of it stay quiet)."""
        try:
            alert = Alert.model_validate_json(payload)
        except ValueError:
            log.warning("unreadable alert topic=%s", topic)
            return
        if alert.id not in self.seen:
            self.seen.add(alert.id)
            print(_alert_line(alert), flush=True)


def _start(layout: DemoLayout, scenario: str, logs: Path) -> list[Child]:
    """Broker, hub, simulated site, agent, each waited for before the next one starts."""
    args = ["broker", "--port", str(layout.broker_port), "--password-file", str(layout.passwd)]
    if DEMO_ACL.is_file():
        args += ["--acl-file", str(DEMO_ACL)]
    children = [Child("broker", args, logs)]
    if not wait_port("127.0.0.1", layout.broker_port, 20, children[-1]):
        raise RuntimeError("the broker did not start")
    children.append(Child("hub", ["hub", "run", "-c", str(layout.hub_config)], logs))
    if not wait_port("127.0.0.1", layout.api_port, 30, children[-1]):
        raise RuntimeError("the hub did not start")
    children.append(
        Child(
            "sim",
            [
                "sim",
                "site",
                "--scenario",
                scenario,
                "--base-port",
                str(layout.camera_base_port),
                "--truth",
                str(layout.truth),
            ],
            logs,
        )
    )
    if not wait_port("127.0.0.1", layout.camera_base_port, 30, children[-1]):
        raise RuntimeError("the simulated site did not start")
    children.append(Child("agent", ["edge", "run", "-c", str(layout.agent_config)], logs))
    return children


def _stop(children: list[Child], layout: DemoLayout) -> None:
    """Agent first (its last events still reach the hub), then the hub drains, then the rest."""
    by_name = {c.name: c for c in children}
    if "agent" in by_name:
        by_name["agent"].stop(15)
        wait_hub_settled(layout.events_db, layout.alerts_db)
    for name in ("sim", "hub", "broker"):
        if name in by_name:
            by_name[name].stop(15)


def _sensor_counts(scn: Scenario) -> str:
    """What the site runs, as the header names it: "2 cameras, 1 thermal imager" (radars when there are any)."""
    counts = (
        (len(scn.cameras), "camera"),
        (len(scn.thermals), "thermal imager"),
        (sum(s.kind == "radar" for s in scn.sensors), "radar"),
    )
    return ", ".join(f"{n} {what}{'s' if n != 1 else ''}" for n, what in counts if n)


def _layout(workdir: Path | None) -> DemoLayout:
    run_dir = workdir or Path(".demo") / datetime.now().strftime("%Y%m%d-%H%M%S")
    ports = sorted({free_port() for _ in range(4)})
    while len(ports) < 3:
        ports = sorted({*ports, free_port()})
    # the site's servers: one port per simulated camera, then the thermal imager
    return DemoLayout(run_dir.resolve(), ports[0], ports[1], free_port_run(3))


def run_demo(seconds: float, scenario: str = "border-crossing", workdir: Path | None = None) -> int:
    from borderwatch.simulators.scenario import load_scenario

    scn = load_scenario(scenario)
    layout = _layout(workdir)
    write_configs(scn, layout)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    length = min(seconds, scn.duration_s + GRACE_S)
    print(
        f"borderwatch demo: scenario {scn.name}, site {scn.site}, {_sensor_counts(scn)}, "
        f"{length:.0f} s (Ctrl-C stops); run folder {layout.run_dir}",
        flush=True,
    )
    children: list[Child] = []
    printer: AlertPrinter | None = None
    started = datetime.now(UTC)
    try:
        children = _start(layout, scenario, layout.run_dir / "logs")
        printer = AlertPrinter(layout.broker_port, HUB_USER, layout.secret(HUB_USER))
        print(_api_help(layout), flush=True)
        _watch(children, stop, length)
    except RuntimeError as exc:
        print(f"demo failed: {exc}", flush=True)
        for c in children:
            print(f"--- {c.name} ({c.log_path}):\n{c.tail()}", flush=True)
        return 1
    finally:
        if printer is not None:
            printer.stop()
        _stop(children, layout)
    return print_summary(layout, started, datetime.now(UTC))


def _api_help(layout: DemoLayout) -> str:
    """The API needs a token: the demo makes an operator token for this run's hub and shows it."""
    from borderwatch.hub.api.tokens import Role, TokenStore

    store = TokenStore(layout.alerts_db)
    try:
        _, secret = store.create(f"demo-{layout.run_dir.name}", Role.OPERATOR)
    finally:
        store.close()
    url = f"http://127.0.0.1:{layout.api_port}"
    return (
        f"hub API: {url}/api/v1/alerts  (docs at {url}/docs: Authorize with the token)\n"
        f"  operator token for this run: {secret}\n"
        f'  curl -H "Authorization: Bearer {secret}" {url}/api/v1/alerts'
    )


def _watch(children: list[Child], stop: threading.Event, length: float) -> None:
    deadline = time.monotonic() + length
    while not stop.is_set() and time.monotonic() < deadline:
        dead = [c for c in children if not c.alive()]
        if dead:
            raise RuntimeError(f"{dead[0].name} exited with code {dead[0].proc.returncode}")
        stop.wait(0.5)
