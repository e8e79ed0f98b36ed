"""Evidence end to end: a real AgentLink publishes JPEGs through a real Mosquitto, the hub keeps
them, and its HTTP API (FastAPI TestClient) serves them back byte for byte."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from borderwatch.contract import (
    AgentState,
    AgentStatus,
    Event,
    EventBatch,
    EventKind,
    ImageBox,
    SensorKind,
    SensorRef,
)
from borderwatch.edge.config.link import LinkConfig, OutboxConfig
from borderwatch.edge.evidence import render_snapshot
from borderwatch.edge.link import AgentLink
from borderwatch.edge.outbox import Outbox
from borderwatch.hub.app import Hub
from borderwatch.hub.config import HubConfig
from borderwatch.runtime.configfile import parse_config
from tests.support.api import client_as
from tests.support.broker import Mosquitto
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration
SITE, AGENT = "west-1", "mast-01"


def snapshot(seed: int) -> bytes:
    """What a camera agent sends: a frame with boxes drawn, JPEG-encoded under its size cap."""
    frame = np.random.default_rng(seed).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    boxes = np.array([[100.0, 80.0, 160.0, 260.0], [300.0, 100.0, 420.0, 180.0]])
    return render_snapshot(frame, boxes, ["person #1", "vehicle #2"], np.array([True, False]), 150_000, 960)


def event(event_id: str, sensor: str) -> Event:
    return Event(
        id=event_id, seq=0, ts=datetime.now(UTC), site=SITE, agent=AGENT,
        sensor=SensorRef(id=sensor, kind=SensorKind.CAMERA), kind=EventKind.TRACK_NEW, track_id=1,
        box=ImageBox(x1=100, y1=80, x2=160, y2=260, frame_width=640, frame_height=360),
    )  # fmt: skip


def hub_config(port: int, state: Path, evidence: dict | None = None) -> HubConfig:
    return parse_config(
        {
            "broker": {"port": port},
            "store": {"type": "sqlite", "path": str(state / "events.sqlite3")},
            "delivery": {"ledger_path": str(state / "ledger.sqlite3"), "confirm_interval_s": 0.2},
            "alerts": {"db_path": str(state / "alerts.sqlite3")},
            "evidence": {"dir": str(state / "evidence"), **(evidence or {})},
            "api": {"enabled": False},
        },
        HubConfig,
    )


class Rig:
    """Broker, hub and one agent link, all real; torn down in reverse order."""

    def __init__(self, tmp: Path, evidence_qos: int = 0, evidence: dict | None = None) -> None:
        self.broker = Mosquitto(tmp / "broker").start()
        self.hub = Hub(hub_config(self.broker.port, tmp / "hub", evidence))
        self.hub.start()
        assert self.hub.service.wait_connected(10)
        self.outbox = Outbox(tmp / "agent" / "outbox.sqlite3", OutboxConfig())
        birth = AgentStatus(site=SITE, agent=AGENT, state=AgentState.ONLINE, ts=datetime.now(UTC))
        cfg = LinkConfig(evidence_qos=evidence_qos, probe_after_s=1.0)
        self.link = AgentLink(SITE, AGENT, self.broker.broker_config(), self.outbox, lambda: birth, cfg)
        self.link.start()
        wait_until(lambda: self.link.connected, 10, "agent link connected")
        # the birth reached the hub: its subscriptions (evidence included, same SUBSCRIBE) are live
        wait_until(lambda: any(a.online for a in self.hub.registry.agents()), 10, "birth at the hub")
        self.api = client_as(self.hub.context())

    def send(self, event_id: str, sensor: str, jpeg: bytes) -> None:
        """What edge/agent.py does: persist the event, wake the link, publish the snapshot."""
        self.outbox.append([event(event_id, sensor)])
        self.link.notify()
        assert self.link.publish_evidence(event_id, jpeg)

    def close(self) -> None:
        self.link.stop()
        self.outbox.close()
        self.hub.stop()
        self.broker.kill()


@pytest.fixture
def rig_factory(tmp_path: Path) -> Iterator:
    rigs: list[Rig] = []

    def make(**kw: object) -> Rig:
        rigs.append(Rig(tmp_path, **kw))
        return rigs[-1]

    yield make
    for r in rigs:
        r.close()


@pytest.mark.parametrize("qos", [0, 1])
def test_agent_snapshots_are_stored_and_served_byte_identical(rig_factory, qos: int) -> None:
    rig = rig_factory(evidence_qos=qos)
    sent = {f"evt-{qos}-{i:06d}": snapshot(i) for i in range(3)}
    for i, (event_id, jpeg) in enumerate(sent.items()):
        rig.send(event_id, f"cam-{i}", jpeg)
    assert rig.link.publish_evidence("junk-event-01", b"this is not a JPEG")
    store = rig.hub.evidence.store
    wait_until(lambda: len(store.latest()) == 3 and all(r.sensor for r in store.latest()), 20, "evidence + sensors")
    wait_until(lambda: store.stats().get("rejected_not_jpeg") == 1, 10, "the junk rejected")

    for event_id, jpeg in sent.items():
        resp = rig.api.get(f"/api/v1/evidence/{event_id}")
        assert resp.status_code == 200 and resp.headers["content-type"] == "image/jpeg"
        assert resp.content == jpeg, "served bytes differ from what the agent sent"
        assert resp.headers["etag"] == f'"{hashlib.sha256(jpeg).hexdigest()}"'
    listed = rig.api.get("/api/v1/evidence", params={"agent": AGENT, "limit": 10})
    assert listed.status_code == 200
    rows = {r["event_id"]: r for r in listed.json()}
    assert set(rows) == set(sent)
    for i, (event_id, jpeg) in enumerate(sent.items()):
        r = rows[event_id]
        assert (r["site"], r["agent"], r["sensor"], r["bytes"]) == (SITE, AGENT, f"cam-{i}", len(jpeg))
        assert r["sha256"] == hashlib.sha256(jpeg).hexdigest()
    assert rig.api.get("/api/v1/evidence", params={"agent": "someone-else"}).json() == []
    assert rig.api.get("/api/v1/evidence/junk-event-01").status_code == 404
    assert rig.api.get("/api/v1/evidence/never-sent-01").status_code == 404
    assert rig.api.get("/api/v1/evidence", params={"limit": 0}).status_code == 422

    assert {e.id for e in rig.hub.store.events(limit=100)} == set(sent), "events unaffected"
    stats = rig.api.get("/api/v1/stats").json()["ingest"]
    assert stats["evidence"]["stored"] == 3 and stats["evidence"]["rejected"] == 1
    assert stats["dead_letters"] == 0, "evidence never reaches the event dead letters"


def test_failing_evidence_disk_does_not_stall_events(rig_factory) -> None:
    rig = rig_factory()
    (rig.hub.evidence.store.root / SITE).write_bytes(b"a file where the site folder should be")
    for i in range(5):
        rig.send(f"blocked-{i:06d}", "cam-1", snapshot(i))
    wait_until(lambda: len(rig.hub.store.events(limit=100)) == 5, 20, "events stored")
    wait_until(lambda: rig.hub.evidence.store.stats().get("rejected_write_failed") == 5, 10, "write failures")
    assert rig.hub.evidence.stats().get("errors", 0) == 0
    assert rig.api.get("/api/v1/evidence").json() == []


def test_disabled_evidence_is_not_subscribed(rig_factory) -> None:
    rig = rig_factory(evidence={"enabled": False})
    rig.send("quiet-event-01", "cam-1", snapshot(0))
    wait_until(lambda: len(rig.hub.store.events(limit=10)) == 1, 20, "event stored")
    assert rig.hub.evidence is None and rig.hub.service.stats()["dead_letters"] == 0
    assert not (rig.hub.cfg.evidence.dir).exists()
    resp = rig.api.get("/api/v1/evidence/quiet-event-01")
    assert resp.status_code == 404 and "disabled" in resp.json()["detail"]


def test_snapshot_from_another_agent_reusing_an_event_id_is_refused(rig_factory) -> None:
    """mast-02 publishes, under its own topic, a JPEG for mast-01's event: counted, never served."""
    import paho.mqtt.publish as publish

    rig = rig_factory()
    mine = snapshot(1)
    rig.send("owned-event-01", "cam-1", mine)
    store = rig.hub.evidence.store
    wait_until(lambda: store.get("owned-event-01") is not None, 20, "the owner's snapshot stored")
    _make_known(rig, "mast-02")  # a tracked agent of the site, not a stranger (see the next test)
    intruder = f"bw/v1/{SITE}/mast-02/evidence/owned-event-01"
    publish.single(intruder, snapshot(2), qos=1, hostname="127.0.0.1", port=rig.broker.port)
    wait_until(lambda: store.stats().get("rejected_not_owner") == 1, 10, "the intruder's snapshot refused")

    resp = rig.api.get("/api/v1/evidence/owned-event-01")
    assert resp.content == mine, "the owner's snapshot is the one served"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["content-security-policy"].startswith("default-src 'none'")
    [dead] = store.index.rejected(10)
    assert (dead.topic, dead.reason) == (intruder, "not_owner")
    assert rig.api.get("/api/v1/stats").json()["ingest"]["evidence"]["rejected_not_owner"] == 1


