"""Property: whatever the decoder accepts, every store holds and the API lists back unchanged.

Events are generated up to the contract's edges (integers to 2^53 - 1, floats to their bounds and
down to subnormals, timestamps 1970-2100 in any offset, unicode attribute keys and values); the
decoder decides. Accepted batches are written to the real SQLite store and listed through the
API, and written to a real VictoriaMetrics through the InfluxDB write path (no point refused).
"""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch.contract import Channel, Event, EventBatch, topic
from borderwatch.contract.common import MAX_COUNT
from borderwatch.contract.events import MAX_PIXELS
from borderwatch.hub.agents import AgentRegistry
from borderwatch.hub.alerts.store import SqliteAlertStore
from borderwatch.hub.api.context import HubContext
from borderwatch.hub.api.tokens import Role, TokenStore
from borderwatch.hub.ingest.decode import Accepted, decode
from borderwatch.hub.store.config import InfluxStoreConfig
from borderwatch.hub.store.influx import InfluxStore
from borderwatch.hub.store.sqlite import SqliteStore
from tests.support.api import client_as
from tests.support.victoria import victoria_metrics

IDENT = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", fullmatch=True)
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
ANY_TS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2099, 12, 30), timezones=_ZONES)


def _float(lo: float, hi: float, **kw: object) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, **kw) | st.sampled_from([lo, hi])


_ATTR = (
    st.text(max_size=256)
    | st.booleans()
    | st.integers(-MAX_COUNT, MAX_COUNT)
    | st.floats(allow_nan=False, allow_infinity=False)
)


@st.composite
def event_doc(draw: st.DrawFn, agent: str, seq: int, ts: st.SearchStrategy[datetime]) -> dict:
    kind = draw(st.sampled_from(["camera", "thermal", "radar"]))
    crossing = draw(st.booleans())
    doc: dict = {
        "id": uuid.uuid4().hex,
        "seq": seq,
        "ts": draw(ts).isoformat(),
        "site": "s1",
        "agent": agent,
        "sensor": {"id": draw(IDENT), "kind": kind},
        "kind": "line_crossing" if crossing else draw(st.sampled_from(["track_new", "track_update", "tamper"])),
        "class": draw(st.sampled_from(["person", "vehicle", "animal", "vessel", "unknown"])),
        "confidence": draw(_float(0.0, 1.0)),
        "track_id": draw(st.none() | st.integers(0, MAX_COUNT) | st.just(MAX_COUNT)),
        "stationary": draw(st.booleans()),
        "attributes": draw(st.dictionaries(st.text(max_size=64), _ATTR, max_size=32)),
    }
    if crossing or draw(st.booleans()):
        direction = draw(st.sampled_from(["inbound", "outbound"])) if crossing else None
        doc["rule"] = {"rule": draw(IDENT), "direction": direction, "dwell_s": draw(st.none() | _float(0, 3e8))}
    if kind == "radar" and draw(st.booleans()):
        speed = draw(st.none() | _float(0, 200))
        doc["polar"] = {"range_m": draw(_float(0, 200_000)), "bearing_deg": draw(_float(0, 359.999)),
                        "speed_mps": speed, "elevation_deg": draw(_float(-90, 90))}  # fmt: skip
    if kind != "radar" and draw(st.booleans()):
        xs = sorted(draw(st.lists(_float(0, MAX_PIXELS), min_size=2, max_size=2)))
        ys = sorted(draw(st.lists(_float(0, MAX_PIXELS), min_size=2, max_size=2)))
        w, h = draw(st.integers(1, 16384)), draw(st.integers(1, 16384))
        doc["box"] = {"x1": xs[0], "y1": ys[0], "x2": xs[1], "y2": ys[1], "frame_width": w, "frame_height": h}
    if draw(st.booleans()):
        doc["position"] = {"lat": draw(_float(-90, 90)), "lon": draw(_float(-180, 180)),
                           "uncertainty_m": draw(st.none() | _float(0, 100_000))}  # fmt: skip
    return doc


_agents = (f"p{i}" for i in itertools.count())


@st.composite
def batch(draw: st.DrawFn, ts: st.SearchStrategy[datetime] = ANY_TS) -> tuple[str, bytes]:
    """(topic, payload) of one batch with consecutive seqs, anywhere up to the largest seq."""
    agent = next(_agents)
    n = draw(st.integers(1, 12))
    first = draw(st.integers(0, MAX_COUNT - n) | st.just(MAX_COUNT - n + 1))
    events = [draw(event_doc(agent, first + i, ts)) for i in range(n)]
    doc = {"v": 1, "site": "s1", "agent": agent, "sent_at": datetime.now(UTC).isoformat(), "events": events}
    return topic("s1", agent, Channel.EVENTS), json.dumps(doc).encode()


def _accepted(topic_name: str, payload: bytes) -> EventBatch | None:
    out = decode(topic_name, payload)
    return out.message if isinstance(out, Accepted) and isinstance(out.message, EventBatch) else None


def test_accepted_events_are_stored_in_sqlite_and_listed_by_the_api(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3", run_retention=False)
    tokens = TokenStore(tmp_path / "tokens.sqlite3")
    ctx = HubContext("hub", SqliteAlertStore(tmp_path / "a.sqlite3"), store, AgentRegistry(), dict, tokens=tokens)
    api = client_as(ctx, Role.VIEWER)
    accepted = []

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(batch())
    def check(msg: tuple[str, bytes]) -> None:
        got = _accepted(*msg)
        if got is None:
            return
        accepted.append(got)
        store.write_events(got.events)
        resp = api.get("/api/v1/events", params={"agent": got.agent, "limit": 1000})
        assert resp.status_code == 200, resp.text
        listed = {e.id: e for e in (Event.model_validate(d) for d in resp.json())}
        assert listed == {e.id: e for e in got.events}

    check()
    assert len(accepted) >= 30, "the generator should mostly make valid batches"
    store.close()


@pytest.mark.integration
def test_accepted_events_are_stored_in_victoria_metrics(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)  # inside the hub time window; export stops at now
    utc = st.datetimes(min_value=now - timedelta(days=7), max_value=now - timedelta(minutes=1), timezones=st.just(UTC))
    recent = st.builds(lambda ts, zone: ts.astimezone(zone), utc, _ZONES)
    written: dict[str, int] = {}
    with victoria_metrics(tmp_path / "vm") as vm:
        cfg = InfluxStoreConfig(url=vm.url, precision="ms", box_fields=True, dead_letter_path=tmp_path / "dl.sqlite")
        store = InfluxStore(cfg)

        @settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
        @given(batch(recent))
        def check(msg: tuple[str, bytes]) -> None:
            got = _accepted(*msg)
            if got is not None:
                store.write_events(got.events)
                written[got.agent] = len(got.events)

        check()
        stats = store.stats()
        assert (stats.dead_lettered_points, stats.failed_points) == (0, 0)
        store.close()
        vm.settle()
        assert len(written) >= 20
        for agent, n in written.items():
            assert vm.samples(f'events_count{{agent="{agent}"}}') == n, agent
