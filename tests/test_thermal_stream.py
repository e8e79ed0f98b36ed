"""The thermal stream: header parser (property-based), format conversions at each resolution, bad-frame
checks, and the TCP source's resynchronisation after garbage.
"""

from __future__ import annotations

import socket
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.edge.sensors.thermal.checks import bad_frame_reason
from borderwatch.edge.sensors.thermal.config import BadFrameConfig
from borderwatch.edge.sensors.thermal.sources import TcpSource, y16_image
from borderwatch.edge.sensors.thermal.stream import (
    HEADER,
    MAGIC,
    StreamError,
    celsius,
    decode_payload,
    from_centikelvin,
    pack_frame,
    parse_header,
    to_centikelvin,
)

SIZES = [(160, 120), (320, 256), (640, 512)]


@pytest.mark.parametrize(("w", "h"), SIZES)
@pytest.mark.parametrize("fmt", ["raw", "tlinear_0.01", "tlinear_0.1"])
def test_pack_parse_round_trip_at_each_resolution(w: int, h: int, fmt: str) -> None:
    counts = np.random.default_rng(w).integers(0, 65536, (h, w), dtype=np.uint16)
    data = pack_frame(counts, fmt, 1_790_000_000.25, 41)
    header = parse_header(data[: HEADER.size])
    assert (header.format, header.width, header.height, header.counter) == (fmt, w, h, 41)
    assert header.ts == 1_790_000_000.25 and header.payload_len == w * h * 2
    assert np.array_equal(decode_payload(header, data[HEADER.size :]), counts)


@pytest.mark.parametrize(("w", "h"), SIZES)
def test_tlinear_conversions_are_exact(w: int, h: int) -> None:
    rng = np.random.default_rng(h)
    ck = rng.integers(0, 65536, (h, w), dtype=np.uint16)
    assert np.array_equal(to_centikelvin(ck, "tlinear_0.01"), ck)
    deci = rng.integers(0, 6554, (h, w), dtype=np.uint16)  # 0.1 K counts up to 655.3 K
    out = to_centikelvin(deci, "tlinear_0.1")
    assert out.dtype == np.uint16 and np.array_equal(out.astype(np.int64), deci.astype(np.int64) * 10)
    assert np.array_equal(from_centikelvin(out, "tlinear_0.1"), deci)
    assert to_centikelvin(np.array([[65535]], np.uint16), "tlinear_0.1")[0, 0] == 65535  # > 655.35 K saturates
    # body temperature survives to the 0.01 K step in float64 Celsius
    assert celsius(np.array([31015]))[0] == pytest.approx(37.0, abs=1e-9)


def test_raw_counts_go_through_gain_and_offset() -> None:
    counts = np.array([[0, 1000, 30000]], np.uint16)
    ck = to_centikelvin(counts, "raw", gain_k=0.02, offset_k=200.0)
    assert ck.tolist() == [[20000, 22000, 65535]]  # 800 K does not fit: saturated
    assert np.array_equal(
        from_centikelvin(to_centikelvin(counts[:, :2], "raw", 0.02, 200.0), "raw", 0.02, 200.0), counts[:, :2]
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=64))
def test_header_parser_never_crashes_on_garbage(data: bytes) -> None:
    try:
        header = parse_header(data)
    except StreamError as exc:
        assert exc.reason in {"short", "magic", "version", "format", "size", "timestamp"}
    else:
        assert header.payload_len == header.width * header.height * 2


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4096),
    st.integers(1, 4096),
    st.integers(0, 2),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
)
def test_header_fields_are_checked(w: int, h: int, fmt: int, counter: int, length: int, ts: float) -> None:
    data = HEADER.pack(MAGIC, 1, fmt, w, h, 0, ts, counter, length)
    ok = length == w * h * 2 and ts == ts and abs(ts) != float("inf") and ts >= 0
    if ok:
        assert parse_header(data).counter == counter
    else:
        with pytest.raises(StreamError):
            parse_header(data)


