"""Evidence: JPEG snapshots with boxes drawn, size-capped, kept on the agent for a set time.

The snapshot is rendered once per frame and shared by every event of that frame that wants one.
The size cap is met by lowering JPEG quality, then scale, so a snapshot never exceeds the configured
``max_bytes``. Evidence never enters the outbox: it is best effort, the events carry the facts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger("borderwatch.sensor.evidence")
_QUALITIES = (85, 70, 55, 40, 25)
_HIGHLIGHT = (0, 0, 255)
_NORMAL = (0, 200, 0)


@dataclass(frozen=True, slots=True)
class Evidence:
    """A snapshot belonging to one event."""

    event_id: str
    sensor_id: str
    jpeg: bytes


def draw_boxes(image: np.ndarray, boxes: np.ndarray, labels: Sequence[str], highlight: np.ndarray) -> np.ndarray:
    """A copy of ``image`` with labelled boxes; highlighted ones (the events' subjects) in red."""
    out = image.copy()
    thick = max(1, round(out.shape[1] / 480))
    for box, text, hot in zip(np.round(boxes).astype(int), labels, highlight, strict=True):  # a few boxes
        colour = _HIGHLIGHT if hot else _NORMAL
        cv2.rectangle(out, (box[0], box[1]), (box[2], box[3]), colour, thick)
        cv2.putText(out, text, (box[0], max(10, box[1] - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thick, colour, thick)
    return out


def encode_capped(image: np.ndarray, max_bytes: int, max_width: int) -> bytes:
    """JPEG no larger than ``max_bytes``: lower quality first, then halve the size."""
    img = image
    if img.shape[1] > max_width:
        img = cv2.resize(img, (max_width, round(img.shape[0] * max_width / img.shape[1])), interpolation=cv2.INTER_AREA)
    while True:
        for q in _QUALITIES:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
            if ok and buf.size <= max_bytes:
                return buf.tobytes()
        if img.shape[1] <= 32:
            return buf.tobytes()[:0]
        img = cv2.resize(img, (img.shape[1] // 2, max(1, img.shape[0] // 2)), interpolation=cv2.INTER_AREA)


def render_snapshot(
    frame: np.ndarray,
    boxes: np.ndarray,
    labels: Sequence[str],
    highlight: np.ndarray,
    max_bytes: int,
    max_width: int,
) -> bytes:
    """Draw and encode in one call (scaled before drawing would blur thin lines at large frames)."""
    return encode_capped(draw_boxes(frame, boxes, labels, highlight), max_bytes, max_width)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one evidence JPEG will show, and the events sharing it: made by a sensor kind's ``finish``,
    rendered by the service's emitter thread (drawing and encoding a large frame takes milliseconds
    the sensor worker owes the next frame).

    ``frame`` is the picture the kind rendered for people to look at: HxWx3 uint8 BGR, with ``boxes``
    in its pixels. A camera hands over its captured frame as is (never written after capture, so
    holding it is safe); a kind whose frames are not 8-bit BGR (thermal, radar) renders one first.
    """

    sensor_id: str
    event_ids: tuple[str, ...]
    frame: np.ndarray
    boxes: np.ndarray
    labels: tuple[str, ...]
    highlight: np.ndarray
    max_bytes: int
    max_width: int

    def __post_init__(self) -> None:
        f = self.frame
        if f.dtype != np.uint8 or f.ndim != 3 or f.shape[2] != 3:
            raise ValueError(f"Snapshot.frame: expected HxWx3 uint8 BGR, got {f.dtype} {f.shape}")

    def render(self) -> list[Evidence]:
        """One JPEG for the frame, one Evidence per event sharing it; empty ``jpeg`` if not even a tiny copy fits."""
        jpeg = render_snapshot(self.frame, self.boxes, self.labels, self.highlight, self.max_bytes, self.max_width)
        return [Evidence(event_id, self.sensor_id, jpeg) for event_id in self.event_ids]


class EvidenceStore:
    """Keeps snapshots under ``root/<sensor>/`` and deletes those older than ``keep_s``."""

    def __init__(self, root: Path, keep_s: float, prune_every_s: float = 60.0) -> None:
        self.root, self.keep_s, self.prune_every_s = Path(root), float(keep_s), prune_every_s
        self._last_prune = 0.0
        self.write_errors = 0

    def save(self, item: Evidence, ts: float) -> Path | None:
        """Write one snapshot (named by time and event id); None when not kept or on a disk error."""
        if self.keep_s <= 0 or not item.jpeg:
            return None
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ts))
        path = self.root / item.sensor_id / f"{stamp}_{item.event_id}.jpg"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(item.jpeg)
        except OSError as exc:
            self.write_errors += 1
            log.error("evidence write failed path=%s error=%s", path, exc.strerror or exc)
            return None
        self.prune()
        return path

    def prune(self, now: float | None = None, force: bool = False) -> int:
        """Delete expired snapshots, at most once per ``prune_every_s`` unless forced; returns how many."""
        now = time.time() if now is None else now
        if not force and now - self._last_prune < self.prune_every_s:
            return 0
        self._last_prune = now
        removed = 0
        for path in self.root.glob("*/*.jpg"):
            try:
                if now - path.stat().st_mtime > self.keep_s:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed
