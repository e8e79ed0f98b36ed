"""A TI radar's range-Doppler heat map (TLV 5) and azimuth antenna samples (TLV 4 layout) rendered
from one scan's plots, for the heat-map path: the agent finds the targets itself (CFAR, then angle
from the antennas) instead of reading the board's detected points.

Model (pure numpy, seeded by the caller's generator):

* heat map: ``range_bins x doppler_bins`` linear power in units of ``NOISE_COUNTS`` per noise mean:
  exponentially distributed noise (square-law detector after non-coherent integration) plus every
  plot's power ``10^(snr/10)`` in its range bin and Doppler bin (FFT order: bin 0 is zero Doppler,
  the upper half negative), leaking 40 % into the four neighbouring cells (window side lobes);
  stored as uint16, so very strong returns saturate as on a real board;
* azimuth samples: per range bin, the complex samples of ``antennas`` virtual antennas half a
  wavelength apart: every plot adds amplitude ``sqrt(power)`` with a phase step of
  ``pi sin(bearing)`` per antenna, over complex Gaussian noise of unit power; scaled by
  ``IQ_SCALE`` into int16.

Unlike the TI out-of-box demo, whose TLV 4 holds the zero-Doppler (static) part, the simulator puts
the moving returns there: what the agent needs to estimate a bearing per range bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.simulators.radar.render import Plots

NOISE_COUNTS = 64.0  # heat-map counts per noise mean
IQ_SCALE = 16.0  # antenna-sample counts per unit noise amplitude
LEAK = 0.4  # share of a cell's power in each of its four neighbours


@dataclass(frozen=True, slots=True)
class MapGeometry:
    """The board's profile as far as the maps go; the agent's ``[radars.<id>.cfar]`` must match."""

    range_bins: int = 128
    doppler_bins: int = 16
    range_bin_m: float = 0.5
    doppler_bin_mps: float = 0.5
    antennas: int = 8


def doppler_bin(v_mps: npt.NDArray[np.float64], g: MapGeometry) -> npt.NDArray[np.int64]:
    """FFT-order Doppler bin of a radial speed (speeds beyond the unambiguous span alias, as on a board)."""
    return np.mod(np.rint(v_mps / g.doppler_bin_mps).astype(np.int64), g.doppler_bins)


def render_maps(
    plots: Plots, g: MapGeometry, rng: np.random.Generator
) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.complex128]]:
    """(flat heat map, flat azimuth samples) of one scan: range bin major, as the TLVs carry them."""
    r, d = g.range_bins, g.doppler_bins
    power = rng.exponential(1.0, (r, d))
    inside = (plots.range_m >= 0) & (plots.range_m < r * g.range_bin_m)
    rb = np.rint(plots.range_m[inside] / g.range_bin_m).astype(np.int64).clip(0, r - 1)
    db = doppler_bin(plots.doppler_mps[inside], g)
    p = 10.0 ** (plots.snr_db[inside] / 10.0)
    np.add.at(power, (rb, db), p)
    for dr, dd in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        np.add.at(power, (np.mod(rb + dr, r), np.mod(db + dd, d)), LEAK * p)
    heat = np.clip(np.rint(power * NOISE_COUNTS), 0, 65535).astype(np.uint16)
    k = np.arange(g.antennas)
    noise = (rng.normal(size=(r, g.antennas)) + 1j * rng.normal(size=(r, g.antennas))) / np.sqrt(2.0)
    phase = np.pi * np.sin(np.radians(plots.bearing_deg[inside]))[:, None] * k[None, :]
    samples = np.sqrt(p)[:, None] * np.exp(1j * (phase + rng.uniform(0, 2 * np.pi, (len(p), 1))))
    np.add.at(noise, rb, samples)
    return heat.ravel(), (noise * IQ_SCALE).ravel()
