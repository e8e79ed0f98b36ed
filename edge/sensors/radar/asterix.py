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
* I048/130 radar plot characteristics (compound; primary octet bits 8..2 flag SRL, SRR, SAM, PRL, PAM,
  RPD, APD, one octet each): PRL, the PSR plot's azimuth run length, LSB 360/2^13 degrees, and PAM,
  the PSR plot's amplitude, signed, LSB 1 dBm, are decoded (the SSR and PSR-SSR difference subfields
  are skipped: a primary ground radar sends none).
* I048/220 aircraft address, 24 bits.  I048/240 identification: 8 characters x 6 bits (ICAO alphabet).
* I048/161 track number, low 12 bits.  I048/042 calculated X, Y: 16-bit signed, LSB 1/128 NM.
* I048/200 ground speed 16 bits LSB 2^-14 NM/s, heading 16 bits LSB 360/2^16 degrees.
* I048/170 track status: CNF bit 8 (1 = tentative), RAD 7-6, DOU 5, MAH 4, CDM 3-2, FX; extension TRE
  bit 8 (track ended), GHO 7, SUP 6, TCC 5.
* I048/120 radial Doppler speed (compound; primary bit 8 CAL, bit 7 RDS): CAL is 2 octets, D bit 16
  (1 = doubtful), the calculated Doppler speed in bits 10-1, signed, LSB 1 m/s (so a walker's radial
  speed arrives rounded to whole m/s). RDS (raw Doppler per PRF) is skipped.

Speed: records are decoded column-wise. One pass in Python finds where each record starts and its
*shape* (the FSPEC plus the lengths of its variable items: every record of one shape has its items at
the same offsets); the FSPEC's layout and each shape's offsets are compiled once and cached (a radar
repeats a handful). Then, per shape, the records of the datagram become a (records x octets) uint8
matrix and each item is decoded for all of them with numpy. ``decode`` returns a ``Cat048Batch`` of
columns; a ``Cat048`` object is built only when a caller asks for one record.

CAT-034 (monoradar service messages) blocks are not decoded, but one whose first record carries
I034/010 (SAC/SIC) and I034/000 (message type: north marker, sector crossing, ...) counts as a valid
frame: a radar sends them every scan, so the link is known to be alive when no target is plotted.
``encode_north_marker`` writes one (FSPEC, I034/010, I034/000 = 1, I034/030 time of day).

Nothing raises on bad input: a block whose length does not fit, or a record running past its block,
is counted (``LinkCounters``) and the rest of that block dropped; records decoded before stay good.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from borderwatch.edge.sensors.radar.records import NM_M, LinkCounters, RadarRecord

CAT048 = 48
CAT034 = 34
_ANGLE = 360.0 / 65536.0
_RUNLENGTH = 360.0 / 8192.0
_RHO_M = NM_M / 256.0
_XY_M = NM_M / 128.0
_SPEED_MPS = NM_M / 16384.0
_ICAO = "?ABCDEFGHIJKLMNOPQRSTUVWXYZ????? ???????????????0123456789??????"
I64 = npt.NDArray[np.int64]
U8M = npt.NDArray[np.uint8]


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
    runlength_deg: float | None = None
    amplitude_dbm: float | None = None
    track_number: int | None = None
    x_m: float | None = None
    y_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    tentative: bool | None = None
    track_ended: bool = False
    doppler_mps: float | None = None
    doppler_doubtful: bool = False
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
        if self.amplitude_dbm is not None:
            extra["amplitude_dbm"] = self.amplitude_dbm
        if self.runlength_deg is not None:
            extra["runlength_deg"] = self.runlength_deg
        if self.doppler_mps is not None:
            extra["doppler_doubtful"] = self.doppler_doubtful
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
            doppler_mps=self.doppler_mps,
            time_of_day_s=self.time_of_day_s,
            status=status,
            name=self.callsign,
            extra=extra,
        )