def test_short_payload_is_refused() -> None:
    data = pack_frame(np.ones((120, 160), np.uint16), "tlinear_0.01", 1.0, 1)
    with pytest.raises(StreamError, match="short"):
        decode_payload(parse_header(data[: HEADER.size]), data[HEADER.size : -2])


CFG = BadFrameConfig()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_bad_frames_are_named(counter: int, previous_counter: int) -> None:
    rng = np.random.default_rng(counter % 1000)
    frame = rng.integers(28000, 31000, (12, 16), dtype=np.uint16)
    reason = bad_frame_reason(frame, counter, None, previous_counter, CFG)
    assert reason == (None if counter == (previous_counter + 1) % 2**32 else "counter_jump")
    assert bad_frame_reason(np.zeros_like(frame), counter, None, None, CFG) == "all_zero"
    sat = frame.copy()
    sat[:6] = 65535
    assert bad_frame_reason(sat, counter, None, None, CFG) == "saturated"
    assert bad_frame_reason(frame.copy(), counter, frame, (counter - 1) % 2**32, CFG) == "frozen"


def test_uvc_frames_come_as_uint16_or_raw_bytes() -> None:
    counts = np.arange(120 * 160, dtype=np.uint16).reshape(120, 160)
    assert y16_image(counts, 160, 120) is counts
    raw = counts.astype("<u2").view(np.uint8).reshape(1, -1)
    assert np.array_equal(y16_image(raw, 160, 120), counts)
    with pytest.raises(StreamError):
        y16_image(np.zeros((120, 160, 3), np.uint8), 160, 120)


def test_tcp_source_resynchronises_after_garbage() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    frames = [np.full((120, 160), 29000 + k, np.uint16) for k in range(3)]

    def send() -> None:
        conn, _ = server.accept()
        conn.sendall(pack_frame(frames[0], "tlinear_0.01", 1.0, 1))
        conn.sendall(b"\x00garbage" * 50 + MAGIC + b"\x07" * 30)  # junk, then a header with a bad version
        conn.sendall(pack_frame(frames[1], "tlinear_0.01", 2.0, 2))
        conn.sendall(pack_frame(frames[2], "tlinear_0.01", 3.0, 3))
        conn.close()

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    source = TcpSource("127.0.0.1", port, 2.0, 2.0)
    got, errors = [], []
    try:
        while True:
            try:
                got.append(source.read())
            except StreamError as exc:
                errors.append(exc.reason)
            except EOFError:
                break
    finally:
        source.close()
        server.close()
    assert [h.counter for h, _ in got] == [1, 2, 3]
    assert all(np.array_equal(c, f) for (_, c), f in zip(got, frames, strict=True))
    assert errors and set(errors) <= {"magic", "version"}


class _Chunks:
    """A socket stand-in handing out fixed chunks (recv sizes vary as on a real link)."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.at = data, sizes or [4096], 0

    def recv(self, n: int) -> bytes:
        size = min(n, self.sizes[self.at % len(self.sizes)])
        chunk, self.data = self.data[:size], self.data[size:]
        self.at += 1
        return chunk


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.binary(max_size=300).filter(lambda b: b"BW" not in b), min_size=1, max_size=6),
    st.lists(st.integers(1, 5000), max_size=8),
)
def test_tcp_source_recovers_every_frame_between_any_garbage(garbage: list[bytes], sizes: list[int]) -> None:
    frames = [np.full((12, 16), 29000 + k, np.uint16) for k in range(len(garbage))]
    data = b"".join(
        g + pack_frame(f, "tlinear_0.01", 1.0 + k, k + 1) for k, (g, f) in enumerate(zip(garbage, frames, strict=True))
    )
    source = TcpSource.__new__(TcpSource)
    source.sock, source.buf = _Chunks(data, sizes), bytearray()  # type: ignore[assignment]
    got = []
    for _ in range(10_000):  # every read makes progress: garbage is dropped, frames are returned
        try:
            got.append(source.read()[0].counter)
        except StreamError:
            continue
        except EOFError:
            break
    assert got == list(range(1, len(frames) + 1))
