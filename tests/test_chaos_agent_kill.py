"""Chaos: the agent process is SIGKILLed mid-stream (twice) and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from borderwatch.contract import AgentState, AgentStatus, Channel, topic
from tests.chaos.checks import assert_exactly_once, wait_all_stored
from tests.support.mqtt_peer import Raw
from tests.support.store import stored_seqs
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration


TOTAL = 3000
ROOT = Path(__file__).resolve().parents[1]


def _spawn(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    args = [
        "--site",
        "s1",
        "--agent",
        "a1",
        "--port",
        str(port),
        "--workdir",
        str(workdir),
        "--total",
        str(TOTAL),
        "--rate",
        "300",
    ]
    log = open(workdir / "agent.log", "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen([sys.executable, "-m", "tests.chaos.agent_proc", *args], cwd=ROOT, stdout=log, stderr=log)


def test_agent_sigkill_and_restart_loses_nothing(tmp_path, mosquitto, store, hub):
    status = Raw(mosquitto.port, [topic("s1", "a1", Channel.STATUS)])
    proc = _spawn(mosquitto.port, tmp_path)
    try:
        for fraction in (3, 2):
            wait_until(lambda f=fraction: len(stored_seqs(store.path, "s1", "a1")) >= TOTAL // f, 60, "progress")
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            wait_until(
                lambda: AgentStatus.model_validate_json(status.on("/status")[-1].payload).state is AgentState.OFFLINE,
                15,
                "last will",
            )
            proc = _spawn(mosquitto.port, tmp_path)
        wait_all_stored(store.path, "s1", {"a1": TOTAL}, timeout=90)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        status.close()
    assert_exactly_once(store.path, "s1", {"a1": TOTAL}, hub.stats())
