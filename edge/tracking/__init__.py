"""Multi-object tracking from small parts (predictor, associator, updater, initiator, deleter).

``box_tracker`` assembles the camera/thermal tracker from a ``TrackerConfig``; radar builds its own
from the same parts with ``ConstantVelocityPoint`` and ``DistanceAssociator``.
"""

from __future__ import annotations

from borderwatch.edge.config.tracker import TrackerConfig
from borderwatch.edge.tracking.associator import Assignment, DistanceAssociator, IoUAssociator, solve
from borderwatch.edge.tracking.deleter import TimeDeleter
from borderwatch.edge.tracking.initiator import Initiator
from borderwatch.edge.tracking.kalman import KalmanPredictor, KalmanUpdater
from borderwatch.edge.tracking.models import ConstantVelocityBox, ConstantVelocityPoint, MotionModel
from borderwatch.edge.tracking.tracker import Tracker
from borderwatch.edge.tracking.tracks import TrackerOutput, Tracks

__all__ = [
    "Assignment",
    "ConstantVelocityBox",
    "ConstantVelocityPoint",
    "DistanceAssociator",
    "Initiator",
    "IoUAssociator",
    "KalmanPredictor",
    "KalmanUpdater",
    "MotionModel",
    "TimeDeleter",
    "Tracker",
    "TrackerOutput",
    "Tracks",
    "box_tracker",
    "solve",
]


def box_tracker(cfg: TrackerConfig, first_id: int = 1, model: MotionModel | None = None) -> Tracker:
    """The image-box tracker described by ``cfg``."""
    model = model or ConstantVelocityBox()
    associator = (
        IoUAssociator(model, cfg.max_cost, cfg.class_aware)
        if cfg.association == "iou"
        else DistanceAssociator(model, cfg.max_cost, cfg.class_aware)
    )
    return Tracker(
        KalmanPredictor(model),
        associator,
        KalmanUpdater(model),
        Initiator(model, cfg.min_hits, cfg.min_init_confidence, first_id),
        TimeDeleter(cfg.max_age_s),
        cfg.stationary_s,
        cfg.stationary_frac,
    )
