"""The thermal network stream (docs/thermal-stream.md): a 28-byte header, then the Y16 payload.

Header, little-endian (``struct`` format ``<4sBBHHHdII``):

====== ======= ====================================================================
offset type    field
====== ======= ====================================================================
0      4 bytes magic ``b"BWTH"``
4      u8      version (1)
5      u8      format: 0 raw counts, 1 TLinear 0.01 K per count, 2 TLinear 0.1 K per count
6      u16     width, pixels (1..4096)
8      u16     height, pixels (1..4096)
10     u16     reserved, 0
12     f64     capture timestamp, UTC seconds since the epoch
20     u32     frame counter (wraps at 2**32)
24     u32     payload length in bytes = width * height * 2
====== ======= ====================================================================

The payload is width x height little-endian uint16, row-major. Pure functions only: parsing
refuses anything inconsistent with a ``StreamError`` naming why; conversion to centikelvin is exact
for TLinear 0.01 K, exact for TLinear 0.1 K up to 655.35 K (hotter saturates at 65535), and
rounds raw counts through the configured gain and offset.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MAGIC = b"BWTH"
VERSION = 1
HEADER = struct.Struct("<4sBBHHHdII")
FORMATS: dict[int, str] = {0: "raw", 1: "tlinear_0.01", 2: "tlinear_0.1"}
FORMAT_CODES: dict[str, int] = {name: code for code, name in FORMATS.items()}
MAX_SIDE = 4096
U16 = npt.NDArray[np.uint16]


class StreamError(ValueError):
    """A header or payload that cannot be a thermal frame; ``reason`` is the short code counted."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Header:
    """One frame's header fields, as sent."""

    format: str
    width: int
    height: int
    ts: float
    counter: int
    payload_len: int


def parse_header(data: bytes) -> Header:
    """The header of ``data`` (exactly ``HEADER.size`` bytes); StreamError if it is not a valid one."""
    if len(data) != HEADER.size:
        raise StreamError("short", f"header of {len(data)} bytes, expected {HEADER.size}")
    magic, version, fmt, width, height, _reserved, ts, counter, length = HEADER.unpack(data)
    if magic != MAGIC:
        raise StreamError("magic", f"magic {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise StreamError("version", f"version {version}, expected {VERSION}")
    if fmt not in FORMATS:
        raise StreamError("format", f"format code {fmt} unknown (known: {sorted(FORMATS)})")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise StreamError("size", f"{width}x{height} outside 1..{MAX_SIDE}")
    if length != width * height * 2:
        raise StreamError("size", f"payload {length} bytes for {width}x{height} Y16 ({width * height * 2} expected)")
    if not math.isfinite(ts) or ts < 0:
        raise StreamError("timestamp", f"timestamp {ts!r} is not a finite UTC time")
    return Header(FORMATS[fmt], width, height, ts, counter, length)


def decode_payload(header: Header, payload: bytes) -> U16:
    """The payload as an (H, W) uint16 array (a copy the caller owns); StreamError if short."""
    if len(payload) != header.payload_len:
        raise StreamError("short", f"payload of {len(payload)} bytes, expected {header.payload_len}")
    return np.frombuffer(payload, "<u2").reshape(header.height, header.width).astype(np.uint16)


def pack_frame(counts: U16, fmt: str, ts: float, counter: int) -> bytes:
    """Header plus payload of one frame (the simulator's side of the stream)."""
    counts = np.ascontiguousarray(counts, "<u2")
    h, w = counts.shape
    header = HEADER.pack(MAGIC, VERSION, FORMAT_CODES[fmt], w, h, 0, float(ts), counter & 0xFFFFFFFF, w * h * 2)
    return header + counts.tobytes()


def to_centikelvin(counts: U16, fmt: str, gain_k: float = 0.01, offset_k: float = 0.0) -> U16:
    """Counts of format ``fmt`` as uint16 centikelvin (0.01 K per unit), the thermal frame format."""
    if fmt == "tlinear_0.01":
        return np.asarray(counts, np.uint16)
    if fmt == "tlinear_0.1":
        wide = np.asarray(counts, np.uint32) * 10
        return np.minimum(wide, 65535).astype(np.uint16)
    ck = np.rint((np.asarray(counts, np.float64) * gain_k + offset_k) * 100.0)
    return np.clip(ck, 0, 65535).astype(np.uint16)


def from_centikelvin(ck: U16, fmt: str, gain_k: float = 0.01, offset_k: float = 0.0) -> U16:
    """The inverse of ``to_centikelvin`` (the simulator encodes with it); 0.1 K rounds to the nearest."""
    if fmt == "tlinear_0.01":
        return np.asarray(ck, np.uint16)
    if fmt == "tlinear_0.1":
        return np.rint(np.asarray(ck, np.float64) / 10.0).astype(np.uint16)
    counts = np.rint((np.asarray(ck, np.float64) / 100.0 - offset_k) / gain_k)
    return np.clip(counts, 0, 65535).astype(np.uint16)


def celsius(ck: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Centikelvin -> degrees Celsius, in float64 (exact to the 0.01 K step)."""
    return np.asarray(ck, np.float64) / 100.0 - 273.15
