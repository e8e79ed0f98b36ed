"""Hostile and malformed messages for the ingest fuzz tests (Hypothesis strategies), plus the
well-behaved streaming agents they run next to.

Each hostile message carries exactly one fault, so the test knows which dead letter it must
produce: ``Hostile.reasons`` lists the reason codes that may describe it and ``Hostile.mark``
how to find its dead letter (the SHA-256 of its payload, or the event id a theft names).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from hypothesis import strategies as st

from borderwatch.contract import Channel, topic

SITE = "s1"
HOSTILE_AGENT = "bad"
SCHEMA_REASONS = frozenset({"schema", "not_finite", "out_of_range"})


@dataclass(frozen=True)
class Hostile:
    topic: str
    payload: bytes
    reasons: frozenset[str]
    stolen_id: str | None = None

    @property
    def mark(self) -> str:
        return self.stolen_id or hashlib.sha256(self.payload).hexdigest()


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_doc(agent: str, seq: int, ts: datetime, crossing: bool = False, eid: str | None = None) -> dict:
    """A valid event document; line crossings by a person are what the test's alert rule matches."""
    doc = {
        "id": eid or f"{agent}-{uuid.uuid4().hex[:12]}-{seq:09d}",
        "seq": seq,
        "ts": iso(ts),
        "site": SITE,
        "agent": agent,
        "sensor": {"id": "cam1", "kind": "camera"},
        "kind": "line_crossing" if crossing else "track_update",
        "class": "person",
        "confidence": 0.9,
        "box": {"x1": 10.0, "y1": 20.0, "x2": 50.0, "y2": 120.0, "frame_width": 640, "frame_height": 480},
    }
    if crossing:
        doc["rule"] = {"rule": "border", "direction": "inbound"}
    else:
        doc["track_id"] = seq % 50
    return doc


def batch_doc(agent: str, events: list[dict]) -> dict:
    return {"v": 1, "site": SITE, "agent": agent, "sent_at": iso(datetime.now(UTC)), "events": events}


def dumps(doc: object) -> bytes:
    return json.dumps(doc, allow_nan=True).encode()  # NaN/Infinity on purpose


# -- strategies ---------------------------------------------------------------------------------

_BIG = st.integers(min_value=2**53, max_value=2**80) | st.integers(max_value=-1, min_value=-(2**80))
_NONFINITE = st.sampled_from([float("nan"), float("inf"), float("-inf")])
_FAR_TS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(1969, 12, 31)) | st.datetimes(
    min_value=datetime(2100, 1, 2), max_value=datetime(9999, 12, 30)
)
_DEEP = st.recursive(
    st.integers(), lambda c: st.dictionaries(st.text(max_size=3), c, min_size=1, max_size=2), max_leaves=6
)
_BAD_FIELDS = st.one_of(
    st.tuples(st.just("seq"), _BIG | _NONFINITE),
    st.tuples(st.just("track_id"), _BIG | _NONFINITE),
    st.tuples(st.just("confidence"), _NONFINITE | st.floats(min_value=1.0001, max_value=1e308)),
    st.tuples(st.just("ts"), _FAR_TS.map(lambda d: iso(d.replace(tzinfo=UTC)))),
    st.tuples(st.just("box.x2"), _NONFINITE | st.floats(min_value=1.0001e6, max_value=1e308)),
    st.tuples(
        st.just("attributes"),
        st.dictionaries(st.just("k"), _NONFINITE | _DEEP.filter(lambda v: isinstance(v, dict)), min_size=1),
    ),
    st.tuples(st.just("attributes"), st.just({"k": "x" * 257})),
)