def _make_known(rig: Rig, agent: str) -> None:
    """The hub learns an agent from its first accepted events (no allow-list in this rig)."""
    import paho.mqtt.publish as publish

    own = event(f"{agent}-event-01", "cam-9").model_copy(update={"agent": agent, "seq": 1})
    batch = EventBatch(site=SITE, agent=agent, sent_at=datetime.now(UTC), events=[own]).model_dump_json(by_alias=True)
    publish.single(f"bw/v1/{SITE}/{agent}/events", batch, qos=1, hostname="127.0.0.1", port=rig.broker.port)
    known = f"{SITE}/{agent}"
    wait_until(lambda: known in rig.hub.service.stats()["agents"], 10, f"{known} known to the hub")


def test_snapshot_from_an_agent_the_hub_does_not_track_is_dropped_at_the_door(rig_factory) -> None:
    """A stranger (never sent an accepted event, not allow-listed) gets no queue slot, decode or file."""
    import paho.mqtt.publish as publish

    rig = rig_factory()
    stranger = f"bw/v1/{SITE}/mast-77/evidence/stranger-event-01"
    publish.single(stranger, snapshot(3), qos=1, hostname="127.0.0.1", port=rig.broker.port)
    wait_until(lambda: rig.hub.service.stats()["evidence_unknown_agent"] == 1, 10, "the stranger's snapshot counted")
    store = rig.hub.evidence.store
    assert store.get("stranger-event-01") is None
    assert store.stats().get("stored", 0) == 0
