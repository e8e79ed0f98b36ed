"""Initiator: starts tentative tracks from unmatched detections and confirms them after M hits.

Ids come from one counter per tracker and are never reused, so an id in an event always names
one object. ``first_id`` lets a service start above ids used before a restart.
"""

from __future__ import annotations

import numpy as np

from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.tracking.models import MotionModel
from borderwatch.edge.tracking.tracks import Tracks


class Initiator:
    """Tentative tracks for detections of at least ``min_confidence``; confirmed after ``min_hits``."""

    def __init__(self, model: MotionModel, min_hits: int = 3, min_confidence: float = 0.3, first_id: int = 1) -> None:
        self.model = model
        self.min_hits = int(min_hits)
        self.min_confidence = float(min_confidence)
        self.next_id = int(first_id)

    def seeds(self, dets: Detections, rows: np.ndarray) -> np.ndarray:
        """The rows (of unmatched detections) strong enough to start a track."""
        rows = np.asarray(rows, np.int64)
        if not len(rows):  # every detection matched (the usual frame): nothing to test
            return rows
        return rows[dets.confidence[rows] >= self.min_confidence]

    def initiate(self, dets: Detections, ts: float) -> Tracks:
        """New tracks for every detection given, tentative (confirmed at once when ``min_hits`` is 1)."""
        n = len(dets)
        if n == 0:
            return Tracks.empty(self.model.dim)
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        mean, cov = self.model.initial(self.model.measure(dets))
        now = np.full(n, float(ts))
        return Tracks(
            ids=ids,
            mean=mean,
            cov=cov,
            class_id=dets.class_id.copy(),
            confidence=dets.confidence.astype(np.float64),
            hits=np.ones(n, np.int64),
            misses=np.zeros(n, np.int64),
            confirmed=np.full(n, self.min_hits <= 1),
            first_ts=now,
            last_ts=now.copy(),
            state_ts=now.copy(),
            still_xy=self.model.positions(mean).copy(),
            still_since=now.copy(),
            looked_ts=now.copy(),
        )

    def promote(self, tracks: Tracks) -> tuple[Tracks, np.ndarray]:
        """Confirm tentative tracks with enough hits; returns the tracks and the newly confirmed ids."""
        newly = ~tracks.confirmed & (tracks.hits >= self.min_hits)
        if not np.count_nonzero(newly):  # cheaper than ``any`` on a few rows
            return tracks, tracks.ids[newly]
        return tracks.evolve(confirmed=tracks.confirmed | newly), tracks.ids[newly]
