"""Whole frames tiled at native resolution: coverage, cut edges, no doubled objects, config."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from borderwatch.edge.pipeline.decode import decode_yolo
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.letterbox import Letterbox
from borderwatch.edge.sensors.camera.pipeline import CameraPipeline
from borderwatch.edge.sensors.camera.regions import Tiling, cut_edges, tile_grid, touches_cuts, whole_frame_regions
from borderwatch.edge.sensors.frame import Frame


@pytest.mark.parametrize("wh", [(640, 480), (960, 540), (1280, 720), (1920, 1080), (3840, 2160), (400, 330)])
def test_tiles_cover_every_pixel_overlap_and_respect_the_cap(wh: tuple[int, int]):
    tiles = tile_grid(wh, 320, overlap=0.2, max_tiles=8)
    w, h = wh
    covered = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in tiles:  # a test may loop: a handful of tiles
        covered[y1:y2, x1:x2] = True
    side = tiles[0, 2] - tiles[0, 0]
    assert covered.all() and len(tiles) <= 8
    assert ((tiles[:, 2] - tiles[:, 0]) == side).all() and ((tiles[:, 3] - tiles[:, 1]) == side).all()
    assert tiles[:, :2].min() >= 0 and (tiles[:, 2] <= w).all() and (tiles[:, 3] <= h).all()
    for axis, length in ((0, w), (1, h)):
        starts = np.unique(tiles[:, axis])
        if len(starts) > 1:  # neighbours overlap by at least 20 % of a tile
            assert (side - np.diff(starts)).min() >= 0.2 * side - 1
        else:
            assert side >= length or length == min(wh)


def test_native_tiles_when_they_fit_larger_ones_only_past_the_cap():
    assert (tile_grid((960, 540), 320)[:, 2:] - tile_grid((960, 540), 320)[:, :2] == 320).all()
    big = tile_grid((1920, 1080), 320, max_tiles=8)
    assert big[0, 2] - big[0, 0] > 320 and len(big) <= 8


def test_cut_edges_only_where_a_tile_side_lies_inside_the_frame():
    tiles = np.array([[0, 0, 320, 320], [320, 160, 640, 480]])
    cuts = cut_edges(tiles, (640, 480), margin=3)
    assert np.isnan(cuts[0, :2]).all() and cuts[0, 2:].tolist() == [317, 317]
    assert cuts[1, :2].tolist() == [323, 163] and np.isnan(cuts[1, 2:]).all()
    boxes = np.array([[100, 100, 318, 200], [100, 100, 300, 200], [322, 200, 400, 300], [600, 400, 640, 480]])
    assert touches_cuts(boxes, cuts[[0, 0, 1, 1]]).tolist() == [True, False, True, False]


def _two_tiles() -> tuple[Letterbox, Tiling]:
    """Tiles A (x 0..320) and B (x 220..540) of a 540x320 frame, then the frame letterboxed (input 2)."""
    frame_wh = (540, 320)
    tiles = np.array([[0, 0, 320, 320], [220, 0, 540, 320]])
    rects = np.concatenate((tiles, [[0, 0, 540, 320]]))
    lb = Letterbox(np.array([1.0, 1.0, 320 / 540]), np.array([[0, 0], [0, 0], [0, 65.2]]), rects[:, :2].astype(float))
    return lb, Tiling(tiles.astype(float), cut_edges(tiles, frame_wh, 3))


def _overview(box: list[float], score: float) -> list[float]:
    """A frame-pixel xyxy box as the letterboxed input's (cx, cy, w, h, score) row."""
    s, pad = 320 / 540, 65.2
    x1, y1, x2, y2 = box
    return [(x1 + x2) / 2 * s, (y1 + y2) / 2 * s + pad, (x2 - x1) * s, (y2 - y1) * s, score]


def test_a_person_cut_by_a_tile_edge_and_blurred_in_the_overview_is_reported_once():
    """The person (x 250..300) is whole in tile A; tile B sees only its left part (from x=220, B's
    own cut edge); the overview sees a rough box. Only tile A's box may survive: the half box and the
    overview's shifted copy (IoU with A's box under the NMS threshold) would each be a second person.
    """
    lb, tiling = _two_tiles()
    out = np.zeros((3, 5, 1), np.float32)
    out[0, :, 0] = [275, 200, 50, 100, 0.9]  # tile A: the whole person, x 250..300
    out[1, :, 0] = [15, 200, 30, 100, 0.95]  # tile B: x 220..250 in the frame, reaching B's cut edge
    out[2, :, 0] = _overview([268, 125, 300, 225], 0.6)  # overview: shifted and too narrow
    got = decode_yolo(out, lb, np.zeros(3, np.int64), tiling=tiling)
    assert len(got.score) == 1 and np.allclose(got.xyxy[0], [250, 150, 300, 250], atol=0.5)
    assert len(decode_yolo(out, lb, np.zeros(3, np.int64)).score) == 3  # untiled decode keeps all three


def test_an_object_too_big_for_any_tile_comes_from_the_overview():
    lb, tiling = _two_tiles()
    out = np.zeros((3, 5, 1), np.float32)
    out[0, :, 0] = [250, 160, 140, 300, 0.8]  # tile A: the van's left part, cut at x=320
    out[1, :, 0] = [100, 160, 200, 300, 0.8]  # tile B: its right part, cut at x=220
    out[2, :, 0] = _overview([180, 10, 420, 310], 0.7)  # overview: the whole van
    got = decode_yolo(out, lb, np.zeros(3, np.int64), tiling=tiling)
    assert len(got.score) == 1 and np.allclose(got.xyxy[0], [180, 10, 420, 310], atol=1)


def test_whole_frame_modes():
    assert whole_frame_regions((640, 480), 320, "auto")[0].tolist() == [[0, 0, 640, 480]]  # 2x: letterbox
    rects, tiling = whole_frame_regions((960, 540), 320, "auto")
    assert len(rects) == 9 and rects[-1].tolist() == [0, 0, 960, 540] and tiling is not None
    assert tiling.overview == 8 and (tiling.tiles == rects[:-1]).all()
    assert len(whole_frame_regions((640, 480), 320, "tiles")[0]) == 7
    assert whole_frame_regions((1920, 1080), 320, "letterbox")[1] is None
    assert whole_frame_regions((300, 200), 320, "tiles")[0].tolist() == [[0, 0, 300, 200]]  # smaller than a tile


def test_pipeline_tiles_whole_frames_when_motion_is_off():
    frame = Frame("cam", 1.0, 0, np.zeros((540, 960, 3), np.uint8))
    tiled = CameraPipeline(
        "s", "a", "cam", CameraConfig.model_validate({"motion": {"enabled": False}}), ("person",), 320
    )
    plan = tiled.plan(frame)
    assert len(plan.rects) == 9 and plan.tiling is not None and plan.tiling.cuts.shape == (8, 4)
    cfg = CameraConfig.model_validate({"motion": {"enabled": False}, "detection": {"whole_frame": "letterbox"}})
    plan = CameraPipeline("s", "a", "cam", cfg, ("person",), 320).plan(frame)
    assert plan.rects.tolist() == [[0, 0, 960, 540]] and plan.tiling is None


def test_whole_frame_setting_is_checked():
    with pytest.raises(ValidationError, match="whole_frame"):
        CameraConfig.model_validate({"detection": {"whole_frame": "mosaic"}})
    with pytest.raises(ValidationError, match="tile_overlap"):
        CameraConfig.model_validate({"detection": {"tile_overlap": 0.9}})
