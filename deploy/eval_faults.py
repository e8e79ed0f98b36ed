"""The link faults `borderwatch eval` plays on an agent: a network partition and a skewed clock.

Why outside the code under test: a partition is a TCP proxy the agent reaches its broker through
(deploy/netfault.py), cut and healed on the scenario's schedule. A skewed clock is the agent process's
wall clock offset by N s from its start (deploy/skewclock.py, installed by a ``sitecustomize`` on the
agent's PYTHONPATH only): a mast without NTP. Its monotonic clock and timeouts stay true, as a real
wrong RTC leaves them.
"""

from __future__ import annotations

import logging
import os

from borderwatch.deploy.netfault import PartitionProxy
from borderwatch.deploy.skewclock import ENV, SITE_DIR
from borderwatch.simulators.scenario import Scenario

log = logging.getLogger("borderwatch.eval")
LINK_FAULTS = ("partition", "clock_skew")


class LinkFaults:
    """The partition proxy and the agent's clock offset of one run (each only if the scenario asks for it)."""

    def __init__(self, scn: Scenario, broker_port: int) -> None:
        kinds = {f.kind for f in scn.faults}
        self.proxy = PartitionProxy(broker_port).start() if "partition" in kinds else None
        self.clock_offset_s = sum(f.offset_s for f in scn.faults if f.kind == "clock_skew")

    @property
    def agent_port(self) -> int | None:
        """Where the agent must reach the broker (None: directly)."""
        return self.proxy.port if self.proxy is not None else None

    def agent_env(self) -> dict[str, str]:
        """Environment of the agent process: the skewed wall clock, when the scenario has one."""
        if not self.clock_offset_s:
            return {}
        path = os.pathsep.join(p for p in (str(SITE_DIR), os.environ.get("PYTHONPATH", "")) if p)
        return {"PYTHONPATH": path, ENV: f"{self.clock_offset_s:+.3f}"}

    def begin(self, kind: str) -> None:
        """Start a link fault (a clock skew is on from the agent's start)."""
        if kind == "partition" and self.proxy is not None:
            self.proxy.cut()

    def end(self, kind: str) -> None:
        """Lift a link fault."""
        if kind == "partition" and self.proxy is not None:
            self.proxy.heal()

    def close(self) -> None:
        """Stop the proxy (the agent is stopped first)."""
        if self.proxy is not None:
            self.proxy.stop()
