"""Evidence store at the hub: validation, files + index, duplicates, dead letters, size and age limits."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from borderwatch.contract import Event, EventKind, ImageBox, SensorKind, SensorRef
from borderwatch.hub.evidence import EvidenceConfig, EvidenceIngest, EvidenceStore, Reason, Rejection
from borderwatch.hub.evidence.index import EvidenceRow
from borderwatch.hub.evidence.validate import HEAD_BYTES, is_jpeg
from borderwatch.hub.link import is_evidence
from tests.support.waits import wait_until

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def real_jpeg(seed: int = 0, size: tuple[int, int] = (120, 160)) -> bytes:
    img = np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


_TINY = real_jpeg(size=(8, 8))


def fake_jpeg(n: int, fill: int = 0x11) -> bytes:
    """Exactly ``n`` bytes of a JPEG that decodes: an 8 x 8 image padded with comment segments
    (COM: FF FE, a 2-byte length, then ``fill`` bytes) right after its SOI marker."""
    pad, segments = n - len(_TINY), b""
    assert pad == 0 or pad >= 4, f"{n} bytes: not reachable from {len(_TINY)}"
    while pad > 0:
        take = min(pad, 65537)
        take -= 4 if 0 < pad - take < 4 else 0
        segments += b"\xff\xfe" + (take - 2).to_bytes(2, "big") + bytes([fill]) * (take - 4)
        pad -= take
    return _TINY[:2] + segments + _TINY[2:]


def markers_only(n: int) -> bytes:
    """JPEG's start and end markers around filler: what a header check alone would let through."""
    return b"\xff\xd8\xff" + b"\x11" * (n - 5) + b"\xff\xd9"


