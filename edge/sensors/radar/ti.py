"""TI mmWave out-of-box demo UART output (SDK 3.x, data port at 921,600 baud) as an incremental,
pure parser: bytes in, frames out, the unfinished tail carried in ``TiState``.

Layout (all little-endian):

* frame header, 40 bytes: magic word ``02 01 04 03 06 05 08 07``, then uint32 version,
  totalPacketLen (header + TLVs + padding; a multiple of 32), platform, frameNumber, timeCpuCycles,
  numDetectedObj, numTLVs, subFrameNumber;
* per TLV: uint32 type, uint32 length (payload bytes only), payload. Types used here:
  1 detected points (float32 x, y, z metres, velocity m/s: 16 bytes a point), 2 range profile
  (uint16 per range bin), 4 azimuth heat map (per range bin, per virtual antenna, int16 imaginary
  then int16 real), 5 range-Doppler heat map (uint16, range x Doppler), 7 side info per point
  (int16 snr, int16 noise, in 0.1 dB). Other types are skipped by their length.

Framing: resynchronise on the magic word (bytes before it are dropped and counted); lengths are
sanity-checked (a header claiming less than itself, more than ``MAX_PACKET``, or TLVs overrunning the
packet is a length error, and the search restarts after that magic word, so a truncated frame costs
only itself); a frame split across reads waits in the tail. No byte sequence raises.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from borderwatch.edge.sensors.radar.records import LinkCounters, RadarRecord

MAGIC = bytes.fromhex("0201040306050807")
HEADER = struct.Struct("<8sIIIIIIII")  # 40 bytes
TLV_HEADER = struct.Struct("<II")
MAX_PACKET = 1 << 18  # 256 KiB: a 256 x 256 uint16 heat map plus points fits with room
MAX_TLVS = 32
PAD = 32
TLV_POINTS, TLV_RANGE_PROFILE, TLV_AZIMUTH, TLV_HEATMAP, TLV_SIDE_INFO = 1, 2, 4, 5, 7
PLATFORM_IWR6843 = 0xA6843
SDK_VERSION = 0x03050004


@dataclass(frozen=True, slots=True)
class TiFrame:
    """One decoded frame: points (N x 4 float32: x, y, z, velocity), their SNR and noise in dB (or
    None without side info), the range profile, the flat range-Doppler heat map and the flat azimuth
    antenna samples (range bin major; None when not sent).
    """

    frame_number: int
    platform: int
    version: int
    sub_frame: int
    points: npt.NDArray[np.float32]
    snr_db: npt.NDArray[np.float32] | None = None
    noise_db: npt.NDArray[np.float32] | None = None
    range_profile: npt.NDArray[np.uint16] | None = None
    heatmap: npt.NDArray[np.uint16] | None = None
    azimuth: npt.NDArray[np.complex64] | None = None

    def records(self) -> list[RadarRecord]:
        """One plot record per point (range and bearing from the boresight, computed from x/y)."""
        out = []
        for i, (x, y, z, v) in enumerate(self.points.astype(np.float64)):
            out.append(
                RadarRecord(
                    kind="plot",
                    protocol="ti",
                    frame=self.frame_number,
                    x_m=float(x),
                    y_m=float(y),
                    z_m=float(z),
                    range_m=float(np.sqrt(x * x + y * y + z * z)),
                    bearing_deg=float(np.degrees(np.arctan2(x, y)) % 360.0),
                    doppler_mps=float(v),
                    snr_db=None if self.snr_db is None else float(self.snr_db[i]),
                )
            )
        return out


@dataclass(frozen=True, slots=True)
class TiState:
    """Bytes not yet part of a whole frame, and the counters so far."""

    tail: bytes = b""
    counters: LinkCounters = field(default_factory=LinkCounters)


def feed(state: TiState, data: bytes) -> tuple[TiState, list[TiFrame]]:
    """Parse what ``data`` completes; return the new state and the whole, valid frames."""
    buf = state.tail + data
    c = state.counters.add(bytes_in=len(data))
    out: list[TiFrame] = []
    pos = 0
    while True:
        start = buf.find(MAGIC, pos)
        if start < 0:
            keep = max(pos, len(buf) - (len(MAGIC) - 1))  # a magic word may be split across reads
            c = c.add(dropped_bytes=keep - pos)
            return TiState(buf[keep:], c), out
        c = c.add(dropped_bytes=start - pos)
        if len(buf) - start < HEADER.size:
            return TiState(buf[start:], c), out
        _, _, total, *_rest, num_tlvs, _sub = HEADER.unpack_from(buf, start)
        if total < HEADER.size or total > MAX_PACKET or num_tlvs > MAX_TLVS:
            c = c.add(length_errors=1, dropped_bytes=len(MAGIC))
            pos = start + len(MAGIC)
            continue
        if len(buf) - start < total:
            nxt = buf.find(MAGIC, start + len(MAGIC))
            if nxt < 0:
                return TiState(buf[start:], c), out
            # a new frame began inside this one's claimed length: this one was truncated
        frame = decode_frame(buf[start : start + total]) if len(buf) - start >= total else None
        if frame is None:
            c = c.add(length_errors=1, dropped_bytes=len(MAGIC))
            pos = start + len(MAGIC)
            continue
        c = c.add(frames=1)
        out.append(frame)
        pos = start + total


def decode_frame(packet: bytes) -> TiFrame | None:
    """One whole packet (header included) decoded, or None when its TLVs do not fit its length."""
    if len(packet) < HEADER.size or packet[:8] != MAGIC:
        return None
    _, version, total, platform, number, _cycles, n_obj, num_tlvs, sub = HEADER.unpack_from(packet)
    if total != len(packet) or num_tlvs > MAX_TLVS:
        return None
    at = HEADER.size
    parts: dict[int, bytes] = {}
    for _ in range(num_tlvs):
        if at + TLV_HEADER.size > total:
            return None
        kind, length = TLV_HEADER.unpack_from(packet, at)
        at += TLV_HEADER.size
        if length > total - at:
            return None
        parts[kind] = packet[at : at + length]
        at += length
    return _frame(parts, number, platform, version, sub, n_obj)


def _frame(parts: dict[int, bytes], number: int, platform: int, version: int, sub: int, n_obj: int) -> TiFrame | None:
    raw = parts.get(TLV_POINTS, b"")
    if len(raw) % 16 or len(raw) // 16 != n_obj:
        return None
    points = np.frombuffer(raw, "<f4").reshape(-1, 4).astype(np.float32)
    snr = noise = None
    side = parts.get(TLV_SIDE_INFO)
    if side is not None:
        if len(side) != 4 * len(points):
            return None
        pairs = np.frombuffer(side, "<i2").reshape(-1, 2).astype(np.float32) / 10.0
        snr, noise = pairs[:, 0], pairs[:, 1]
    profile = _u16(parts.get(TLV_RANGE_PROFILE))
    heat = _u16(parts.get(TLV_HEATMAP))
    if (TLV_RANGE_PROFILE in parts and profile is None) or (TLV_HEATMAP in parts and heat is None):
        return None
    azimuth = None
    if TLV_AZIMUTH in parts:
        raw = parts[TLV_AZIMUTH]
        if len(raw) % 4:
            return None
        pairs = np.frombuffer(raw, "<i2").reshape(-1, 2).astype(np.float32)
        azimuth = (pairs[:, 1] + 1j * pairs[:, 0]).astype(np.complex64)
    return TiFrame(number, platform, version, sub, points, snr, noise, profile, heat, azimuth)


def _u16(raw: bytes | None) -> npt.NDArray[np.uint16] | None:
    if raw is None or len(raw) % 2:
        return None
    return np.frombuffer(raw, "<u2").astype(np.uint16)


def encode_frame(
    frame_number: int,
    points: npt.ArrayLike,
    snr_db: npt.ArrayLike | None = None,
    noise_db: npt.ArrayLike | None = None,
    range_profile: npt.ArrayLike | None = None,
    heatmap: npt.ArrayLike | None = None,
    azimuth: npt.ArrayLike | None = None,
    platform: int = PLATFORM_IWR6843,
    version: int = SDK_VERSION,
    cpu_cycles: int = 0,
) -> bytes:
    """The bytes of one frame as the demo sends them (the simulator and tests use it)."""
    pts = np.asarray(points, "<f4").reshape(-1, 4)
    tlvs = [(TLV_POINTS, pts.tobytes())] if len(pts) else []
    if snr_db is not None:
        snr = np.round(np.asarray(snr_db, np.float64) * 10.0)
        noise = np.round(np.asarray(noise_db if noise_db is not None else np.zeros(len(pts)), np.float64) * 10.0)
        side = np.stack([snr, noise], axis=1).clip(-32768, 32767).astype("<i2")
        tlvs.append((TLV_SIDE_INFO, side.tobytes()))
    if range_profile is not None:
        tlvs.append((TLV_RANGE_PROFILE, np.asarray(range_profile, "<u2").tobytes()))
    if heatmap is not None:
        tlvs.append((TLV_HEATMAP, np.asarray(heatmap, "<u2").tobytes()))
    if azimuth is not None:
        z = np.asarray(azimuth, np.complex128).ravel()
        pairs = np.stack((np.round(z.imag), np.round(z.real)), axis=1).clip(-32768, 32767).astype("<i2")
        tlvs.append((TLV_AZIMUTH, pairs.tobytes()))
    body = b"".join(TLV_HEADER.pack(kind, len(payload)) + payload for kind, payload in tlvs)
    total = -(-(HEADER.size + len(body)) // PAD) * PAD
    header = HEADER.pack(MAGIC, version, total, platform, frame_number, cpu_cycles, len(pts), len(tlvs), 0)
    return header + body + bytes(total - HEADER.size - len(body))
