"""Motion models: what a track's state is and how it moves, measured and converted to boxes.

The predictor and updater only see matrices from here, so the same tracker serves image boxes
(camera, thermal) and ground positions (radar plots converted to metres) by swapping the model.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.detections import X_M, Y_M, Detections
from borderwatch.runtime.geometry import xyxy_to_cxcywh

F64 = npt.NDArray[np.float64]


class MotionModel(Protocol):
    """Linear-Gaussian motion and measurement model, batched over tracks."""

    dim: int
    H: F64

    def measure(self, dets: Detections) -> F64:
        """(N, m) measurement vectors of detections."""
        ...

    def initial(self, z: F64) -> tuple[F64, F64]:
        """Mean (N, D) and covariance (N, D, D) of new tracks from their first measurement."""
        ...

    def transition(self, dt: F64) -> F64:
        """(T, D, D) state transition for per-track time steps ``dt`` (seconds)."""
        ...

    def process_noise(self, mean: F64, dt: F64) -> F64:
        """(T, D, D) process noise over ``dt``."""
        ...

    def measurement_noise(self, z: F64) -> F64:
        """(N, m, m) measurement noise."""
        ...

    def boxes(self, mean: F64) -> F64:
        """(T, 4) xyxy boxes of states (zero-size boxes for point models)."""
        ...

    def positions(self, mean: F64) -> F64:
        """(T, 2) positions used by distance association and stationarity."""
        ...

    def scale(self, mean: F64) -> F64:
        """(T,) natural length scale of each track (box height, or a constant for points)."""
        ...


@functools.cache
def _constant(rows: int, cols: int, offset: int = 0) -> F64:
    """A shared read-only ``np.eye(rows, cols, offset)``: models hand out the same matrices every step."""
    m = np.eye(rows, cols, offset)
    m.flags.writeable = False
    return m


@functools.cache
def _variances(position_std: float, velocity_std: float, size_velocity_std: float) -> F64:
    """Read-only diag(position_std^2 x4, velocity_std^2 x2, size_velocity_std^2 x2): the box model's process
    noise per px^2 s."""
    m = np.diag(np.repeat([position_std**2, velocity_std**2, size_velocity_std**2], (4, 2, 2)))
    m.flags.writeable = False
    return m


@functools.cache
def _initial_std(measurement_std: float, velocity_std: float, size_velocity_std: float) -> F64:
    """Read-only (8,) standard deviations of a new box track per box height: twice the measurement's on the box,
    then the centre's and the size's velocities."""
    m = np.repeat([2 * measurement_std, velocity_std, size_velocity_std], (4, 2, 2)).astype(np.float64)
    m.flags.writeable = False
    return m


def _cv_transition(dt: F64, half: int) -> F64:
    """I + dt * (position <- velocity coupling), per track."""
    d = 2 * half
    return _constant(d, d) + np.asarray(dt, np.float64)[:, None, None] * _constant(d, d, half)


@dataclass(frozen=True, slots=True)
class ConstantVelocityBox:
    """State (cx, cy, w, h, vcx, vcy, vw, vh) in pixels and pixels/s; noise scales with box height.

    Scaling by height keeps one parameter set sensible for a person at 20 m and at 300 m.

    Why the size velocities (vw, vh) get their own, far smaller noise: a walker crosses a box height
    or more per second, but grows or shrinks by a few per cent of it (h * speed / distance: 0.03 h/s
    at 50 m, 0.3 h/s at 5 m). With the centre's slack, a distant person's noisy detected widths taught
    vw a steep shrink that a second of coasting (rain, a missed look) turned into a 1-px box no
    detection overlaps: the track ended and the same person came back as a new one.
    """

    measurement_std: float = 0.05
    position_std: float = 0.05
    velocity_std: float = 0.5
    initial_velocity_std: float = 1.0
    size_velocity_std: float = 0.05
    initial_size_velocity_std: float = 0.5
    dim: int = 8

    @property
    def H(self) -> F64:  # noqa: N802 - the textbook name
        """Read-only (4, 8): the box part of the state is what is measured. Shared between calls: never write to it."""
        return _constant(4, 8)

    def measure(self, dets: Detections) -> F64:
        """(N, 4) centre x, centre y, width, height of the detections' boxes, in pixels."""
        return xyxy_to_cxcywh(dets.xyxy)

    def _height(self, hvec: F64) -> F64:
        return np.maximum(np.asarray(hvec, np.float64), 1.0)

    def initial(self, z: F64) -> tuple[F64, F64]:
        """At rest, with a velocity uncertainty of ``initial_velocity_std`` box heights per second (the first match
        may come from any direction) and ``initial_size_velocity_std`` for the size terms.
        """
        n = len(z)
        mean = np.concatenate((z, np.zeros((n, 4))), axis=1)
        h = self._height(z[:, 3])[:, None]
        per_h = _initial_std(self.measurement_std, self.initial_velocity_std, self.initial_size_velocity_std)
        return mean, _diag((h * per_h) ** 2)

    def transition(self, dt: F64) -> F64:
        """Constant velocity on all four box terms: size changes linearly too, as an object approaches."""
        return _cv_transition(dt, 4)

    def process_noise(self, mean: F64, dt: F64) -> F64:
        """Grows with ``dt`` and with box height squared, so a near and a far person get the same relative slack;
        a negative ``dt`` counts as 0.
        """
        h = self._height(mean[:, 3])
        dt = np.maximum(np.asarray(dt, np.float64), 0.0)
        return (h * h * dt)[:, None, None] * _variances(self.position_std, self.velocity_std, self.size_velocity_std)

    def measurement_noise(self, z: F64) -> F64:
        """``measurement_std`` box heights on each of the four terms."""
        sd = self.measurement_std * self._height(z[:, 3])
        return (sd * sd)[:, None, None] * _constant(4, 4)

    def boxes(self, mean: F64) -> F64:
        """Width and height floored at 1 px, so a shrinking prediction still has an area to overlap."""
        centre, half = mean[:, :2], np.maximum(mean[:, 2:4], 1.0) * 0.5
        return np.concatenate((centre - half, centre + half), axis=1)

    def positions(self, mean: F64) -> F64:
        """Box centres in pixels."""
        return mean[:, :2]

    def scale(self, mean: F64) -> F64:
        """Box height in pixels, at least 1 (noise is scaled and distances are divided by it)."""
        return self._height(mean[:, 3])


