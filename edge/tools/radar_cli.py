"""``borderwatch radar decode --format nmea|ti|asterix FILE``: one JSON line per plot or track in a
capture from a real radar (metres, m/s, degrees), so a technician can check a device's output before
pointing an agent at it. The link counters (bytes, frames, dropped bytes, checksum and length
errors) go to stderr as one JSON line at the end.

Serial captures (NMEA, TI) are fed to the parser in read-sized chunks exactly as the reader does;
an ASTERIX capture is the UDP payloads concatenated (each block carries its own length).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO, TextIO

from borderwatch.edge.sensors.radar import asterix, nmea, ti
from borderwatch.edge.sensors.radar.records import LinkCounters, RadarRecord

CHUNK = 4096


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="borderwatch radar", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("decode", help="print one JSON line per decoded plot or track of a capture")
    d.add_argument("--format", required=True, choices=("nmea", "ti", "asterix"), help="the capture's protocol")
    d.add_argument("file", type=Path, help="the capture ('-' for stdin)")
    return p


def decode_stream(fmt: str, stream: BinaryIO) -> Iterator[RadarRecord | LinkCounters]:
    """Records as they decode, then the final counters."""
    if fmt == "asterix":
        reports, counters = asterix.decode(stream.read())
        yield from (r.record() for r in reports)
        yield counters
        return
    if fmt == "nmea":
        nstate = nmea.NmeaState()
        while chunk := stream.read(CHUNK):
            nstate, records = nmea.feed(nstate, chunk)
            yield from records
        yield nstate.counters
        return
    tstate = ti.TiState()
    while chunk := stream.read(CHUNK):
        tstate, frames = ti.feed(tstate, chunk)
        for frame in frames:
            yield from frame.records()
    yield tstate.counters


def run(fmt: str, stream: BinaryIO, out: TextIO, err: TextIO) -> int:
    for item in decode_stream(fmt, stream):
        if isinstance(item, LinkCounters):
            print(json.dumps({"counters": asdict(item)}), file=err)
            return 0 if item.frames or not item.bytes_in else 1
        print(json.dumps(item.to_json(), sort_keys=True), file=out)
    return 1  # pragma: no cover - decode_stream always ends with the counters


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if str(args.file) == "-":
        return run(args.format, sys.stdin.buffer, sys.stdout, sys.stderr)
    try:
        with args.file.open("rb") as stream:
            return run(args.format, stream, sys.stdout, sys.stderr)
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
