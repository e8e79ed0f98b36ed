"""The embedded MQTT broker (amqtt) for single-machine use and the demo.

Production runs Mosquitto (deploy/mosquitto/) or a clustered broker: amqtt is a pure-Python
broker in the hub's process, enough for one site, not sized for a fleet.
"""

from __future__ import annotations

import asyncio
import logging
import signal

log = logging.getLogger("borderwatch.broker")


def broker_config(host: str, port: int) -> dict[str, object]:
    """amqtt config: one TCP listener, anonymous access (bind to loopback unless told otherwise)."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 256}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


async def _serve(host: str, port: int, stop: asyncio.Event) -> None:
    from amqtt.broker import Broker

    broker = Broker(broker_config(host, port))
    await broker.start()
    log.info("broker listening host=%s port=%d", host, port)
    await stop.wait()
    await broker.shutdown()
    log.info("broker stopped")


def run_broker(host: str = "127.0.0.1", port: int = 1883) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await _serve(host, port, stop)

    try:
        asyncio.run(main())
    except OSError as exc:
        log.error("broker cannot listen host=%s port=%d error=%s", host, port, exc)
        return 1
    return 0