# Column name -> (dtype, value when the item is absent). Integers use -1 for absent; ``tentative``
# is -1 absent, 0 confirmed, 1 tentative.
_COLUMNS: dict[str, tuple[type, object]] = {
    "sac": (np.int64, 0), "sic": (np.int64, 0), "time_of_day_s": (np.float64, np.nan), "typ": (np.int64, -1),
    "sim": (np.bool_, False), "rdp": (np.bool_, False), "spi": (np.bool_, False), "rab": (np.bool_, False),
    "tst": (np.bool_, False), "range_m": (np.float64, np.nan), "bearing_deg": (np.float64, np.nan),
    "mode3a": (np.int64, -1), "runlength_deg": (np.float64, np.nan), "amplitude_dbm": (np.float64, np.nan),
    "track_number": (np.int64, -1), "x_m": (np.float64, np.nan), "y_m": (np.float64, np.nan),
    "speed_mps": (np.float64, np.nan), "heading_deg": (np.float64, np.nan), "tentative": (np.int64, -1),
    "track_ended": (np.bool_, False), "doppler_mps": (np.float64, np.nan), "doppler_doubtful": (np.bool_, False),
    "aircraft_address": (np.int64, -1), "callsign": (np.object_, None), "shape": (np.int64, -1),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cat048Batch:
    """The CAT-048 records of one datagram as columns (``column``), in arrival order; indexing or
    iterating gives ``Cat048`` objects (for the CLI and tests: the agent reads the columns)."""

    n: int = 0
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    skipped: tuple[tuple[int, ...], ...] = ()  # FRNs skipped, per value of the ``shape`` column

    def __len__(self) -> int:
        return self.n

    def column(self, name: str) -> np.ndarray:
        """One field for every record (absent items as NaN, -1, False or None: see ``_COLUMNS``)."""
        col = self.columns.get(name)
        if col is not None:
            return col
        dtype, absent = _COLUMNS[name]
        return np.full(self.n, absent, dtype)

    def __getitem__(self, i: int) -> Cat048:
        if not -self.n <= i < self.n:
            raise IndexError(i)
        values: dict[str, object] = {}
        for name, col in self.columns.items():
            v = col[i]
            dtype, absent = _COLUMNS[name]
            if name == "shape":
                values["skipped"] = self.skipped[int(v)]
            elif name == "tentative":
                values[name] = None if v < 0 else bool(v)
            elif dtype is np.float64:
                values[name] = None if np.isnan(v) else float(v)
            elif dtype is np.int64:
                values[name] = None if v == absent and name not in ("sac", "sic") else int(v)
            elif dtype is np.bool_:
                values[name] = bool(v)
            else:
                values[name] = v
        return Cat048(**values)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Cat048]:
        return (self[i] for i in range(self.n))


# ---- length rules: (data, at) -> (octets, signature); IndexError when the data ends first ----
_Rule = Callable[[bytes, int], tuple[int, object]]


def _ext_rule(data: bytes, at: int) -> tuple[int, object]:
    if not data[at] & 1:
        return _ONE
    n = 2
    while data[at + n - 1] & 1:
        n += 1
    return n, n


_ONE = (1, 1)
# I048/130 with a one-octet primary (the usual case): (length, signature) by that octet.
_ONE_130 = tuple((1 + bin(b >> 1).count("1"), bytes((b,))) for b in range(256))


def _compound_130(data: bytes, at: int) -> tuple[int, object]:
    first = data[at]
    if not first & 1:
        return _ONE_130[first]
    primary, _ = _ext_rule(data, at)
    head = data[at : at + primary]
    return primary + sum(bin(b >> 1).count("1") for b in head), head  # each subfield one octet


_CAL_ONLY = ((1, (b"\x00", -1)), (3, (b"\x80", -1)))  # I048/120 primary without RDS or FX: 0x00, 0x80


def _compound_120(data: bytes, at: int) -> tuple[int, object]:
    first = data[at]
    if not first & 0x7F:
        return _CAL_ONLY[first >> 7]
    primary, _ = _ext_rule(data, at)
    n = primary + (2 if first & 0x80 else 0)
    rep = data[at + n] if first & 0x40 else -1
    if rep >= 0:
        n += 1 + rep * 6
    return n, (data[at : at + primary], rep)


def _rep_8(data: bytes, at: int) -> tuple[int, object]:
    n = 1 + data[at] * 8
    return n, n


def _explicit(data: bytes, at: int) -> tuple[int, object]:
    n = data[at]
    if n < 1:
        raise IndexError("explicit length 0")
    return n, n


# ---- column decoders: (records x octets matrix, item offset, signature) -> {column: values} ----
_Decoder = Callable[[U8M, int, object], dict[str, np.ndarray]]


