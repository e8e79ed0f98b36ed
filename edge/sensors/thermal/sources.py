"""Where thermal frames come from: the Y16 network stream (TCP) or a UVC device through OpenCV.

Both sit behind one small interface (``Source.read`` -> header and (H, W) uint16 counts) so the
reader thread, its checks and its back-off are one code path for 160x120, 320x256 and 640x512.
``read`` raises ``StreamError`` for a frame that must be skipped (the link is fine) and
``OSError``/``EOFError`` when the link is gone (the reader reconnects).
"""

from __future__ import annotations

import socket
import time
from typing import Protocol
from urllib.parse import urlsplit

import cv2
import numpy as np

from borderwatch.edge.sensors.thermal.config import ThermalConfig
from borderwatch.edge.sensors.thermal.stream import (
    HEADER,
    MAGIC,
    U16,
    Header,
    StreamError,
    decode_payload,
    parse_header,
)

_CHUNK = 1 << 16


class Source(Protocol):
    """An open thermal source."""

    def read(self) -> tuple[Header, U16]:
        """The next frame; StreamError = skip it, OSError/EOFError = the link is gone."""
        ...

    def close(self) -> None: ...


class TcpSource:
    """A client of the network stream; resynchronises on the magic after garbage."""

    def __init__(self, host: str, port: int, open_timeout_s: float, stall_timeout_s: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=open_timeout_s)
        self.sock.settimeout(stall_timeout_s)
        self.buf = bytearray()

    def _fill(self, n: int) -> None:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(_CHUNK, n - len(self.buf)))
            if not chunk:
                raise EOFError("stream closed by the imager")
            self.buf += chunk

    def read(self) -> tuple[Header, U16]:
        self._fill(HEADER.size)
        if self.buf[:4] != MAGIC:
            at = self.buf.find(MAGIC, 1)
            drop = at if at > 0 else len(self.buf) - (len(MAGIC) - 1)
            del self.buf[:drop]
            raise StreamError("magic", f"{drop} bytes of garbage before the next header")
        try:
            header = parse_header(bytes(self.buf[: HEADER.size]))
        except StreamError:
            del self.buf[: len(MAGIC)]  # resynchronise on the next magic
            raise
        end = HEADER.size + header.payload_len
        self._fill(end)
        payload = bytes(self.buf[HEADER.size : end])
        del self.buf[:end]
        return header, decode_payload(header, payload)

    def close(self) -> None:
        self.sock.close()


class UvcSource:
    """A UVC imager delivering Y16 (RGB conversion off), e.g. a Lepton on a PureThermal board or a Boson."""

    def __init__(self, index: int, fmt: str) -> None:
        self.cap = cv2.VideoCapture(index)
        self.cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"Y16 "))
        self.cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)
        if not self.cap.isOpened():
            raise OSError(f"UVC device {index} cannot be opened")
        self.fmt, self.counter = fmt, 0

    def read(self) -> tuple[Header, U16]:
        ok, image = self.cap.read()
        if not ok or image is None:
            raise EOFError("UVC device delivered no frame")
        self.counter += 1
        counts = y16_image(
            image, int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        )
        h, w = counts.shape
        return Header(self.fmt, w, h, time.time(), self.counter, w * h * 2), counts

    def close(self) -> None:
        self.cap.release()


def y16_image(image: np.ndarray, width: int, height: int) -> U16:
    """An OpenCV Y16 capture as (H, W) uint16: backends hand over either that or the raw bytes."""
    if image.dtype == np.uint16 and image.ndim == 2:
        return image
    if image.dtype == np.uint8 and width > 0 and height > 0 and image.size == width * height * 2:
        return np.ascontiguousarray(image).view("<u2").reshape(height, width).astype(np.uint16)
    raise StreamError("size", f"UVC frame {image.dtype} {image.shape} is not Y16 {width}x{height}")


def open_source(cfg: ThermalConfig) -> Source:
    """The configured source, opened; OSError when it cannot be."""
    if isinstance(cfg.url, int):
        return UvcSource(cfg.url, cfg.radiometry.format)
    parts = urlsplit(cfg.url)
    if not parts.hostname or not parts.port:
        raise OSError(f"thermal url needs tcp://host:port, got {parts.scheme}://{parts.netloc}")
    return TcpSource(parts.hostname, parts.port, cfg.watchdog.open_timeout_s, cfg.watchdog.stall_timeout_s)
