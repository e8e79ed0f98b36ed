"""Kalman predictor and updater, batched over tracks (one matmul per step, no loop per track)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.tracking.models import MotionModel
from edge.tracking.tracks import Tracks

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class KalmanPredictor:
    """Moves every track's state from its own ``state_ts`` to ``ts``."""

    model: MotionModel

    def predict(self, tracks: Tracks, ts: float) -> Tracks:
        if len(tracks) == 0:
            return tracks
        dt = np.maximum(ts - tracks.state_ts, 0.0)
        f = self.model.transition(dt)
        mean = (f @ tracks.mean[:, :, None])[:, :, 0]
        cov = f @ tracks.cov @ f.transpose(0, 2, 1) + self.model.process_noise(tracks.mean, dt)
        return tracks.evolve(mean=mean, cov=cov, state_ts=np.full(len(tracks), float(ts)))


@dataclass(frozen=True, slots=True)
class KalmanUpdater:
    """Corrects the matched tracks with their measurements."""

    model: MotionModel

    def update(self, mean: F64, cov: F64, z: F64) -> tuple[F64, F64]:
        """Posterior mean (K, D) and covariance (K, D, D) of K (prediction, measurement) pairs."""
        if len(z) == 0:
            return mean, cov
        h = self.model.H
        ht = h.T
        pht = cov @ ht
        s = h @ pht + self.model.measurement_noise(z)
        # K = P H' S^-1, from one solve of S K' = H P (S and P are symmetric)
        gain = np.linalg.solve(s, pht.transpose(0, 2, 1)).transpose(0, 2, 1)
        innovation = z - mean @ ht
        new_mean = mean + (gain @ innovation[:, :, None])[:, :, 0]
        new_cov = cov - gain @ (h @ cov)  # (I - K H) P
        return new_mean, 0.5 * (new_cov + new_cov.transpose(0, 2, 1))
