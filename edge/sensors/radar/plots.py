"""One scan's plots -> target detections in sensor-frame metres, vectorised (no loop per plot).

Steps: with ``cfar.points = "heatmap"``, the plots are the TI heat map's own CFAR peaks
(``mapdetect.py``); drop plots without a finite range/bearing or beyond ``max_range_m``; on a TI heat
map with CFAR checking the device's points, keep only plots whose range bin (+-1) holds a CFAR
peak; convert range/bearing to x/y once (``Pose.to_metric``); cluster plots closer than
``cluster_m`` into one target (centroid position, mean Doppler, strongest SNR, Doppler spread and
plot count for the classifier).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.contract.common import ObjectClass
from borderwatch.edge.pipeline.classes import CLASS_INDEX
from borderwatch.edge.pipeline.detections import BEARING_DEG, DOPPLER_MPS, RANGE_M, SNR_DB, X_M, Y_M, Detections
from borderwatch.edge.pipeline.polar import metric_to_polar
from borderwatch.edge.sensors.radar.config import CfarConfig, RadarConfig
from borderwatch.edge.sensors.radar.geometry import Pose
from borderwatch.edge.sensors.radar.mapdetect import cfar_peaks, heatmap_plots, power_map
from borderwatch.edge.sensors.radar.scan import RadarScan
from borderwatch.edge.sensors.radar.tracking import centroids, cluster, spread

F64 = npt.NDArray[np.float64]
UNKNOWN = CLASS_INDEX[ObjectClass.UNKNOWN]


@dataclass(frozen=True, slots=True)
class Targets:
    """Clustered targets: Detections (x/y metres and polar columns) plus classifier observations."""

    dets: Detections
    doppler_spread: F64
    plots: F64


def cfar_range_bins(heatmap: npt.NDArray[np.uint16], cfg: CfarConfig) -> npt.NDArray[np.bool_] | None:
    """Range bins holding a CFAR peak of the (range x Doppler) heat map; None if its size does not fit."""
    power = power_map(heatmap, cfg)
    return None if power is None else cfar_peaks(power, cfg).any(axis=1)


def targets_of(scan: RadarScan, pose: Pose, cfg: RadarConfig) -> Targets:
    """The scan's plots (or, with ``cfar.points = "heatmap"``, the heat map's CFAR peaks) as clustered
    targets in sensor-frame metres."""
    p, bearing_true = scan.plots, scan.plots_true
    if cfg.cfar.enabled and cfg.cfar.points == "heatmap" and scan.heatmap is not None:
        found = heatmap_plots(scan.heatmap, scan.azimuth, cfg.cfar)
        if found is not None:
            p, bearing_true = found, np.zeros(len(found["range_m"]), bool)
            scan = RadarScan(plots=p, plots_true=bearing_true)
    keep = np.isfinite(p["range_m"]) & np.isfinite(p["bearing_deg"]) & (p["range_m"] <= cfg.max_range_m)
    keep &= p["range_m"] >= 0
    if cfg.cfar.enabled and cfg.cfar.points == "device" and scan.heatmap is not None and keep.any():
        bins = cfar_range_bins(scan.heatmap, cfg.cfar)
        if bins is not None:
            idx = np.clip(np.rint(p["range_m"] / cfg.cfar.range_bin_m).astype(np.int64), 0, len(bins) - 1)
            near = bins | np.roll(bins, 1) | np.roll(bins, -1)
            keep &= near[idx]
    rng, brg = p["range_m"][keep], p["bearing_deg"][keep]
    x, y = pose.to_metric(rng, brg, bearing_true[keep])
    doppler = np.nan_to_num(p["doppler_mps"][keep])
    snr = p["snr_db"][keep]
    labels, count = cluster(np.stack((x, y), axis=1), cfg.tracker.cluster_m)
    cx, cy, cd = centroids(np.stack((x, y, doppler), axis=1), labels, count).T if count else np.zeros((3, 0))
    best = np.full(count, -np.inf)
    np.maximum.at(best, labels, np.nan_to_num(snr, nan=-np.inf))
    best[~np.isfinite(best)] = np.nan
    r, b = metric_to_polar(cx, cy)
    extra = {X_M: cx, Y_M: cy, RANGE_M: r, BEARING_DEG: b, DOPPLER_MPS: cd, SNR_DB: best}
    dets = Detections(np.zeros((count, 4)), np.ones(count), np.full(count, UNKNOWN, np.int64), extra=extra)
    return Targets(dets, spread(doppler, labels, count), np.bincount(labels, minlength=count).astype(np.float64))
