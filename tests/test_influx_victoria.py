"""InfluxStore against a real VictoriaMetrics (InfluxDB v2 write API), read back via /api/v1/export."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from borderwatch.hub.store import open_store
from borderwatch.hub.store.base import DeadLetter, StoreError, StoreOverflowError, StoreRefusedError
from borderwatch.hub.store.config import InfluxStoreConfig
from borderwatch.hub.store.influx import InfluxStore, owners_path
from borderwatch.hub.store.owners import OwnerIndex
from tests.support.builders import make_batch, make_event, make_events, make_telemetry
from tests.support.victoria import scripted_proxy, victoria_metrics

pytestmark = pytest.mark.integration
_sites = (f"t{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    with victoria_metrics(tmp_path_factory.mktemp("vm")) as server:
        yield server


def _cfg(url: str, tmp_path, **kw) -> InfluxStoreConfig:
    base = {"type": "influxdb", "url": url, "precision": "ms", "dead_letter_path": tmp_path / "dl.sqlite"}
    return InfluxStoreConfig.model_validate(base | kw)


@pytest.fixture
def site():
    return next(_sites)


def _store(url: str, tmp_path, **kw) -> InfluxStore:
    store = open_store(_cfg(url, tmp_path, **kw))
    assert isinstance(store, InfluxStore)
    return store


def test_events_land_as_points_with_bounded_tags(vm, tmp_path, site):
    store = _store(vm.url, tmp_path)
    events = make_events(300, site=site, spacing_ms=2)
    assert store.write_events(events) == 300
    store.close()
    vm.settle()
    series = vm.export(f'events_count{{site="{site}"}}')
    assert sum(len(s["values"]) for s in series) == 300
    labels = set().union(*(s["metric"].keys() for s in series))
    assert labels == {"__name__", "site", "agent", "sensor", "sensor_kind", "kind", "class"}
    assert len(series) == 1  # one agent, one sensor, one kind, one class: ids are fields, not series
    assert vm.values(f'events_seq{{site="{site}"}}') == list(range(300))


def test_replay_overwrites_instead_of_duplicating(vm, tmp_path, site):
    store = _store(vm.url, tmp_path)
    events = make_events(200, site=site)  # 1 ms apart, like frames of one camera
    store.write_events(events)
    store.write_events(events)  # a replay from the agent's outbox
    store.write_events(events[50:120])
    store.close()
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 200
    assert vm.values(f'events_track_id{{site="{site}"}}') == sorted(e.track_id for e in events)


def test_one_frame_many_events_stay_distinct(vm, tmp_path, site):
    store = _store(vm.url, tmp_path)
    now = datetime.now(UTC)
    frame = [e.model_copy(update={"ts": now}) for e in make_events(40, site=site)]  # same instant
    store.write_events(frame)
    store.close()
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 40


def test_telemetry_points(vm, tmp_path, site):
    store = _store(vm.url, tmp_path)
    store.write_telemetry(make_telemetry(site=site))
    store.close()
    vm.settle()
    assert vm.values(f'agent_outbox_depth{{site="{site}"}}') == [17]
    assert vm.values(f'agent_link_up{{site="{site}"}}') == [1]
    inference = {s["metric"]["sensor"]: s["values"] for s in vm.export(f'sensor_inference_ms{{site="{site}"}}')}
    assert inference == {"cam1": [13.5], "radar1": [0.7]}
    assert vm.values(f'sensor_dropped_frames{{site="{site}",sensor="cam1"}}') == [3]


def test_retries_503_with_retry_after_then_succeeds(vm, tmp_path, site):
    def script(n, lines):
        return (503, {"Retry-After": "0"}) if n < 3 else None

    with scripted_proxy(vm.url, script) as proxy:
        store = _store(proxy.url, tmp_path, retry_initial_s=0.01, retry_max_s=0.05, gzip=True)
        store.write_events(make_events(100, site=site))
        stats = store.stats()
        store.close()
    assert proxy.answered[:3] == [503, 503, 503] and proxy.answered[3] == 204
    assert set(proxy.encodings) == {"gzip"}  # every retry sends the compressed body again
    assert stats.retries == 3 and stats.points_written == 100
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 100


def test_loopback_server_gets_plain_bodies_by_default(vm, tmp_path, site):
    """``gzip = "auto"``: a server on this machine is sent line protocol as it is (compressing would cost
    both processes CPU on the same cores to save no network)."""
    with scripted_proxy(vm.url, lambda n, lines: None) as proxy:
        store = _store(proxy.url, tmp_path)
        store.write_events(make_events(50, site=site))
        store.close()
    assert proxy.encodings and set(proxy.encodings) == {""}
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 50


def test_a_staged_claim_that_cannot_be_written_holds_its_points_back_until_there_is_room(vm, tmp_path, site):
    """A known agent's numbered ids are staged and written to the owner index just before their points
    (hub/store/owners.py). On a full disk that write fails: the points are not written either and the write
    fails as a store that is down does (the ingest round is retried, nothing acked); once there is room the
    same events go through, claimed by their sender."""
    store = _store(vm.url, tmp_path)
    store.write_events(make_events(10, site=site))  # a new sender: checked and claimed at once
    idx = store._owners
    (pages,) = idx._db.execute("PRAGMA page_count").fetchone()
    idx._db.execute(f"PRAGMA max_page_count = {pages}")
    t0 = datetime.now(UTC) - timedelta(seconds=5)  # 2 ms apart: a point each (hub/store/points.py)
    gappy = [make_event(20 + 2 * k, site=site, ts=t0 + timedelta(milliseconds=2 * k)) for k in range(900)]
    with pytest.raises(StoreError):
        store.write_events(gappy)
    assert store.stats().points_written == 10
    idx._db.execute(f"PRAGMA max_page_count = {pages * 100}")
    assert store.write_events(gappy) == 900
    store.close()
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 910
    reopened = OwnerIndex(owners_path(store.cfg))
    assert reopened.owner(gappy[-1].id) == reopened.owner(gappy[0].id) == f"{site}/a1"
    reopened.close()


def test_retries_dropped_connections(vm, tmp_path, site):
    with scripted_proxy(vm.url, lambda n, lines: "drop" if n < 2 else None) as proxy:
        store = _store(proxy.url, tmp_path, retry_initial_s=0.01, retry_max_s=0.05)
        store.write_events(make_events(20, site=site))
        assert store.stats().retries >= 2
        store.close()
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 20


def test_413_splits_until_batches_fit(vm, tmp_path, site):
    with scripted_proxy(vm.url, lambda n, lines: (413, {}) if len(lines) > 30 else None) as proxy:
        store = _store(proxy.url, tmp_path)
        store.write_events(make_events(200, site=site))
        store.close()
    assert 413 in proxy.answered
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 200


def test_400_bisects_and_dead_letters_only_the_bad_point(vm, tmp_path, site):
    events = make_events(64, site=site)
    poison = events[37].id.encode()
    with scripted_proxy(vm.url, lambda n, lines: (400, {}) if any(poison in ln for ln in lines) else None) as p:
        store = _store(p.url, tmp_path)
        store.write_events(events)
        letters = store.dead_letters()
        assert store.stats().dead_lettered_points == 1
        store.close()
    assert [d.reason for d in letters] == ["influx_http_400"]
    assert poison in letters[0].payload
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 63


def test_auth_refusal_raises_instead_of_acknowledging(vm, tmp_path, site):
    with scripted_proxy(vm.url, lambda n, lines: (401, {})) as proxy:
        store = _store(proxy.url, tmp_path)
        with pytest.raises(StoreError, match="HTTP 401"):
            store.write_events(make_events(5, site=site))
        assert store.stats().failed_points == 5
        store.close()


def test_retry_budget_exhausted_raises(vm, tmp_path, site):
    with scripted_proxy(vm.url, lambda n, lines: (503, {})) as proxy:
        store = _store(proxy.url, tmp_path, retry_initial_s=0.01, retry_max_s=0.02, retry_budget_s=0.2)
        with pytest.raises(StoreError, match="still failing"):
            store.write_events(make_events(5, site=site))
        assert proxy.requests >= 3
        store.close()


def test_close_fails_pending_writes_instead_of_hanging(vm, tmp_path, site):
    with scripted_proxy(vm.url, lambda n, lines: (503, {})) as proxy:
        store = _store(proxy.url, tmp_path, retry_initial_s=0.05, retry_max_s=0.1, close_timeout_s=0.3)
        pending = store.submit_events(make_events(10, site=site))
        started = time.monotonic()
        store.close()
        assert time.monotonic() - started < 5
        with pytest.raises(StoreError):
            pending.result(timeout=1)
        with pytest.raises(StoreError, match="closed"):
            store.submit_events(make_events(1, site=site))


def test_overflow_is_counted_and_refused_while_server_is_down(vm, tmp_path, site):
    release = threading.Event()

    def script(n, lines):
        return None if release.is_set() else (503, {"Retry-After": "0"})

    with scripted_proxy(vm.url, script) as proxy:
        store = _store(proxy.url, tmp_path, max_buffer_points=100, overflow_wait_s=0.2, retry_initial_s=0.05,
                       retry_max_s=0.1)  # fmt: skip
        first = store.submit_events(make_events(100, site=site))  # fills the buffer, stuck in retries
        with pytest.raises(StoreOverflowError):
            store.write_events(make_events(50, start=100, site=site))
        assert store.stats().overflow_points == 50
        assert store.stats().buffered_points == 100
        release.set()
        assert first.result(timeout=10) == 100
        assert proxy.requests >= 2
        store.write_events(make_events(50, start=100, site=site))  # the upstream redelivery
        store.close()
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 150


def test_futures_resolve_in_submission_order(vm, tmp_path, site):
    store = _store(vm.url, tmp_path, batch_size=50)
    done: list[int] = []
    futures = []
    base = datetime.now(UTC)
    for i in range(20):
        f = store.submit_events(make_events(10, start=i * 10, site=site, end=base + timedelta(milliseconds=10 * i)))
        f.add_done_callback(lambda _f, i=i: done.append(i))
        futures.append(f)
    for f in futures:
        f.result(timeout=10)
    store.close()
    assert done == list(range(20))
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 200


def test_dead_letters_kept_locally_and_counted(vm, tmp_path, site):
    store = _store(vm.url, tmp_path)
    store.write_dead_letter(DeadLetter(datetime.now(UTC), f"bw/v1/{site}/a1/events", "not_json", b"\x00junk"))
    assert store.dead_letters()[0].payload == b"\x00junk"
    store.close()
    vm.settle()
    assert vm.values(f'dead_letters_count{{site="{site}",reason="not_json"}}') == [1]


def test_every_stored_event_is_claimed_on_disk_before_the_store_closes(vm, tmp_path, site):
    # A known agent's next ids are staged in memory (hub/store/owners.py); once write_events has
    # returned (the hub acknowledges then), a hub that dies must still find them claimed.
    store = _store(vm.url, tmp_path)
    store.write_events(make_events(5, site=site, agent="a1"))
    later = make_events(5, start=5, site=site, agent="a1")
    store.write_events(later)
    on_disk = OwnerIndex(owners_path(store.cfg))  # read beside the live store, as after a crash
    try:
        assert on_disk.owner(later[-1].id) == f"{site}/a1"
    finally:
        on_disk.close()
        store.close()


def test_large_batch_from_one_message(vm, tmp_path, site):
    store = _store(vm.url, tmp_path, batch_size=1000)
    batch = make_batch(make_events(5000, site=site, spacing_ms=1), site=site)
    assert store.write_events(batch.events) == 5000
    assert store.stats().batches_written == 5
    store.close()
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}"}}') == 5000


def test_an_event_id_stays_with_its_first_sender(vm, tmp_path, site):
    store = _store(vm.url, tmp_path)
    mine = make_events(5, site=site, agent="a1")
    store.write_events(mine)
    store.write_events(mine)  # the owner's replay is fine
    thief = [mine[2].model_copy(update={"agent": "a2", "track_id": 999})]
    with pytest.raises(StoreRefusedError, match="id_taken"):
        store.write_events(thief)
    store.close()
    again = _store(vm.url, tmp_path)  # the hub's index is on disk: a restart does not forget owners
    with pytest.raises(StoreRefusedError, match="id_taken"):
        again.write_events(thief)
    again.close()
    vm.settle()
    assert vm.samples(f'events_count{{site="{site}",agent="a2"}}') == 0
    assert vm.samples(f'events_count{{site="{site}",agent="a1"}}') == 5