def _u16(m: U8M, o: int) -> np.ndarray:
    """Octets o, o+1 of every row as a big-endian uint16 view (no copy: the rows' last axis is contiguous)."""
    return m[:, o : o + 2].view(">u2")[:, 0]


def _s16(m: U8M, o: int) -> np.ndarray:
    return m[:, o : o + 2].view(">i2")[:, 0]


def _u24(m: U8M, o: int) -> I64:
    return (m[:, o].astype(np.int64) << 16) | _u16(m, o + 1)


def _d010(m: U8M, o: int, _sig: object) -> dict[str, np.ndarray]:
    return {"sac": m[:, o].astype(np.int64), "sic": m[:, o + 1].astype(np.int64)}


def _d140(m: U8M, o: int, _sig: object) -> dict[str, np.ndarray]:
    return {"time_of_day_s": _u24(m, o) / 128.0}


def _d020(m: U8M, o: int, sig: object) -> dict[str, np.ndarray]:
    b = m[:, o]
    tst = (m[:, o + 1] & 0x80) != 0 if int(sig) > 1 else np.zeros(len(m), bool)  # type: ignore[call-overload]
    return {"typ": (b >> 5).astype(np.int64), "sim": (b & 0x10) != 0, "rdp": (b & 0x08) != 0,
            "spi": (b & 0x04) != 0, "rab": (b & 0x02) != 0, "tst": tst}  # fmt: skip


def _d040(m: U8M, o: int, _sig: object) -> dict[str, np.ndarray]:
    return {"range_m": _u16(m, o) * _RHO_M, "bearing_deg": _u16(m, o + 2) * _ANGLE}


def _d070(m: U8M, o: int, _sig: object) -> dict[str, np.ndarray]:
    return {"mode3a": (_u16(m, o) & 0x0FFF).astype(np.int64)}


def _d130(m: U8M, o: int, sig: object) -> dict[str, np.ndarray]:
    head = bytes(sig)  # type: ignore[call-overload]
    flags = head[0] >> 1
    out: dict[str, np.ndarray] = {}
    at = o + len(head)
    for bit in range(6, -1, -1):  # SRL, SRR, SAM, PRL, PAM, RPD, APD
        if flags & (1 << bit):
            if bit == 3:
                out["runlength_deg"] = m[:, at] * _RUNLENGTH
            elif bit == 2:
                out["amplitude_dbm"] = m[:, at].astype(np.int8).astype(np.float64)
            at += 1
    return out


def _d220(m: U8M, o: int, _sig: object) -> dict[str, np.ndarray]:
    return {"aircraft_address": _u24(m, o)}


def _d240(m: U8M, o: int, _sig: object) -> dict[str, np.ndarray]:
    calls = np.empty(len(m), object)
    for i, row in enumerate(m[:, o : o + 6]):
        bits = int.from_bytes(row.tobytes(), "big")
        calls[i] = "".join(_ICAO[(bits >> (42 - 6 * k)) & 0x3F] for k in range(8)).rstrip()
    return {"callsign": calls}


def _d161(m: U8M, o: int, _sig: object) -> dict[str, np.ndarray]:
    return {"track_number": (_u16(m, o) & 0x0FFF).astype(np.int64)}


def _d042(m: U8M, o: int, _sig: object) -> dict[str, np.ndarray]:
    return {"x_m": _s16(m, o) * _XY_M, "y_m": _s16(m, o + 2) * _XY_M}


def _d200(m: U8M, o: int, _sig: object) -> dict[str, np.ndarray]:
    return {"speed_mps": _u16(m, o) * _SPEED_MPS, "heading_deg": _u16(m, o + 2) * _ANGLE}


def _d170(m: U8M, o: int, sig: object) -> dict[str, np.ndarray]:
    ended = (m[:, o + 1] & 0x80) != 0 if int(sig) > 1 else np.zeros(len(m), bool)  # type: ignore[call-overload]
    return {"tentative": (m[:, o] >> 7).astype(np.int64), "track_ended": ended}


def _d120(m: U8M, o: int, sig: object) -> dict[str, np.ndarray]:
    head, _rep = sig  # type: ignore[misc]
    if not head[0] & 0x80:
        return {}
    v = _u16(m, o + len(head)).astype(np.int64)
    cal = v & 0x03FF
    return {"doppler_mps": (cal - ((cal & 0x0200) << 1)).astype(np.float64), "doppler_doubtful": (v & 0x8000) != 0}


