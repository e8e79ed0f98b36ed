"""The one emitter thread of the sensor service: renders evidence, keeps it on disk, calls ``emit``.

Why one thread: ``emit`` (the agent's outbox write) and the JPEG encode of a snapshot are the slow
parts after a frame; done here, neither delays any sensor's capture or inference. Workers hand over
by a bounded queue; at most ``SNAPSHOTS_QUEUED`` frames wait here to be rendered (bounded memory):
beyond that a worker renders its snapshot itself. Kind-neutral: a snapshot carries the picture its
kind rendered (8-bit BGR, see ``edge/evidence.py``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from borderwatch.contract.events import Event
from borderwatch.edge.config.evidence import EvidenceConfig
from borderwatch.edge.evidence import Evidence, EvidenceStore, Snapshot

log = logging.getLogger("borderwatch.sensor.emitter")
EmitFn = Callable[[list[Event], list[Evidence]], None]
_EMIT_RETRIES = 3
SNAPSHOTS_QUEUED = 8  # frames held for the emitter to render; beyond that the worker renders (bounded memory)
Item = tuple[list[Event], list[Snapshot], list[Evidence]]


class Emitter:
    """``queue`` from any worker; ``run`` on the emitter thread until ``close``."""

    def __init__(self, emit: EmitFn, evidence_of: Callable[[str], EvidenceConfig | None]) -> None:
        self.emit, self.evidence_of = emit, evidence_of
        self.items: queue.Queue[Item | None] = queue.Queue(maxsize=256)
        self.snapshot_slots = threading.BoundedSemaphore(SNAPSHOTS_QUEUED)
        self.failures = 0
        self._stores: dict[tuple[str, float], EvidenceStore] = {}

    def queue(self, events: list[Event], snapshots: list[Snapshot] | None = None) -> None:
        """Hand events to the emitter, with their snapshots to render there; when the emitter already
        holds ``SNAPSHOTS_QUEUED`` frames, the worker renders itself (slower, but memory stays bounded).
        """
        if not events:
            return
        deferred, rendered = [], []
        for snap in snapshots or []:
            if self.snapshot_slots.acquire(blocking=False):
                deferred.append(snap)
            else:
                rendered += render(snap)
        while True:
            try:
                self.items.put((events, deferred, rendered), timeout=0.5)
                return
            except queue.Full:
                log.warning("emit queue full: worker waits (emit is slower than event production)")

    def close(self) -> None:
        """Let ``run`` return once everything queued before is emitted."""
        self.items.put(None)

    def run(self) -> None:
        """The emitter thread: render, keep and emit every queued item in order, until ``close``."""
        while True:
            item = self.items.get()
            if item is None:
                return
            events, snapshots, evidence = item
            for snap in snapshots:
                try:
                    evidence = [*evidence, *render(snap)]
                finally:
                    self.snapshot_slots.release()
            try:
                self._keep(evidence, events)
            except Exception:  # evidence on disk is a convenience; the events must still go out
                log.exception("evidence not kept events=%d", len(events))
            self._emit_once(events, evidence)

    def _emit_once(self, events: list[Event], evidence: list[Evidence]) -> None:
        for attempt in range(1, _EMIT_RETRIES + 1):
            try:
                self.emit(events, evidence)
                return
            except Exception as exc:  # the callback is someone else's code: count, retry, go on
                log.error("emit failed attempt=%d events=%d error=%s", attempt, len(events), exc)
                time.sleep(0.2 * attempt)
        self.failures += len(events)

    def _keep(self, evidence: list[Evidence], events: list[Event]) -> None:
        ts = {e.id: e.ts.timestamp() for e in events}
        for item in evidence:
            ev = self.evidence_of(item.sensor_id)
            if ev is None:
                continue
            key = (str(ev.dir), ev.keep_s)
            store = self._stores.setdefault(key, EvidenceStore(ev.dir, ev.keep_s))
            store.save(item, ts.get(item.event_id, time.time()))


def render(snap: Snapshot) -> list[Evidence]:
    """The snapshot's JPEG evidence, or none if rendering fails (a snapshot is a convenience; its
    events must still go out).
    """
    try:
        return snap.render()
    except Exception:
        log.exception("evidence not rendered sensor=%s events=%d", snap.sensor_id, len(snap.event_ids))
        return []
