"""deploy/influxdb/setup.sh keeps secrets off command lines (other users read those with ps).

The admin password comes from a file (or the environment) and travels in an HTTP body to a real
local HTTP server standing in for InfluxDB's /api/v2/setup; every ``influx`` command the script
runs is recorded by a stand-in CLI on PATH, so the test sees each argv the system would show.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parents[1] / "deploy" / "influxdb" / "setup.sh"
PASSWORD = "s3cr3t-p@ss/word"
OPERATOR_TOKEN = "operator-token-from-setup"

_INFLUX_STUB = """#!/bin/sh
printf '%s\\n' "$*" >> "$BW_TEST_ARGV_LOG"
printf 'INFLUX_TOKEN=%s\\n' "$INFLUX_TOKEN" >> "$BW_TEST_ARGV_LOG"
case "$1 $2" in
  "auth create") echo '{"token": "minted-token"}' ;;
esac
"""


@pytest.fixture
def setup_api() -> Iterator[tuple[str, list[dict]]]:
    """An HTTP server answering POST /api/v2/setup like InfluxDB 2.x; yields (url, bodies received)."""
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps({"auth": {"token": OPERATOR_TOKEN}}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", bodies
    server.shutdown()
    server.server_close()


def test_initial_setup_takes_the_password_from_a_file_and_never_from_argv(tmp_path: Path, setup_api) -> None:
    url, bodies = setup_api
    bin_dir, tokens, argv_log = tmp_path / "bin", tmp_path / "tokens", tmp_path / "argv.log"
    bin_dir.mkdir()
    stub = bin_dir / "influx"
    stub.write_text(_INFLUX_STUB)
    stub.chmod(0o755)
    pw_file = tmp_path / "admin.pw"
    pw_file.write_text(PASSWORD + "\n")
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "INFLUX_HOST": url,
        "BW_INIT_USER": "admin",
        "BW_INIT_PASSWORD_FILE": str(pw_file),
        "BW_TOKEN_DIR": str(tokens),
        "BW_TEST_ARGV_LOG": str(argv_log),
    }
    out = subprocess.run(["sh", str(SETUP)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert bodies == [
        {"username": "admin", "password": PASSWORD, "org": "borderwatch", "bucket": "bw_events",
         "retentionPeriodSeconds": 90 * 86_400}
    ]  # fmt: skip
    recorded = argv_log.read_text()
    assert PASSWORD not in recorded and PASSWORD not in out.stdout + out.stderr
    assert f"INFLUX_TOKEN={OPERATOR_TOKEN}" in recorded  # the operator token reached influx by environment
    assert OPERATOR_TOKEN not in recorded.replace(f"INFLUX_TOKEN={OPERATOR_TOKEN}", "")
    for name in ("operator.token", "hub-writer.token", "grafana-reader.token"):
        assert stat.S_IMODE((tokens / name).stat().st_mode) == 0o600, name
    assert (tokens / "hub-writer.token").read_text().strip() == "minted-token"


def test_initial_setup_without_a_password_source_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "DRY_RUN": "1", "BW_INIT_USER": "admin", "BW_TOKEN_DIR": str(tmp_path)}
    env.pop("BW_INIT_PASSWORD", None)
    env.pop("BW_INIT_PASSWORD_FILE", None)
    out = subprocess.run(["sh", str(SETUP)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "BW_INIT_PASSWORD_FILE" in out.stderr