# FRN -> (item name, fixed length or length rule, column decoder or None = skipped)
_UAP: dict[int, tuple[str, int | _Rule, _Decoder | None]] = {
    1: ("010", 2, _d010), 2: ("140", 3, _d140), 3: ("020", _ext_rule, _d020), 4: ("040", 4, _d040),
    5: ("070", 2, _d070), 6: ("090", 2, None), 7: ("130", _compound_130, _d130), 8: ("220", 3, _d220),
    9: ("240", 6, _d240), 10: ("250", _rep_8, None), 11: ("161", 2, _d161), 12: ("042", 4, _d042),
    13: ("200", 4, _d200), 14: ("170", _ext_rule, _d170), 15: ("210", 4, None), 16: ("030", _ext_rule, None),
    17: ("080", 2, None), 18: ("100", 4, None), 19: ("110", 2, None), 20: ("120", _compound_120, _d120),
    21: ("230", 2, None), 22: ("260", 7, None), 23: ("055", 1, None), 24: ("050", 2, None),
    25: ("065", 1, None), 26: ("060", 2, None), 27: ("SP", _explicit, None), 28: ("RE", _explicit, None),
}  # fmt: skip
_FRN = {name: frn for frn, (name, _, _) in _UAP.items()}


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one object per shape
class _Shape:
    """Records of one FSPEC and one set of variable-item signatures: their length, and where each
    decoded item sits (offset from the record start)."""

    length: int
    items: tuple[tuple[_Decoder, int, object], ...]
    skipped: tuple[int, ...]
    keys: tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]  # octets (and bits) deciding the length


@dataclass(frozen=True, slots=True)
class _Layout:
    """What an FSPEC announces: items in UAP order, split into runs of fixed-length octets before
    each variable item (``segments``) and a fixed ``tail``; ``fixed`` is the shape when no item is
    variable (the record's length is then known from the FSPEC alone)."""

    frns: tuple[int, ...]
    segments: tuple[tuple[int, _Rule], ...]
    tail: int
    fixed: _Shape | None


_CACHE_MAX = 4096  # distinct FSPECs / shapes kept compiled (garbage input cannot grow memory beyond)
_LAYOUTS: dict[bytes, _Layout | None] = {}
_SHAPES: dict[tuple[bytes, tuple[tuple[int, object], ...]], _Shape] = {}


def _compile_shape(fspec: bytes, frns: tuple[int, ...], parts: tuple[tuple[int, object], ...]) -> _Shape:
    key = (fspec, parts)
    shape = _SHAPES.get(key)
    if shape is not None:
        return shape
    if len(_SHAPES) >= _CACHE_MAX:
        _SHAPES.clear()
        _LAYOUTS.clear()
    variable = iter(parts)
    at, items, skipped = len(fspec), [], []
    keys = [(i, 0xFF) for i in range(len(fspec))]
    for frn in frns:
        _name, rule, decoder = _UAP[frn]
        n, sig = (rule, None) if isinstance(rule, int) else next(variable)
        if not isinstance(rule, int):
            keys += _length_octets(rule, at, n, sig)
        if decoder is None:
            skipped.append(frn)
        else:
            items.append((decoder, at, sig))
        at += n
    offsets, masks = zip(*keys, strict=True)
    shape = _Shape(at, tuple(items), tuple(skipped), (np.array(offsets, np.int64), np.array(masks, np.uint8)))
    _SHAPES[key] = shape
    return shape


def _length_octets(rule: _Rule, at: int, n: int, sig: object) -> list[tuple[int, int]]:
    """(offset, bit mask) of the octets of a variable item that decide its length: the FX bits of an
    extended item, a compound's primary octets (and I048/120's repetition count), a repetitive or
    explicit item's count octet. Field values that vary from record to record are not among them."""
    if rule is _ext_rule:
        return [(at + i, 0x01) for i in range(n)]
    if rule is _compound_130:
        return [(at + i, 0xFF) for i in range(len(sig))]  # type: ignore[arg-type]
    if rule is _compound_120:
        head, rep = sig  # type: ignore[misc]
        out = [(at + i, 0xFF) for i in range(len(head))]
        return out + ([(at + len(head) + (2 if head[0] & 0x80 else 0), 0xFF)] if rep >= 0 else [])
    return [(at, 0xFF)]


