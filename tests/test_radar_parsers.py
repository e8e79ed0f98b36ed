"""Radar protocol parsers: golden frames, frames split across reads, resynchronisation, and fuzzed
byte streams (no byte sequence may raise)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.edge.sensors.radar import asterix, nmea, ti
from borderwatch.edge.sensors.radar.records import NM_M
from borderwatch.edge.sensors.radar.scan import scan_of_asterix, scan_of_records

TTM = b"$RATTM,01,1.25,045.0,T,3.5,270.0,T,0.40,5.2,N,TGT01,T,,123519.00,A*4A\r\n"
TLL = b"$RATLL,01,4917.24,N,12309.57,W,TGT01,123519.00,T,*74\r\n"

# First 64 bytes of a real AWR6843 frame (docs/radar.md, "Golden TI frame").
TI_PREFIX = bytes.fromhex(
    "02010403 06050807 04000503 c0020000 43680a00 9f000000 1282a352 1a000000"
    " 06000000 00000000 01000000 a0010000 7616903f b2f86c3f 5e48b43e 00000000".replace(" ", "")
)


def _golden_ti() -> bytes:
    """The documented frame completed to its 704 bytes: 26 points, side info, 4 stats TLVs, padding."""
    rng = np.random.default_rng(0)
    more = rng.uniform(-5, 5, (25, 4)).astype("<f4").tobytes()
    side = struct.pack("<II", 7, 104) + bytes(104)
    stats = b"".join(struct.pack("<II", 6, 8) + bytes(8) for _ in range(4))
    frame = TI_PREFIX + more + side + stats
    return frame + bytes(704 - len(frame))


def test_nmea_worked_examples_decode() -> None:
    state, records = nmea.feed(nmea.NmeaState(), TTM + TLL)
    ttm, tll = records
    assert ttm.kind == "track" and ttm.track_id == 1 and ttm.status == "T" and ttm.name == "TGT01"
    assert ttm.range_m == pytest.approx(1.25 * NM_M)
    assert ttm.bearing_deg == 45.0 and ttm.bearing_true is True and ttm.course_deg == 270.0
    assert ttm.speed_mps == pytest.approx(3.5 * NM_M / 3600)
    assert ttm.time_of_day_s == pytest.approx(12 * 3600 + 35 * 60 + 19)
    assert tll.lat == pytest.approx(49 + 17.24 / 60) and tll.lon == pytest.approx(-(123 + 9.57 / 60))
    assert state.counters.frames == 2 and state.counters.checksum_failures == 0 and state.tail == b""


def test_nmea_split_reads_garbage_and_bad_checksum() -> None:
    stream = b"\x00\xffjunk" + TTM + TTM.replace(b"*4A", b"*4B") + b"$RATTM,01,1.2" + TLL
    state, got = nmea.NmeaState(), []
    for i in range(0, len(stream), 7):
        state, records = nmea.feed(state, stream[i : i + 7])
        got += records
    assert [r.track_id for r in got] == [1, 1]
    assert state.counters.checksum_failures == 1 and state.counters.length_errors == 1
    assert state.counters.dropped_bytes >= 6 + len(TTM)


def test_nmea_own_position_and_heading() -> None:
    data = nmea.sentence("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W") + nmea.sentence(
        "HEHDT,274.1,T"
    )
    _, (rmc, hdt) = nmea.feed(nmea.NmeaState(), data)
    assert rmc.kind == "own" and rmc.lat == pytest.approx(48 + 7.038 / 60) and rmc.course_deg == 84.4
    assert hdt.heading_deg == pytest.approx(274.1)


def test_ti_golden_frame_decodes_to_documented_points() -> None:
    state, frames = ti.feed(ti.TiState(), b"\x11\x22garbage" + _golden_ti())
    (frame,) = frames
    assert frame.version == 0x03050004 and frame.platform == 0xA6843 and frame.frame_number == 159
    assert frame.points.shape == (26, 4)
    assert frame.points[0] == pytest.approx([1.1257, 0.9257, 0.3521, 0.0], abs=1e-4)
    assert frame.snr_db is not None and len(frame.snr_db) == 26
    assert state.counters.dropped_bytes == 9 and state.counters.frames == 1


def test_ti_round_trip_split_and_truncated_frames() -> None:
    pts = np.array([[1.0, 10.0, 0.5, -1.5], [-3.0, 40.0, 0.0, 2.0]], np.float32)
    heat = np.arange(64 * 8, dtype=np.uint16)
    good = ti.encode_frame(7, pts, snr_db=[12.3, 20.0], range_profile=np.arange(64), heatmap=heat)
    assert len(good) % 32 == 0
    stream = good[:100] + good + b"\x07" * 5 + good  # a frame cut short, then two whole ones
    state, got = ti.TiState(), []
    for i in range(0, len(stream), 33):
        state, frames = ti.feed(state, stream[i : i + 33])
        got += frames
    assert len(got) == 2 and state.counters.length_errors == 1
    assert np.array_equal(got[0].points, pts) and np.array_equal(got[0].heatmap, heat)
    assert got[0].snr_db == pytest.approx([12.3, 20.0])
    rec = got[0].records()[1]
    assert rec.range_m == pytest.approx(np.hypot(3.0, 40.0)) and rec.bearing_deg == pytest.approx(
        360 - np.degrees(np.arctan2(3, 40))
    )


def test_ti_absurd_length_is_a_length_error() -> None:
    bad = ti.HEADER.pack(ti.MAGIC, 0, 1 << 30, 0, 0, 0, 0, 0, 0)
    state, frames = ti.feed(ti.TiState(), bad + ti.encode_frame(1, np.zeros((1, 4))))
    assert len(frames) == 1 and state.counters.length_errors == 1


def test_asterix_block_built_from_the_specification() -> None:
    """Two records in one block, every octet written out from the CAT-048 item layouts."""
    rec1 = bytes(
        [
            0b1111_1001,  # FSPEC 1: FRN 1 (010), 2 (140), 3 (020), 4 (040), 5 (070), FX
            0b0001_1111,  # FSPEC 2: FRN 11 (161), 12 (042), 13 (200), 14 (170), FX
            0b0000_0000,  # FSPEC 3: nothing (an FX chain may end in an empty octet)
        ]
    )
    rec1 += bytes([0x07, 0x2A])  # I048/010 SAC 7, SIC 42
    rec1 += (3600 * 128).to_bytes(3, "big")  # I048/140 01:00:00
    rec1 += bytes([0b0011_0000])  # I048/020 TYP 1 (single PSR), SIM
    rec1 += (5 * 256).to_bytes(2, "big") + (16384).to_bytes(2, "big")  # I048/040 5 NM, 90 deg
    rec1 += bytes([0x0E, 0x00])  # I048/070 code 7000 octal
    rec1 += (321).to_bytes(2, "big")  # I048/161 track 321
    rec1 += (-128).to_bytes(2, "big", signed=True) + (256).to_bytes(2, "big", signed=True)  # I048/042
    rec1 += (16384 // 360).to_bytes(2, "big") + (32768).to_bytes(2, "big")  # I048/200 ~10 kn, 180 deg
    rec1 += bytes([0b1000_0001, 0b1000_0000])  # I048/170 tentative, ext: TRE
    rec2 = bytes([0b1001_0001, 0b0110_0000])  # FSPEC: FRN 1, 4, FX; FRN 9 (240), 10 (250)
    rec2 += bytes([0x07, 0x2A])
    rec2 += (256 * 10).to_bytes(2, "big") + (0).to_bytes(2, "big")  # 10 NM, north
    rec2 += int("000010 010111 110111 000001 110010 100000 100000 100000".replace(" ", ""), 2).to_bytes(6, "big")
    rec2 += bytes([1]) + bytes(8)  # I048/250: one Mode S MB record (skipped)
    body = rec1 + rec2
    block = bytes([48]) + (len(body) + 3).to_bytes(2, "big") + body
    (a, b), counters = asterix.decode(block + bytes([34, 0, 4, 0]))  # a CAT-034 block after: skipped
    assert counters.frames == 2 and counters.malformed == 0 and counters.length_errors == 0
    assert (a.sac, a.sic, a.typ, a.sim) == (7, 42, 1, True)
    assert a.time_of_day_s == 3600.0 and a.range_m == pytest.approx(5 * NM_M) and a.bearing_deg == 90.0
    assert f"{a.mode3a:04o}" == "7000" and a.track_number == 321
    assert a.x_m == pytest.approx(-NM_M) and a.y_m == pytest.approx(2 * NM_M)
    assert a.speed_mps == pytest.approx(45 * NM_M / 16384) and a.heading_deg == 180.0
    assert a.tentative is True and a.track_ended is True and a.record().status == "ended"
    assert b.range_m == pytest.approx(10 * NM_M) and b.callsign == "BW7A2" and b.skipped == (10,)
    assert b.record().kind == "plot" and a.record().kind == "track"


def test_asterix_encoder_round_trip() -> None:
    r = asterix.Cat048(
        sac=1, sic=2, time_of_day_s=100.5, typ=1, sim=True, range_m=4321.0, bearing_deg=123.4,
        track_number=77, x_m=1000.0, y_m=-2000.0, speed_mps=5.5, heading_deg=359.9, tentative=False,
        mode3a=0o1234, aircraft_address=0xABCDEF, callsign="RADAR1",
    )  # fmt: skip
    cut, c = asterix.decode(asterix.encode_block([r, r])[: 3 + len(asterix.encode_record(r))])
    assert len(cut) == 0 and c.length_errors == 1  # the block's LEN promises more than the datagram holds
    (a, b), c = asterix.decode(asterix.encode_block([r, r]))
    assert a == b and c.frames == 2
    assert a.range_m == pytest.approx(4321.0, abs=NM_M / 512) and a.bearing_deg == pytest.approx(123.4, abs=0.003)
    assert a.x_m == pytest.approx(1000.0, abs=NM_M / 256) and a.speed_mps == pytest.approx(5.5, abs=0.06)
    assert a.callsign == "RADAR1" and a.mode3a == 0o1234 and a.track_number == 77 and a.heading_deg > 359.8


def test_asterix_record_past_its_block_is_counted() -> None:
    rec = asterix.encode_record(asterix.Cat048(sac=1, sic=1, range_m=100.0, bearing_deg=1.0, typ=1))
    block = bytes([48]) + (len(rec) + 3 - 2).to_bytes(2, "big") + rec[:-2]
    records, c = asterix.decode(block)
    assert len(records) == 0 and c.malformed == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=8), st.sampled_from([b"", TTM, TLL]))
def test_nmea_fuzz(chunks: list[bytes], good: bytes) -> None:
    state = nmea.NmeaState()
    for chunk in [*chunks, b"\n", good]:
        state, _ = nmea.feed(state, chunk)
    assert len(state.tail) < nmea.MAX_SENTENCE
    assert state.counters.bytes_in == sum(map(len, chunks)) + 1 + len(good)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=6), st.integers(0, 200))
def test_ti_fuzz(chunks: list[bytes], cut: int) -> None:
    frame = ti.encode_frame(3, np.ones((2, 4)), snr_db=[1.0, 2.0])
    state = ti.TiState()
    for chunk in [*chunks, ti.MAGIC + (chunks[0][:cut] if chunks else b""), frame[:cut]]:
        state, _ = ti.feed(state, chunk)
    state, frames = ti.feed(state, frame)  # a whole frame after any garbage is still found
    assert (frames and frames[-1].frame_number == 3) or state.counters.length_errors > 0


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_asterix_fuzz(data: bytes) -> None:
    records, counters = asterix.decode(data)
    for r in records:
        r.record().to_json()
    assert counters.bytes_in == len(data)
    records, _ = asterix.decode(bytes([48]) + (len(data) + 3).to_bytes(2, "big") + data)
    assert all(isinstance(r, asterix.Cat048) for r in records)


def test_asterix_plot_characteristics_and_doppler_from_the_specification() -> None:
    """I048/130 (PRL, PAM) and I048/120 (CAL) written octet by octet, then a record carrying both."""
    rec = bytes([0b1001_0011, 0b0000_0001, 0b0000_0100])  # FSPEC: FRN 1, 4, 7 (130), FX; FX; FRN 20 (120)
    rec += bytes([0x07, 0x01])  # I048/010
    rec += (512).to_bytes(2, "big") + (8192).to_bytes(2, "big")  # I048/040: 2 NM, 45 deg
    rec += bytes([0b0001_1000, 16, (-62) & 0xFF])  # I048/130: PRL, PAM; PRL 16 x 360/2^13, PAM -62 dBm
    rec += bytes([0b1000_0000]) + ((-3) & 0x03FF).to_bytes(2, "big")  # I048/120: CAL -3 m/s, valid
    block = bytes([48]) + (len(rec) + 3).to_bytes(2, "big") + rec
    (a,), c = asterix.decode(block)
    assert c.frames == 1 and c.malformed == 0
    assert a.range_m == pytest.approx(2 * NM_M) and a.bearing_deg == 45.0
    assert a.runlength_deg == pytest.approx(16 * 360 / 8192) and a.amplitude_dbm == -62.0
    assert a.doppler_mps == -3.0 and a.doppler_doubtful is False and a.skipped == ()
    assert a.record().doppler_mps == -3.0 and a.record().extra["amplitude_dbm"] == -62.0
    again = asterix.Cat048(sac=7, sic=1, range_m=2 * NM_M, bearing_deg=45.0, runlength_deg=a.runlength_deg,
                           amplitude_dbm=-62.0, doppler_mps=-3.0)  # fmt: skip
    assert asterix.encode_record(again) == rec


_REPORTS = st.builds(
    asterix.Cat048,
    sac=st.integers(0, 255), sic=st.integers(0, 255),
    time_of_day_s=st.none() | st.floats(0, 86399),
    typ=st.none() | st.integers(0, 7), sim=st.booleans(), tst=st.booleans(),
    range_m=st.floats(0, 100_000), bearing_deg=st.floats(0, 359.99),
    amplitude_dbm=st.none() | st.integers(-128, 127).map(float),
    runlength_deg=st.none() | st.floats(0, 11),
    track_number=st.none() | st.integers(0, 4095),
    speed_mps=st.none() | st.floats(0, 300), heading_deg=st.just(10.0),
    tentative=st.none() | st.booleans(), track_ended=st.booleans(),
    doppler_mps=st.none() | st.integers(-512, 511).map(float), doppler_doubtful=st.booleans(),
    callsign=st.none() | st.sampled_from(["A1", "RADAR9", "BW 7"]),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_REPORTS, min_size=1, max_size=12), st.integers(1, 4))
def test_asterix_round_trip_of_mixed_shapes(reports: list[asterix.Cat048], per_block: int) -> None:
    """Records of many shapes interleaved over several blocks come back in order, each field as sent
    (to its LSB): the column-wise decoder groups them by shape and puts them back."""
    data = b"".join(asterix.encode_block(reports[i : i + per_block]) for i in range(0, len(reports), per_block))
    batch, c = asterix.decode(data)
    assert len(batch) == len(reports) == c.frames and c.malformed == 0
    for sent, got in zip(reports, batch, strict=True):
        assert (got.sac, got.sic, got.track_number, got.callsign) == (sent.sac, sent.sic, sent.track_number,
                                                                       sent.callsign)  # fmt: skip
        assert got.range_m == pytest.approx(sent.range_m, abs=NM_M / 512)
        assert got.amplitude_dbm == sent.amplitude_dbm
        assert got.doppler_mps == sent.doppler_mps
        assert got.doppler_doubtful == (sent.doppler_doubtful and sent.doppler_mps is not None)
        if sent.speed_mps is None:
            assert got.speed_mps is None
        else:
            assert got.speed_mps == pytest.approx(sent.speed_mps, abs=0.06)
        if sent.typ is not None:
            assert (got.typ, got.sim, got.tst) == (sent.typ, sent.sim, sent.tst)
        if sent.tentative is not None:
            assert (got.tentative, got.track_ended) == (sent.tentative, sent.track_ended)
        else:
            assert got.tentative is None

    scan, ref = scan_of_asterix(batch, -100.0), scan_of_records(r.record() for r in batch)
    assert scan.track_status == ref.track_status and scan.n_plots == ref.n_plots
    for k, v in ref.tracks.items():
        np.testing.assert_array_equal(scan.tracks[k], v)
    np.testing.assert_array_equal(scan.plots["range_m"], ref.plots["range_m"])
    amplitude = batch.column("amplitude_dbm")[batch.column("track_number") < 0]
    np.testing.assert_array_equal(scan.plots["snr_db"], amplitude + 100.0)


def test_asterix_north_marker_keeps_the_link_alive_with_no_plots() -> None:
    """A CAT-034 north marker alone is a valid frame (and an empty scan for the tracker to coast on);
    a CAT-034 block without SAC/SIC and message type is not."""
    from borderwatch.edge.sensors.radar.decoder import StreamDecoder

    marker = asterix.encode_north_marker(7, 1, 3600.0)
    assert marker == bytes([34, 0, 10, 0b1110_0000, 7, 1, 1]) + (3600 * 128).to_bytes(3, "big")
    batch, c = asterix.decode(marker)
    assert len(batch) == 0 and c.frames == 1 and c.malformed == c.length_errors == 0
    assert asterix.decode(bytes([34, 0, 4, 0]))[1].frames == 0
    decoder = StreamDecoder("asterix")
    (scan,) = decoder.feed(marker, 0.0)
    assert scan.n_plots == scan.n_tracks == 0
    assert decoder.feed(bytes([34, 0, 4, 0]), 1.0) == []


def test_asterix_uniform_block_and_an_odd_record_among_them() -> None:
    """A block of same-shape records is delimited with numpy (values differ, structure does not); one
    record with an extra I048/020 extension octet or a different I048/130 header sends it back to the
    record-by-record walk. Both give every record's own values."""
    base = [asterix.Cat048(sac=1, sic=2, typ=1 + i % 3, range_m=100.0 * (i + 1), bearing_deg=float(i),
                           amplitude_dbm=float(-90 + i), doppler_mps=float(i - 5), track_number=i,
                           speed_mps=1.0, heading_deg=0.0, tentative=i % 2 == 0) for i in range(10)]  # fmt: skip
    odd = [*base[:5], base[5].__class__(**{**_fields(base[5]), "tst": True}), *base[6:]]
    odd_130 = [*base[:3], base[3].__class__(**{**_fields(base[3]), "runlength_deg": 1.0}), *base[4:]]
    for reports in (base, odd, odd_130):
        got = list(asterix.decode(asterix.encode_block(reports))[0])
        assert [g.track_number for g in got] == list(range(10))
        assert [g.amplitude_dbm for g in got] == [r.amplitude_dbm for r in reports]
        assert [g.doppler_mps for g in got] == [r.doppler_mps for r in reports]
        assert [(g.typ, g.tst, g.tentative) for g in got] == [(r.typ, r.tst, r.tentative) for r in reports]
        assert [g.runlength_deg is None for g in got] == [r.runlength_deg is None for r in reports]


def _fields(r: asterix.Cat048) -> dict[str, object]:
    return {k: getattr(r, k) for k in r.__slots__}  # type: ignore[attr-defined]
