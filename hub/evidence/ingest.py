"""The evidence writer: a bounded queue and one thread between MQTT and the evidence store.

Why its own thread and queue: paho's network thread must never wait for a disk, and a slow or
failing evidence disk must never hold up the event ingest worker. ``offer`` and
``note_events`` only ever ``put_nowait``; when the queue is full the snapshot is dropped and
counted (evidence is best effort; the events carry the facts).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from borderwatch.contract import Event, EventKind
from borderwatch.hub.evidence.index import EventNote
from borderwatch.hub.evidence.store import EvidenceStore
from borderwatch.hub.evidence.validate import Arrival

log = logging.getLogger("borderwatch.hub.evidence")

EVIDENCE_KINDS = frozenset({EventKind.TRACK_NEW, EventKind.LINE_CROSSING, EventKind.ZONE_ENTRY, EventKind.LOITERING})
"""Event kinds an agent may attach a snapshot to (edge camera ``evidence.on``)."""

_EventNotes = list[EventNote]
_POLL_S = 0.5


class EvidenceIngest:
    """Feeds ``store`` from a bounded queue on its own thread; enforces retention periodically."""

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store
        self._queue: queue.Queue[Arrival | _EventNotes] = queue.Queue(maxsize=store.cfg.queue_max)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.counts: Counter[str] = Counter()

    # -- producers (never block) -----------------------------------------------------------------
    def offer(self, topic: str, payload: bytes) -> bool:
        """One evidence message from paho's network thread; False when dropped (queue full)."""
        self.counts["received"] += 1
        try:
            self._queue.put_nowait(self.store.arrival(topic, payload))
            return True
        except queue.Full:
            self.counts["dropped_queue_full"] += 1
            log.warning("evidence dropped reason=queue_full topic=%s bytes=%d", topic, len(payload))
            return False

    def note_events(self, events: Sequence[Event]) -> None:
        """Stored events tell who owns each event id and which sensor took its snapshot (the
        evidence topic names neither the sensor nor, on its own, a right to the id)."""
        notes = [(e.id, e.site, e.agent, e.sensor.id) for e in events if e.kind in EVIDENCE_KINDS]
        if not notes:
            return
        try:
            self._queue.put_nowait(notes)
        except queue.Full:
            self.counts["sensor_notes_dropped"] += 1

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> EvidenceIngest:
        """Start the writer thread (once); returns self so it can be built and started in one expression."""
        self._thread = threading.Thread(target=self._run, name="hub-evidence", daemon=True)
        self._thread.start()
        log.info("evidence store dir=%s max_total_bytes=%d keep_days=%g", self.store.root,
                 self.store.cfg.max_total_bytes, self.store.cfg.keep_days)  # fmt: skip
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop (the caller closes the store)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def stats(self) -> dict[str, Any]:
        """Queue counters, the queue depth and the store's counters in one flat dict, for the hub's stats."""
        return {**self.counts, "queue_depth": self._queue.qsize(), **self.store.stats()}

    # -- worker ----------------------------------------------------------------------------------
    def _run(self) -> None:
        next_prune = 0.0  # prune once at start: the limits may have shrunk since the last run
        while not (self._stopping.is_set() and self._queue.empty()):
            if time.monotonic() >= next_prune:
                self._safely(self.store.prune)
                next_prune = time.monotonic() + self.store.cfg.prune_interval_s
            try:
                item = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            self._safely(self._handle, item)

    def _safely(self, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a bad disk or index costs this item, never the thread
            self.counts["errors"] += 1
            log.exception("evidence writer step failed")

    def _handle(self, item: Arrival | _EventNotes) -> None:
        if isinstance(item, Arrival):
            self.store.put(item)
        else:
            self.store.note_events(item)
