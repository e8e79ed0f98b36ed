"""Link faults a radar simulator injects, each active in a window of scenario time:

* ``garbage``: random bytes between frames (line noise, a device rebooting);
* ``bitflip``: one random bit of each frame flipped (checksums must catch it);
* ``truncate``: frames cut at a random point (a resync must cost only that frame);
* ``silent``: nothing sent (a dead line: the agent must raise sensor_offline);
* ``wrong_baud``: every byte replaced by what a UART at the wrong speed would read (garbage only);
* ``unplug``: the serial device disappears (the pty is closed and its path removed), then returns.

Written ``kind@start+duration`` on the command line (``bitflip@20+10``: from 20 s for 10 s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("garbage", "bitflip", "truncate", "silent", "wrong_baud", "unplug")


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault and its window of scenario seconds."""

    kind: str
    start_s: float
    duration_s: float

    def active(self, t: float) -> bool:
        return self.start_s <= t < self.start_s + self.duration_s

    @classmethod
    def parse(cls, text: str) -> Fault:
        """``kind@start+duration`` (seconds); ValueError names what is wrong."""
        kind, _, window = text.partition("@")
        start, _, duration = window.partition("+")
        if kind not in KINDS:
            raise ValueError(f"fault {text!r}: kind must be one of {', '.join(KINDS)}")
        try:
            fault = cls(kind, float(start), float(duration))
        except ValueError:
            raise ValueError(f"fault {text!r}: write kind@start+duration, e.g. bitflip@20+10") from None
        if fault.start_s < 0 or fault.duration_s <= 0:
            raise ValueError(f"fault {text!r}: start must be >= 0 and duration > 0")
        return fault


def apply(data: bytes, kinds: set[str], rng: np.random.Generator) -> bytes:
    """``data`` (one frame's bytes) as the active faults ``kinds`` deliver it."""
    if not data or "silent" in kinds or "unplug" in kinds:
        return b""
    if "wrong_baud" in kinds:  # a receiver at the wrong speed sees framing garbage, never a valid byte run
        return rng.integers(0x80, 0x100, len(data), dtype=np.uint8).tobytes()
    out = bytearray(data)
    if "bitflip" in kinds:
        i = int(rng.integers(len(out)))
        out[i] ^= 1 << int(rng.integers(8))
    if "truncate" in kinds:
        out = out[: int(rng.integers(1, len(out)))] if len(out) > 1 else out
    if "garbage" in kinds:
        out = bytearray(rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()) + out
    return bytes(out)
