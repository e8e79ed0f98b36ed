"""``borderwatch radar decode``: captures of each protocol print one JSON line per plot or track."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from borderwatch.deploy.cli import main
from borderwatch.edge.sensors.radar import asterix, nmea, ti


def _decode(fmt: str, data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list, dict]:
    path = tmp_path / f"capture.{fmt}"
    path.write_bytes(data)
    code = main(["radar", "decode", "--format", fmt, str(path)])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], json.loads(captured.err)["counters"]


def test_decode_nmea(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = b"noise" + nmea.sentence("RATTM,07,2.0,010.0,T,10.0,090.0,T,,,K,,T,,,A") + b"$RATTM,broken*00\r\n"
    code, lines, counters = _decode("nmea", data, tmp_path, capsys)
    assert code == 0 and len(lines) == 1
    assert lines[0]["track_id"] == 7 and lines[0]["range_m"] == 2000.0 and lines[0]["course_deg"] == 90.0
    assert counters["checksum_failures"] == 1 and counters["dropped_bytes"] >= 5


def test_decode_ti(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ti.encode_frame(5, [[0.0, 10.0, 0.0, 1.5], [10.0, 0.0, 0.0, -2.0]], snr_db=[15.0, 9.5])
    code, lines, counters = _decode("ti", data * 2, tmp_path, capsys)
    assert code == 0 and len(lines) == 4 and counters["frames"] == 2
    assert lines[1]["bearing_deg"] == pytest.approx(90.0) and lines[1]["snr_db"] == pytest.approx(9.5)
    assert lines[0]["frame"] == 5 and lines[0]["doppler_mps"] == 1.5


def test_decode_asterix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = asterix.Cat048(sac=1, sic=9, typ=1, range_m=1852.0, bearing_deg=45.0, track_number=12,
                            speed_mps=3.0, heading_deg=270.0, tentative=False)  # fmt: skip
    code, lines, _ = _decode("asterix", asterix.encode_block([report, report]), tmp_path, capsys)
    assert code == 0 and len(lines) == 2
    assert lines[0]["kind"] == "track" and lines[0]["track_id"] == 12 and lines[0]["status"] == "confirmed"
    assert lines[0]["range_m"] == pytest.approx(1852.0) and np.isclose(lines[0]["course_deg"], 270.0)


def test_decode_garbage_says_nothing_decoded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, counters = _decode("ti", bytes(range(256)) * 4, tmp_path, capsys)
    assert code == 1 and lines == [] and counters["dropped_bytes"] > 1000
    assert main(["radar", "decode", "--format", "ti", str(tmp_path / "missing")]) == 2
