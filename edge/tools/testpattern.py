"""Synthetic camera sources with known ground truth: scenes, video files and an MJPEG server.

Bright rectangles ("movers") glide over a dark textured background, so the bright-object test
model and the motion-blob fallback both find them, and every test knows where they truly are.
``MjpegServer`` serves any frame function as multipart/x-mixed-replace over HTTP, the interface
of a real IP camera, so the reader's real OpenCV code path runs in tests (anchors #32).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np


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


class MjpegServer:
    """Serves ``frame_at(t)`` as an MJPEG stream at ``fps`` on 127.0.0.1 (port 0 = any free port)."""

    def __init__(
        self, frame_at: Callable[[float], np.ndarray], fps: float = 10.0, port: int = 0, quality: int = 80
    ) -> None:
        self.frame_at, self.fps, self.quality = frame_at, fps, quality
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._alive = threading.Event()
        self.t0 = time.time()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def start(self) -> MjpegServer:
        handler = self._handler()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._alive.set()
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Kill the stream: open connections end at the next frame, the port closes."""
        self._alive.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                server._stream(self)

        return Handler

    def _stream(self, handler: BaseHTTPRequestHandler) -> None:
        period = 1.0 / self.fps
        next_t = time.time()
        try:
            while self._alive.is_set():
                _, jpg = cv2.imencode(
                    ".jpg", self.frame_at(time.time() - self.t0), [cv2.IMWRITE_JPEG_QUALITY, self.quality]
                )
                data = jpg.tobytes()
                handler.wfile.write(
                    b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                    + str(len(data)).encode()
                    + b"\r\n\r\n"
                    + data
                    + b"\r\n"
                )
                next_t += period
                time.sleep(max(0.0, next_t - time.time()))
        except (BrokenPipeError, ConnectionResetError):
            return
