"""Actor silhouettes as polygons in metres on a billboard (x right in the image, y up, feet at 0).

Why polygons: the renderer scales them by the camera's pixels-per-metre and fills them with
cv2.fillPoly, and the ground-truth box is the polygons' own extent, so labels match pixels.
`profile` is |sin| of the angle between the actor's heading and the line of sight: 1 = seen
side-on (walking across the view), 0 = seen from front or back.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Part = tuple[npt.NDArray[np.float64], int]  # polygon (P, 2) metres, part kind
MAIN, SECOND, SKIN, DARK, GLASS, LIGHT = range(6)


def _quad(x0: float, y0: float, x1: float, y1: float, w0: float, w1: float) -> npt.NDArray[np.float64]:
    """A limb from (x0, y0) to (x1, y1), w0 wide at the start and w1 at the end."""
    return np.array([[x0 - w0 / 2, y0], [x0 + w0 / 2, y0], [x1 + w1 / 2, y1], [x1 - w1 / 2, y1]])


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> npt.NDArray[np.float64]:
    t = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def person(height: float, width: float, profile: float, facing: float, phase: float) -> list[Part]:
    """Head, torso, two arms and two legs swinging with the gait phase."""
    k = height / 1.75
    hw = 0.5 * (width * (1 - profile) + 0.3 * profile) * k
    swing = 0.3 * k * np.sin(2 * np.pi * phase) * (0.25 + 0.75 * profile)
    parts: list[Part] = []
    for side in (-1.0, 1.0):
        hip = side * hw * 0.42 * (1 - profile)
        parts.append((_quad(hip, 0.95 * k, hip + side * swing, 0.0, 0.15 * k, 0.11 * k), SECOND))
    parts.append((np.array([[-hw, 1.45 * k], [hw, 1.45 * k], [0.8 * hw, 0.9 * k], [-0.8 * hw, 0.9 * k]]), MAIN))
    for side in (-1.0, 1.0):
        sh = side * hw * (1 - 0.7 * profile)
        parts.append((_quad(sh, 1.42 * k, sh - side * swing * 0.6 + side * 0.03, 0.82 * k, 0.1 * k, 0.08 * k), MAIN))
    parts.append((_quad(0.0, 1.4 * k, 0.0, 1.54 * k, 0.08 * k, 0.08 * k), SKIN))
    parts.append((_ellipse(0.03 * facing * profile * k, 1.635 * k, 0.1 * k, 0.115 * k), SKIN))
    return parts


def vehicle(height: float, width: float, length: float, profile: float, facing: float) -> list[Part]:
    """A car: body, cabin with windows, wheels; side view or front/back view by profile."""
    span = length * profile + width * (1 - profile)
    x0, x1 = -span / 2, span / 2
    if profile > 0.5:
        nose = facing * span * 0.08
        cabin = np.array(
            [
                [x0 + 0.22 * span + nose, 0.9 * height],
                [x1 - 0.3 * span + nose, 0.9 * height],
                [x1 - 0.36 * span + nose, height],
                [x0 + 0.3 * span + nose, height],
            ]
        )
        win = cabin.copy()
        win[:, 0] = win[:, 0] * 0.85 + nose * 0.15
        win[:2, 1], win[2:, 1] = 0.62 * height, 0.93 * height
        cabin[:2, 1] = 0.55 * height
        r = 0.19 * span / 2.4
        wheels = [(_ellipse(c, r, r, r), DARK) for c in (x0 + 0.2 * span, x1 - 0.2 * span)]
        return [
            (
                np.array([[x0, 0.2 * height], [x1, 0.2 * height], [x1, 0.6 * height], [x0, 0.6 * height]]),
                MAIN,
            ),
            (cabin, MAIN),
            (win, GLASS),
            *wheels,
        ]
    body = np.array([[x0, 0.12 * height], [x1, 0.12 * height], [x1, 0.6 * height], [x0, 0.6 * height]])
    cabin = np.array(
        [
            [x0 + 0.06 * span, 0.6 * height],
            [x1 - 0.06 * span, 0.6 * height],
            [x1 - 0.14 * span, height],
            [x0 + 0.14 * span, height],
        ]
    )
    glass = np.array(
        [
            [x0 + 0.12 * span, 0.64 * height],
            [x1 - 0.12 * span, 0.64 * height],
            [x1 - 0.18 * span, 0.95 * height],
            [x0 + 0.18 * span, 0.95 * height],
        ]
    )
    tyres = [
        (_quad(c, 0.0, c, 0.2 * height, 0.16 * span, 0.16 * span), DARK) for c in (x0 + 0.1 * span, x1 - 0.1 * span)
    ]
    lights = [
        (_quad(c, 0.38 * height, c, 0.48 * height, 0.14 * span, 0.14 * span), LIGHT)
        for c in (x0 + 0.14 * span, x1 - 0.14 * span)
    ]
    return [*tyres, (body, MAIN), (cabin, MAIN), (glass, GLASS), *lights]


def animal(height: float, width: float, length: float, profile: float, facing: float, phase: float) -> list[Part]:
    """A deer-like quadruped: horizontal body, four legs, neck and head at the front."""
    k = height / 1.1
    span = length * profile + width * 1.4 * (1 - profile)
    body_y, body_ry = 0.72 * k, 0.16 * k
    swing = 0.12 * k * np.sin(2 * np.pi * phase) * profile
    head_x = facing * span * 0.42 * profile
    parts: list[Part] = []
    for j, x in enumerate((-0.3, -0.18, 0.2, 0.32)):
        lx = x * span * profile + (x / 3) * span * (1 - profile)
        s = swing if j % 2 == 0 else -swing
        parts.append((_quad(lx, body_y - 0.05 * k, lx + s, 0.0, 0.07 * k, 0.045 * k), SECOND))
    parts.append((_ellipse(0.0, body_y, span * (0.36 * profile + 0.5 * (1 - profile)), body_ry), MAIN))
    neck_x = head_x * 0.8
    parts.append(
        (
            _quad(neck_x - facing * 0.05 * k * profile, body_y + 0.05 * k, head_x, 0.95 * k, 0.14 * k, 0.09 * k),
            MAIN,
        )
    )
    parts.append(
        (
            _ellipse(head_x + facing * 0.06 * k * profile, 0.97 * k, 0.08 * k + 0.05 * k * profile, 0.065 * k),
            MAIN,
        )
    )
    parts.append((_quad(head_x - 0.03 * k, 1.0 * k, head_x - 0.05 * k, 1.1 * k, 0.03 * k, 0.02 * k), SECOND))
    return parts


def silhouette(class_id: int, size: npt.NDArray, profile: float, facing: float, phase: float) -> list[Part]:
    """Parts of one actor; size = (height, width, length) metres."""
    h, w, length = (float(x) for x in size)
    if class_id == 0:
        return person(h, w, profile, facing, phase)
    if class_id == 1:
        return vehicle(h, w, length, profile, facing)
    return animal(h, w, length, profile, facing, phase)


def fill_parts(img: npt.NDArray, polys_px: list[npt.NDArray[np.int32]], colors: list[tuple[float, ...]]) -> None:
    """Fill pixel polygons (fixed point, shift 4) in order; anti-aliased edges."""
    for poly, col in zip(polys_px, colors, strict=True):
        cv2.fillPoly(img, [poly], col, cv2.LINE_AA, shift=4)