@dataclass(frozen=True, slots=True)
class ConstantVelocityPoint:
    """State (x, y, vx, vy) in metres (or any unit) for position-only sensors such as radar plots.

    Measurements are the two ``extra`` columns named by ``x_key``/``y_key`` (by default the metric
    ``x_m``/``y_m`` that ``edge/pipeline/polar.py`` computes from range and bearing).
    """

    measurement_std: float = 2.0
    acceleration_std: float = 1.0
    initial_velocity_std: float = 5.0
    length_scale: float = 2.0
    x_key: str = X_M
    y_key: str = Y_M
    dim: int = 4

    @property
    def H(self) -> F64:  # noqa: N802
        """Read-only (2, 4): only the position is measured. Shared between calls; never write into it."""
        return _constant(2, 4)

    def measure(self, dets: Detections) -> F64:
        """(N, 2) from the ``x_key``/``y_key`` extra columns; KeyError for detections without them (polar ones not
        converted by ``polar.with_metric``).
        """
        return np.stack((dets.extra[self.x_key], dets.extra[self.y_key]), axis=1).astype(np.float64)

    def initial(self, z: F64) -> tuple[F64, F64]:
        """At rest, position within ``measurement_std`` and velocity within ``initial_velocity_std``."""
        n = len(z)
        mean = np.concatenate((z, np.zeros((n, 2))), axis=1)
        std = np.array([self.measurement_std] * 2 + [self.initial_velocity_std] * 2)
        return mean, _diag(np.tile(std**2, (n, 1)))

    def transition(self, dt: F64) -> F64:
        """Constant velocity in x and y."""
        return _cv_transition(dt, 2)

    def process_noise(self, mean: F64, dt: F64) -> F64:
        """White acceleration of ``acceleration_std`` per axis (position variance grows with dt cubed); a negative
        ``dt`` counts as 0.
        """
        dt = np.maximum(np.asarray(dt, np.float64), 0.0)
        q = self.acceleration_std**2
        block = np.stack([np.stack([dt**3 / 3, dt**2 / 2], -1), np.stack([dt**2 / 2, dt], -1)], -2) * q
        out = np.zeros((len(dt), 4, 4))
        for axis in range(2):  # two fixed axes, not a per-track loop
            idx = np.array([axis, axis + 2])
            out[:, idx[:, None], idx[None, :]] = block
        return out

    def measurement_noise(self, z: F64) -> F64:
        """``measurement_std`` on each axis for every plot: range-dependent error is not modelled."""
        return _diag(np.full((len(z), 2), self.measurement_std**2))

    def boxes(self, mean: F64) -> F64:
        """Zero-size boxes at the position: a plot has no extent, so IoU association does not apply."""
        return np.concatenate((mean[:, :2], mean[:, :2]), axis=1)

    def positions(self, mean: F64) -> F64:
        """The metric position (x, y)."""
        return mean[:, :2]

    def scale(self, mean: F64) -> F64:
        """The constant ``length_scale``: a plot has no size to measure distances against."""
        return np.full(len(mean), self.length_scale)


def _diag(values: F64) -> F64:
    """(N, D) -> (N, D, D) diagonal matrices."""
    v = np.asarray(values, np.float64)
    d = v.shape[-1]
    return v[:, :, None] * _constant(d, d)
