"""Fixtures every test module may use by name (pytest finds them here; nothing imports this file).

Plain helpers live in ``tests/support/`` and are imported from there: ``builders`` (valid events,
batches, telemetry), ``waits`` (``wait_until``, ``free_port``, ``wait_port``), ``broker`` (a real
Mosquitto), ``victoria`` (a real VictoriaMetrics and a scriptable HTTP proxy), ``mqtt_peer`` (a plain
paho client), ``store`` (the SQLite store with simulated outages), ``hub`` (quick delivery settings),
``tls`` (a private CA), ``api`` (an API client holding a token of a role), ``alerts`` (located
camera/radar/thermal events for the alert tests), ``identity`` (the shipped Mosquitto config and
ACL run for real, a client per broker identity), ``outbox_full`` (a full disk for the outbox
through SQLite's page limit), ``testpattern`` and
``synthetic_models`` (camera test scenes and hand-built ONNX models). Test modules never import
each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from borderwatch.hub.alerts.store import PostgresAlertStore, SqlAlertStore, SqliteAlertStore
from borderwatch.hub.service import HubService
from borderwatch.hub.store.sqlite import SqliteStore
from tests.support import waits
from tests.support.broker import Mosquitto
from tests.support.hub import hub_cfg
from tests.support.postgres import PG_DSN, pg_schema
from tests.support.store import FlakyStore
from tests.support.victoria import VictoriaMetrics, victoria_metrics


@pytest.fixture(params=["sqlite", "postgres"])
def alert_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], SqlAlertStore]]:
    """Opens alert stores on one database, SQLite file or PostgreSQL schema (the test runs on both);
    every store opened is shared (several engines on it decide under its locks) and closed after."""
    opened: list[SqlAlertStore] = []
    with contextlib.ExitStack() as stack:
        if request.param == "postgres":
            schema = stack.enter_context(pg_schema())

            def open_one() -> SqlAlertStore:
                opened.append(PostgresAlertStore(PG_DSN, schema))
                return opened[-1]
        else:

            def open_one() -> SqlAlertStore:
                opened.append(SqliteAlertStore(tmp_path / "alerts.sqlite3", shared=True))
                return opened[-1]

        yield open_one
        for store in opened:
            with contextlib.suppress(Exception):
                store.close()


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    return waits.free_port()


@pytest.fixture
def wait_until() -> Callable[..., None]:
    """``wait_until(pred, timeout, what)``: poll against a deadline, fail naming ``what``."""
    return waits.wait_until


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real Mosquitto on a free port, persistence on, anonymous access, killed after the test."""
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
    """A running hub service on ``mosquitto`` writing to ``store``, with quick delivery settings."""
    service = HubService(mosquitto.broker_config(), hub_cfg(tmp_path), store)
    service.start()
    assert service.wait_connected(10)
    yield service
    service.stop()


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    """A real VictoriaMetrics on a free port (skips when the binary is missing)."""
    with victoria_metrics(tmp_path / "vm") as vm:
        yield vm
