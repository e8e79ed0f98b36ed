"""Kalman predictor and updater, batched over tracks (one matmul per step, no loop per track)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.edge.tracking.models import MotionModel
from borderwatch.edge.tracking.tracks import Tracks

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class KalmanPredictor:
    """Moves every track's state from its own ``state_ts`` to ``ts``."""

    model: MotionModel

    def predict(self, tracks: Tracks, ts: float) -> Tracks:
        """Each track advanced by its own elapsed time and its covariance grown by the process noise; never backwards
        (a frame older than a track's state leaves it where it is).
        """
        if len(tracks) == 0:
            return tracks
        dt = np.maximum(ts - tracks.state_ts, 0.0)
        f = self.model.transition(dt)
        mean = (f @ tracks.mean[:, :, None])[:, :, 0]
        cov = f @ tracks.cov @ f.transpose(0, 2, 1) + self.model.process_noise(tracks.mean, dt)
        state_ts = np.empty(len(tracks))
        state_ts.fill(ts)  # ``np.full`` is a Python wrapper around these two calls
        return tracks.evolve(mean=mean, cov=cov, state_ts=state_ts)


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
        gain = _gain(pht, s)
        innovation = z - mean @ ht
        new_mean = mean + (gain @ innovation[:, :, None])[:, :, 0]
        new_cov = cov - gain @ (h @ cov)  # (I - K H) P
        return new_mean, 0.5 * (new_cov + new_cov.transpose(0, 2, 1))


def _gain(pht: F64, s: F64) -> F64:
    """Kalman gain K = P H' S^-1 for (K, D, m) ``pht`` and (K, m, m) innovation covariances ``s``.

    When every S is diagonal -- measured axes uncorrelated, as in both shipped models, whose diagonal
    noises and axis-wise transitions keep the covariance block-diagonal -- the gain is a division;
    otherwise one batched solve of S K' = H P (S and P are symmetric). The division is the cheap case
    that matters: a LAPACK call costs far more than the arithmetic of a few 4 x 4 systems.
    """
    k, m = s.shape[0], s.shape[1]
    diagonal = s.reshape(k, m * m)[:, :: m + 1]  # (K, m) view of the diagonals
    if np.count_nonzero(s) == np.count_nonzero(diagonal):  # nothing off the diagonal
        return pht / diagonal[:, None, :]
    return np.linalg.solve(s, pht.transpose(0, 2, 1)).transpose(0, 2, 1)