def claims_pixels(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims ``width`` x ``height``."""
    data = bytearray(real_jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def ev_topic(event_id: str, site: str = "west-1", agent: str = "mast-01") -> str:
    return f"bw/v1/{site}/{agent}/evidence/{event_id}"


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    s = EvidenceStore(EvidenceConfig(dir=tmp_path / "ev", max_bytes=400_000, max_total_bytes=1 << 20))
    yield s
    s.close()


def test_valid_jpeg_is_kept_on_disk_and_indexed(store: EvidenceStore) -> None:
    jpeg = real_jpeg()
    row = store.put_message(ev_topic("e0000000001"), jpeg, T0)
    assert isinstance(row, EvidenceRow)
    path = store.root / "west-1" / "mast-01" / "2026-03-01" / "e0000000001.jpg"
    assert row.path == "west-1/mast-01/2026-03-01/e0000000001.jpg"
    assert path.read_bytes() == jpeg
    assert (row.site, row.agent, row.sensor, row.bytes) == ("west-1", "mast-01", None, len(jpeg))
    assert row.sha256 == hashlib.sha256(jpeg).hexdigest() and row.received_at == T0
    got = store.get("e0000000001")
    assert got is not None and got[1] == jpeg and got[0] == row
    assert store.latest() == [row]
    assert store.stats()["stored"] == 1 and store.stats()["total_bytes"] == len(jpeg)
    assert not list(store.root.rglob("*.part")), "temporary file left behind"


def test_duplicate_keeps_the_first_copy(store: EvidenceStore) -> None:
    first, second = fake_jpeg(1000, 1), fake_jpeg(2000, 2)
    store.put_message(ev_topic("dup-event-1"), first, T0)
    assert store.put_message(ev_topic("dup-event-1"), second, T0 + timedelta(seconds=1)) is None
    assert store.get("dup-event-1")[1] == first
    assert store.stats()["duplicates"] == 1 and store.stats()["total_bytes"] == 1000


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (ev_topic("big-event-1"), fake_jpeg(400_001), Reason.TOO_BIG),
        (ev_topic("png-event-1"), b"\x89PNG\r\n\x1a\n" + b"\0" * 100, Reason.NOT_JPEG),
        (ev_topic("cut-event-1"), real_jpeg()[:-100], Reason.NOT_JPEG),  # truncated: no EOI
        (ev_topic("txt-event-1"), b"hello", Reason.NOT_JPEG),
        (ev_topic("fake-event-1"), markers_only(1000), Reason.NOT_JPEG),  # markers right, nothing decodes
        (ev_topic("html-event-1"), b"\xff\xd8\xff<html><script>alert(1)</script>\xff\xd9", Reason.NOT_JPEG),
        (ev_topic("bomb-event-1"), claims_pixels(60000, 60000), Reason.TOO_BIG),  # refused before decoding
        (ev_topic("huge-event-1"), claims_pixels(5000, 5000), Reason.TOO_BIG),  # over max_pixels
        (ev_topic("empty-event"), b"", Reason.EMPTY),
        (ev_topic("short"), real_jpeg(), Reason.BAD_ID),  # contract ids have 8..64 characters
        (ev_topic("has.a.dot.in.it"), real_jpeg(), Reason.BAD_ID),  # a valid topic level, not an id
        ("bw/v1/west-1/mast-01/evidence", real_jpeg(), Reason.TOPIC),  # no event id
        ("bw/v1/west-1/mast-01/events/e000000001", real_jpeg(), Reason.TOPIC),  # wrong channel
        ("bw/v2/west-1/mast-01/evidence/e000000001", real_jpeg(), Reason.TOPIC),
        ("garbage", real_jpeg(), Reason.TOPIC),
        ("bw/v1/../mast-01/evidence/e000000001", real_jpeg(), Reason.TOPIC),
    ],
)
def test_bad_input_is_a_counted_dead_letter_not_an_exception(
    store: EvidenceStore, topic: str, payload: bytes, reason: Reason
) -> None:
    result = store.put_message(topic, payload, T0)
    assert isinstance(result, Rejection) and result.reason is reason, result
    stats = store.stats()
    assert stats["rejected"] == 1 and stats[f"rejected_{reason.value}"] == 1
    assert stats.get("stored", 0) == 0 and stats["total_bytes"] == 0
    [dead] = store.index.rejected(10)
    assert (dead.topic, dead.reason, dead.bytes) == (topic, reason.value, len(payload))
    assert dead.head == payload[:HEAD_BYTES] and dead.detail
    assert not list(store.root.rglob("*.jpg"))
    assert store.latest() == []


def test_oversized_arrival_keeps_only_its_head_in_memory(store: EvidenceStore) -> None:
    arrival = store.arrival(ev_topic("big-event-2"), fake_jpeg(2_000_000), T0)
    assert arrival.size == 2_000_000 and len(arrival.payload) == HEAD_BYTES
    assert store.put(arrival).reason is Reason.TOO_BIG


def test_write_failure_is_a_rejection(store: EvidenceStore) -> None:
    (store.root / "west-1").write_bytes(b"a file where the site folder should be")
    result = store.put_message(ev_topic("fail-event-1"), real_jpeg(), T0)
    assert isinstance(result, Rejection) and result.reason is Reason.WRITE_FAILED
    assert store.stats()["rejected_write_failed"] == 1 and store.get("fail-event-1") is None
    ok = store.put_message(ev_topic("fine-event-1", site="east-2"), real_jpeg(), T0)
    assert isinstance(ok, EvidenceRow), "the store keeps working after a failed write"


def test_retention_deletes_old_files_and_rows_oldest_first(store: EvidenceStore) -> None:
    old = [
        store.put_message(ev_topic(f"old-event-{i}"), fake_jpeg(1000), T0 - timedelta(days=40 - i)) for i in range(3)
    ]
    new = store.put_message(ev_topic("new-event-0"), fake_jpeg(1000), T0 - timedelta(days=1))
    store.put_message(ev_topic("xx"), b"junk", T0 - timedelta(days=45))  # a dead letter, old too
    assert store.prune(now=T0) == 3
    assert store.latest() == [new]
    for row in old:
        assert store.get(row.event_id) is None
        assert not (store.root / row.path).exists()
        assert not (store.root / row.path).parent.exists(), "empty date folder left behind"
    assert (store.root / new.path).exists() and store.stats()["total_bytes"] == 1000
    assert store.index.rejected(10) == []
    assert store.prune(now=T0) == 0


def test_total_cap_deletes_the_oldest_first(store: EvidenceStore) -> None:
    cap = store.cfg.max_total_bytes  # 1 MiB, images of 300 kB: three fit
    rows = [
        store.put_message(ev_topic(f"cap-event-{i}"), fake_jpeg(300_000), T0 + timedelta(seconds=i)) for i in range(6)
    ]
    kept = store.latest()
    assert [r.event_id for r in kept] == [r.event_id for r in reversed(rows[3:])]
    assert sum(r.bytes for r in kept) == store.stats()["total_bytes"] <= cap
    assert store.stats()["pruned"] == 3
    assert sum(f.stat().st_size for f in store.root.rglob("*.jpg")) == store.stats()["total_bytes"]


def test_reopen_keeps_index_and_total(tmp_path: Path) -> None:
    cfg = EvidenceConfig(dir=tmp_path / "ev")
    s = EvidenceStore(cfg)
    s.put_message(ev_topic("keep-event-1"), fake_jpeg(5000), T0)
    s.close()
    s = EvidenceStore(cfg)
    assert s.stats()["total_bytes"] == 5000 and s.get("keep-event-1")[1] == fake_jpeg(5000)
    s.close()


def test_missing_file_is_not_found(store: EvidenceStore) -> None:
    row = store.put_message(ev_topic("gone-event-1"), fake_jpeg(1000), T0)
    (store.root / row.path).unlink()
    assert store.get("gone-event-1") is None


def test_latest_filters_by_agent_and_site(store: EvidenceStore) -> None:
    for i, (site, agent) in enumerate([("s1", "a1"), ("s1", "a2"), ("s2", "a1")]):
        store.put_message(ev_topic(f"filter-event-{i}", site, agent), fake_jpeg(1000), T0 + timedelta(seconds=i))
    assert [r.event_id for r in store.latest(agent="a1")] == ["filter-event-2", "filter-event-0"]
    assert [r.event_id for r in store.latest(agent="a1", site="s1")] == ["filter-event-0"]
    assert [r.event_id for r in store.latest(limit=1)] == ["filter-event-2"]


def test_config_is_strict() -> None:
    with pytest.raises(ValidationError, match="extra"):
        EvidenceConfig(dri="x")
    with pytest.raises(ValidationError, match="max_total_bytes"):
        EvidenceConfig(max_bytes=2 << 20, max_total_bytes=1 << 20)
    with pytest.raises(ValidationError):
        EvidenceConfig(keep_days=0)
    assert all(f.description for f in EvidenceConfig.model_fields.values())


def test_is_jpeg_markers() -> None:
    assert is_jpeg(real_jpeg()) and is_jpeg(markers_only(5))
    assert not is_jpeg(b"\xff\xd8\xff\xd9") and not is_jpeg(b"")


def _event(event_id: str, sensor: str, kind: EventKind = EventKind.TRACK_NEW) -> Event:
    return Event(
        id=event_id, seq=1, ts=T0, site="west-1", agent="mast-01", sensor=SensorRef(id=sensor, kind=SensorKind.CAMERA),
        kind=kind, box=ImageBox(x1=1, y1=1, x2=5, y2=5, frame_width=10, frame_height=10),
    )  # fmt: skip


def test_ingest_fills_sensors_either_order_and_drops_when_full(tmp_path: Path) -> None:
    store = EvidenceStore(EvidenceConfig(dir=tmp_path / "ev", queue_max=2))
    ingest = EvidenceIngest(store)
    assert ingest.offer(ev_topic("before-event"), fake_jpeg(1000))  # snapshot first, its event later
    ingest.note_events([_event("after-event", "cam-2"), _event("upd-event", "cam-3", EventKind.TRACK_UPDATE)])
    assert not ingest.offer(ev_topic("third-event"), fake_jpeg(1000)), "queue of 2 is full (not started)"
    assert ingest.stats()["dropped_queue_full"] == 1
    ingest.start()
    try:
        wait_until(lambda: ingest.stats()["queue_depth"] == 0, 10, "queue drained")
        ingest.note_events([_event("before-event", "cam-1")])
        ingest.offer(ev_topic("after-event"), fake_jpeg(1000))
        wait_until(lambda: len(store.latest()) == 2 and all(r.sensor for r in store.latest()), 10, "sensors")
    finally:
        ingest.stop()
    assert {r.event_id: r.sensor for r in store.latest()} == {"before-event": "cam-1", "after-event": "cam-2"}
    assert ingest.stats()["sensors_filled"] == 1, "before-event filled by the note; after-event at insert"
    assert not any(t.name == "hub-evidence" for t in threading.enumerate()), "writer thread still running"
    store.close()


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("bw/v1/west-1/mast-01/evidence/e000000001", True),
        ("bw/v1/west-1/mast-01/evidence", True),  # routed to the evidence store, rejected there
        ("bw/v1/west-1/mast-01/events", False),
        ("bw/v1/west-1/evidence/events", False),
        ("garbage", False),
    ],
)
def test_hub_link_routes_the_evidence_channel(topic: str, expected: bool) -> None:
    assert is_evidence(topic) is expected


def test_only_the_events_owner_may_send_its_snapshot(store: EvidenceStore) -> None:
    store.note_events([("own-event-01", "west-1", "mast-01", "cam-1")], T0)
    for site, agent in (("west-1", "mast-02"), ("east-2", "mast-01")):  # another agent; same agent id elsewhere
        refused = store.put_message(ev_topic("own-event-01", site, agent), real_jpeg(1), T0)
        assert isinstance(refused, Rejection) and refused.reason is Reason.NOT_OWNER, refused
        assert "west-1/mast-01" in refused.detail
    assert store.stats()["rejected_not_owner"] == 2 and store.get("own-event-01") is None
    row = store.put_message(ev_topic("own-event-01"), real_jpeg(2), T0)
    assert isinstance(row, EvidenceRow) and row.sensor == "cam-1"
    assert store.get("own-event-01")[1] == real_jpeg(2)


def test_a_snapshot_that_comes_first_claims_the_event_id(store: EvidenceStore) -> None:
    first = store.put_message(ev_topic("claim-event-1"), real_jpeg(1), T0)
    assert isinstance(first, EvidenceRow) and first.sensor is None
    refused = store.put_message(ev_topic("claim-event-1", agent="mast-02"), real_jpeg(2), T0)
    assert isinstance(refused, Rejection) and refused.reason is Reason.NOT_OWNER
    assert store.put_message(ev_topic("claim-event-1"), real_jpeg(3), T0) is None  # the owner again: duplicate
    store.note_events([("claim-event-1", "west-1", "mast-02", "cam-9")], T0)  # someone else's event, same id
    assert store.get("claim-event-1")[0].sensor is None, "another agent's event names no sensor of this snapshot"
    store.note_events([("claim-event-1", "west-1", "mast-01", "cam-1")], T0)  # the claimant's own event
    got = store.get("claim-event-1")
    assert got[0].sensor == "cam-1" and got[1] == real_jpeg(1)


def test_event_owners_age_out_with_the_snapshots(store: EvidenceStore) -> None:
    store.note_events([("aged-event-1", "west-1", "mast-01", "cam-1")], T0 - timedelta(days=40))
    assert store.index.owner("aged-event-1") is not None
    store.prune(now=T0)
    assert store.index.owner("aged-event-1") is None