@st.composite
def hostile(draw: st.DrawFn, seqs: itertools.count, steal: list[str]) -> Hostile:
    """One hostile message; structurally valid ones take fresh seqs of the hostile agent."""
    kind = draw(st.sampled_from(["garbage", "field", "mismatch", "stranger", "ahead", "old", "theft", "telemetry"]))
    now = datetime.now(UTC)
    ev_topic = topic(SITE, HOSTILE_AGENT, Channel.EVENTS)
    nonce = uuid.uuid4().hex
    if kind == "garbage":
        raw = draw(st.binary(min_size=1, max_size=2000)) + nonce.encode()
        return Hostile(ev_topic, raw, frozenset({"not_json", "not_utf8", "schema"}))
    if kind == "field":
        name, value = draw(_BAD_FIELDS)
        ev = event_doc(HOSTILE_AGENT, 0, now)
        if name == "box.x2":
            ev["box"]["x2"] = value
        else:
            ev[name] = value
        return Hostile(ev_topic, dumps(batch_doc(HOSTILE_AGENT, [ev])) + b" " * 0 + _pad(nonce), SCHEMA_REASONS)
    if kind == "mismatch":
        ev = event_doc("good1", 0, now)
        return Hostile(ev_topic, dumps(batch_doc(HOSTILE_AGENT, [ev])) + _pad(nonce), frozenset({"sender_mismatch"}))
    if kind == "stranger":
        who = f"stranger-{draw(st.integers(0, 10_000))}"
        doc = batch_doc(who, [event_doc(who, 0, now, crossing=True)])
        return Hostile(topic(SITE, who, Channel.EVENTS), dumps(doc) + _pad(nonce), frozenset({"unknown_agent"}))
    if kind == "telemetry":
        doc = {"v": 1, "site": SITE, "agent": HOSTILE_AGENT, "ts": iso(now), "clock_offset_s": float("nan")}
        return Hostile(topic(SITE, HOSTILE_AGENT, Channel.TELEMETRY), dumps(doc) + _pad(nonce), SCHEMA_REASONS)
    if kind in ("ahead", "old"):
        shift = (
            draw(st.floats(min_value=400, max_value=2e9))
            if kind == "ahead"
            else -draw(st.floats(min_value=91 * 86_400, max_value=1.7e9))
        )
        ts = min(
            max(now + timedelta(seconds=shift), datetime(1970, 1, 1, tzinfo=UTC)), datetime(2099, 1, 1, tzinfo=UTC)
        )
        ev = event_doc(HOSTILE_AGENT, next(seqs), ts, crossing=True)
        reason = "clock_ahead" if kind == "ahead" else "too_old"
        return Hostile(ev_topic, dumps(batch_doc(HOSTILE_AGENT, [ev])) + _pad(nonce), frozenset({reason}))
    stolen = draw(st.sampled_from(steal))
    ev = event_doc(HOSTILE_AGENT, next(seqs), now, crossing=True, eid=stolen)
    return Hostile(ev_topic, dumps(batch_doc(HOSTILE_AGENT, [ev])) + _pad(nonce), frozenset({"id_taken"}), stolen)


def _pad(nonce: str) -> bytes:
    """Trailing whitespace makes every payload unique (its hash names its dead letter) and stays valid JSON."""
    return b" " * (int(nonce[:2], 16) + 1)


# -- well-behaved agents --------------------------------------------------------------------------


class GoodAgent:
    """Streams batches with contiguous seqs at QoS 1; every 20th event is a person crossing the line."""

    def __init__(self, agent: str, port: int, batch: int = 20, period_s: float = 0.05) -> None:
        self.agent, self.batch, self.period_s = agent, batch, period_s
        self.next_seq = 0
        self.crossings: list[str] = []
        self.ids: list[str] = []
        self._stop = threading.Event()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"good-{agent}-{uuid.uuid4().hex[:6]}")
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        self._thread: threading.Thread | None = None

    def send(self, n: int) -> None:
        """Publish the next ``n`` events and wait for the broker's PUBACK."""
        base = datetime.now(UTC)
        docs = []
        for i in range(n):
            seq = self.next_seq + i
            crossing = seq % 20 == 0
            doc = event_doc(self.agent, seq, base + timedelta(microseconds=i), crossing=crossing)
            if crossing:
                self.crossings.append(doc["id"])
            self.ids.append(doc["id"])
            docs.append(doc)
        info = self._client.publish(topic(SITE, self.agent, Channel.EVENTS), dumps(batch_doc(self.agent, docs)), qos=1)
        info.wait_for_publish(10)
        self.next_seq += n

    def start(self) -> GoodAgent:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.send(self.batch)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def close(self) -> None:
        self.stop()
        self._client.loop_stop()
        self._client.disconnect()
