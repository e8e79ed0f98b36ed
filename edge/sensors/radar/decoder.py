"""The parsers' imperative shell for a reader: keeps each protocol's explicit state between reads and
turns decoded output into ``RadarScan`` frames.

NMEA sentences trickle in one by one; those received within ``batch_s`` of the first form one frame
(an ARPA radar sends its target table as a burst per scan). A TI frame is a frame; an ASTERIX
datagram with records or a service message (a north marker) is a frame, an empty one when no target
was plotted, so the tracker coasts.
"""

from __future__ import annotations

from borderwatch.edge.sensors.radar import asterix, nmea, ti
from borderwatch.edge.sensors.radar.config import Protocol
from borderwatch.edge.sensors.radar.records import LinkCounters, RadarRecord
from borderwatch.edge.sensors.radar.scan import RadarScan, scan_of_asterix, scan_of_records, scan_of_ti


class StreamDecoder:
    """Bytes (or datagrams) in, scans out; ``counters`` says what the framer saw."""

    def __init__(self, protocol: Protocol, batch_s: float = 0.5, noise_dbm: float = -100.0) -> None:
        self.protocol, self.batch_s, self.noise_dbm = protocol, float(batch_s), float(noise_dbm)
        self._nmea = nmea.NmeaState()
        self._ti = ti.TiState()
        self._asterix = LinkCounters()
        self._pending: list[RadarRecord] = []
        self._since = 0.0

    @property
    def counters(self) -> LinkCounters:
        if self.protocol == "nmea":
            return self._nmea.counters
        return self._ti.counters if self.protocol == "ti" else self._asterix

    def feed(self, data: bytes, now: float) -> list[RadarScan]:
        """Scans completed by ``data`` (for NMEA: by ``data`` and the time)."""
        if self.protocol == "ti":
            self._ti, frames = ti.feed(self._ti, data)
            return [scan_of_ti(f) for f in frames]
        if self.protocol == "asterix":
            before = self._asterix.frames
            reports, self._asterix = asterix.decode(data, self._asterix)
            valid = self._asterix.frames > before  # plots/tracks, or a north marker: an (empty) scan
            return [scan_of_asterix(reports, self.noise_dbm)] if valid else []
        self._nmea, records = nmea.feed(self._nmea, data)
        if records and not self._pending:
            self._since = now
        self._pending += records
        return self.flush(now)

    def flush(self, now: float, force: bool = False) -> list[RadarScan]:
        """The NMEA batch, once ``batch_s`` has passed since its first sentence (or ``force``)."""
        if not self._pending or (not force and now - self._since < self.batch_s):
            return []
        scan, self._pending = scan_of_records(self._pending), []
        return [scan]
