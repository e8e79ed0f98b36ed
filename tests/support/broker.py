"""A real Mosquitto started by the tests: own conf file, free port, restartable, killable."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
from pathlib import Path

from borderwatch.runtime.broker import BrokerConfig
from tests.support.waits import free_port, wait_port


class Mosquitto:
    """One broker process. ``max_queued=0`` / ``max_inflight=0`` mean unlimited (Mosquitto's rule);
    the stock defaults are 1000 and 20, and a full queue drops QoS 1 messages (tests/test_chaos_burst.py)."""

    def __init__(
        self,
        workdir: Path,
        *,
        persistence: bool = True,
        max_queued: int = 0,
        max_inflight: int = 100,
        port: int | None = None,
        passwords: dict[str, str] | None = None,
        tls: tuple[Path, Path, Path] | None = None,
    ) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.persistence = persistence
        self.max_queued = max_queued
        self.max_inflight = max_inflight
        self.passwords = passwords
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def conf(self) -> Path:
        return self.workdir / "mosquitto.conf"

    def _write_conf(self) -> None:
        lines = [
            f"listener {self.port} 127.0.0.1",
            *self._tls_lines(),
            *self._auth_lines(),
            f"user {getpass.getuser()}",
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.workdir}/",
            "autosave_interval 1800",
            f"max_queued_messages {self.max_queued}",
            f"max_inflight_messages {self.max_inflight}",
            f"log_dest file {self.workdir / 'mosquitto.log'}",
            "log_type error",
            "log_type warning",
            "log_type notice",
        ]
        self.conf.write_text("\n".join(lines) + "\n")

    def _tls_lines(self) -> list[str]:
        if self.tls is None:
            return []
        ca, cert, key = self.tls
        return [f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"]

    def _auth_lines(self) -> list[str]:
        if not self.passwords:
            return ["allow_anonymous true"]
        pwfile = self.workdir / "passwd"
        pwfile.write_text("")
        for user, password in self.passwords.items():
            subprocess.run(["mosquitto_passwd", "-b", str(pwfile), user, password], check=True, capture_output=True)
        return ["allow_anonymous false", f"password_file {pwfile}"]

    def start(self) -> Mosquitto:
        self._write_conf()
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_port(self.port)
        return self

    def stop(self) -> None:
        """Graceful stop: SIGTERM, so a persistent broker saves its queues to disk."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """Crash: SIGKILL, nothing saved since the last autosave."""
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, sig)
        self.proc.wait(timeout=20)
        wait_port(self.port, up=False)

    def restart(self, crash: bool = False) -> None:
        self.kill() if crash else self.stop()
        self.start()

    def broker_config(self, port: int | None = None, keepalive_s: int = 5) -> BrokerConfig:
        return BrokerConfig(
            host="127.0.0.1",
            port=port or self.port,
            keepalive_s=keepalive_s,
            reconnect_min_s=0.5,
            reconnect_max_s=2.0,
        )
