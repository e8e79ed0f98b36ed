"""Moved to ``borderwatch.runtime.geometry`` (the edge and the simulators share it).

Only ``edge/pipeline/rules.py`` still imports this name: it is being changed on another branch, so
its import moves with that change; then this file goes. Nothing is defined here: a re-export, not a copy.
"""

from __future__ import annotations

from borderwatch.runtime.geometry import Segments, paths_cross_polyline, points_in_polygon

__all__ = ["Segments", "paths_cross_polyline", "points_in_polygon"]
