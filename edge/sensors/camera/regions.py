"""Region planning: motion blobs and tracked objects -> a few model-sized crops of the frame.

Why crops: a 1920x1080 frame letterboxed into 320 px makes a person 30 px tall vanish; a
320-640 px crop around the motion keeps native resolution where it matters, and costs fewer model
inputs than tiling the whole frame. Overlapping squares are merged by connected components of their
overlap graph (one vectorised union), and when too many crops are needed (more than
``max_regions``, or most of the frame) the whole frame is used instead -- unless the crops are
still fewer model inputs than the whole-frame pass itself (a tiled frame is several). Each group
of boxes is cropped to its bounding box (grown, at least model-sized); a crop more than 1.25x too
long for the model input would be shrunk to fit it -- a group walking beside another person made
one 600 px crop, shrunk 2x, and the people in it, 10 px wide, were lost -- so it is split into
model-sized tiles at native resolution instead, overlapping by more than the objects in it, and a
box cut by a split edge is dropped (``Tiling``): the neighbouring tile saw that object whole (the
crop itself, shrunk, is added when an object is too large for that).

Whole frames can be tiled: overlapping squares at native resolution (plus the frame letterboxed,
for objects too big for a tile). A box touching a tile's inner edge is cut by it, and an overview
box of an object some tile saw whole is a blurred copy; both are dropped before NMS
(``Tiling.keep``) -- so tiling never doubles an object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import connected_components

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
_TILE_GROWTH = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0)
_SHRINK_OK = 1.25  # a motion crop shrunk this little for the model still shows a distant person (tiles grow so too)


def square_regions(boxes: npt.ArrayLike, frame_wh: tuple[int, int], side: int, grow: float = 1.4) -> I64:
    """A square (side >= ``side``) centred on each box, shifted inside the frame; (N, 4) int."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    w, h = frame_wh
    extent = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) * grow
    s = np.minimum(np.maximum(extent, side), min(w, h))
    centre = (b[:, :2] + b[:, 2:]) / 2
    lo = np.clip(centre - s[:, None] / 2, 0, np.array([w, h]) - s[:, None])
    return np.round(np.concatenate((lo, lo + s[:, None]), axis=1)).astype(np.int64)


# up to this many rectangles the components come from a boolean closure: scipy's graph call alone costs
# more than the whole merge of the few crops of a frame
_DENSE_NODES = 32


def components(adjacent: npt.NDArray[np.bool_]) -> tuple[int, I64]:
    """(count, label per node) of the connected components of a symmetric (N, N) adjacency matrix,
    numbered as scipy's ``connected_components`` numbers them: by the smallest node of each component.

    Small graphs (a frame's crops) by repeated squaring of the reachability matrix (a few boolean
    products), large ones by scipy.
    """
    n = len(adjacent)
    if n == 0:
        return 0, np.zeros(0, np.int64)
    if n > _DENSE_NODES:
        count, label = connected_components(adjacent, directed=False)
        return int(count), label.astype(np.int64)
    reach = adjacent | np.eye(n, dtype=bool)
    while True:
        wider = (reach[:, :, None] & reach[None, :, :]).any(axis=1)  # two steps of the current reach
        if np.array_equal(wider, reach):
            break
        reach = wider
    roots, label = np.unique(reach.argmax(axis=1), return_inverse=True)  # argmax: a component's first node
    return len(roots), label.astype(np.int64)


def merge_overlapping(rects: I64) -> I64:
    """Union of every group of transitively overlapping rectangles."""
    if len(rects) <= 1:
        return rects
    return _merge(rects)[0]


