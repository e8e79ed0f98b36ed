"""Pytest fixtures and waits shared by the link, ledger and chaos tests (imported by name)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from borderwatch.hub.delivery.config import DeliveryConfig
from borderwatch.hub.service import HubService
from borderwatch.hub.store.sqlite import SqliteStore
from tests.chaos.broker import Mosquitto
from tests.chaos.store import FlakyStore


def wait_until(pred: Callable[[], bool], timeout: float, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def hub_cfg(workdir: Path, **kw) -> DeliveryConfig:
    """Hub settings for tests: quick reorder and retries, ledger under ``workdir``."""
    base = {
        "ledger_path": workdir / "ledger.sqlite3",
        "reorder_wait_s": 0.5,
        "replay_retry_s": 2.0,
        "replay_retry_max_s": 8.0,
        "confirm_interval_s": 0.2,
    }
    return DeliveryConfig(**{**base, **kw})


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path / "broker").start()
    yield broker
    broker.kill()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FlakyStore]:
    """The real embedded store (hub.store.sqlite), able to simulate an outage."""
    s = FlakyStore(SqliteStore(tmp_path / "store.sqlite3"))
    yield s
    s.close()


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto, store: FlakyStore) -> Iterator[HubService]:
    service = HubService(mosquitto.broker_config(), hub_cfg(tmp_path), store)
    service.start()
    assert service.wait_connected(10)
    yield service
    service.stop()
