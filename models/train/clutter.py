"""Real-looking clutter drawn into training backgrounds, unlabelled, so the detector learns to leave it alone.

Why these objects: on real footage the simulation-trained model took windows, a road sign,
traffic cones and a tripod for people, and stones and litter on the grass for animals. Each is
drawn here as a shaded shape with the outline, colours and proportions that fooled it: thin
upright poles and sign posts (person-like aspect), cones, window grids on a wall, rounded stones
and bags (animal-sized blobs), scattered litter and three-legged tripods. They go into the
background before the actors are rendered, so actors may stand in front of them.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
Colour = tuple[float, float, float]


def _shade(rng: np.random.Generator, base: npt.ArrayLike, spread: float = 25.0) -> Colour:
    c = np.clip(np.asarray(base, float) + rng.normal(0, spread, 3), 0, 255)
    return (float(c[0]), float(c[1]), float(c[2]))


def _darker(c: Colour, k: float) -> Colour:
    return (c[0] * k, c[1] * k, c[2] * k)


def pole(img: U8, rng: np.random.Generator, x: int, y: int, h: int) -> None:
    """A post or lamp pole standing at (x, y) (its foot), ``h`` px tall, lit from one side."""
    w = max(1, int(h * rng.uniform(0.03, 0.09)))
    col = _shade(rng, rng.choice([[90, 90, 90], [60, 80, 110], [150, 150, 150], [40, 40, 40]]))
    cv2.rectangle(img, (x - w // 2, y - h), (x + (w + 1) // 2, y), col, -1)
    if w >= 3:
        cv2.line(img, (x + (w + 1) // 2 - 1, y - h), (x + (w + 1) // 2 - 1, y), _darker(col, 0.6), 1)
    if rng.random() < 0.3:  # lamp arm
        cv2.line(img, (x, y - h), (x + int(h * rng.uniform(-0.25, 0.25)), y - h), col, max(1, w // 2))


def sign(img: U8, rng: np.random.Generator, x: int, y: int, h: int) -> None:
    """A road sign: a post with a round, triangular or square plate on top."""
    pole(img, rng, x, y, h)
    r = max(2, int(h * rng.uniform(0.12, 0.22)))
    cy = y - h
    face = _shade(rng, rng.choice([[40, 40, 200], [200, 120, 30], [30, 170, 230], [240, 240, 240]]), 15)
    kind = rng.integers(3)
    if kind == 0:
        cv2.circle(img, (x, cy), r, (230, 230, 230), -1)
        cv2.circle(img, (x, cy), max(1, int(r * 0.8)), face, -1)
    elif kind == 1:
        pts = np.array([[x, cy - r], [x - r, cy + r], [x + r, cy + r]], np.int32)
        cv2.fillPoly(img, [pts], (240, 240, 240))
        cv2.polylines(img, [pts], True, (30, 30, 200), max(1, r // 4))
    else:
        cv2.rectangle(img, (x - r, cy - r), (x + r, cy + r), face, -1)
        cv2.rectangle(img, (x - r, cy - r), (x + r, cy + r), (240, 240, 240), max(1, r // 5))


def cone(img: U8, rng: np.random.Generator, x: int, y: int, h: int) -> None:
    """A traffic cone with white bands, standing at (x, y)."""
    h = max(4, h // 3)
    w = max(2, int(h * rng.uniform(0.35, 0.5)))
    orange = _shade(rng, [20, 100, 240], 15)
    pts = np.array([[x - w, y], [x + w, y], [x + max(1, w // 5), y - h], [x - max(1, w // 5), y - h]], np.int32)
    cv2.fillPoly(img, [pts], orange)
    for f in (0.35, 0.65):
        yy = int(y - h * f)
        half = int(w * (1 - f) + w * f / 5)
        cv2.line(img, (x - half, yy), (x + half, yy), (235, 235, 235), max(1, h // 10))
    cv2.rectangle(img, (x - w - 1, y - max(1, h // 12)), (x + w + 1, y), _darker(orange, 0.5), -1)


def windows(img: U8, rng: np.random.Generator, x: int, y: int, h: int) -> None:
    """A wall with a grid of windows (frames, glass with reflections), its bottom at row y."""
    rows, cols = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    ww, wh = max(3, int(h * rng.uniform(0.2, 0.4))), max(4, int(h * rng.uniform(0.3, 0.6)))
    gap = max(2, int(ww * rng.uniform(0.3, 0.8)))
    wall = _shade(rng, rng.choice([[170, 180, 190], [90, 110, 150], [200, 200, 200], [60, 70, 90]]))
    x1, y0 = x + cols * (ww + gap) + gap, y - rows * (wh + gap) - gap
    cv2.rectangle(img, (x, y0), (x1, y), wall, -1)
    for r in range(rows):
        for c in range(cols):
            a, b = x + gap + c * (ww + gap), y0 + gap + r * (wh + gap)
            glass = _shade(rng, rng.choice([[60, 50, 40], [150, 130, 110], [200, 190, 170]]), 20)
            cv2.rectangle(img, (a, b), (a + ww, b + wh), glass, -1)
            cv2.rectangle(img, (a, b), (a + ww, b + wh), (230, 230, 230), max(1, ww // 8))
            if rng.random() < 0.6:
                cv2.line(img, (a + ww // 2, b), (a + ww // 2, b + wh), (230, 230, 230), max(1, ww // 10))


def stone(img: U8, rng: np.random.Generator, x: int, y: int, h: int) -> None:
    """A rounded stone or boulder sitting at (x, y), lit from above."""
    ry = max(2, int(h * rng.uniform(0.08, 0.3)))
    rx = max(2, int(ry * rng.uniform(1.0, 2.2)))
    col = _shade(rng, rng.choice([[120, 120, 120], [90, 100, 110], [150, 145, 140], [70, 75, 80]]))
    cv2.ellipse(img, (x, y - ry), (rx, ry), float(rng.uniform(-15, 15)), 0, 360, col, -1)
    cv2.ellipse(img, (x, y - ry - ry // 3), (max(1, rx * 2 // 3), max(1, ry // 2)), 0, 180, 360, _darker(col, 1.25), -1)
    cv2.ellipse(img, (x, y - 1), (rx, max(1, ry // 4)), 0, 0, 180, _darker(col, 0.5), -1)


def bag(img: U8, rng: np.random.Generator, x: int, y: int, h: int) -> None:
    """A sack, rucksack or bin bag on the ground: a dark rounded body with a tied top."""
    bh = max(3, int(h * rng.uniform(0.12, 0.35)))
    bw = max(2, int(bh * rng.uniform(0.6, 1.3)))
    col = _shade(rng, rng.choice([[30, 30, 30], [40, 70, 40], [150, 110, 60], [60, 60, 140], [200, 200, 200]]))
    cv2.ellipse(img, (x, y - bh // 2), (bw // 2 + 1, bh // 2 + 1), 0, 0, 360, col, -1)
    cv2.ellipse(img, (x, y - bh + 1), (max(1, bw // 5), max(1, bh // 6)), 0, 0, 360, _darker(col, 0.7), -1)
    cv2.ellipse(img, (x - bw // 5, y - bh // 2), (max(1, bw // 6), max(1, bh // 4)), 0, 0, 360, _darker(col, 1.3), -1)


def litter(img: U8, rng: np.random.Generator, x: int, y: int, h: int) -> None:
    """A handful of scattered bright scraps (paper, cans, bottles) around (x, y)."""
    spread = max(3, int(h * rng.uniform(0.1, 0.6)))
    for _ in range(int(rng.integers(2, 9))):
        cx, cy = x + int(rng.normal(0, spread)), y + int(rng.normal(0, spread / 3))
        s = max(1, int(h * rng.uniform(0.01, 0.06)))
        col = _shade(rng, rng.choice([[240, 240, 240], [40, 40, 200], [200, 160, 40], [60, 180, 60]]), 20)
        pts = np.array([[cx + rng.integers(-s, s + 1), cy + rng.integers(-s, s + 1)] for _ in range(4)], np.int32)
        cv2.fillConvexPoly(img, pts, col)


def tripod(img: U8, rng: np.random.Generator, x: int, y: int, h: int) -> None:
    """A surveying or camera tripod: three thin legs meeting at a head."""
    hh = max(4, int(h * rng.uniform(0.4, 0.7)))
    spread = max(2, int(hh * rng.uniform(0.2, 0.4)))
    col = _shade(rng, rng.choice([[40, 40, 40], [170, 170, 170], [40, 140, 200]]))
    t = max(1, hh // 40)
    for dx in (-spread, 0, spread):
        cv2.line(img, (x, y - hh), (x + dx, y), col, t)
    cv2.rectangle(img, (x - max(1, hh // 12), y - hh - max(2, hh // 8)), (x + max(1, hh // 12), y - hh), col, -1)


DRAWERS: tuple[Callable[[U8, np.random.Generator, int, int, int], None], ...] = (
    pole,
    sign,
    cone,
    windows,
    stone,
    bag,
    litter,
    tripod,
)


def scatter(img: U8, rng: np.random.Generator, n: int, horizon: int = 0) -> None:
    """Draw ``n`` clutter objects into ``img`` in place, lower (nearer) ones larger, as a mast camera sees them.

    ``horizon`` is the image row above which nothing stands (0 for photographs without one).
    """
    h, w = img.shape[:2]
    feet = np.sort(rng.uniform(max(horizon, 0) + 4, h * 1.02, n))  # far first: near objects drawn over them
    for y in feet:
        depth = (y - horizon) / max(h - horizon, 1)  # 0 at the horizon, 1 at the bottom row
        size = int(h * rng.uniform(0.03, 0.35) * (0.15 + depth))
        draw = DRAWERS[int(rng.integers(len(DRAWERS)))]
        draw(img, rng, int(rng.uniform(0, w)), int(y), max(size, 4))
