"""The agent's MQTT link: publishes the outbox, answers the hub's commands, trims on confirmation.

Two threads: paho's network thread only parks what arrives (PUBACKs, confirmations, commands) in
lock-free deques; one sender thread does everything else (outbox reads, publishes, replays,
birth), so the outbox and the in-flight book-keeping have a single owner and paho's network
thread never blocks on disk.

Delivery rules:
- events go out in ``EventBatch``es at QoS 1, at most ``max_inflight_batches`` awaiting PUBACK;
- after a (re)start, everything the hub has not confirmed is sent again (the hub drops repeats);
- a REPLAY command republishes a range with ``replay=True`` and is answered by a CommandAck whose
  ``replay`` (a ReplayAnswer) names the seqs the outbox no longer holds, so the hub can stop
  waiting for them;
- when no confirmation came for ``probe_after_s``, the newest unconfirmed event is sent again,
  which shows the hub a loss at the very end of a stream (it can only see holes below an arrival).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from borderwatch.contract import (
    AgentState,
    AgentStatus,
    Channel,
    Command,
    CommandAck,
    CommandKind,
    Degraded,
    DeliveryConfirm,
    Telemetry,
    topic,
)
from borderwatch.contract.common import MAX_PAYLOAD_BYTES, utc_now
from borderwatch.edge.config.link import LinkConfig
from borderwatch.edge.link_wire import ReplayJob, batch_json, holes, replay_acks
from borderwatch.edge.outbox import Outbox
from borderwatch.runtime.backoff import backoff_s
from borderwatch.runtime.broker import BrokerConfig
from borderwatch.runtime.mqtt import Handlers, Session, open_session

log = logging.getLogger("borderwatch.link")
_REFUSAL_FIRST_S = 1.0  # pause after the broker refuses a batch (ACL, quota), doubling while it keeps refusing
_REFUSAL_MAX_S = 60.0  # cap of that pause
_OFFSET_SAMPLES = 64  # clock offset samples kept (one per live delivery confirmation)
_OFFSET_WINDOW_S = 120.0  # only samples this recent count: a stepped clock shows within two minutes


def link_session(cfg: LinkConfig, site: str, agent: str) -> Session:
    """The agent's persistent MQTT session; room for every in-flight batch plus birth, acks and telemetry."""
    return Session(
        client_id=cfg.client_id or f"bw-agent-{site}-{agent}",
        mqtt_version=cfg.mqtt_version,
        session_expiry_s=cfg.session_expiry_s,
        max_inflight=cfg.max_inflight_batches + 16,
        connect_timeout_s=cfg.connect_timeout_s,
    )


