"""The hub's evidence store: JPEG files on disk by site/agent/date, indexed in SQLite, capped.

Why files and not BLOBs: snapshots are served whole and deleted whole, the file system does
both without growing or vacuuming a database, and a technician can look at them with any
image viewer. The index (event id, site, agent, sensor, size, time, SHA-256) answers the API.

Every message ends in exactly one of: stored, duplicate (the first copy is kept), or a
rejection (counted, logged, a dead-letter row with the reason and the first bytes). Bad input
or a failing disk never raises out of storing a message (evidence is best effort, the events carry
the facts); an index error while pruning does, and the evidence writer counts and logs it.

A snapshot is accepted only from the agent that owns its event id: the site/agent that sent the
event, or, when the snapshot comes first, the first one to send a snapshot for that id. Another
sender reusing the id is a rejection (``not_owner``), never an overwrite.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from borderwatch.contract.common import utc_now
from borderwatch.hub.evidence.config import EvidenceConfig
from borderwatch.hub.evidence.index import EventNote, EvidenceIndex, EvidenceRow, RejectedRow
from borderwatch.hub.evidence.validate import HEAD_BYTES, Arrival, Reason, Rejection, Snapshot, check

log = logging.getLogger("borderwatch.hub.evidence")

PRUNE_BATCH = 256
MAX_REJECTED_ROWS = 100_000
INDEX_FILE = "index.sqlite3"


def relative_path(s: Snapshot) -> str:
    """``<site>/<agent>/<YYYY-MM-DD>/<event_id>.jpg``; every part was validated as a safe name."""
    return f"{s.site}/{s.agent}/{s.received_at:%Y-%m-%d}/{s.event_id}.jpg"


class EvidenceStore:
    """Keeps valid snapshots within ``cfg``'s size and age limits (oldest deleted first).

    Writes (``put``, ``note_events``, ``prune``) come from one thread; reads (``get``,
    ``latest``) from any.
    """

    def __init__(self, cfg: EvidenceConfig) -> None:
        self.cfg = cfg
        self.root = Path(cfg.dir)
        self.index = EvidenceIndex(self.root / INDEX_FILE)
        self.counts: Counter[str] = Counter()
        self._total = self.index.total_bytes()

    def close(self) -> None:
        """Close the index; call after the writer thread has stopped (the files need no closing)."""
        self.index.close()

    def arrival(self, topic: str, payload: bytes, received_at: datetime | None = None) -> Arrival:
        """Wrap a received message; an oversized payload keeps only its head."""
        return Arrival.of(topic, payload, received_at or utc_now(), self.cfg.max_bytes)

    # -- writing -------------------------------------------------------------------------------
    def put(self, arrival: Arrival) -> EvidenceRow | Rejection | None:
        """Keep one message: its row when stored, None for a duplicate, the Rejection otherwise."""
        result = check(arrival, self.cfg.max_bytes, self.cfg.max_pixels)
        try:
            if isinstance(result, Snapshot):
                owner = self.index.owner(result.event_id)
                if owner is not None and (owner.site, owner.agent) != (result.site, result.agent):
                    result = Rejection(Reason.NOT_OWNER, f"event {result.event_id} belongs to {owner.site}/"
                                       f"{owner.agent}, not to {result.site}/{result.agent}")  # fmt: skip
                elif owner is not None and owner.has_evidence:
                    self.counts["duplicates"] += 1
                    return None
            if isinstance(result, Rejection):
                self._reject(arrival, result)
                return result
            row = self._write(result, owner.sensor if owner else None)
        except (OSError, sqlite3.Error) as exc:
            rejection = Rejection(Reason.WRITE_FAILED, f"{type(exc).__name__}: {exc}")
            self._reject(arrival, rejection)
            return rejection
        self.counts["stored"] += 1
        self._total += row.bytes
        if self._total > self.cfg.max_total_bytes:
            self._prune_total()
        return row

    def put_message(self, topic: str, payload: bytes, received_at: datetime | None = None) -> Any:
        """``put(arrival(...))`` in one call (tests, tools)."""
        return self.put(self.arrival(topic, payload, received_at))

    def _write(self, s: Snapshot, sensor: str | None) -> EvidenceRow:
        """File first (written aside, then renamed into place), index row second."""
        rel = relative_path(s)
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(s.jpeg)
        os.replace(tmp, path)
        digest = hashlib.sha256(s.jpeg).hexdigest()
        row = EvidenceRow(s.event_id, s.site, s.agent, sensor, len(s.jpeg), s.received_at, digest, rel)
        try:
            self.index.insert(row)
        except sqlite3.Error:
            path.unlink(missing_ok=True)
            raise
        return row

    def _reject(self, arrival: Arrival, r: Rejection) -> None:
        self.counts["rejected"] += 1
        self.counts[f"rejected_{r.reason.value}"] += 1
        log.warning("evidence rejected topic=%s reason=%s bytes=%d detail=%s", arrival.topic, r.reason, arrival.size,
                    r.detail)  # fmt: skip
        dead = RejectedRow(arrival.received_at, arrival.topic, r.reason.value, r.detail[:300], arrival.size,
                           arrival.payload[:HEAD_BYTES])  # fmt: skip
        try:
            self.index.reject(dead)
        except sqlite3.Error as exc:
            self.counts["index_errors"] += 1
            log.error("evidence dead letter not recorded error=%s", exc)

    def note_events(self, notes: list[EventNote], seen: datetime | None = None) -> int:
        """Stored events name their owners (for later snapshots) and fill in the sensor of
        snapshots that came first from the same agent; returns how many rows got their sensor."""
        try:
            self.index.claim(notes, seen or utc_now())
            n = self.index.set_sensors(notes)
        except sqlite3.Error as exc:
            self.counts["index_errors"] += 1
            log.error("evidence owner update failed error=%s", exc)
            return 0
        self.counts["sensors_filled"] += n
        return n

    # -- limits --------------------------------------------------------------------------------
    def prune(self, now: datetime | None = None) -> int:
        """Delete what is older than ``keep_days``, then the oldest beyond ``max_total_bytes``."""
        cutoff = (now or utc_now()) - timedelta(days=self.cfg.keep_days)
        removed = 0
        while rows := self.index.oldest(PRUNE_BATCH, before=cutoff):
            removed += self._remove(rows)
        removed += self._prune_total()
        self.index.delete_rejected_before(cutoff, MAX_REJECTED_ROWS)
        if removed:
            log.info("evidence pruned files=%d total_bytes=%d", removed, self._total)
        return removed

    def _prune_total(self) -> int:
        removed = 0
        while self._total > self.cfg.max_total_bytes:
            rows = self.index.oldest(PRUNE_BATCH)
            if not rows:
                self._total = self.index.total_bytes()
                break
            excess, take = self._total - self.cfg.max_total_bytes, []
            for r in rows:  # at most PRUNE_BATCH rows: the oldest prefix that covers the excess
                take.append(r)
                excess -= r.bytes
                if excess <= 0:
                    break
            removed += self._remove(take)
        return removed

    def _remove(self, rows: list[EvidenceRow]) -> int:
        """Files first, then rows: a crash in between leaves rows whose file is gone (served as 404)."""
        for r in rows:
            try:
                (self.root / r.path).unlink(missing_ok=True)
            except OSError as exc:
                self.counts["prune_errors"] += 1
                log.error("evidence delete failed path=%s error=%s", r.path, exc.strerror or exc)
        for parent in {(self.root / r.path).parent for r in rows}:
            with contextlib.suppress(OSError):  # not empty yet: fine
                parent.rmdir()
        self.index.delete([r.event_id for r in rows])
        self._total -= sum(r.bytes for r in rows)
        self.counts["pruned"] += len(rows)
        return len(rows)

    # -- reading -------------------------------------------------------------------------------
    def get(self, event_id: str) -> tuple[EvidenceRow, bytes] | None:
        """The row and the JPEG of one event, or None when unknown (or its file has gone)."""
        row = self.index.get(event_id)
        if row is None:
            return None
        try:
            return row, (self.root / row.path).read_bytes()
        except OSError as exc:
            log.warning("evidence file unreadable event_id=%s path=%s error=%s", event_id, row.path,
                        exc.strerror or exc)  # fmt: skip
            return None

    def latest(self, limit: int = 100, agent: str | None = None, site: str | None = None) -> list[EvidenceRow]:
        """Rows only, newest first (the JPEGs are fetched one by one with ``get``); safe from any thread."""
        return self.index.latest(limit, agent=agent, site=site)

    def stats(self) -> dict[str, int]:
        """Bytes kept and the outcome counters (stored, duplicates, rejected by reason, pruned, errors)."""
        return {"total_bytes": self._total, **self.counts}
