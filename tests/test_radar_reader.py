"""Radar readers on real links: a pseudo-terminal pair (serial: NMEA, TI) and a UDP socket (ASTERIX).

The serial device is a symlink to the pty's slave side, so "pulling the USB adapter" is closing the
pty and removing the link, and plugging it back is a new pty behind the same path.
"""

from __future__ import annotations

import os
import socket
import tty
from collections.abc import Callable
from pathlib import Path

import numpy as np

from borderwatch.edge.sensors.radar import asterix, nmea, ti
from borderwatch.edge.sensors.radar.config import LinkConfig, RadarConfig
from borderwatch.edge.sensors.radar.reader import RadarReader
from borderwatch.edge.sensors.radar.scan import RadarScan
from tests.support.waits import wait_until

FAST = LinkConfig(offline_after_s=0.5, garbage_after_s=0.8, backoff_initial_s=0.05, backoff_max_s=0.2, batch_s=0.05)


def send_until(check: Callable[[], bool], send: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Send (every 50 ms) until ``check`` holds, as a device keeps sending."""

    def checked_else_sent() -> bool:
        if check():
            return True
        send()
        return False

    wait_until(checked_else_sent, timeout, what)


class Pty:
    """A pseudo-terminal pair reachable through a fixed path (a stand-in for /dev/ttyUSB0)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no line discipline: bytes pass as they are, as on a real UART
        self.path.unlink(missing_ok=True)
        self.path.symlink_to(os.ttyname(self.slave))

    def pull(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self.master)
        os.close(self.slave)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)


def test_ti_over_a_pty_survives_the_adapter_being_pulled(tmp_path: Path) -> None:
    pty = Pty(tmp_path / "ttyRADAR")
    cfg = RadarConfig(protocol="ti", device=str(pty.path), link=FAST)
    reader = RadarReader("r1", cfg)
    reader.start()
    frame = ti.encode_frame(1, np.array([[0.0, 10.0, 0.0, 1.0]]), snr_db=[12.0])
    try:
        send_until(lambda: reader.counters().frames > 0, lambda: pty.write(b"\x00" * 8 + frame), "a TI frame")
        got = reader.get(5.0)
        assert got is not None and isinstance(got.data, RadarScan) and got.data.n_plots == 1
        assert got.data.plots["range_m"][0] == np.float64(10.0)
        wait_until(lambda: reader.online, 10, "reader.online")
        pty.pull()
        wait_until(lambda: not reader.online, 10, "not reader.online")
        assert reader.pop_changes()[-1].reason in ("device_lost", "open_failed")
        pty.plug()
        send_until(lambda: reader.get(0.05) is not None, lambda: pty.write(frame), "a frame after replugging")
        wait_until(lambda: reader.online, 10, "reader.online")
        assert reader.stats().reconnects_1h >= 1 and reader.stats().stalls_1h >= 1
    finally:
        reader.stop()
        pty.pull()


def test_nmea_garbage_at_the_wrong_baud_rate_is_named(tmp_path: Path) -> None:
    pty = Pty(tmp_path / "ttyARPA")
    cfg = RadarConfig(protocol="nmea", device=str(pty.path), link=FAST)
    reader = RadarReader("r2", cfg)
    reader.start()
    try:
        good = nmea.sentence("RATTM,03,0.5,090.0,T,4.0,180.0,T,,,N,,T,,,A")
        send_until(lambda: reader.online, lambda: pty.write(good), "NMEA online")
        rng = np.random.default_rng(1)
        garbage = rng.integers(0x80, 256, 64, np.uint8).tobytes()
        send_until(lambda: reader.suspect_baud, lambda: pty.write(garbage), "wrong baud suspected")
        wait_until(lambda: not reader.online, 10, "not reader.online")
        changes = reader.pop_changes()
        assert changes[-1].online is False and changes[-1].reason in ("wrong_baud", "garbage")
        assert reader.stats().quality in ("C", "D") and reader.counters().dropped_bytes >= 64
        send_until(lambda: reader.online, lambda: pty.write(good), "NMEA online")
        assert not reader.suspect_baud
    finally:
        reader.stop()
        pty.pull()


def test_asterix_over_udp(tmp_path: Path) -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    cfg = RadarConfig(protocol="asterix", listen_host="127.0.0.1", listen_port=port, link=FAST)
    reader = RadarReader("r3", cfg)
    reader.start()
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    plot = asterix.Cat048(sac=1, sic=2, typ=1, range_m=1500.0, bearing_deg=30.0)
    track = asterix.Cat048(sac=1, sic=2, typ=1, range_m=900.0, bearing_deg=10.0, track_number=5,
                           speed_mps=2.0, heading_deg=90.0, tentative=False)  # fmt: skip
    try:
        block = asterix.encode_block([plot, track])
        send_until(lambda: reader.online, lambda: out.sendto(block, ("127.0.0.1", port)), "ASTERIX online")
        got = reader.get(2.0)
        assert got is not None and got.data.n_plots == 1 and got.data.n_tracks == 1
        assert got.data.tracks["track_id"][0] == 5 and bool(got.data.tracks_true[0])
        out.sendto(b"\x30\xff\xff garbage", ("127.0.0.1", port))
        wait_until(lambda: reader.counters().length_errors == 1, 10, "reader.counters().length_errors == 1")
    finally:
        out.close()
        reader.stop()
