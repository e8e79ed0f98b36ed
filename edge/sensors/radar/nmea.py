"""NMEA 0183 from coastal/ARPA radars: TTM (tracked target, polar) and TLL (tracked target, lat/lon),
plus own position (RMC) and heading (HDT), as an incremental, pure parser.

Layouts (NMEA 0183; the sentence is ASCII, at most 82 characters with ``$`` and CR LF):

* ``$--TTM,nn,dist,bearing,T|R,speed,course,T|R,cpa_dist,cpa_min,K|N|S,name,L|Q|T,R|,hhmmss.ss,A|M*hh``
  (target number, distance and bearing from own position, bearing reference true/relative, target
  speed and course, CPA, units: K = km and km/h, N = nautical miles and knots, S = statute miles and
  mph; status L lost, Q acquiring, T tracking; fields 14-15 only from NMEA 3.x emitters).
* ``$--TLL,nn,ddmm.mm,N|S,dddmm.mm,E|W,name,hhmmss.ss,L|Q|T,R|*hh``.
* ``$--RMC,hhmmss,A|V,ddmm.mm,N|S,dddmm.mm,E|W,sog_kn,cog,ddmmyy,...*hh`` and ``$--HDT,heading,T*hh``.
* checksum: XOR of every character between ``$`` and ``*``, two hex digits.

Framing: bytes in, records out; the unfinished tail is carried in ``NmeaState`` (explicit, never
hidden in an object). Garbage before a ``$`` is dropped and counted; a sentence longer than the limit
or cut by a new ``$`` is a length error; a bad checksum or a field that does not parse is counted and
skipped. No byte sequence raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from borderwatch.edge.sensors.radar.records import KNOT_MPS, NM_M, LinkCounters, RadarRecord

MAX_SENTENCE = 82  # characters including '$' and CR LF (NMEA 0183)
_STARTS = b"$!"
_UNIT_M = {"K": 1000.0, "N": NM_M, "S": 1609.344}  # distance unit -> metres
_UNIT_MPS = {"K": 1000.0 / 3600.0, "N": KNOT_MPS, "S": 1609.344 / 3600.0}  # speed unit -> m/s


@dataclass(frozen=True, slots=True)
class NmeaState:
    """The bytes of an unfinished sentence and the counters so far."""

    tail: bytes = b""
    counters: LinkCounters = field(default_factory=LinkCounters)


def checksum(body: str) -> int:
    """XOR of the characters between ``$`` and ``*``."""
    value = 0
    for ch in body.encode("ascii"):
        value ^= ch
    return value


def sentence(body: str) -> bytes:
    """``$body*hh\\r\\n``: the bytes a talker sends (the simulator and tests use it)."""
    return f"${body}*{checksum(body):02X}\r\n".encode("ascii")


def feed(state: NmeaState, data: bytes) -> tuple[NmeaState, list[RadarRecord]]:
    """Parse what ``data`` completes; return the new state and the records of whole, valid sentences."""
    buf = state.tail + data
    c = state.counters.add(bytes_in=len(data))
    out: list[RadarRecord] = []
    pos = 0
    while True:
        start = _next_start(buf, pos)
        if start < 0:
            c = c.add(dropped_bytes=len(buf) - pos)
            return NmeaState(b"", c), out
        c = c.add(dropped_bytes=start - pos)
        end = buf.find(b"\n", start)
        cut = _next_start(buf, start + 1)
        limit = start + MAX_SENTENCE
        if cut >= 0 and (end < 0 or cut < end) and cut <= limit:  # a new sentence began: this one was cut
            c = c.add(length_errors=1, dropped_bytes=cut - start)
            pos = cut
            continue
        if end < 0:
            if len(buf) - start >= MAX_SENTENCE:
                c = c.add(length_errors=1, dropped_bytes=MAX_SENTENCE)
                pos = start + MAX_SENTENCE
                continue
            return NmeaState(buf[start:], c), out
        if end + 1 - start > MAX_SENTENCE:
            c = c.add(length_errors=1, dropped_bytes=MAX_SENTENCE)
            pos = start + MAX_SENTENCE
            continue
        c, record = _one(buf[start : end + 1], c)
        if record is not None:
            out.append(record)
        pos = end + 1


def _next_start(buf: bytes, pos: int) -> int:
    hits = [i for i in (buf.find(b"$", pos), buf.find(b"!", pos)) if i >= 0]
    return min(hits) if hits else -1


def _one(raw: bytes, c: LinkCounters) -> tuple[LinkCounters, RadarRecord | None]:
    """One sentence (``$`` .. ``\\n``) checked and parsed."""
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return c.add(malformed=1, dropped_bytes=len(raw)), None
    body, star, given = text[1:].partition("*")
    if not star or len(given) != 2 or not all(ch in "0123456789abcdefABCDEF" for ch in given):
        return c.add(checksum_failures=1, dropped_bytes=len(raw)), None
    if int(given, 16) != checksum(body):
        return c.add(checksum_failures=1, dropped_bytes=len(raw)), None
    fields = body.split(",")
    parser = _PARSERS.get(fields[0][2:] if len(fields[0]) == 5 else "")
    if parser is None:  # a valid sentence we do not use (e.g. GGA): not an error
        return c.add(frames=1), None
    try:
        record = parser(fields)
    except (ValueError, IndexError, KeyError):
        return c.add(malformed=1), None
    return c.add(frames=1), record


def _num(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _opt(text: str) -> float | None:
    return _num(text) if text else None


def _angle(text: str) -> float | None:
    value = _opt(text)
    if value is not None and not 0.0 <= value <= 360.0:
        raise ValueError(f"angle out of range: {text!r}")
    return None if value is None else value % 360.0


def _time_of_day(text: str) -> float | None:
    if not text:
        return None
    if len(text) < 6:
        raise ValueError(f"bad time {text!r}")
    h, m, s = int(text[0:2]), int(text[2:4]), _num(text[4:])
    if h > 23 or m > 59 or not 0.0 <= s < 61.0:
        raise ValueError(f"bad time {text!r}")
    return h * 3600.0 + m * 60.0 + s


def _latlon(value: str, hemi: str, degree_digits: int, limit: float) -> float:
    if len(value) < degree_digits + 2 or hemi not in ("N", "S", "E", "W"):
        raise ValueError(f"bad position {value!r} {hemi!r}")
    deg = int(value[:degree_digits]) + _num(value[degree_digits:]) / 60.0
    if deg > limit:
        raise ValueError(f"position out of range {value!r}")
    return -deg if hemi in ("S", "W") else deg


def _target(text: str) -> int:
    number = int(text)
    if not 0 <= number <= 999:
        raise ValueError(f"target number out of range: {text!r}")
    return number


def _ttm(f: list[str]) -> RadarRecord:
    units = f[10] or "N"
    dist, speed = _opt(f[2]), _opt(f[5])
    if (dist is not None and dist < 0) or (speed is not None and speed < 0):
        raise ValueError("negative distance or speed")
    return RadarRecord(
        kind="track",
        protocol="nmea",
        track_id=_target(f[1]),
        range_m=None if dist is None else dist * _UNIT_M[units],
        bearing_deg=_angle(f[3]),
        bearing_true=f[4] == "T",
        speed_mps=None if speed is None else speed * _UNIT_MPS[units],
        course_deg=_angle(f[6]),
        status=f[12] or None,
        name=f[11] or None,
        time_of_day_s=_time_of_day(f[14]) if len(f) > 14 else None,
    )


def _tll(f: list[str]) -> RadarRecord:
    return RadarRecord(
        kind="track",
        protocol="nmea",
        track_id=_target(f[1]),
        lat=_latlon(f[2], f[3], 2, 90.0),
        lon=_latlon(f[4], f[5], 3, 180.0),
        name=f[6] or None,
        time_of_day_s=_time_of_day(f[7]),
        status=f[8] or None,
    )


def _rmc(f: list[str]) -> RadarRecord:
    if f[2] != "A":
        raise ValueError("RMC: position not valid")
    sog = _opt(f[7])
    return RadarRecord(
        kind="own",
        protocol="nmea",
        time_of_day_s=_time_of_day(f[1]),
        lat=_latlon(f[3], f[4], 2, 90.0),
        lon=_latlon(f[5], f[6], 3, 180.0),
        speed_mps=None if sog is None else sog * KNOT_MPS,
        course_deg=_angle(f[8]),
    )


def _hdt(f: list[str]) -> RadarRecord:
    heading = _angle(f[1])
    if heading is None:
        raise ValueError("HDT without heading")
    return RadarRecord(kind="own", protocol="nmea", heading_deg=heading)


_PARSERS = {"TTM": _ttm, "TLL": _tll, "RMC": _rmc, "HDT": _hdt}
