"""A whole demo site for end-to-end tests: real Mosquitto, hub, simulated sensors and one agent.

Why: every end-to-end test brings up the same stack exactly as `borderwatch demo` configures it
(``deploy/demo_configs.py``), waits for what it expects and tears it all down again; only the
scenario and the expectation differ.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from borderwatch.contract import Alert, Event
from borderwatch.deploy.demo_configs import DemoLayout, agent_config, hub_config, write_credentials
from borderwatch.deploy.procs import free_port, free_port_run
from borderwatch.edge.agent import Agent
from borderwatch.edge.config.agent import AgentConfig
from borderwatch.hub.app import Hub
from borderwatch.hub.config import HubConfig
from borderwatch.runtime.configfile import parse_config
from borderwatch.runtime.geo import to_geo
from borderwatch.simulators.scenario import GeoPoint, Scenario
from borderwatch.simulators.site import Site
from tests.support.broker import Mosquitto
from tests.support.waits import wait_until


def geo(origin: GeoPoint, east: float, north: float) -> tuple[float, float]:
    """(lat, lon) of a point ``east``/``north`` metres from ``origin``."""
    lat, lon = to_geo(east, north, origin.lat, origin.lon)
    return float(lat), float(lon)


class Source(Protocol):
    """A simulated device the test starts itself (e.g. a radar on a pseudo-terminal the site does not serve)."""

    def start(self) -> object: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class DemoRun:
    """What reached the hub: the stored events (newest first) and the alerts."""

    stored: list[Event]
    alerts: list[Alert]


def run_demo(
    tmp_path: Path,
    scn: Scenario,
    expected: Callable[[Hub], object],
    timeout_s: float,
    what: str,
    event_limit: int,
    agent_extra: dict[str, Any] | None = None,
    sources: Sequence[Source] = (),
) -> DemoRun:
    """Run ``scn`` until ``expected(hub)`` is truthy or ``timeout_s`` passes, then stop everything.

    ``agent_extra`` is merged into the agent's config (e.g. ``radars`` read from ``sources``, which are
    started after the agent and stopped with the rest). A timeout is not an error here: the caller's
    assertions on the returned events say what was missing.
    """
    broker = Mosquitto(tmp_path / "broker").start()
    servers = len(scn.cameras) + len(scn.thermals) + len(scn.sensors)  # the site's ports, in that order
    layout = DemoLayout(tmp_path, broker.port, api_port=free_port(), camera_base_port=free_port_run(servers))
    write_credentials(scn, layout)  # the demo's configs name their password files
    hub = Hub(parse_config(hub_config(layout) | {"api": {"enabled": False}}, HubConfig))
    hub.start()
    site = Site(scn, base_port=layout.camera_base_port).start()
    agent = Agent(parse_config(agent_config(scn, layout) | (agent_extra or {}), AgentConfig))
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    runner.start()
    started: list[Source] = []
    try:
        for source in sources:
            source.start()
            started.append(source)
        with contextlib.suppress(AssertionError):  # the caller's checks say what was missing
            wait_until(lambda: expected(hub), timeout_s, what)
        return DemoRun(hub.store.events(limit=event_limit), hub.alert_store.list())
    finally:
        stop.set()
        runner.join(20)
        for source in started:
            source.stop()
        site.stop()
        hub.stop()
        broker.stop()