def _merge(rects: I64) -> tuple[I64, I64]:
    """The unions of ``merge_overlapping`` and, per input rectangle, the index of its union."""
    if len(rects) <= 1:
        return rects, np.zeros(len(rects), np.int64)
    lt = np.maximum(rects[:, None, :2], rects[None, :, :2])
    rb = np.minimum(rects[:, None, 2:], rects[None, :, 2:])
    overlap = np.all(rb > lt, axis=2)
    n, label = components(overlap)
    x1 = np.full(n, np.iinfo(np.int64).max)
    y1 = x1.copy()
    x2 = np.full(n, np.iinfo(np.int64).min)
    y2 = x2.copy()
    np.minimum.at(x1, label, rects[:, 0])
    np.minimum.at(y1, label, rects[:, 1])
    np.maximum.at(x2, label, rects[:, 2])
    np.maximum.at(y2, label, rects[:, 3])
    return np.stack((x1, y1, x2, y2), axis=1), label.astype(np.int64)


def plan_regions(
    boxes: npt.ArrayLike,
    frame_wh: tuple[int, int],
    side: int,
    max_regions: int,
    max_area_frac: float = 0.7,
    grow: float = 1.4,
    whole_inputs: int = 1,
) -> tuple[I64, Tiling | None]:
    """Model inputs (K, 4) covering ``boxes`` at native resolution, and the ``Tiling`` that sorts the
    boxes found where a region too large for the model was split (None when nothing was split); the
    full frame (no tiling) when cropping would not pay off: more than ``max_regions`` inputs, or most
    of the frame -- unless the crops are still fewer inputs than ``whole_inputs``, what the caller's
    whole-frame pass costs (9 for a 960x540 frame tiled for a 320 px model; 1 letterboxed, the default).

    Why the exception: a whole frame tiled is itself several inputs, so trading, say, 6 crops for it
    costs more inference for the same native-resolution look at what moves.

    Boxes whose squares overlap form one region: their bounding box, grown, and at least ``side``
    along each axis (one small box alone: the ``side`` square around it).
    """
    w, h = frame_wh
    full = np.array([[0, 0, w, h]], np.int64)
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(b) == 0:
        return np.zeros((0, 4), np.int64), None
    if min(w, h) <= side:
        return full, None
    unions, label = _merge(square_regions(b, frame_wh, side, grow))
    area = np.prod(unions[:, 2:] - unions[:, :2], axis=1).sum()
    costly = len(unions) > max_regions or area > max_area_frac * w * h
    if costly and len(unions) >= whole_inputs:  # splitting only adds inputs
        return full, None
    margin = _cut_margin(side)
    bound = np.concatenate((np.full((len(unions), 2), np.inf), np.full((len(unions), 2), -np.inf)), axis=1)
    np.minimum.at(bound[:, :2], label, b[:, :2])
    np.maximum.at(bound[:, 2:], label, b[:, 2:])
    extent = np.zeros((len(unions), 2))
    np.maximum.at(extent, label, (b[:, 2:] - b[:, :2]) * grow + 2 * margin + 1)  # widest, tallest box per region
    regions = _cover(bound, frame_wh, side, grow)
    parts = [_split(r, side, e, margin) for r, e in zip(regions, extent, strict=True)]
    tiles = np.concatenate([p[0] for p in parts])
    overviews = [r[None] for r, p in zip(regions, parts, strict=True) if p[2]]
    rects = np.concatenate([tiles, *overviews])
    if (costly or len(rects) > max_regions) and len(rects) >= whole_inputs:
        return full, None
    if len(tiles) == len(regions):  # nothing split: the crops as they are, none of them cuts a box
        return rects, None
    return rects, Tiling(tiles.astype(np.float64), np.concatenate([p[1] for p in parts]))


def _cover(bound: F64, frame_wh: tuple[int, int], side: int, grow: float) -> I64:
    """(K, 4) rectangles around the bounding boxes ``bound``: grown ``grow`` times, at least ``side``
    along each axis (as ``square_regions``), shifted inside the frame."""
    wh = np.array(frame_wh, np.float64)
    size = np.minimum(np.maximum((bound[:, 2:] - bound[:, :2]) * grow, side), wh)
    lo = np.clip((bound[:, :2] + bound[:, 2:]) / 2 - size / 2, 0, wh - size)
    return np.round(np.concatenate((lo, lo + size), axis=1)).astype(np.int64)


