"""The parts a ``Tracker`` is assembled from, as protocols: any object with these methods fits.

Why protocols: a sensor kind picks its parts (a camera: IoU association of boxes; a radar:
distance association of metric points, a different initiator or deleter) without the tracker
knowing any of them. The shipped parts are ``KalmanPredictor``/``KalmanUpdater`` (``kalman.py``),
``IoUAssociator``/``DistanceAssociator`` (``associator.py``), ``Initiator`` (``initiator.py``) and
``TimeDeleter`` (``deleter.py``); all work on whole arrays of tracks and detections.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.tracking.associator import Assignment
from borderwatch.edge.tracking.models import MotionModel
from borderwatch.edge.tracking.tracks import Tracks

F64 = npt.NDArray[np.float64]


class Predictor(Protocol):
    """Moves every track's state to the frame time; its ``model`` is the tracker's motion model."""

    @property
    def model(self) -> MotionModel:
        """The motion model (state layout, boxes, positions) every part of the tracker shares."""
        ...

    def predict(self, tracks: Tracks, ts: float) -> Tracks:
        """``tracks`` with their states and covariances moved to ``ts``."""
        ...


class Associator(Protocol):
    """Pairs tracks with detections (one assignment per step)."""

    def associate(self, tracks: Tracks, dets: Detections) -> Assignment:
        """Matched (track row, detection row) pairs and what is left over on each side."""
        ...


class Updater(Protocol):
    """Corrects matched tracks' (mean, cov) with their measurements ``z``, batched."""

    def update(self, mean: F64, cov: F64, z: F64) -> tuple[F64, F64]:
        """Corrected (mean, cov) of the matched rows."""
        ...


class Initiator(Protocol):
    """Which unmatched detections start tracks, the new tracks, and when a tentative track is confirmed."""

    def seeds(self, dets: Detections, rows: np.ndarray) -> np.ndarray:
        """Rows of ``dets`` (among ``rows``) that start a track."""
        ...

    def initiate(self, dets: Detections, ts: float) -> Tracks:
        """New tentative tracks, one per detection, with fresh ids."""
        ...

    def promote(self, tracks: Tracks) -> tuple[Tracks, np.ndarray]:
        """Tracks with newly confirmed ones marked, and the ids confirmed now."""
        ...


class Deleter(Protocol):
    """Which tracks end at ``ts`` (``looked``: the tracks the sensor inspected this frame)."""

    def gone(self, tracks: Tracks, ts: float, looked: np.ndarray) -> np.ndarray:
        """(T,) True for the tracks that end now."""
        ...
