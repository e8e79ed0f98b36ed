"""An agent in its own process, so a test can SIGKILL it: ``python -m tests.chaos.agent_proc ...``.

Producing resumes where the outbox says it stopped (its last seq), so a killed and restarted
agent emits every event index exactly once; SIGTERM stops it gracefully.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from borderwatch.edge.config.link import LinkConfig
from borderwatch.runtime.broker import BrokerConfig
from tests.chaos.agents import SimAgent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--site", required=True)
    p.add_argument("--agent", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--total", type=int, required=True)
    p.add_argument("--rate", type=float, required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    broker = BrokerConfig(host="127.0.0.1", port=args.port, keepalive_s=5, reconnect_min_s=0.5, reconnect_max_s=2.0)
    agent = SimAgent(
        args.site,
        args.agent,
        broker,
        args.workdir,
        args.total,
        args.rate,
        LinkConfig(probe_after_s=3.0, maintain_interval_s=1.0),
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    agent.start()
    done.wait()
    agent.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
