"""Opening camera sources through OpenCV ``VideoCapture`` (the thin I/O adapter of the reader).

RTSP and HTTP(S) MJPEG go through the FFMPEG backend with open and read timeouts, so a dead or
stalled stream makes ``grab()`` return False within the watchdog's stall timeout instead of
blocking forever. RTSP uses TCP transport unless ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` says otherwise.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import cv2
import numpy as np

from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.runtime.redact import redact_url, redact_with_url

log = logging.getLogger("borderwatch.camera.capture")
SourceKind = Literal["rtsp", "http", "file", "device"]


class Capture(Protocol):
    """The part of ``cv2.VideoCapture`` the reader uses (tests and benchmarks can stand in)."""

    def grab(self) -> bool:
        """Advance one frame without decoding it; False at end of file or when the read timeout expires (a stall)."""

    def retrieve(self) -> tuple[bool, np.ndarray | None]:
        """Decode the grabbed frame: HxWx3 uint8 BGR (HxW from monochrome devices); ``(False, None)`` on failure."""

    def release(self) -> None:
        """Close the source; the reader never uses the capture again and opens a new one to reconnect."""

    def get(self, prop_id: int) -> float:
        """A property such as ``cv2.CAP_PROP_FPS``; 0 when unknown (the reader then assumes the configured fps)."""

    def set(self, prop_id: int, value: float) -> bool:
        """Set a property, False if refused; nothing in this repository calls it (the reader only reads)."""


CaptureFactory = Callable[[CameraConfig], Capture | None]


@dataclass(frozen=True, slots=True)
class Source:
    """A classified source: what kind, and the string OpenCV gets (never logged as is)."""

    kind: SourceKind
    target: str | int

    @property
    def redacted(self) -> str:
        """The target without credentials: the only form of a source that may reach a log, status or report."""
        return redact_url(self.target)


def classify(url: str | int) -> Source:
    """Device index, RTSP, HTTP(S) or a file (plain path or file:// URL)."""
    if isinstance(url, int) or (isinstance(url, str) and url.strip().isdigit()):
        return Source("device", int(url))
    lower = url.lower()
    if lower.startswith(("rtsp://", "rtsps://", "rtmp://")):
        return Source("rtsp", url)
    if lower.startswith(("http://", "https://")):
        return Source("http", url)
    return Source("file", url[7:] if lower.startswith("file://") else url)


def open_capture(cfg: CameraConfig) -> Capture | None:
    """Open the camera's source; None (after logging a redacted reason) when it cannot be opened."""
    src = classify(cfg.url)
    if src.kind == "rtsp":
        os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(cfg.watchdog.open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(cfg.watchdog.stall_timeout_s * 1000),
    ]
    try:
        if src.kind == "device":
            cap = cv2.VideoCapture(int(src.target))
        elif src.kind == "file":
            cap = cv2.VideoCapture(str(src.target))
        else:
            cap = cv2.VideoCapture(str(src.target), cv2.CAP_FFMPEG, params)
    except cv2.error as exc:
        log.warning("open failed source=%s error=%s", src.redacted, redact_with_url(str(exc), cfg.url))
        return None
    if not cap.isOpened():
        cap.release()
        log.warning("open failed source=%s kind=%s", src.redacted, src.kind)
        return None
    return cap


class ArrayCapture:
    """Frames from memory in a loop: a source with no decode cost (benchmarks, tests)."""

    def __init__(self, frames: list[np.ndarray], fps: float = 30.0, loop: bool = True) -> None:
        self.frames, self.fps, self.loop = frames, fps, loop
        self.index = -1

    def grab(self) -> bool:
        """Next frame; wraps around when looping, else False after the last one, as a file's end does."""
        self.index += 1
        if self.index >= len(self.frames):
            if not self.loop:
                return False
            self.index = 0
        return True

    def retrieve(self) -> tuple[bool, np.ndarray | None]:
        """The grabbed frame itself, not a copy: callers must not write into it."""
        return True, self.frames[self.index]

    def release(self) -> None:
        """Move past the last frame: a non-looping capture then ends, a looping one starts over at the next grab."""
        self.index = len(self.frames)

    def get(self, prop_id: int) -> float:
        """The given fps for ``CAP_PROP_FPS`` (the reader paces and time-stamps file frames by it), else 0."""
        return float(self.fps) if prop_id == cv2.CAP_PROP_FPS else 0.0

    def set(self, prop_id: int, value: float) -> bool:
        """Only ``CAP_PROP_POS_FRAMES`` (seek to a frame index) is supported; anything else returns False."""
        if prop_id == cv2.CAP_PROP_POS_FRAMES:
            self.index = int(value) - 1
            return True
        return False
