"""Plots found in a TI frame's range-Doppler heat map by the agent itself (``cfar.points =
"heatmap"``): for boards that send the maps and not (or not trusted) detected points.

Per frame, whole arrays: CA- or OS-CFAR on the (range x Doppler) power map, 3 x 3 peak grouping,
then per peak its range (bin x ``range_bin_m``), radial speed (FFT-order Doppler bin x
``doppler_bin_mps``: the upper half of the bins is negative), SNR over the noise of its range row
(the row's median power / ln 2, the mean of exponential noise), and its bearing from the azimuth
antenna samples of its range bin (TLV 4: a zero-padded FFT over the virtual antennas, half a
wavelength apart, with a parabolic fit around the strongest bin: sin(bearing) = 2 k / n_fft). A
frame without antenna samples gives bearings on the boresight (a range-only sensor).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from borderwatch.edge.sensors.radar.cfar import ca_cfar, group_peaks, os_cfar
from borderwatch.edge.sensors.radar.config import CfarConfig

F64 = npt.NDArray[np.float64]
N_FFT = 64


def power_map(heatmap: npt.NDArray[np.uint16], cfg: CfarConfig) -> F64 | None:
    """The flat heat map as (range, Doppler) power; None if its size does not fit the profile."""
    if len(heatmap) == 0 or len(heatmap) % cfg.doppler_bins:
        return None
    return heatmap.reshape(-1, cfg.doppler_bins).astype(np.float64)


def cfar_peaks(power: F64, cfg: CfarConfig) -> npt.NDArray[np.bool_]:
    """Grouped CFAR detections of a power map, with the configured method, cells and false-alarm rate."""
    if cfg.method == "ca":
        hits = ca_cfar(power, cfg.guard, cfg.train, cfg.pfa)[0]
    else:
        hits = os_cfar(power, cfg.guard[0], cfg.train[0], cfg.pfa)[0]
    return group_peaks(power, hits)


def bearings(samples: npt.NDArray[np.complex64], rows: npt.NDArray[np.int64], antennas: int) -> F64:
    """Bearing from the boresight (degrees, clockwise) of the strongest return in each range row."""
    if len(samples) % antennas or len(samples) // antennas <= (rows.max() if len(rows) else 0):
        return np.zeros(len(rows))
    spectrum = np.abs(np.fft.fft(samples.reshape(-1, antennas)[rows], n=N_FFT, axis=1))
    k = spectrum.argmax(axis=1)
    idx = np.arange(len(rows))
    left, mid, right = spectrum[idx, k - 1], spectrum[idx, k], spectrum[idx, (k + 1) % N_FFT]
    den = left - 2 * mid + right
    frac = np.where(den < 0, 0.5 * (left - right) / np.where(den < 0, den, -1.0), 0.0)
    signed = np.mod(k + frac + N_FFT / 2, N_FFT) - N_FFT / 2
    return np.degrees(np.arcsin(np.clip(2.0 * signed / N_FFT, -1.0, 1.0)))


def heatmap_plots(
    heatmap: npt.NDArray[np.uint16], azimuth: npt.NDArray[np.complex64] | None, cfg: CfarConfig
) -> dict[str, F64] | None:
    """Plot columns (range, bearing from the boresight, Doppler, SNR) of the map's CFAR peaks."""
    power = power_map(heatmap, cfg)
    if power is None:
        return None
    rows, cols = np.nonzero(cfar_peaks(power, cfg))
    d = cfg.doppler_bins
    noise = np.maximum(np.median(power, axis=1) / np.log(2.0), 1e-9)
    snr = 10.0 * np.log10(np.maximum(power[rows, cols], 1e-9) / noise[rows])
    brg = bearings(azimuth, rows, cfg.antennas) if azimuth is not None else np.zeros(len(rows))
    return {
        "range_m": rows * cfg.range_bin_m,
        "bearing_deg": brg,
        "doppler_mps": np.where(cols < d / 2, cols, cols - d) * cfg.doppler_bin_mps,
        "snr_db": snr,
    }
