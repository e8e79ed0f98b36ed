"""The hub as deployed: `borderwatch hub run` with HTTPS from its config (uvicorn's TLS options),
a token made with `borderwatch hub token create`, a real Mosquitto; the token opens the API,
its absence or revocation does not, and it never appears in the hub's log."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import tomli_w

from tests.support.broker import Mosquitto
from tests.support.tls import make_certs
from tests.support.waits import free_port, wait_until

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "borderwatch.deploy.cli"]


def _config(tmp: Path, broker_port: int, api_port: int) -> Path:
    _, cert, key = make_certs(tmp / "tls")
    state = tmp / "state"
    cfg = {
        "broker": {"port": broker_port},
        "store": {"type": "sqlite", "path": str(state / "events.sqlite3")},
        "delivery": {"ledger_path": str(state / "ledger.sqlite3")},
        "alerts": {"db_path": str(state / "alerts.sqlite3")},
        "evidence": {"dir": str(state / "evidence")},
        "api": {"port": api_port, "ssl_certfile": str(cert), "ssl_keyfile": str(key)},
    }
    path = tmp / "hub.toml"
    path.write_bytes(tomli_w.dumps(cfg).encode())
    return path


Hub = tuple[Path, str, Path, subprocess.Popen[bytes]]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    """(hub.toml, base URL, log file, process) of a running hub with HTTPS on."""
    broker = Mosquitto(tmp_path / "broker").start()
    api_port = free_port()
    config = _config(tmp_path, broker.port, api_port)
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*CLI, "--log-level", "debug", "hub", "run", "-c", str(config)],
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        yield config, f"https://localhost:{api_port}", log, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=20)
        broker.kill()


def test_https_api_with_a_cli_token(hub: Hub, tmp_path: Path) -> None:
    config, url, log, proc = hub
    made = subprocess.run([*CLI, "hub", "token", "create", "--role", "viewer", "--name", "ops", "-c", str(config)],
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    token = made.stdout.strip()
    api = httpx.Client(base_url=url, verify=ssl.create_default_context(cafile=tmp_path / "tls" / "ca.crt"), timeout=5)

    def up() -> bool:
        try:
            return api.get("/health").status_code == 200
        except httpx.TransportError:
            return False

    wait_until(up, 30, "hub API over HTTPS")
    health = api.get("/health")
    assert health.headers["strict-transport-security"].startswith("max-age=")
    assert api.get("/api/v1/alerts").status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/alerts", headers=bearer).status_code == 200
    assert api.post("/api/v1/alerts/any-alert-1/resolve", headers=bearer).status_code == 403
    with pytest.raises(httpx.TransportError):  # plaintext is not served on the TLS port
        httpx.get(url.replace("https", "http") + "/health", timeout=5)

    subprocess.run([*CLI, "hub", "token", "revoke", "ops", "-c", str(config)], check=True, capture_output=True)
    assert api.get("/api/v1/alerts", headers=bearer).status_code == 401

    proc.terminate()  # with the client's keep-alive TLS connection still open
    assert proc.wait(timeout=15) == 0
    api.close()
    assert token not in log.read_text(errors="replace")
