"""The radar's tracker, assembled from the shared parts (``edge/tracking``) in the Stone Soup mould:
Kalman predictor/updater over the metric constant-velocity point model, distance association
gated in metres and solved globally (``GatedAssociator``: global nearest neighbour), and an
M-of-N initiator/deleter written here (the radar's rule: confirm a track with M hits within its
first N scans, drop it once M can no longer be reached, let a confirmed track coast unseen for
``max_coast_s``). Plots are clustered into targets before tracking (one target, several plots).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from borderwatch.edge import tracking
from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.pipeline.trackstate import TrackState
from borderwatch.edge.sensors.radar.config import RadarTrackerConfig
from borderwatch.edge.tracking.models import MotionModel
from borderwatch.edge.tracking.tracks import Tracks

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_OUTSIDE = 1e3  # cost of any pair outside the gate (equal for all: no pull)


def cluster(xy: F64, eps_m: float) -> tuple[I64, int]:
    """Cluster label per point (points within ``eps_m`` of each other, transitively) and the count."""
    n = len(xy)
    if n == 0 or eps_m <= 0:
        return np.arange(n, dtype=np.int64), n
    pairs = cKDTree(xy).query_pairs(eps_m, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64), int(count)


def centroids(values: F64, labels: I64, count: int) -> F64:
    """Per-cluster mean of each column of ``values`` (N, K) -> (count, K)."""
    size = np.bincount(labels, minlength=count).astype(np.float64)
    sums = np.stack([np.bincount(labels, values[:, k], minlength=count) for k in range(values.shape[1])], axis=1)
    return sums / size[:, None]


def spread(values: F64, labels: I64, count: int) -> F64:
    """Per-cluster standard deviation of a column (0 for single points)."""
    mean = centroids(values[:, None], labels, count)[:, 0]
    return np.sqrt(centroids(((values - mean[labels]) ** 2)[:, None], labels, count)[:, 0])


@dataclass(frozen=True, slots=True)
class GatedAssociator:
    """Global nearest neighbour with the gate inside the cost matrix.

    Pairs farther apart than ``gate_m`` all cost the same large constant before the assignment is
    solved, so far-off clutter cannot pull a track away from its own plot to lower a sum of
    refused pairs (which a gate applied only after the assignment allows).
    """

    model: MotionModel
    gate_m: float

    def associate(self, tracks: Tracks, dets: Detections) -> tracking.Assignment:
        if len(tracks) == 0 or len(dets) == 0:
            return tracking.solve(np.zeros((len(tracks), len(dets))), 1.0)
        predicted = self.model.positions(tracks.mean)
        measured = self.model.positions(self.model.measure(dets))
        cost = np.linalg.norm(predicted[:, None, :] - measured[None, :, :], axis=2) / self.gate_m
        cost[~(cost <= 1.0)] = _OUTSIDE
        return tracking.solve(cost, 1.0)


class MOfNInitiator(tracking.Initiator):
    """Tentative tracks from unmatched plots; confirmed with ``m`` hits within their first ``n`` scans."""

    def __init__(self, model: MotionModel, m: int, n: int, first_id: int = 1) -> None:
        super().__init__(model, min_hits=m, min_confidence=0.0, first_id=first_id)
        self.m, self.n = int(m), int(n)
        self.scan = 0
        self.born = TrackState({"scan": 0})

    def scans_seen(self, tracks: Tracks) -> I64:
        """How many scans each track has existed for, this one included."""
        return self.scan - self.born.get(tracks.ids)["scan"] + 1

    def initiate(self, dets: Detections, ts: float) -> Tracks:
        tracks = super().initiate(dets, ts)
        self.born.set(tracks.ids, {"scan": np.full(len(tracks), self.scan)})
        return tracks

    def promote(self, tracks: Tracks) -> tuple[Tracks, np.ndarray]:
        self.scan += 1  # the tracker promotes once per step: a scan
        newly = ~tracks.confirmed & (tracks.hits >= self.m) & (self.scans_seen(tracks) <= self.n)
        if not newly.any():
            return tracks, tracks.ids[newly]
        return tracks.evolve(confirmed=tracks.confirmed | newly), tracks.ids[newly]


class MOfNDeleter:
    """Tentative tracks end once M hits in N scans is out of reach; confirmed ones after coasting."""

    def __init__(self, initiator: MOfNInitiator, max_coast_s: float) -> None:
        self.initiator, self.max_coast_s = initiator, float(max_coast_s)

    def gone(self, tracks: Tracks, ts: float, looked: np.ndarray) -> np.ndarray:
        left = self.initiator.n - self.initiator.scans_seen(tracks)
        hopeless = ~tracks.confirmed & (tracks.hits + np.maximum(left, 0) < self.initiator.m)
        coasted = tracks.confirmed & ((ts - tracks.last_ts) > self.max_coast_s)
        gone = hopeless | coasted
        if gone.any():
            self.initiator.born.forget(tracks.ids[gone])
        return gone


def radar_tracker(cfg: RadarTrackerConfig, first_id: int = 1) -> tuple[tracking.Tracker, MOfNInitiator]:
    """The tracker described by ``cfg`` (and its initiator, whose id counter radar-made tracks share)."""
    model = tracking.ConstantVelocityPoint(
        measurement_std=cfg.measurement_std_m, acceleration_std=cfg.acceleration_std, length_scale=cfg.gate_m
    )
    initiator = MOfNInitiator(model, cfg.confirm_m, cfg.confirm_n, first_id)
    tracker = tracking.Tracker(
        tracking.KalmanPredictor(model),
        GatedAssociator(model, cfg.gate_m),
        tracking.KalmanUpdater(model),
        initiator,
        MOfNDeleter(initiator, cfg.max_coast_s),
    )
    return tracker, initiator
