"""What one radar frame carries (``Frame.data`` of the radar kind): the plots to track, the tracks
the radar made itself, the range-Doppler heat map and azimuth antenna samples when sent, and own
position/heading when sent.

Columns, not records: the unit works on whole arrays per frame (no loop per point). Missing values
are NaN. Bearings are as the radar sent them; ``bearing_true`` says per row whether from north
(ASTERIX, NMEA ``T``) or from the boresight/bow (TI, NMEA ``R``): the unit turns them into the
sensor's metric frame once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from borderwatch.edge.sensors.radar.asterix import Cat048Batch
from borderwatch.edge.sensors.radar.records import RadarRecord
from borderwatch.edge.sensors.radar.ti import TiFrame

F64 = npt.NDArray[np.float64]
PLOT_COLUMNS = ("range_m", "bearing_deg", "doppler_mps", "snr_db")
TRACK_COLUMNS = ("track_id", "range_m", "bearing_deg", "speed_mps", "course_deg", "lat", "lon")
TRACK_FIELDS = (*TRACK_COLUMNS[1:], "bearing_true", "status", "name", "time_of_day_s")


def _column(records: Sequence[RadarRecord], name: str) -> F64:
    values = [getattr(r, name) for r in records]
    return np.array([np.nan if v is None else float(v) for v in values], np.float64)


@dataclass(frozen=True, slots=True)
class RadarScan:
    """One frame's worth of radar data (columns of equal length per table)."""

    plots: dict[str, F64] = field(default_factory=lambda: {k: np.zeros(0) for k in PLOT_COLUMNS})
    plots_true: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    tracks: dict[str, F64] = field(default_factory=lambda: {k: np.zeros(0) for k in TRACK_COLUMNS})
    tracks_true: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    track_status: tuple[str, ...] = ()
    heatmap: npt.NDArray[np.uint16] | None = None
    azimuth: npt.NDArray[np.complex64] | None = None
    own_latlon: tuple[float, float] | None = None
    own_heading_deg: float | None = None

    @property
    def n_plots(self) -> int:
        return len(self.plots_true)

    @property
    def n_tracks(self) -> int:
        return len(self.tracks_true)


def scan_of_records(records: Iterable[RadarRecord]) -> RadarScan:
    """Plots and tracks of parsed records (NMEA, ASTERIX); own-data records set the own fields.

    Tracks without range/bearing (a TLL alone) keep NaN there and their lat/lon.
    """
    rows = list(records)
    plots = [r for r in rows if r.kind == "plot" and r.range_m is not None and r.bearing_deg is not None]
    tracks = _merged([r for r in rows if r.kind == "track" and r.track_id is not None])
    own = [r for r in rows if r.kind == "own"]
    latlon = next(((r.lat, r.lon) for r in reversed(own) if r.lat is not None and r.lon is not None), None)
    heading = next((r.heading_deg for r in reversed(own) if r.heading_deg is not None), None)
    return RadarScan(
        plots={k: _column(plots, k) for k in PLOT_COLUMNS},
        plots_true=np.array([bool(r.bearing_true) for r in plots], bool),
        tracks={k: _column(tracks, k) for k in TRACK_COLUMNS},
        tracks_true=np.array([r.bearing_true is not False for r in tracks], bool),
        track_status=tuple(r.status or "" for r in tracks),
        own_latlon=latlon,  # type: ignore[arg-type]
        own_heading_deg=heading,
    )


def _merged(tracks: list[RadarRecord]) -> list[RadarRecord]:
    """One record per track number: an NMEA radar reports a target in a TTM (polar) and a TLL
    (lat/lon); the later report's fields win where it has them."""
    by_id: dict[int, RadarRecord] = {}
    for r in tracks:
        old = by_id.get(int(r.track_id or 0))
        if old is None:
            by_id[int(r.track_id or 0)] = r
            continue
        fill = {k: getattr(old, k) for k in TRACK_FIELDS if getattr(r, k) is None and getattr(old, k) is not None}
        by_id[int(r.track_id or 0)] = r.with_(**fill) if fill else r
    return list(by_id.values())


def scan_of_asterix(batch: Cat048Batch, noise_dbm: float) -> RadarScan:
    """Plots and tracks of one ASTERIX datagram, straight from the decoder's columns (no object per
    record). A plot's SNR is its I048/130 amplitude (PAM, dBm) over the radar's configured noise
    floor ``noise_dbm``; its radial speed is I048/120 CAL unless flagged doubtful. A track number sent
    twice in one datagram is merged like NMEA's TTM/TLL pairs (later fields win)."""
    col = batch.column
    number = col("track_number")
    rng, brg = col("range_m"), col("bearing_deg")
    is_track = number >= 0
    n_tracks = int(is_track.sum())
    track: slice | npt.NDArray[np.bool_] = slice(None) if n_tracks == batch.n else is_track
    plot = ~is_track & np.isfinite(rng) & np.isfinite(brg)
    n_plots = int(plot.sum())
    plots = {k: np.zeros(0) for k in PLOT_COLUMNS}
    if n_plots:
        dop = col("doppler_mps")
        if "doppler_doubtful" in batch.columns:
            dop = np.where(batch.columns["doppler_doubtful"], np.nan, dop)
        plots = {"range_m": rng[plot], "bearing_deg": brg[plot], "doppler_mps": dop[plot],
                 "snr_db": col("amplitude_dbm")[plot] - noise_dbm}  # fmt: skip
    numbers = number[track]
    if n_tracks and len(set(numbers.tolist())) < n_tracks:  # a repeated number: merge record by record
        merged = scan_of_records(batch[int(i)].record() for i in np.flatnonzero(is_track))
        tracks, tracks_true, status = merged.tracks, merged.tracks_true, merged.track_status
    elif n_tracks:
        nan = np.full(n_tracks, np.nan)
        tracks = {"track_id": numbers.astype(np.float64), "range_m": rng[track], "bearing_deg": brg[track],
                  "speed_mps": col("speed_mps")[track], "course_deg": col("heading_deg")[track], "lat": nan,
                  "lon": nan.copy()}  # fmt: skip
        tracks_true = np.ones(n_tracks, bool)
        tentative, ended = col("tentative")[track], col("track_ended")[track]
        status = tuple(_STATUS[np.where(tentative < 0, 0, np.where(ended, 3, 1 + tentative))].tolist())
    else:
        tracks, tracks_true, status = {k: np.zeros(0) for k in TRACK_COLUMNS}, np.zeros(0, bool), ()
    return RadarScan(plots=plots, plots_true=np.ones(n_plots, bool), tracks=tracks, tracks_true=tracks_true,
                     track_status=status)  # fmt: skip


_STATUS = np.array(["", "confirmed", "tentative", "ended"])


def scan_of_ti(frame: TiFrame) -> RadarScan:
    """Plots of a TI frame, vectorised: range and bearing (from the boresight) from x/y/z."""
    p = frame.points.astype(np.float64)
    n = len(p)
    snr = np.full(n, np.nan) if frame.snr_db is None else frame.snr_db.astype(np.float64)
    plots = {
        "range_m": np.sqrt((p[:, :3] ** 2).sum(axis=1)),
        "bearing_deg": np.mod(np.degrees(np.arctan2(p[:, 0], p[:, 1])), 360.0),
        "doppler_mps": p[:, 3].copy(),
        "snr_db": snr,
    }
    return RadarScan(plots=plots, plots_true=np.zeros(n, bool), heatmap=frame.heatmap, azimuth=frame.azimuth)
