"""The hub's ingest loop: consume -> decode -> ledger -> store -> on_events -> commit -> ack -> confirm.

One worker thread owns every step after paho's network thread handed a message over, so the
ledger needs no locks and the order of one agent's messages is kept. A round drains up to
``drain_max_messages`` messages and makes one durable store write for all of them; only then
are the ledger committed, the messages acknowledged to the broker and the agents' outboxes
allowed to trim (DeliveryConfirm). If the store is down, the round is retried with back-off;
nothing is acknowledged meanwhile, so a crash at any point loses nothing. If the store refuses
part of the round (hub/ingest/isolate.py), the refused messages are found by bisection,
dead-lettered with the store's reason and acknowledged with the rest: one poison message never
holds up its round, other agents or a restart. Unknown agents and events outside the time window
are dead-lettered before the ledger (hub/ingest/screen.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from borderwatch.contract import (
    AgentState,
    AgentStatus,
    Channel,
    Command,
    CommandAck,
    CommandKind,
    DeliveryConfirm,
    Event,
    EventBatch,
    Telemetry,
    parse_topic,
    topic,
)
from borderwatch.contract.common import utc_now
from borderwatch.hub.delivery import ranges as rg
from borderwatch.hub.delivery.book import LedgerBook, Round
from borderwatch.hub.delivery.config import DeliveryConfig
from borderwatch.hub.delivery.persist import AgentKey, LedgerFile
from borderwatch.hub.ingest.config import IngestConfig
from borderwatch.hub.ingest.decode import Accepted, Reason, decode
from borderwatch.hub.ingest.health import IngestHealth
from borderwatch.hub.ingest.isolate import verdict, write_isolating
from borderwatch.hub.ingest.screen import AgentGate, TimeWindow
from borderwatch.hub.link import HubLink, Inbound
from borderwatch.hub.store.base import DeadLetter, EventStore
from borderwatch.runtime.backoff import backoff_s
from borderwatch.runtime.broker import BrokerConfig

log = logging.getLogger("borderwatch.hub.ingest")

_POLL_S = 0.2
_STORE_RETRY_FIRST_S = 0.05  # first wait after a failed store write; doubles up to store_retry_max_s


class _Pending:
    """What one round collected before its single durable write."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.telemetry: list[Telemetry] = []
        self.letters: list[DeadLetter] = []


def _agents_of(msgs: Sequence[Inbound]) -> set[AgentKey]:
    """The (site, agent) of each event batch in a round (malformed topics are left to decode)."""
    keys: set[AgentKey] = set()
    for m in msgs:
        parts = m.topic.split("/")
        if len(parts) == 5 and parts[4] == Channel.EVENTS.value:
            keys.add((parts[2], parts[3]))
    return keys


