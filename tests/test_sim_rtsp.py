"""RTSP camera simulator: RFC 2435 packets, and the agent's own RTSP capture path against it."""

from __future__ import annotations

import socket
import struct

import cv2
import numpy as np
import pytest

from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.reader import CameraReader
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.camera.rtp_jpeg import JpegError, packets, parse_jpeg
from borderwatch.simulators.camera.rtsp import encode_for_rtp, pad_to_blocks
from borderwatch.simulators.camera.server import CameraServer, SimClock
from borderwatch.simulators.scenario import ActorSpec, CameraPose, CameraSpec, Scenario, TerrainSpec
from tests.support.waits import wait_until

RNG = np.random.default_rng(4)


def _scenario() -> Scenario:
    cam = CameraSpec(id="cam-r", pose=CameraPose(height_m=6, tilt_deg=10, hfov_deg=50), width=330, height=250, fps=10.0)
    actors = [ActorSpec(id="p", cls="person", waypoints=[(-5, 25), (5, 25)], speed_mps=1.0)]
    return Scenario(cameras=[cam], actors=actors, terrain=TerrainSpec(bushes=5, extent_m=100))


def test_jpeg_is_split_into_rfc2435_packets_that_rebuild_its_scan():
    img = RNG.integers(0, 255, (240, 320, 3), np.uint8)
    parts = parse_jpeg(encode_for_rtp(img, 80))
    assert (parts.type, parts.width, parts.height, len(parts.qtables)) == (1, 320, 240, 128)
    pkts = packets(parts, seq=65534, timestamp=1234, ssrc=7, max_size=1000)
    scan, expected_offset = b"", 0
    for k, p in enumerate(pkts):
        version, mpt, seq, ts, ssrc = struct.unpack(">BBHII", p[:12])
        assert (version, mpt & 0x7F, seq, ts, ssrc) == (0x80, 26, (65534 + k) & 0xFFFF, 1234, 7)
        assert bool(mpt & 0x80) == (k == len(pkts) - 1)  # marker bit on the frame's last packet
        offset = int.from_bytes(p[13:16], "big")
        assert offset == expected_offset and p[16:20] == bytes((1, 255, 40, 30))
        body = p[20:]
        if k == 0:  # in-band quantisation tables only in the first packet
            assert body[:4] == b"\x00\x00\x00\x80" and body[4:132] == parts.qtables
            body = body[132:]
        assert len(p) <= 1000
        scan += body
        expected_offset += len(body)
    assert scan == parts.scan


def test_jpegs_rfc2435_cannot_carry_are_refused():
    img = RNG.integers(0, 255, (240, 320, 3), np.uint8)
    _, progressive = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    with pytest.raises(JpegError, match="baseline"):
        parse_jpeg(progressive.tobytes())
    _, odd = cv2.imencode(".jpg", img[:237, :317])
    with pytest.raises(JpegError, match="multiples of 8"):
        parse_jpeg(odd.tobytes())
    with pytest.raises(JpegError, match="not a JPEG"):
        parse_jpeg(b"GIF89a")
    assert pad_to_blocks(img[:237, :317]).shape == (240, 320, 3)


def test_rtsp_speaks_options_describe_and_refuses_udp():
    srv = CameraServer(CameraRenderer(_scenario(), "cam-r", texture_px=256), SimClock().start(), rtsp_port=0).start()
    try:
        with socket.create_connection((srv.host, srv.rtsp.port), timeout=5) as s:
            f = s.makefile("rb")

            def ask(text: str) -> tuple[str, bytes]:
                s.sendall(text.encode())
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    head += f.read(1)
                length = [int(x.split(b":")[1]) for x in head.split(b"\r\n") if x.lower().startswith(b"content-length")]
                return head.decode(), f.read(length[0]) if length else b""

            head, _ = ask(f"OPTIONS {srv.rtsp_url} RTSP/1.0\r\nCSeq: 1\r\n\r\n")
            assert head.startswith("RTSP/1.0 200") and "CSeq: 1" in head and "DESCRIBE" in head
            head, sdp = ask(f"DESCRIBE {srv.rtsp_url} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n")
            assert b"m=video 0 RTP/AVP 26" in sdp and b"a=control:track0" in sdp
            udp = "Transport: RTP/AVP;unicast;client_port=5000-5001"
            head, _ = ask(f"SETUP {srv.rtsp_url}/track0 RTSP/1.0\r\nCSeq: 3\r\n{udp}\r\n\r\n")
            assert head.startswith("RTSP/1.0 461")
            head, _ = ask(f"BREW {srv.rtsp_url} RTSP/1.0\r\nCSeq: 4\r\n\r\n")
            assert head.startswith("RTSP/1.0 501")
    finally:
        srv.stop()


def test_agent_reads_the_rtsp_camera_and_reconnects_after_it_dies():
    scn = _scenario()
    srv = CameraServer(CameraRenderer(scn, "cam-r", texture_px=256), SimClock().start(), rtsp_port=0).start()
    cfg = CameraConfig.model_validate(
        {
            "url": srv.rtsp_url,
            "fps": 10,
            "watchdog": {
                "stall_timeout_s": 1.5,
                "open_timeout_s": 3.0,
                "backoff_initial_s": 0.2,
                "backoff_max_s": 0.8,
                "offline_after_s": 0.5,
            },
        }
    )
    reader = CameraReader("cam-r", cfg)
    reader.start()
    try:
        got = []
        wait_until(lambda: bool(got.append(reader.frames.get(0.1)) or [g for g in got if g is not None]), 15)
        frame = next(g for g in got if g is not None)
        assert frame.data.shape == (256, 336, 3)  # 330x250 padded to 4:2:0 blocks by the RTP payload
        truth = srv.renderer.render(srv.clock.now()).frame
        assert np.abs(frame.data[:250, :330].astype(int) - truth.astype(int)).mean() < 12  # the same scene
        srv.kill(duration_s=1.5)
        wait_until(lambda: not reader.online, 8)
        reader.frames.clear()
        wait_until(lambda: reader.online and reader.frames.get(0.1) is not None, 20)
        assert reader.stats().reconnects_1h >= 1
    finally:
        reader.stop()
        srv.stop()