def _cut_margin(tile: int) -> float:
    """How close to a cut edge a box counts as cut by it (pixels)."""
    return max(2.0, 0.01 * float(tile))


def _split(region: I64, side: int, extent: F64, margin: float) -> tuple[I64, F64, bool]:
    """``region`` as it is when the model input holds it shrunk at most ``_SHRINK_OK`` times, else tiles
    ``side`` px long at native resolution along each axis that is too long; with their cut edges
    (``cut_edges``, here: inside the region), and whether the region must also be seen whole, shrunk
    (an overview, ``Tiling``).

    Neighbouring tiles overlap by the largest ``extent`` (x, y) of the region's boxes, so each lies
    whole in one tile, up to a quarter tile: a larger box (a vehicle near the camera, or one motion
    blob of a group walking abreast) may be cut by every tile that holds part of it, and the
    overview, shrunk at most a few times, still shows it large enough.
    """
    x1, y1, x2, y2 = (int(v) for v in region)
    size = np.array([x2 - x1, y2 - y1])
    if (size <= _SHRINK_OK * side).all():
        return region[None], np.full((1, 4), np.nan), False
    tile = np.where(size <= _SHRINK_OK * side, size, side)
    overlap = np.minimum(extent, side / 4)
    xs = x1 + _starts(int(size[0]), int(tile[0]), float(overlap[0]) / side)
    ys = y1 + _starts(int(size[1]), int(tile[1]), float(overlap[1]) / side)
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))
    tiles = np.stack((x, y, x + tile[0], y + tile[1]), axis=1)
    inner = np.stack((tiles[:, 0] > x1, tiles[:, 1] > y1, tiles[:, 2] < x2, tiles[:, 3] < y2), axis=1)
    cuts = np.where(inner, tiles + np.array([margin, margin, -margin, -margin]), np.nan)
    split = size > _SHRINK_OK * side  # an axis left whole cuts no box, whatever its extent along it
    return tiles, cuts, bool(((extent > overlap) & split).any())


def centres_inside(points: npt.ArrayLike, rects: I64) -> npt.NDArray[np.bool_]:
    """(N,) True where a point lies in at least one rectangle (which tracks a pass looked at)."""
    p = np.asarray(points, np.float64).reshape(-1, 2)
    if len(p) == 0 or len(rects) == 0:
        return np.zeros(len(p), bool)
    r = np.asarray(rects, np.float64)
    inside = (p[:, None, 0] >= r[None, :, 0]) & (p[:, None, 0] < r[None, :, 2])
    inside &= (p[:, None, 1] >= r[None, :, 1]) & (p[:, None, 1] < r[None, :, 3])
    return inside.any(axis=1)


def _starts(length: int, tile: int, overlap: float) -> I64:
    """Evenly spread tile origins along one axis, neighbours overlapping by at least ``overlap``."""
    if length <= tile:
        return np.zeros(1, np.int64)
    n = int(np.ceil((length - tile) / (tile * (1 - overlap)))) + 1
    return np.round(np.linspace(0, length - tile, n)).astype(np.int64)


def tile_grid(frame_wh: tuple[int, int], side: int, overlap: float = 0.2, max_tiles: int = 8) -> I64:
    """Overlapping squares (K, 4) covering the frame, ``side`` px when at most ``max_tiles`` do,
    else the smallest larger side that fits (those tiles are scaled down, still far less than the
    whole frame would be).
    """
    w, h = frame_wh
    for grow in _TILE_GROWTH:
        tile = int(min(round(side * grow), w, h))
        xs, ys = _starts(w, tile, overlap), _starts(h, tile, overlap)
        if len(xs) * len(ys) <= max_tiles or tile == min(w, h):
            break
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))
    return np.stack((x, y, x + tile, y + tile), axis=1)


def cut_edges(rects: I64, frame_wh: tuple[int, int], margin: float) -> F64:
    """(K, 4) per rect: x1, y1, x2, y2 moved ``margin`` inwards where that side cuts the frame
    (lies inside it), NaN where the side is the frame's own border (nothing is cut there).
    """
    r = np.asarray(rects, np.float64).reshape(-1, 4)
    w, h = frame_wh
    inner = np.stack((r[:, 0] > 0, r[:, 1] > 0, r[:, 2] < w, r[:, 3] < h), axis=1)
    return np.where(inner, r + np.array([margin, margin, -margin, -margin]), np.nan)