class HubService:
    """Consumes every agent's events into ``store`` with at-least-once delivery, exactly-once effect."""

    def __init__(
        self,
        broker: BrokerConfig,
        cfg: DeliveryConfig,
        store: EventStore,
        on_events: Callable[[list[Event]], None] | None = None,
        on_status: Callable[[AgentStatus], None] | None = None,
        on_telemetry: Callable[[Telemetry], None] | None = None,
        on_evidence: Callable[[str, bytes], object] | None = None,
        ledger: LedgerFile | None = None,
        ingest: IngestConfig | None = None,
    ) -> None:
        self._cfg = cfg
        self._ingest = ingest = ingest or IngestConfig()
        self._window = TimeWindow(timedelta(seconds=ingest.max_clock_skew_s), timedelta(days=ingest.max_event_age_days))
        self._gate: AgentGate | None = None
        self._health = IngestHealth(ingest.degraded_lag_s, ingest.degraded_hold_s)
        self._reasons: Counter[str] = Counter()
        self._store = store
        self._on_events = on_events
        self._on_status = on_status
        self._on_telemetry = on_telemetry
        self._queue: queue.Queue[Inbound] = queue.Queue(maxsize=cfg.queue_max)
        self._on_evidence = on_evidence
        self._link = HubLink(broker, cfg, self._enqueue, self._evidence if on_evidence else None)
        self._stopping = threading.Event()
        self._worker: threading.Thread | None = None
        self._book: LedgerBook | None = None
        self._ledger = ledger  # a shared (PostgreSQL) ledger; None = the SQLite file of cfg.ledger_path
        self._counts: Counter[str] = Counter()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        file = self._ledger or LedgerFile(self._cfg.ledger_path, self._cfg.ledger_synchronous)
        self._book = LedgerBook(file, self._cfg)
        self._gate = AgentGate(self._ingest.allowed(), self._ingest.max_auto_agents, self._book.agents())
        self._link.start()
        self._worker = threading.Thread(target=self._run, name="hub-ingest", daemon=True)
        self._worker.start()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self._link.wait_connected(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current round, disconnect, close the ledger (the caller owns the store)."""
        self._stopping.set()
        if self._worker is not None:
            self._worker.join(timeout)
        self._link.stop()
        if self._book is not None:
            self._book.close()
        log.info("hub ingest stopped stats=%s", {k: v for k, v in self._counts.items() if v})

    def publish(self, topic_name: str, payload: str | bytes, qos: int = 1, retain: bool = False) -> bool:
        """Publish on the hub's own connection (alerts, for instance); False while disconnected."""
        return self._link.publish(topic_name, payload, qos=qos, retain=retain)

    def stats(self) -> dict[str, Any]:
        """Per-agent delivery counters (received, duplicates, gaps_detected, replayed, lost, ...)
        under ``agents``, and service-wide counts (dead_letters, messages, store_errors, ...)."""
        agents = self._book.snapshot() if self._book else {}
        return {
            "agents": agents,
            "connected": self._link.connected,
            "queue_depth": self._queue.qsize(),
            "health": self.health(),
            "dead_letter_reasons": dict(self._reasons),
            **{
                k: self._counts[k]
                for k in (
                    "messages",
                    "dead_letters",
                    "store_errors",
                    "store_refused",
                    "ack_skipped",
                    "qos0_dropped",
                    "evidence_unknown_agent",
                    "replay_commands",
                    "confirms",
                )
            },
        }

    def health(self) -> dict[str, Any]:
        """``{"status": "ok" | "degraded", "reasons": [...]}`` for ``/health``."""
        return self._health.report(self._queue.qsize())

    # -- hand-over from paho's network thread ----------------------------------------------
    def _enqueue(self, msg: Inbound) -> None:
        if msg.qos > 0:  # bounded by the receive maximum: the queue has room for all of them
            while not self._stopping.is_set():  # never wedge paho's thread once the worker is gone
                try:
                    self._queue.put(msg, timeout=0.5)
                    return
                except queue.Full:
                    continue
            return  # stopping: left unacknowledged, the broker delivers it again
        try:
            self._queue.put_nowait(msg)
        except queue.Full:
            self._counts["qos0_dropped"] += 1

    def _evidence(self, msg: Inbound) -> None:
        """Evidence bypasses the ledger: straight to its own (non-blocking) sink, but only from an
        agent the hub tracks (allow-listed or learned from its events); a stranger's snapshot is
        counted and dropped here, before it costs a queue slot, a decode or a file."""
        assert self._on_evidence is not None
        try:
            info = parse_topic(msg.topic)
        except ValueError:
            info = None  # the evidence sink refuses and counts malformed topics itself
        if info is not None and self._gate is not None and not self._gate.knows((info.site, info.agent)):
            self._counts["evidence_unknown_agent"] += 1
            log.debug("evidence refused reason=unknown_agent topic=%s bytes=%d", msg.topic, len(msg.payload))
            return
        try:
            self._on_evidence(msg.topic, msg.payload)
        except Exception:
            self._counts["evidence_errors"] += 1
            log.exception("evidence hand-over failed topic=%s", msg.topic)

    # -- worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            msgs = self._drain()
            try:
                if msgs:
                    self._round(msgs)
                self._housekeeping()
            except Exception:  # never let one bad round kill ingest; its messages stay unacked
                log.exception("ingest round failed messages=%d", len(msgs))
                self._stopping.wait(1.0)

    def _drain(self) -> list[Inbound]:
        try:
            msgs = [self._queue.get(timeout=_POLL_S)]
        except queue.Empty:
            return []
        while len(msgs) < self._cfg.drain_max_messages:
            try:
                msgs.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return msgs

    def _round(self, msgs: list[Inbound]) -> None:
        assert self._book is not None
        self._health.round_started()
        rnd = self._book.stage()
        rnd.prefetch(_agents_of(msgs))
        pending = _Pending()
        for msg in msgs:
            try:
                self._apply(msg, rnd, pending)
            except Exception as exc:  # a message the hub cannot handle must not fail its round
                log.exception("message handling failed topic=%s", msg.topic)
                self._dead(pending, msg.topic, Reason.INTERNAL, repr(exc), msg.payload)
        if not self._write(pending):
            return  # stopping while the store was down: nothing acked, the broker redelivers
        self._health.round_ended()
        # alerts before the ledger commit: a hub killed in between gets the events again (from the
        # broker, or on another instance), so a stored event never misses the alert engine
        if pending.events and self._on_events is not None:
            try:
                self._on_events(pending.events)
            except Exception:
                log.exception("on_events callback failed events=%d", len(pending.events))
        self._book.commit(rnd)
        skipped = sum(not self._link.ack(m) for m in msgs)
        self._counts.update(messages=len(msgs), ack_skipped=skipped)
        self._publish_confirms()

    def _apply(self, msg: Inbound, rnd: Round, pending: _Pending) -> None:
        if not msg.payload:
            return  # a cleared retained message
        decoded = decode(msg.topic, msg.payload)
        if not isinstance(decoded, Accepted):
            self._dead(pending, msg.topic, decoded.reason, decoded.detail, msg.payload)
            return
        m = decoded.message
        key = (decoded.topic.site, decoded.topic.agent)
        assert self._gate is not None
        if not self._gate.admit(key):
            detail = f"{key[0]}/{key[1]} is not in ingest.allow_agents (or past ingest.max_auto_agents)"
            self._dead(pending, msg.topic, Reason.UNKNOWN_AGENT, detail, msg.payload)
            return
        if isinstance(m, EventBatch):
            good, bad = self._window.split(rnd.admit(m), utc_now())
            pending.events.extend(good)
            for reason in dict.fromkeys(r for _, r in bad):
                refused = [ev for ev, r in bad if r is reason]
                detail = f"{len(refused)} event(s), first {refused[0].id} ts={refused[0].ts.isoformat()}"
                self._dead(pending, msg.topic, reason, detail, msg.payload)
        elif isinstance(m, Telemetry):
            pending.telemetry.append(m)
            if self._on_telemetry is not None:
                self._on_telemetry(m)
        elif isinstance(m, AgentStatus):
            self._presence(key, m)
            if self._on_status is not None:
                self._on_status(m)
        elif isinstance(m, CommandAck):
            self._command_ack(key, m, rnd)

    def _presence(self, key: AgentKey, status: AgentStatus) -> None:
        assert self._book is not None
        online = status.state is AgentState.ONLINE
        self._book.set_online(key, online)
        log.info("agent %s site=%s agent=%s last_seq=%s", status.state.value, *key, status.last_seq)

    def _command_ack(self, key: AgentKey, ack: CommandAck, rnd: Round) -> None:
        """A replay answer may say which seqs the agent no longer has: stop waiting for those."""
        answer = ack.replay
        if answer is not None and answer.unavailable:
            rnd.cover(key, rg.union(answer.unavailable), answer.acked_seq)
        if not ack.ok:
            log.warning("command failed site=%s agent=%s id=%s detail=%s", *key, ack.command_id, ack.detail)

    def _dead(self, pending: _Pending, topic_name: str, reason: str, detail: str, payload: bytes) -> None:
        """Count, log and keep (the first KiB of) one refused message; it is acknowledged with its round."""
        self._counts["dead_letters"] += 1
        self._reasons[str(reason)] += 1
        log.warning("dead letter topic=%s reason=%s detail=%s", topic_name, reason, detail)
        letter = DeadLetter(utc_now(), topic_name, str(reason), payload, detail=detail[:512])
        pending.letters.append(letter.clipped(self._ingest.dead_letter_keep_bytes))

    def _write(self, pending: _Pending) -> bool:
        """Make the round durable; retries with back-off while the store is down, until the service
        stops. What the store refuses is taken out of the round and dead-lettered."""
        attempt = 0
        while True:
            try:
                self._write_once(pending)
                self._health.store_ok()
                return True
            except Exception as exc:
                delay = backoff_s(attempt, _STORE_RETRY_FIRST_S, self._cfg.store_retry_max_s)
                attempt += 1
                self._counts["store_errors"] += 1
                self._health.store_down(f"{type(exc).__name__}: {exc}"[:200])
                log.warning("store write failed (store down) error=%r retry_in_s=%.2f", exc, delay)
                if self._stopping.wait(delay):
                    return False

    def _write_once(self, pending: _Pending) -> None:
        tries = self._ingest.refused_tries
        refused = write_isolating(self._store.write_events, pending.events, tries)
        if refused:
            drop = {id(ev) for ev, _ in refused}
            pending.events = [ev for ev in pending.events if id(ev) not in drop]
            for ev, (reason, detail) in refused:
                body = ev.model_dump_json(by_alias=True).encode()
                self._refused(
                    pending, topic(ev.site, ev.agent, Channel.EVENTS), reason, f"event {ev.id}: {detail}", body
                )
        refused_tm = write_isolating(self._write_telemetry, pending.telemetry, tries)
        if refused_tm:
            pending.telemetry = [t for t in pending.telemetry if all(t is not r for r, _ in refused_tm)]
            for tm, (reason, detail) in refused_tm:
                self._refused(
                    pending, topic(tm.site, tm.agent, Channel.TELEMETRY), reason, detail, tm.model_dump_json().encode()
                )
        for letter in pending.letters:
            try:
                self._store.write_dead_letter(letter)
            except Exception as exc:
                if verdict(exc) == "down":
                    raise
                self._counts["dead_letters_unwritable"] += 1
                log.error("dead letter refused by the store topic=%s error=%r", letter.topic, exc)
        pending.letters = []

    def _write_telemetry(self, items: Sequence[Telemetry]) -> None:
        for t in items:
            self._store.write_telemetry(t)

    def _refused(self, pending: _Pending, topic_name: str, reason: str, detail: str, payload: bytes) -> None:
        self._counts["store_refused"] += 1
        self._health.refused(1, reason)
        self._dead(pending, topic_name, reason, detail, payload)

    # -- confirmations and replay requests -------------------------------------------------
    def _housekeeping(self) -> None:
        if not self._link.connected or self._book is None:
            return
        self._publish_confirms()
        for (site, agent), asks in self._book.replay_asks():
            for a, b in asks:
                cmd = Command(id=uuid.uuid4().hex, ts=utc_now(), kind=CommandKind.REPLAY, from_seq=a, to_seq=b)
                self._link.publish(topic(site, agent, Channel.COMMAND), cmd.model_dump_json(), qos=1)
                self._counts["replay_commands"] += 1

    def _publish_confirms(self) -> None:
        if not self._link.connected or self._book is None:
            return
        for (site, agent), acked in self._book.due_confirms():
            conf = DeliveryConfirm(site=site, agent=agent, ts=utc_now(), acked_seq=acked)
            self._link.publish(topic(site, agent, Channel.DELIVERY), conf.model_dump_json(), qos=1, retain=True)
            self._counts["confirms"] += 1
