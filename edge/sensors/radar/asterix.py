"""ASTERIX CAT-048 (monoradar target reports: plots and tracks) as surveillance radars send it over
UDP: decoder and encoder (the simulator encodes), pure functions on bytes.

Structure: a datagram holds data blocks ``CAT (1 octet) | LEN (2 octets, big-endian, whole block) |
records``; a record is an FSPEC (octets whose bits 8..2 flag the UAP's field reference numbers in
order, bit 1 = another FSPEC octet follows) then the present items in UAP order, big-endian, signed
fields in two's complement. CAT-048 v1.21 UAP, FRN 1..28: 010, 140, 020, 040, 070, 090, 130, 220,
240, 250, 161, 042, 200, 170, 210, 030, 080, 100, 110, 120, 230, 260, 055, 050, 065, 060, SP, RE.

Items decoded (the rest are skipped by their length rules so the next record is still found):

* I048/010 SAC, SIC (1 octet each).  I048/140 time of day, 24 bits, LSB 1/128 s.
* I048/020 target report descriptor: TYP bits 8-6 (1 = single PSR), SIM bit 5, RDP 4, SPI 3, RAB 2,
  FX; first extension TST bit 8.
* I048/040 measured position: RHO 16 bits LSB 1/256 NM, THETA 16 bits LSB 360/2^16 degrees (from north).
* I048/070 Mode-3/A: V, G, L bits 16-14, code in the low 12 bits (four octal digits).
* I048/161 track number, low 12 bits.  I048/042 calculated X, Y: 16-bit signed, LSB 1/128 NM.
* I048/200 ground speed 16 bits LSB 2^-14 NM/s, heading 16 bits LSB 360/2^16 degrees.
* I048/170 track status: CNF bit 8 (1 = tentative), RAD 7-6, DOU 5, MAH 4, CDM 3-2, FX; extension TRE
  bit 8 (track ended), GHO 7, SUP 6, TCC 5.
* I048/220 aircraft address, 24 bits.  I048/240 identification: 8 characters x 6 bits (ICAO alphabet).

Nothing raises on bad input: a block whose length does not fit, or a record running past its block,
is counted (``LinkCounters``) and the rest of that block dropped; records decoded before stay good.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from borderwatch.edge.sensors.radar.records import NM_M, LinkCounters, RadarRecord

CAT048 = 48
_ANGLE = 360.0 / 65536.0
_RHO_M = NM_M / 256.0
_XY_M = NM_M / 128.0
_SPEED_MPS = NM_M / 16384.0
_ICAO = "?ABCDEFGHIJKLMNOPQRSTUVWXYZ????? ???????????????0123456789??????"


@dataclass(frozen=True, slots=True)
class Cat048:
    """One CAT-048 target report, in SI units and degrees (None: the item was absent)."""

    sac: int = 0
    sic: int = 0
    time_of_day_s: float | None = None
    typ: int | None = None
    sim: bool = False
    rdp: bool = False
    spi: bool = False
    rab: bool = False
    tst: bool = False
    range_m: float | None = None
    bearing_deg: float | None = None
    mode3a: int | None = None
    track_number: int | None = None
    x_m: float | None = None
    y_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    tentative: bool | None = None
    track_ended: bool = False
    aircraft_address: int | None = None
    callsign: str | None = None
    skipped: tuple[int, ...] = field(default=())  # FRNs present but not decoded

    def record(self) -> RadarRecord:
        """As the common radar record (a track when it carries a track number, else a plot)."""
        status = None
        if self.tentative is not None:
            status = "ended" if self.track_ended else ("tentative" if self.tentative else "confirmed")
        extra: dict[str, float | int | str | bool] = {"sac": self.sac, "sic": self.sic, "sim": self.sim}
        if self.typ is not None:
            extra["typ"] = self.typ
        if self.mode3a is not None:
            extra["mode3a"] = f"{self.mode3a:04o}"
        if self.aircraft_address is not None:
            extra["aircraft_address"] = f"{self.aircraft_address:06X}"
        return RadarRecord(
            kind="track" if self.track_number is not None else "plot",
            protocol="asterix",
            track_id=self.track_number,
            range_m=self.range_m,
            bearing_deg=self.bearing_deg,
            bearing_true=True if self.bearing_deg is not None else None,
            x_m=self.x_m,
            y_m=self.y_m,
            speed_mps=self.speed_mps,
            course_deg=self.heading_deg,
            time_of_day_s=self.time_of_day_s,
            status=status,
            name=self.callsign,
            extra=extra,
        )


class _ShortError(Exception):
    """A record ran past the end of its block."""


def _take(data: bytes, at: int, n: int) -> bytes:
    if at + n > len(data):
        raise _ShortError
    return data[at : at + n]


def _ext_len(data: bytes, at: int) -> int:
    n = 1
    while _take(data, at + n - 1, 1)[0] & 1:
        n += 1
    return n


def _rep_len(size: int) -> Callable[[bytes, int], int]:
    return lambda data, at: 1 + _take(data, at, 1)[0] * size


def _explicit_len(data: bytes, at: int) -> int:
    n = _take(data, at, 1)[0]
    if n < 1:
        raise _ShortError
    return n


def _compound_130(data: bytes, at: int) -> int:
    primary = _ext_len(data, at)
    flags = sum(bin(b >> 1).count("1") for b in _take(data, at, primary))
    return primary + flags  # each of SRL, SRR, SAM, PRL, PAM, RPD, APD is one octet


def _compound_120(data: bytes, at: int) -> int:
    primary = _ext_len(data, at)
    first = _take(data, at, 1)[0]
    n = primary + (2 if first & 0x80 else 0)
    if first & 0x40:
        n += 1 + _take(data, at + n, 1)[0] * 6
    return n


def _fixed(n: int) -> Callable[[bytes, int], int]:
    return lambda _data, _at: n


# FRN -> (item name, length rule)
_UAP: dict[int, tuple[str, Callable[[bytes, int], int]]] = {
    1: ("010", _fixed(2)),
    2: ("140", _fixed(3)),
    3: ("020", _ext_len),
    4: ("040", _fixed(4)),
    5: ("070", _fixed(2)),
    6: ("090", _fixed(2)),
    7: ("130", _compound_130),
    8: ("220", _fixed(3)),
    9: ("240", _fixed(6)),
    10: ("250", _rep_len(8)),
    11: ("161", _fixed(2)),
    12: ("042", _fixed(4)),
    13: ("200", _fixed(4)),
    14: ("170", _ext_len),
    15: ("210", _fixed(4)),
    16: ("030", _ext_len),
    17: ("080", _fixed(2)),
    18: ("100", _fixed(4)),
    19: ("110", _fixed(2)),
    20: ("120", _compound_120),
    21: ("230", _fixed(2)),
    22: ("260", _fixed(7)),
    23: ("055", _fixed(1)),
    24: ("050", _fixed(2)),
    25: ("065", _fixed(1)),
    26: ("060", _fixed(2)),
    27: ("SP", _explicit_len),
    28: ("RE", _explicit_len),
}
_FRN = {name: frn for frn, (name, _) in _UAP.items()}


def _s16(raw: bytes, at: int) -> int:
    return int.from_bytes(raw[at : at + 2], "big", signed=True)


def _u(raw: bytes, at: int, n: int) -> int:
    return int.from_bytes(raw[at : at + n], "big")


def _i010(raw: bytes, f: dict[str, object]) -> None:
    f["sac"], f["sic"] = raw[0], raw[1]


def _i140(raw: bytes, f: dict[str, object]) -> None:
    f["time_of_day_s"] = _u(raw, 0, 3) / 128.0


def _i020(raw: bytes, f: dict[str, object]) -> None:
    b = raw[0]
    f.update(typ=b >> 5, sim=bool(b & 0x10), rdp=bool(b & 0x08), spi=bool(b & 0x04), rab=bool(b & 0x02))
    f["tst"] = len(raw) > 1 and bool(raw[1] & 0x80)


def _i040(raw: bytes, f: dict[str, object]) -> None:
    f["range_m"], f["bearing_deg"] = _u(raw, 0, 2) * _RHO_M, _u(raw, 2, 2) * _ANGLE


def _i070(raw: bytes, f: dict[str, object]) -> None:
    f["mode3a"] = _u(raw, 0, 2) & 0x0FFF


def _i161(raw: bytes, f: dict[str, object]) -> None:
    f["track_number"] = _u(raw, 0, 2) & 0x0FFF


def _i042(raw: bytes, f: dict[str, object]) -> None:
    f["x_m"], f["y_m"] = _s16(raw, 0) * _XY_M, _s16(raw, 2) * _XY_M


def _i200(raw: bytes, f: dict[str, object]) -> None:
    f["speed_mps"], f["heading_deg"] = _u(raw, 0, 2) * _SPEED_MPS, _u(raw, 2, 2) * _ANGLE


def _i170(raw: bytes, f: dict[str, object]) -> None:
    f["tentative"] = bool(raw[0] & 0x80)
    f["track_ended"] = len(raw) > 1 and bool(raw[1] & 0x80)


def _i220(raw: bytes, f: dict[str, object]) -> None:
    f["aircraft_address"] = _u(raw, 0, 3)


def _i240(raw: bytes, f: dict[str, object]) -> None:
    bits = _u(raw, 0, 6)
    f["callsign"] = "".join(_ICAO[(bits >> (42 - 6 * i)) & 0x3F] for i in range(8)).rstrip()


Decoder = Callable[[bytes, dict[str, object]], None]
_DECODERS: dict[str, Decoder] = {
    "010": _i010, "140": _i140, "020": _i020, "040": _i040, "070": _i070, "161": _i161,
    "042": _i042, "200": _i200, "170": _i170, "220": _i220, "240": _i240,
}  # fmt: skip
_Layout = tuple[tuple[int, Callable[[bytes, int], int], Decoder | None], ...]


@functools.lru_cache(maxsize=256)
def _layout(fspec: bytes) -> _Layout | None:
    """The items an FSPEC announces, in order: (FRN, length rule, decoder or None = skip); None when
    it names an FRN beyond the UAP (the record cannot be delimited). Radars repeat a few FSPECs."""
    out = []
    for octet_index, octet in enumerate(fspec):
        for bit in range(7):
            if octet & (0x80 >> bit):
                frn = octet_index * 7 + bit + 1
                if frn not in _UAP:
                    return None
                name, length = _UAP[frn]
                out.append((frn, length, _DECODERS.get(name)))
    return tuple(out)


def _record(data: bytes, at: int) -> tuple[Cat048, int]:
    """One record starting at ``at``; returns it and where the next one starts."""
    n_fspec = _ext_len(data, at)
    layout = _layout(bytes(data[at : at + n_fspec]))
    if layout is None:
        raise _ShortError
    at += n_fspec
    fields: dict[str, object] = {}
    skipped: list[int] = []
    end = len(data)
    for frn, length, decoder in layout:
        n = length(data, at)
        if at + n > end:
            raise _ShortError
        if decoder is None:
            skipped.append(frn)
        else:
            decoder(data[at : at + n], fields)
        at += n
    if skipped:
        fields["skipped"] = tuple(skipped)
    return Cat048(**fields), at  # type: ignore[arg-type]


def decode(datagram: bytes, counters: LinkCounters | None = None) -> tuple[list[Cat048], LinkCounters]:
    """Every CAT-048 record of a datagram (other categories are skipped), and updated counters."""
    c = (counters or LinkCounters()).add(bytes_in=len(datagram))
    out: list[Cat048] = []
    at = 0
    while at < len(datagram):
        if len(datagram) - at < 3:
            return out, c.add(length_errors=1, dropped_bytes=len(datagram) - at)
        cat, size = datagram[at], _u(datagram, at + 1, 2)
        if size < 3 or at + size > len(datagram):
            return out, c.add(length_errors=1, dropped_bytes=len(datagram) - at)
        block = datagram[at + 3 : at + size]
        if cat == CAT048:
            pos, before = 0, len(out)
            while pos < len(block):
                try:
                    record, pos = _record(block, pos)
                except _ShortError:
                    c = c.add(malformed=1, dropped_bytes=len(block) - pos)
                    break
                out.append(record)
            c = c.add(frames=len(out) - before)
        at += size
    return out, c


def _encode_items(r: Cat048) -> dict[str, bytes]:
    items: dict[str, bytes] = {"010": bytes((r.sac, r.sic))}
    if r.time_of_day_s is not None:
        items["140"] = (round(r.time_of_day_s * 128) % (1 << 24)).to_bytes(3, "big")
    if r.typ is not None:
        first = (r.typ & 7) << 5 | r.sim << 4 | r.rdp << 3 | r.spi << 2 | r.rab << 1
        items["020"] = bytes((first | 1, 0x80)) if r.tst else bytes((first,))
    if r.range_m is not None and r.bearing_deg is not None:
        rho = round(r.range_m / _RHO_M)
        if not 0 <= rho <= 0xFFFF:
            raise ValueError(f"I048/040: range {r.range_m} m out of 0..256 NM")
        items["040"] = rho.to_bytes(2, "big") + _angle16(r.bearing_deg)
    if r.mode3a is not None:
        items["070"] = (r.mode3a & 0x0FFF).to_bytes(2, "big")
    if r.aircraft_address is not None:
        items["220"] = (r.aircraft_address & 0xFFFFFF).to_bytes(3, "big")
    if r.callsign is not None:
        items["240"] = _callsign(r.callsign)
    if r.track_number is not None:
        items["161"] = (r.track_number & 0x0FFF).to_bytes(2, "big")
    if r.x_m is not None and r.y_m is not None:
        items["042"] = _s16b(r.x_m / _XY_M) + _s16b(r.y_m / _XY_M)
    if r.speed_mps is not None and r.heading_deg is not None:
        speed = round(r.speed_mps / _SPEED_MPS)
        if not 0 <= speed <= 0xFFFF:
            raise ValueError(f"I048/200: speed {r.speed_mps} m/s out of range")
        items["200"] = speed.to_bytes(2, "big") + _angle16(r.heading_deg)
    if r.tentative is not None:
        first = 0x80 if r.tentative else 0
        items["170"] = bytes((first | 1, 0x80)) if r.track_ended else bytes((first,))
    return items


def _angle16(deg: float) -> bytes:
    return (round(deg / _ANGLE) % 65536).to_bytes(2, "big")


def _s16b(value: float) -> bytes:
    n = round(value)
    if not -32768 <= n <= 32767:
        raise ValueError(f"I048/042: coordinate {value} LSB out of range")
    return n.to_bytes(2, "big", signed=True)


def _callsign(text: str) -> bytes:
    bits = 0
    for ch in text.upper()[:8].ljust(8):
        code = _ICAO.find(ch) if ch != "?" else -1
        if code <= 0:
            raise ValueError(f"I048/240: {ch!r} is not in the ICAO alphabet")
        bits = bits << 6 | code
    return bits.to_bytes(6, "big")


def encode_record(r: Cat048) -> bytes:
    """FSPEC and items of one record, in UAP order."""
    items = _encode_items(r)
    frns = sorted(_FRN[name] for name in items)
    n_octets = -(-frns[-1] // 7)
    fspec = bytearray(n_octets)
    for frn in frns:
        fspec[(frn - 1) // 7] |= 0x80 >> ((frn - 1) % 7)
    for i in range(n_octets - 1):
        fspec[i] |= 1
    return bytes(fspec) + b"".join(items[_UAP[frn][0]] for frn in frns)


def encode_block(records: list[Cat048]) -> bytes:
    """One CAT-048 data block holding ``records`` (several records per block, as radars send them)."""
    body = b"".join(encode_record(r) for r in records)
    if len(body) + 3 > 0xFFFF:
        raise ValueError("ASTERIX block longer than 65535 octets: split the records")
    return bytes((CAT048,)) + (len(body) + 3).to_bytes(2, "big") + body