def touches_cuts(xyxy: npt.ArrayLike, cuts: F64) -> npt.NDArray[np.bool_]:
    """True where a box reaches a cut edge of its crop (NaN never matches); boxes (..., 4) and cuts
    (..., 4) broadcast, so (N, 4) against (N, 4) pairs rows and (N, 1, 4) against (1, K, 4) gives (N, K).
    """
    b = np.asarray(xyxy, np.float64)
    return (
        (b[..., 0] <= cuts[..., 0])
        | (b[..., 1] <= cuts[..., 1])
        | (b[..., 2] >= cuts[..., 2])
        | (b[..., 3] >= cuts[..., 3])
    )


@dataclass(frozen=True, slots=True)
class Tiling:
    """A whole frame as model inputs 0..K-1 = ``tiles`` (native resolution) and input K = the frame
    letterboxed (the overview, for objects too big for any tile); or motion crops, some of them split
    into tiles, then the split unions shrunk whole when they hold large objects (``plan_regions``):
    every input from K on is an overview.

    ``keep`` says which boxes may go on to NMS: a tile's box must not reach a cut edge (the object
    goes on beyond the tile), and an overview box only counts where no tile saw that object whole
    -- the overview sees small objects shrunk and blurred, and its rough box of a person a tile
    already found would otherwise survive NMS as a second person.
    """

    tiles: F64  # (K, 4) frame pixels
    cuts: F64  # (K, 4) see ``cut_edges``

    @property
    def overview(self) -> int:
        """Model-input index of the (first) overview: the one after the last tile."""
        return len(self.tiles)

    def keep(self, xyxy: npt.ArrayLike, image: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """(N,) True for boxes that may go on to NMS; ``image`` (N,) is each box's model-input index (see the class)."""
        b = np.asarray(xyxy, np.float64).reshape(-1, 4)
        image = np.asarray(image, np.int64)
        keep = np.ones(len(b), bool)
        tiled = image < self.overview
        keep[tiled] = ~touches_cuts(b[tiled], self.cuts[image[tiled]])
        over = ~tiled
        if over.any():
            keep[over] = ~self.seen_whole(b[over]).any(axis=1)
        return keep

    def seen_whole(self, xyxy: F64) -> npt.NDArray[np.bool_]:
        """(N, K) True where box n lies in tile k without reaching its cut edges."""
        t, b = self.tiles[None], xyxy[:, None, :]
        inside = (b[..., :2] >= t[..., :2]).all(axis=-1) & (b[..., 2:] <= t[..., 2:]).all(axis=-1)
        return inside & ~touches_cuts(b, self.cuts[None])


def whole_frame_regions(
    frame_wh: tuple[int, int], side: int, mode: str = "auto", overlap: float = 0.2, max_tiles: int = 8
) -> tuple[I64, Tiling | None]:
    """The whole frame for a model of input ``side``: (rects, tiling).

    ``letterbox``: the frame as one input (tiling None). ``tiles``: overlapping native-resolution
    tiles plus the letterboxed frame (see ``Tiling``). ``auto``: tiles when letterboxing would
    shrink the frame more than 2x (a 30 px person at 1080p would be 9 px at 320).
    """
    w, h = frame_wh
    full = np.array([[0, 0, w, h]], np.int64)
    if mode == "auto":
        mode = "tiles" if side / max(w, h) < 0.5 else "letterbox"
    if mode == "letterbox" or min(w, h) <= side:
        return full, None
    tiles = tile_grid(frame_wh, side, overlap, max_tiles)
    margin = _cut_margin(int(tiles[0, 2] - tiles[0, 0]))
    return np.concatenate((tiles, full)), Tiling(tiles.astype(np.float64), cut_edges(tiles, frame_wh, margin))
