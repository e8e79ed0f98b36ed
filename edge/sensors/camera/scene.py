"""A camera's scene for one frame size: the shared rule geometry (``edge/pipeline/scene.py``) plus masks.

Masks are the camera's own: areas whose objects are hidden, and areas motion gating ignores.
"""

from __future__ import annotations

import numpy as np

from borderwatch.edge.pipeline.projection import make_projector
from borderwatch.edge.pipeline.scene import RuleScene
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.motion import motion_mask_image


class Scene(RuleScene):
    """Geometry of one camera at one frame size: rules, projection, object and motion masks."""

    def __init__(self, cfg: CameraConfig, frame_wh: tuple[int, int]) -> None:
        super().__init__(make_projector(cfg.pose, cfg.homography), cfg.lines, cfg.zones, frame_wh)
        hides = [np.asarray(m.points, np.float64) for m in cfg.masks if m.applies_to in ("objects", "both")]
        self.object_masks = hides
        motion = [np.asarray(m.points, np.float64) for m in cfg.masks if m.applies_to in ("motion", "both")]
        self.motion_ignore = motion_mask_image(motion, frame_wh, cfg.motion.width)
