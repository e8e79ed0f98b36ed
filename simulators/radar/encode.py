"""A scan's plots/tracks as protocol bytes: NMEA TTM+TLL per tracked actor, a TI frame of points
(x, y, z, Doppler, side info), an ASTERIX CAT-048 block of plots (several records per block, with
amplitude and Doppler).

The simulator marks what it makes: ASTERIX I048/020 SIM set, NMEA target names ``SIM<n>``.
"""

from __future__ import annotations

import numpy as np

from borderwatch.edge.pipeline.polar import polar_to_metric
from borderwatch.edge.sensors.radar import asterix, nmea, ti
from borderwatch.edge.sensors.radar.records import KNOT_MPS, NM_M
from borderwatch.runtime.geo import to_geo
from borderwatch.simulators.radar.heatmap import MapGeometry, render_maps
from borderwatch.simulators.radar.render import Plots, RadarSpec, Truth


def _hhmmss(t: float) -> str:
    t = t % 86400.0
    h, m = int(t // 3600), int(t % 3600 // 60)
    return f"{h:02d}{m:02d}{t % 60:05.2f}"


def _ddmm(value: float, degree_digits: int, hemis: str) -> tuple[str, str]:
    hemi = hemis[0] if value >= 0 else hemis[1]
    value = abs(value)
    deg = int(value)
    return f"{deg:0{degree_digits}d}{(value - deg) * 60:05.2f}", hemi


def encode_nmea(truth: Truth, numbers: list[int], spec: RadarSpec, origin: tuple[float, float], tod: float) -> bytes:
    """TTM (relative bearing, NM and knots) and TLL per tracked actor; ``numbers`` are the target numbers."""
    out = []
    hhmmss = _hhmmss(tod)
    for k, num in enumerate(numbers):
        rng_nm = truth.range_m[k] / NM_M
        brg = truth.bearing_deg[k] % 360.0
        course = (truth.course_deg[k] - spec.heading_deg) % 360.0
        kn = truth.speed_mps[k] / KNOT_MPS
        out.append(
            nmea.sentence(
                f"RATTM,{num:02d},{rng_nm:.3f},{brg:.1f},R,{kn:.1f},{course:.1f},R,,,N,SIM{num},T,,{hhmmss},A"
            )
        )
        b = np.radians(truth.bearing_deg[k] + spec.heading_deg)
        east = spec.east_m + truth.range_m[k] * np.sin(b)
        north = spec.north_m + truth.range_m[k] * np.cos(b)
        lat, lon = to_geo(east, north, *origin)
        la, ns = _ddmm(float(lat), 2, "NS")
        lo, ew = _ddmm(float(lon), 3, "EW")
        out.append(nmea.sentence(f"RATLL,{num:02d},{la},{ns},{lo},{ew},SIM{num},{hhmmss},T,"))
    return b"".join(out)


def encode_ti(
    plots: Plots, frame_number: int, maps: MapGeometry | None = None, rng: np.random.Generator | None = None
) -> bytes:
    """One TI frame of the plots (metres in the sensor frame, z = 0); with ``maps``, the range-Doppler
    heat map and azimuth samples of the plots instead (no detected-points TLV: the agent must find
    the targets itself)."""
    if maps is not None:
        heat, azimuth = render_maps(plots, maps, rng if rng is not None else np.random.default_rng(frame_number))
        return ti.encode_frame(frame_number, np.zeros((0, 4)), heatmap=heat, azimuth=azimuth)
    x, y = polar_to_metric(plots.range_m, plots.bearing_deg)
    pts = np.stack((x, y, np.zeros(len(plots)), plots.doppler_mps), 1)
    return ti.encode_frame(frame_number, pts, snr_db=plots.snr_db, noise_db=np.full(len(plots), 10.0))


def encode_asterix(
    plots: Plots, spec: RadarSpec, tod: float, sac: int = 7, sic: int = 1, noise_dbm: float = -100.0
) -> bytes:
    """A CAT-034 north marker (sent every scan, plots or not), then a CAT-048 block: a PSR plot record
    per plot (true bearing, simulated flag set), with its
    amplitude (I048/130 PAM = SNR over the receiver's ``noise_dbm`` floor, whole dBm) and radial speed
    (I048/120 CAL, whole m/s: the protocol's resolution)."""
    pam = np.clip(np.round(plots.snr_db + noise_dbm), -128, 127)
    cal = np.clip(np.round(plots.doppler_mps), -512, 511)
    reports = [
        asterix.Cat048(sac=sac, sic=sic, time_of_day_s=tod, typ=1, sim=True, range_m=float(r),
                       bearing_deg=float((brg + spec.heading_deg) % 360.0), amplitude_dbm=float(a),
                       doppler_mps=float(d))
        for r, brg, a, d in zip(plots.range_m, plots.bearing_deg, pam, cal, strict=True)
    ]  # fmt: skip
    marker = asterix.encode_north_marker(sac, sic, tod)
    return marker + asterix.encode_block(reports) if reports else marker