class AgentLink:
    """Store-and-forward MQTT link of one agent."""

    def __init__(
        self,
        site: str,
        agent: str,
        broker: BrokerConfig,
        outbox: Outbox,
        birth: Callable[[], AgentStatus],
        cfg: LinkConfig | None = None,
    ) -> None:
        self._site, self._agent = site, agent
        self._broker = broker
        self._outbox = outbox
        self._birth = birth
        self._cfg = cfg or LinkConfig()
        self._boot_id = uuid.uuid4().hex
        self._session = link_session(self._cfg, site, agent)
        self._client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._generation = 0
        self._born = -1
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._sender: threading.Thread | None = None
        self._pubacks: deque[tuple[int, bool]] = deque()
        self._inbox: deque[DeliveryConfirm | Command] = deque()
        self._inflight: dict[int, tuple[str, int, int]] = {}  # mid -> (kind, first, last)
        self._replays: deque[ReplayJob] = deque()
        self._cursor = outbox.acked_seq
        self._last_progress = time.monotonic()
        self._last_maintain = 0.0
        self.counts: Counter[str] = Counter()
        self._refusals = 0  # batches refused in a row: the pause after the next doubles with each
        self._hold_until = 0.0
        self._offsets: deque[tuple[float, float]] = deque(maxlen=_OFFSET_SAMPLES)

    # -- public ----------------------------------------------------------------------------
    @property
    def clock_offset_s(self) -> float | None:
        """Hub clock minus ours (None: no live confirmation in the last ``_OFFSET_WINDOW_S``).

        Each live (not retained) delivery confirmation gives one sample, hub's send time minus our
        receive time: the true offset less the time it took to arrive, which is never negative. The
        largest recent sample is therefore the best, as in NTP's minimum-delay filter; the last one
        alone could be off by a whole partition, for a confirmation held up in it."""
        now = time.monotonic()
        recent = [v for t, v in self._offsets if now - t <= _OFFSET_WINDOW_S]
        return max(recent) if recent else None

    @property
    def connected(self) -> bool:
        """True only while the broker has accepted our connection (CONNACK success)."""
        return self._connected.is_set()

    def start(self) -> None:
        """Resolve credentials, connect in the background and start sending."""
        handlers = Handlers(self._on_connect, self._on_disconnect, self._on_message, self._on_publish, self._will_on)
        self._client = open_session(self._broker, self._session, handlers, "link", log)
        self._sender = threading.Thread(target=self._run, name=f"link-{self._agent}", daemon=True)
        self._sender.start()
        log.info(
            "link starting host=%s port=%d client_id=%s cursor=%d",
            self._broker.host,
            self._broker.port,
            self._session.client_id,
            self._cursor,
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Announce offline (retained), disconnect; unconfirmed events stay in the outbox."""
        self._stopping.set()
        self._wake.set()
        if self._sender is not None:
            self._sender.join(timeout)
        if self._client is not None:
            if self.connected:
                info = self._client.publish(self._status_topic, self._status(AgentState.OFFLINE), 1, True)
                with contextlib.suppress(RuntimeError, ValueError):  # connection lost: the will says it
                    info.wait_for_publish(min(timeout, 2.0))
            self._client.disconnect()
            self._client.loop_stop()
        self._connected.clear()

    def notify(self) -> None:
        """New events are in the outbox."""
        self._wake.set()

    def publish_telemetry(self, t: Telemetry) -> None:
        """Queue a telemetry snapshot (stored while offline); delivery fields are filled in here."""
        st = self._outbox.stats()
        t = t.model_copy(
            update={
                "outbox_depth": st.depth,
                "outbox_dropped": st.dropped,
                "events_lost_disk_full": st.lost_disk_full,
                "degraded": [Degraded.DISK_FULL] if st.disk_full else [],
                "link_up": self.connected,
                "last_seq": self._outbox.last_seq,
            }
        )
        if self._outbox.append_telemetry(t) is None and self._client is not None and self.connected:
            # disk full: send it unstored, so the hub learns what is being lost
            body = t.model_dump_json(by_alias=True, exclude_none=True)
            self._client.publish(topic(self._site, self._agent, Channel.TELEMETRY), body, qos=self._cfg.telemetry_qos)
        self._wake.set()

    def publish_evidence(self, event_id: str, jpeg: bytes) -> bool:
        """Best effort: evidence is large and not stored; a drop is counted and returns False."""
        if self._client is None or not self.connected or len(jpeg) > MAX_PAYLOAD_BYTES:
            self.counts["evidence_dropped"] += 1
            return False
        info = self._client.publish(
            topic(self._site, self._agent, Channel.EVIDENCE, event_id), jpeg, qos=self._cfg.evidence_qos
        )
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def stats(self) -> dict[str, int | bool]:
        """Connection, in-flight batches, send cursor and the link's counters, for telemetry and tests."""
        return {
            "connected": self.connected,
            "inflight": len(self._inflight),
            "cursor": self._cursor,
            **self.counts,
        }

    # -- paho callbacks: network thread, park and wake only ---------------------------------
    def _on_connect(self, client: mqtt.Client, session_present: bool) -> None:
        self._generation += 1
        client.subscribe(
            [
                (topic(self._site, self._agent, Channel.COMMAND), 1),
                (topic(self._site, self._agent, Channel.DELIVERY), 1),
            ]
        )
        self._connected.set()
        self.counts["connects"] += 1
        log.info("link connected session_present=%s", session_present)
        self._wake.set()

    def _on_disconnect(self, reason: mqtt.ReasonCode) -> None:
        if self._connected.is_set():
            log.warning("link disconnected reason=%s", reason)
        self._connected.clear()
        self._set_will()

    def _on_publish(self, mid: int, failed: bool) -> None:
        self._pubacks.append((mid, failed))
        self._wake.set()

    def _on_message(self, msg: mqtt.MQTTMessage) -> None:
        try:
            if msg.topic.endswith("/" + Channel.DELIVERY.value):
                conf = DeliveryConfirm.model_validate_json(msg.payload)
                if not msg.retain:  # a retained confirmation may be hours old
                    self._offsets.append((time.monotonic(), round((conf.ts - utc_now()).total_seconds(), 3)))
                self._inbox.append(conf)
            else:
                self._inbox.append(Command.model_validate_json(msg.payload))
        except ValidationError as exc:
            self.counts["bad_messages"] += 1
            log.warning("link ignored invalid message topic=%s error=%s", msg.topic, exc.errors()[0]["msg"])
        self._wake.set()

    # -- sender thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=0.5)
            self._wake.clear()
            try:
                self._step()
            except Exception:  # keep the link alive; the outbox still holds everything
                log.exception("link step failed")
                self._stopping.wait(1.0)

    def _step(self) -> None:
        self._drain_pubacks()
        self._drain_inbox()
        if self.connected:
            if self._born != self._generation:
                self._publish_birth()
            self._send_replays()
            if time.monotonic() >= self._hold_until:  # paced after a refusal (ACL, quota)
                self._send_events()
            self._send_telemetry()
            self._probe()
        now = time.monotonic()
        if now - self._last_maintain >= self._cfg.maintain_interval_s:
            self._last_maintain = now
            self._outbox.maintain()

    def _drain_pubacks(self) -> None:
        done: list[int] = []
        while self._pubacks:
            mid, failed = self._pubacks.popleft()
            kind, first, last = self._inflight.pop(mid, ("", 0, 0))
            if kind == "tel":
                done.append(first)
            elif kind == "ev" and failed:  # the broker refused it: send again from there, after a pause
                delay = backoff_s(self._refusals, _REFUSAL_FIRST_S, _REFUSAL_MAX_S)
                self._refusals += 1
                self._hold_until = time.monotonic() + delay
                log.warning("broker refused batch first_seq=%d last_seq=%d retry_in_s=%.0f", first, last, delay)
                self._cursor = min(self._cursor, first - 1)
            elif kind == "ev":
                self._refusals = 0
        if done:
            self._outbox.remove_telemetry(done)

    def _drain_inbox(self) -> None:
        while self._inbox:
            msg = self._inbox.popleft()
            if isinstance(msg, DeliveryConfirm):
                self._on_confirm(msg)
            else:
                self._on_command(msg)

    def _on_confirm(self, conf: DeliveryConfirm) -> None:
        if (conf.site, conf.agent) != (self._site, self._agent):
            return
        if self._outbox.confirm(conf.acked_seq):
            self._last_progress = time.monotonic()
            self._cursor = max(self._cursor, conf.acked_seq)

    def _on_command(self, cmd: Command) -> None:
        self.counts[f"cmd_{cmd.kind.value}"] += 1
        if cmd.kind is CommandKind.REPLAY:
            assert cmd.from_seq is not None
            self._replays.append(ReplayJob(cmd, cmd.from_seq))
        elif cmd.kind is CommandKind.REBIRTH:
            self._born = -1
            self._ack(cmd, True, "rebirth")
        else:
            self._ack(cmd, True, "pong")

    def _ack(self, cmd: Command, ok: bool, detail: str) -> None:
        self._send_ack(CommandAck(command_id=cmd.id, ts=utc_now(), ok=ok, detail=detail))

    def _send_ack(self, ack: CommandAck) -> None:
        self._publish(Channel.COMMAND_ACK, ack.model_dump_json(exclude_none=True), "ack", 0, 0)

    def _publish(
        self,
        channel: Channel,
        payload: str,
        kind: str,
        first: int,
        last: int,
        qos: int = 1,
        retain: bool = False,
    ) -> None:
        assert self._client is not None
        info = self._client.publish(topic(self._site, self._agent, channel), payload, qos=qos, retain=retain)
        if qos and kind in ("ev", "tel"):
            self._inflight[info.mid] = (kind, first, last)

    def _room(self) -> bool:
        return self.connected and len(self._inflight) < self._cfg.max_inflight_batches

    def _status(self, state: AgentState) -> str:
        status = self._birth().model_copy(
            update={
                "state": state,
                "ts": utc_now(),
                "boot_id": self._boot_id,
                "last_seq": self._outbox.last_seq,
            }
        )
        return status.model_dump_json(exclude_none=True)

    @property
    def _status_topic(self) -> str:
        return topic(self._site, self._agent, Channel.STATUS)

    def _set_will(self) -> None:
        if self._client is not None:
            self._will_on(self._client)

    def _will_on(self, client: mqtt.Client) -> None:
        client.will_set(self._status_topic, self._status(AgentState.OFFLINE), qos=1, retain=True)

    def _publish_birth(self) -> None:
        self._born = self._generation
        self._publish(Channel.STATUS, self._status(AgentState.ONLINE), "birth", 0, 0, retain=True)

    def _send_events(self) -> None:
        while self._room():
            rows = self._outbox.pending_raw(self._cfg.batch_max_events, after=self._cursor)
            if not rows:
                return
            self._publish_events(rows, replay=False)
            self._cursor = rows[-1][0]
            self._last_progress = max(self._last_progress, time.monotonic())
            self.counts.update(batches=1, events=len(rows))

    def _publish_events(self, rows: list[tuple[int, str]], replay: bool) -> None:
        """One event batch of outbox rows (seq, body), tracked in flight by its first and last seq."""
        body = batch_json(self._site, self._agent, [b for _, b in rows], replay)
        self._publish(Channel.EVENTS, body, "ev", rows[0][0], rows[-1][0])

    def _send_replays(self) -> None:
        while self._replays and self._room():
            job = self._replays[0]
            to = job.cmd.to_seq or 0
            rows = self._outbox.replay_raw(job.next_from, to, limit=self._cfg.replay_batch_events)
            hi = rows[-1][0] if rows and len(rows) == self._cfg.replay_batch_events else to
            last = self._outbox.last_seq
            job.missing = (job.missing or []) + holes(rows, job.next_from, min(hi, -1 if last is None else last))
            if rows:
                self._publish_events(rows, replay=True)
                job.replayed += len(rows)
                self.counts["replayed"] += len(rows)
            job.next_from = hi + 1
            if job.next_from > to:
                self._replays.popleft()
                for ack in replay_acks(job, self._outbox.acked_seq):
                    self._send_ack(ack)

    def _send_telemetry(self) -> None:
        busy = {first for kind, first, _ in self._inflight.values() if kind == "tel"}
        for row_id, body in self._outbox.telemetry_raw(self._cfg.max_inflight_batches):
            if not self._room():
                return
            if row_id in busy:
                continue
            self._publish(Channel.TELEMETRY, body, "tel", row_id, row_id, qos=self._cfg.telemetry_qos)
            if self._cfg.telemetry_qos == 0:
                self._outbox.remove_telemetry([row_id])

    def _probe(self) -> None:
        """No confirmation for a while although we sent events: re-send the newest one."""
        now = time.monotonic()
        if self._inflight or self._cursor <= self._outbox.acked_seq:
            return
        if now - self._last_progress < self._cfg.probe_after_s:
            return
        rows = self._outbox.replay_raw(self._cursor, self._cursor)
        if rows:
            self._publish_events(rows[:1], replay=True)
            self.counts["probes"] += 1
        self._last_progress = now
