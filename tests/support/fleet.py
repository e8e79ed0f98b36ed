"""Several `borderwatch hub run` processes on one shared state: the config they share and their start.

Why here: the fleet benchmark (bench/bench_fleet.py) and the fleet tests (tests/test_fleet_shared.py,
tests/test_fleet_health.py) must run the same hub: VictoriaMetrics for events, PostgreSQL for alert
state, ledger and tokens, one ``$share`` group on an MQTT 5 broker. Each caller only overrides the
settings its question needs (quick ticks for a test, health rules on or off).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from tests.support.postgres import PG_DSN
from tests.support.waits import wait_until

CLI = [sys.executable, "-m", "borderwatch.deploy.cli"]


def merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on top, table by table (a nested table merges, a value replaces)."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merged(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
    return out


def fleet_hub_config(tmp: Path, name: str, broker_port: int, vm_url: str, schema: str,
                     over: Mapping[str, Any] | None = None) -> Path:  # fmt: skip
    """Write the TOML of hub instance ``name`` of a fleet sharing PostgreSQL schema ``schema``
    (its own files under ``tmp/name``); ``over`` overrides sections. Returns the file's path."""
    state = tmp / name
    cfg = {
        "hub_id": "hub",  # one fleet, one name on the alert topics, whichever instance publishes
        "broker": {"port": broker_port},
        "store": {"type": "influxdb", "url": vm_url, "precision": "ms", "dead_letter_path": str(state / "dl.sqlite3")},
        "delivery": {"client_id": f"bw-{name}-{schema}", "shared_group": schema, "mqtt_version": "5",
                     "ledger_path": str(state / "unused-ledger.sqlite3"), "receive_maximum": 256,
                     "queue_max": 1024, "session_expiry_s": 60},
        "alerts": {"db_path": str(state / "alerts.sqlite3")},
        "evidence": {"enabled": False},
        "api": {"enabled": False},
        "state": {"type": "postgres", "dsn": PG_DSN, "schema": schema},
    }  # fmt: skip
    path = tmp / f"{name}-{schema}.toml"
    path.write_bytes(tomli_w.dumps(merged(cfg, over or {})).encode())
    return path


def start_hub(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """One hub process, its output (stdout and stderr) in ``log``."""
    out = log.open("wb")
    return subprocess.Popen([*CLI, "hub", "run", "-c", str(config)], stdout=out, stderr=subprocess.STDOUT)


def wait_connected(logs: list[Path], timeout: float = 30.0) -> None:
    """Block until every hub whose log is in ``logs`` has its broker link up (its subscriptions made):
    events published before that would only reach the hubs already subscribed."""
    wait_until(
        lambda: all(b"hub link connected" in p.read_bytes() for p in logs),
        timeout,
        f"hub link connected in {', '.join(p.name for p in logs)}",
    )


def stop_hubs(procs: list[subprocess.Popen[bytes]], timeout: float = 20.0) -> None:
    """SIGTERM every hub still running, then wait (SIGKILL after ``timeout``)."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
