"""RTP payload for JPEG (RFC 2435): a baseline JPEG cut into RTP packets, and the pieces it needs.

Why: many IP cameras offer RTSP only; with RTP/JPEG (payload type 26) the simulator's frames reach
the agent through FFmpeg's RTSP client, the code path of a real RTSP camera. Pure functions on
bytes: the JPEG's quantisation tables go in-band (Q = 255) in each frame's first packet, the
entropy-coded scan is split across packets, the receiver rebuilds the JPEG headers itself.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PAYLOAD_TYPE = 26
CLOCK_HZ = 90_000
_SOF0, _DQT, _SOS, _DRI = 0xC0, 0xDB, 0xDA, 0xDD
_RTP_HEADER = 12


class JpegError(ValueError):
    """The JPEG cannot be carried by RFC 2435 (progressive, restart markers, odd sampling...)."""


@dataclass(frozen=True, slots=True)
class JpegParts:
    """What RFC 2435 carries of a baseline JPEG."""

    type: int  # 0 = 4:2:2, 1 = 4:2:0 (Y sampled 2x1 or 2x2, Cb and Cr 1x1)
    width: int
    height: int
    qtables: bytes  # 64 bytes per table, luma then chroma, zig-zag order as in DQT
    scan: bytes  # entropy-coded data, without the EOI marker


def parse_jpeg(data: bytes) -> JpegParts:
    """Split a baseline JPEG (as libjpeg/OpenCV write it) into the parts RFC 2435 sends."""
    if data[:2] != b"\xff\xd8":
        raise JpegError("not a JPEG (no SOI)")
    pos, tables, sof = 2, {}, None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise JpegError(f"marker expected at byte {pos}")
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        body = data[pos + 4 : pos + 2 + length]
        if marker == _DQT:
            k = 0
            while k < len(body):  # one marker may hold several tables
                precision, table_id = body[k] >> 4, body[k] & 0x0F
                if precision != 0:
                    raise JpegError("16-bit quantisation tables are not carried")
                tables[table_id] = body[k + 1 : k + 65]
                k += 65
        elif marker == _SOF0:
            sof = body
        elif marker in (0xC1, 0xC2, 0xC3):
            raise JpegError("only baseline (SOF0) JPEGs are carried")
        elif marker == _DRI:
            raise JpegError("restart markers are not carried")
        elif marker == _SOS:
            scan_start = pos + 2 + length
            end = data.rfind(b"\xff\xd9")
            if sof is None or end < scan_start:
                raise JpegError("no frame header or no end of image")
            return _parts(sof, tables, data[scan_start:end])
        pos += 2 + length
    raise JpegError("no scan found")


def _parts(sof: bytes, tables: dict[int, bytes], scan: bytes) -> JpegParts:
    height, width, ncomp = struct.unpack(">HHB", sof[1:6])
    comps = [sof[6 + 3 * i : 9 + 3 * i] for i in range(ncomp)]
    if ncomp != 3 or any(c[1] != 0x11 for c in comps[1:]):
        raise JpegError("only YCbCr with full-size chroma blocks of 1x1 sampling is carried")
    kind = {0x21: 0, 0x22: 1}.get(comps[0][1])
    if kind is None:
        raise JpegError(f"luma sampling {comps[0][1]:#x} is not 4:2:2 or 4:2:0")
    if width % 8 or height % 8 or width > 2040 or height > 2040:
        raise JpegError(f"{width}x{height}: RFC 2435 needs multiples of 8 up to 2040")
    if set(tables) < {0, 1}:
        raise JpegError("luma and chroma quantisation tables expected")
    return JpegParts(kind, width, height, tables[0] + tables[1], scan)


def packets(jpeg: JpegParts, seq: int, timestamp: int, ssrc: int, max_size: int = 1400) -> list[bytes]:
    """The RTP packets of one frame, each at most ``max_size`` bytes with its RTP header; the last
    carries the marker bit. ``seq`` is the first sequence number.
    """
    out, offset, first = [], 0, True
    while first or offset < len(jpeg.scan):
        head = _main_header(offset, jpeg)
        if first:
            head += struct.pack(">BBH", 0, 0, len(jpeg.qtables)) + jpeg.qtables
        room = max_size - _RTP_HEADER - len(head)
        chunk = jpeg.scan[offset : offset + room]
        offset += len(chunk)
        last = offset >= len(jpeg.scan)
        rtp = struct.pack(
            ">BBHII", 0x80, (0x80 if last else 0) | PAYLOAD_TYPE, (seq + len(out)) & 0xFFFF, timestamp, ssrc
        )
        out.append(rtp + head + chunk)
        first = False
    return out


def _main_header(offset: int, jpeg: JpegParts) -> bytes:
    """RFC 2435 section 3.1: type-specific, 24-bit fragment offset, type, Q (255: tables in-band), size/8."""
    return struct.pack(">I", offset & 0xFFFFFF) + bytes((jpeg.type, 255, jpeg.width // 8, jpeg.height // 8))