def _layout(fspec: bytes) -> _Layout | None:
    """The compiled layout of an FSPEC; None when it names an FRN beyond the UAP (the record cannot
    be delimited)."""
    if fspec in _LAYOUTS:
        return _LAYOUTS[fspec]
    frns = [i * 7 + bit + 1 for i, octet in enumerate(fspec) for bit in range(7) if octet & (0x80 >> bit)]
    layout = None
    if all(frn in _UAP for frn in frns):
        segments, run = [], 0
        for frn in frns:
            rule = _UAP[frn][1]
            if isinstance(rule, int):
                run += rule
            else:
                segments.append((run, rule))
                run = 0
        fixed = _compile_shape(fspec, tuple(frns), ()) if not segments else None
        layout = _Layout(tuple(frns), tuple(segments), run, fixed)
    if len(_LAYOUTS) >= _CACHE_MAX:
        _LAYOUTS.clear()
    _LAYOUTS[fspec] = layout
    return layout


def _shape_at(data: bytes, at: int) -> _Shape | None:
    """The shape of the record starting at ``at`` (None: an FSPEC naming an FRN beyond the UAP);
    IndexError when the data ends first."""
    nf = 1
    while data[at + nf - 1] & 1:
        nf += 1
    fspec = data[at : at + nf]
    layout = _LAYOUTS[fspec] if fspec in _LAYOUTS else _layout(fspec)
    if layout is None:
        return None
    if layout.fixed is not None:
        return layout.fixed
    p, parts = at + nf, []
    for run, rule in layout.segments:
        p += run
        part = rule(data, p)
        parts.append(part)
        p += part[0]
    tp = tuple(parts)
    return _SHAPES.get((fspec, tp)) or _compile_shape(fspec, layout.frns, tp)


def _uniform(data: bytes, at: int, end: int) -> _Shape | None:
    """The common case, checked with numpy instead of walked: the block is whole records of the
    first record's shape (every record's FSPEC, extension bits and compound headers equal the
    first's, so each has the same length). None when not (the caller walks the block)."""
    try:
        shape = _shape_at(data, at)
    except IndexError:
        return None
    if shape is None or (end - at) % shape.length:
        return None
    n = (end - at) // shape.length
    if n > 1:
        rows = np.frombuffer(data, np.uint8, n * shape.length, at).reshape(n, shape.length)
        offsets, masks = shape.keys
        keys = rows[:, offsets] & masks
        if not (keys == keys[0]).all():
            return None
    return shape


def _walk(data: bytes, at: int, end: int, starts: list[int], shapes: list[_Shape]) -> int:
    """Delimit the records of one block (``data[at:end]``): their starts and shapes are appended;
    returns where the walk stopped (``end`` unless a record was malformed or ran past the block)."""
    shape = _uniform(data, at, end)
    if shape is not None:
        n = (end - at) // shape.length
        starts.extend(range(at, end, shape.length))
        shapes.extend([shape] * n)
        return end
    while at < end:
        try:
            shape = _shape_at(data, at)
        except IndexError:
            return at
        if shape is None or at + shape.length > end:
            return at
        starts.append(at)
        shapes.append(shape)
        at += shape.length
    return at


def _columns(data: bytes, starts: list[int], shapes: list[_Shape]) -> Cat048Batch:
    """Decode every delimited record, one numpy pass per shape and item."""
    n = len(starts)
    buf = np.frombuffer(data, np.uint8)
    first = shapes[0]
    groups: list[tuple[_Shape, slice | I64]]
    if shapes.count(first) == n:  # identity first: C-speed for the usual single shape
        groups, shape_col = [(first, slice(None))], np.zeros(n, np.int64)
    else:
        local: dict[int, int] = {}
        shape_col = np.array([local.setdefault(id(s), len(local)) for s in shapes], np.int64)
        distinct = list({id(s): s for s in shapes}.values())
        groups = [(s, np.flatnonzero(shape_col == k)) for k, s in enumerate(distinct)]
    cols: dict[str, np.ndarray] = {"shape": shape_col}
    start_arr = None
    for shape, rows in groups:
        length = shape.length
        if isinstance(rows, slice):
            s0 = starts[0]
            if starts[-1] - s0 == (n - 1) * length:
                m = buf[s0 : s0 + n * length].reshape(n, length)
            else:
                m = buf[np.asarray(starts, np.int64)[:, None] + np.arange(length)]
        else:
            start_arr = np.asarray(starts, np.int64) if start_arr is None else start_arr
            m = buf[start_arr[rows][:, None] + np.arange(length)]
        for decoder, offset, sig in shape.items:
            for name, values in decoder(m, offset, sig).items():
                if isinstance(rows, slice):
                    cols[name] = values
                    continue
                col = cols.get(name)
                if col is None:
                    dtype, absent = _COLUMNS[name]
                    col = cols[name] = np.full(n, absent, dtype)
                col[rows] = values
    return Cat048Batch(n, cols, tuple(s.skipped for s, _ in groups))


