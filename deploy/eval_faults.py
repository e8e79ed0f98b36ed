"""The link faults `borderwatch eval` plays on an agent: a network partition and a skewed clock.

Why outside the processes: neither fault may touch the code under test. A partition is a TCP proxy the
agent reaches its broker through (deploy/netfault.py), cut and healed on the scenario's schedule. A
skewed clock is the agent's clock offset by libfaketime (Debian's ``libfaketime``, preloaded into the
agent only) for the agent's whole life: a mast without NTP whose clock is N s off. The offset is constant
because libfaketime cannot step a running process's clock cleanly (it moves the monotonic clock with the
wall clock, so a step back would stall every timer, and leaving monotonic alone breaks Python's sleep).
"""

from __future__ import annotations

import glob
import logging

from borderwatch.deploy.netfault import PartitionProxy
from borderwatch.simulators.scenario import Scenario

log = logging.getLogger("borderwatch.eval")
LIBFAKETIME_GLOB = "/usr/lib/*/faketime/libfaketime.so.1"
LINK_FAULTS = ("partition", "clock_skew")


def libfaketime() -> str:
    """The preloadable libfaketime; RuntimeError says how to install it."""
    found = sorted(glob.glob(LIBFAKETIME_GLOB))
    if not found:
        raise RuntimeError("a clock_skew fault needs libfaketime: apt-get install libfaketime (make services)")
    return found[0]


class LinkFaults:
    """The partition proxy and the agent's clock offset of one run (each only if the scenario asks for it)."""

    def __init__(self, scn: Scenario, broker_port: int) -> None:
        kinds = {f.kind for f in scn.faults}
        self.proxy = PartitionProxy(broker_port).start() if "partition" in kinds else None
        self.clock_offset_s = sum(f.offset_s for f in scn.faults if f.kind == "clock_skew")
        self._preload = libfaketime() if self.clock_offset_s else None

    @property
    def agent_port(self) -> int | None:
        """Where the agent must reach the broker (None: directly)."""
        return self.proxy.port if self.proxy is not None else None

    def agent_env(self) -> dict[str, str]:
        """Environment of the agent process: libfaketime with the scenario's offset, when it has one."""
        if not self.clock_offset_s or self._preload is None:
            return {}
        return {"LD_PRELOAD": self._preload, "FAKETIME": f"{self.clock_offset_s:+.3f}"}

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
