"""Synthetic camera sources with known ground truth: scenes, video files and a served camera.

Bright rectangles ("movers") glide over a dark textured background, so the bright-object test
model and the motion-blob fallback both find them, and every test knows where they truly are.
``pattern_camera`` serves any frame function through the camera simulator's HTTP MJPEG server,
the interface of a real IP camera, so the reader's real OpenCV code path runs in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from borderwatch.simulators.camera.server import CameraServer, SimClock
from borderwatch.simulators.scenario import CameraSpec

FAST_WATCHDOG = {
    "stall_timeout_s": 1.0,
    "open_timeout_s": 1.0,
    "backoff_initial_s": 0.2,
    "backoff_max_s": 0.5,
    "offline_after_s": 0.5,
}
"""A camera's ``watchdog`` settings that notice a dead or stalled stream within a test's patience."""


@dataclass(frozen=True, slots=True)
class Mover:
    """A rectangle whose top-left corner moves linearly: xy(t) = start + velocity * t (pixels, px/s)."""

    start: tuple[float, float]
    velocity: tuple[float, float]
    size: tuple[int, int] = (24, 48)
    colour: tuple[int, int, int] = (230, 230, 230)
    t_on: float = 0.0
    t_off: float = 1e9

    def box(self, t: float) -> np.ndarray:
        x = self.start[0] + self.velocity[0] * t
        y = self.start[1] + self.velocity[1] * t
        return np.array([x, y, x + self.size[0], y + self.size[1]], np.float64)


def background(size_wh: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A dark, textured (so it has focus) BGR background."""
    rng = np.random.default_rng(seed)
    w, h = size_wh
    coarse = rng.integers(20, 90, (h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
    img = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)
    fine = rng.integers(0, 20, (h, w, 3), dtype=np.uint8)
    return cv2.add(img, fine)


def render(t: float, movers: Sequence[Mover], bg: np.ndarray) -> np.ndarray:
    """The scene at time ``t`` (a few rectangles drawn; per-frame cost is one copy)."""
    img = bg.copy()
    for m in movers:
        if m.t_on <= t < m.t_off:
            x1, y1, x2, y2 = np.round(m.box(t)).astype(int)
            cv2.rectangle(img, (x1, y1), (x2 - 1, y2 - 1), m.colour, thickness=-1)
    return img


def truth(t: float, movers: Sequence[Mover], size_wh: tuple[int, int]) -> np.ndarray:
    """(K, 4) boxes of movers visible at ``t``, clipped to the frame."""
    w, h = size_wh
    boxes = [m.box(t) for m in movers if m.t_on <= t < m.t_off]
    arr = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.clip(arr, 0, [w, h, w, h])


def write_video(path: Path, frames: Sequence[np.ndarray], fps: float) -> Path:
    """Motion-JPEG AVI (always available in OpenCV's bundled FFMPEG)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return Path(path)


@dataclass(frozen=True, slots=True)
class _Picture:
    frame: np.ndarray


class PatternSource:
    """A frame function in the shape of the simulator's renderer (a FrameSource)."""

    def __init__(self, frame_at: Callable[[float], np.ndarray], fps: float, camera_id: str = "pattern") -> None:
        self.frame_at = frame_at
        self.spec = CameraSpec(id=camera_id, fps=fps)

    def render(self, t: float) -> _Picture:
        return _Picture(self.frame_at(t))


def pattern_camera(frame_at: Callable[[float], np.ndarray], fps: float = 10.0, port: int = 0) -> CameraServer:
    """A started camera serving ``frame_at(t)`` (t = seconds since start) at ``video_url``; port 0 = any free."""
    return CameraServer(PatternSource(frame_at, fps), SimClock().start(), port=port).start()