def decode(datagram: bytes, counters: LinkCounters | None = None) -> tuple[Cat048Batch, LinkCounters]:
    """Every CAT-048 record of a datagram (other categories are skipped), and updated counters."""
    data = bytes(datagram)
    total = len(data)
    starts: list[int] = []
    shapes: list[_Shape] = []
    at = malformed = length_errors = dropped = service = 0
    while at < total:
        if total - at < 3:
            length_errors, dropped = length_errors + 1, dropped + total - at
            break
        cat, size = data[at], data[at + 1] << 8 | data[at + 2]
        if size < 3 or at + size > total:
            length_errors, dropped = length_errors + 1, dropped + total - at
            break
        if cat == CAT048:
            stop = _walk(data, at + 3, at + size, starts, shapes)
            if stop < at + size:
                malformed, dropped = malformed + 1, dropped + at + size - stop
        elif cat == CAT034 and size >= 7 and data[at + 3] & 0xC0 == 0xC0 and not data[at + 3] & 1:
            service += 1  # SAC/SIC and message type present (one FSPEC octet): a service message
        at += size
    c = (counters or LinkCounters()).add(
        bytes_in=total,
        frames=len(starts) + service,
        malformed=malformed,
        length_errors=length_errors,
        dropped_bytes=dropped,
    )
    if not starts:
        return Cat048Batch(), c
    return _columns(data, starts, shapes), c


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
    if r.runlength_deg is not None or r.amplitude_dbm is not None:
        items["130"] = _plot_characteristics(r.runlength_deg, r.amplitude_dbm)
    if r.doppler_mps is not None:
        cal = round(r.doppler_mps)
        if not -512 <= cal <= 511:
            raise ValueError(f"I048/120: Doppler speed {r.doppler_mps} m/s out of -512..511")
        items["120"] = bytes((0x80,)) + ((0x8000 if r.doppler_doubtful else 0) | (cal & 0x03FF)).to_bytes(2, "big")
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


def _plot_characteristics(runlength_deg: float | None, amplitude_dbm: float | None) -> bytes:
    """I048/130 with PRL and/or PAM (the PSR subfields a primary radar fills)."""
    primary, body = 0, b""
    if runlength_deg is not None:
        prl = round(runlength_deg / _RUNLENGTH)
        if not 0 <= prl <= 255:
            raise ValueError(f"I048/130: run length {runlength_deg} deg out of 0..11.2")
        primary, body = primary | 0x10, body + bytes((prl,))
    if amplitude_dbm is not None:
        pam = round(amplitude_dbm)
        if not -128 <= pam <= 127:
            raise ValueError(f"I048/130: amplitude {amplitude_dbm} dBm out of -128..127")
        primary, body = primary | 0x08, body + pam.to_bytes(1, "big", signed=True)
    return bytes((primary,)) + body


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


def encode_north_marker(sac: int, sic: int, time_of_day_s: float) -> bytes:
    """A CAT-034 block with one north-marker message (what a rotating radar sends once a scan)."""
    body = bytes((0b1110_0000, sac, sic, 1)) + (round(time_of_day_s * 128) % (1 << 24)).to_bytes(3, "big")
    return bytes((CAT034,)) + (len(body) + 3).to_bytes(2, "big") + body


def encode_block(records: list[Cat048]) -> bytes:
    """One CAT-048 data block holding ``records`` (several records per block, as radars send them)."""
    body = b"".join(encode_record(r) for r in records)
    if len(body) + 3 > 0xFFFF:
        raise ValueError("ASTERIX block longer than 65535 octets: split the records")
    return bytes((CAT048,)) + (len(body) + 3).to_bytes(2, "big") + body
