"""deploy/settle.py and deploy/procs.free_port_run: the demo and the eval wait for what the hub stored
to stop changing (not a fixed pause), and find free ports for the site's servers by binding them."""

from __future__ import annotations

import itertools
import socket
import threading
from pathlib import Path

import pytest

from borderwatch.deploy import procs
from borderwatch.deploy.procs import free_port_run
from borderwatch.deploy.settle import hub_counts, wait_hub_settled, wait_stable
from borderwatch.hub.alerts.store import SqliteAlertStore
from borderwatch.hub.store.sqlite import SqliteStore
from tests.support.alerts import made_alert
from tests.support.builders import make_events


def test_settles_once_the_value_stops_changing() -> None:
    values = itertools.chain([1, 2, 3], itertools.repeat(4))
    assert wait_stable(lambda: next(values), stable_s=0.3, timeout_s=10, poll_s=0.01)


def test_gives_up_at_the_deadline_while_it_keeps_changing() -> None:
    counter = itertools.count()
    assert not wait_stable(lambda: next(counter), stable_s=0.3, timeout_s=0.5, poll_s=0.01)


def test_hub_counts_follow_the_stores_and_missing_files_read_as_none(tmp_path: Path) -> None:
    events, alerts = tmp_path / "events.sqlite3", tmp_path / "alerts.sqlite3"
    assert hub_counts(events, alerts) == (None, None)
    store, alert_store = SqliteStore(events, run_retention=False), SqliteAlertStore(alerts)
    try:
        store.write_events(make_events(5))
        assert hub_counts(events, alerts) == ((5,), (0, None))
        store.write_events(make_events(3, start=5))
        alert_store.upsert(made_alert())
        n_events, (n_alerts, _) = hub_counts(events, alerts)
        assert (n_events, n_alerts) == ((8,), 1)
    finally:
        store.close()
        alert_store.close()


def test_waits_for_events_still_arriving(tmp_path: Path) -> None:
    """A writer still storing events keeps the wait going; it ends once the writer is done."""
    events = tmp_path / "events.sqlite3"
    store = SqliteStore(events, run_retention=False)
    done = threading.Event()

    def trickle() -> None:
        for i in range(10):
            store.write_events(make_events(1, start=i))
            done.wait(0.1)
        done.set()

    writer = threading.Thread(target=trickle)
    writer.start()
    try:
        assert wait_hub_settled(events, tmp_path / "alerts.sqlite3", stable_s=0.5, timeout_s=30)
        assert done.is_set() and hub_counts(events, tmp_path / "none") == ((10,), None)
    finally:
        writer.join()
        store.close()


@pytest.mark.parametrize("n", [1, 3])
def test_free_port_run_can_bind_every_port(n: int) -> None:
    first = free_port_run(n)
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", first))
        if n > 1:
            b.bind(("127.0.0.1", first + n - 1))


def test_free_port_run_skips_a_port_bound_but_not_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    """A connect probe would call it free: nothing accepts on it yet, but nothing else can bind it."""
    held = socket.socket()
    while True:
        first = procs.free_port()
        try:
            held.bind(("127.0.0.1", first + 1))
            break
        except OSError:
            continue
    offered = itertools.chain([first], iter(procs.free_port, None))  # this port first, then real ones
    monkeypatch.setattr(procs, "free_port", lambda: next(offered))
    try:
        assert free_port_run(2) != first
    finally:
        held.close()
