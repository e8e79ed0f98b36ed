"""Motion crops keep native resolution: a union of motion too large for the model input is split into
model-sized tiles, each box whole in one of them; only a box too large for the tiles' overlap adds the
union shrunk as an overview (the dense scenario's person beside a group of five was lost in one 600 px
crop shrunk 2x)."""

from __future__ import annotations

import numpy as np

from borderwatch.deploy.eval_run import LIBRARY
from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import resolve_model
from borderwatch.edge.sensors.camera.detect import DirectDetector
from borderwatch.edge.sensors.camera.regions import plan_regions
from borderwatch.runtime.geometry import iou_matrix
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.scenario import load_scenario

# the dense scenario's cam-2 at 134 s: a group of five abreast, and p10 200 px to their right
GROUP = [[511, 247, 523, 287], [553, 249, 562, 288], [574, 240, 587, 287], [608, 241, 619, 285], [631, 242, 641, 284]]
P10 = [836, 234, 844, 270]
WH, SIDE = (960, 540), 320


def test_a_union_wider_than_the_model_input_becomes_native_tiles_holding_each_box_whole() -> None:
    boxes = np.array([*GROUP, P10], float)
    rects, tiling = plan_regions(boxes, WH, SIDE, max_regions=4)
    assert tiling is not None and len(rects) == len(tiling.tiles)  # small boxes only: no overview
    assert ((rects[:, 2:] - rects[:, :2]) <= 1.25 * SIDE).all()  # shrunk for the model 1.25x at most, not 2x
    assert tiling.seen_whole(boxes).any(axis=1).all()
    # a box cut by a split edge is dropped from the tile that cuts it: its neighbour saw it whole
    cut = np.isfinite(tiling.cuts[:, 2]).nonzero()[0][0]
    straddling = np.array([[tiling.tiles[cut, 2] - 6, 250, tiling.tiles[cut, 2] + 6, 290]])
    assert not tiling.keep(straddling, np.array([cut]))[0] and tiling.seen_whole(straddling).any()


def test_a_large_box_adds_its_union_shrunk_as_the_overview_and_too_many_inputs_mean_the_whole_frame() -> None:
    blob = [500, 240, 650, 290]  # one motion blob of the group walking abreast
    rects, tiling = plan_regions(np.array([blob, P10], float), WH, SIDE, max_regions=8)
    assert tiling is not None and len(rects) == len(tiling.tiles) + 1
    assert rects[-1].tolist() == [rects[:, 0].min(), rects[:, 1].min(), rects[:, 2].max(), rects[:, 3].max()]
    inside, across = [450, 240, 600, 290], [580, 240, 770, 290]  # whole in a tile / cut by every tile
    keep = tiling.keep(np.array([inside, across], float), np.array([tiling.overview] * 2))
    assert keep.tolist() == [False, True]  # the overview answers only for what no tile saw whole
    assert plan_regions(np.array([blob, P10], float), WH, SIDE, max_regions=2)[0].tolist() == [[0, 0, *WH]]


def test_more_crops_than_max_regions_are_kept_while_fewer_than_the_whole_frame_inputs() -> None:
    blob = [500, 240, 650, 290]
    boxes = np.array([blob, P10], float)
    crops, tiling = plan_regions(boxes, WH, SIDE, max_regions=2, whole_inputs=9)  # 960x540 tiled for 320: 9
    assert 2 < len(crops) < 9 and tiling is not None and tiling.seen_whole(boxes).any(axis=1).all()
    assert np.array_equal(crops, plan_regions(boxes, WH, SIDE, max_regions=8)[0])  # the plan itself is unchanged
    assert plan_regions(boxes, WH, SIDE, max_regions=2, whole_inputs=len(crops))[0].tolist() == [[0, 0, *WH]]
    spread = np.array(
        [[20, 20, 40, 60], [900, 20, 930, 60], [20, 480, 40, 530], [900, 480, 930, 530], [470, 250, 490, 290]]
    )
    rects, _ = plan_regions(spread, WH, SIDE, max_regions=8, whole_inputs=9)  # 5 crops, most of the frame
    assert len(rects) == 5 and plan_regions(spread, WH, SIDE, max_regions=8)[0].tolist() == [[0, 0, *WH]]


def test_tall_boxes_in_a_row_split_only_across_need_no_overview() -> None:
    """Split along x only: every box lies whole in the tiles' full height, so no shrunk overview input."""
    row = np.array([[100 + 110 * k, 300, 120 + 110 * k, 370] for k in range(7)], float)  # 20x70 px people
    rects, tiling = plan_regions(row, (1280, 720), SIDE, max_regions=8)
    assert tiling is not None and len(rects) == len(tiling.tiles)  # no overview input
    assert tiling.seen_whole(row).any(axis=1).all()


def test_unions_that_fit_stay_single_crops_without_tiling() -> None:
    rects, tiling = plan_regions(np.array(GROUP, float), WH, SIDE, max_regions=4)
    assert tiling is None and len(rects) == 1 and ((rects[:, 2:] - rects[:, :2]) == SIDE).all()


def test_the_shipped_model_finds_the_person_beside_the_group_in_the_planned_crops() -> None:
    scn = load_scenario(LIBRARY / "dense.toml")
    res = CameraRenderer(scn, "cam-2").render(134.0)
    truth = np.asarray(res.xyxy[[str(i) == "p10" for i in res.ids]], np.float32)
    cfg = DetectorConfig()
    detect = DirectDetector(InferenceBatcher(OnnxDetector(resolve_model("bw-cam-s"), 1, cfg.input_size), cfg))
    wanted = np.array([*GROUP, P10], float)
    rects, tiling = plan_regions(wanted, WH, detect.batcher.detector.input_wh[0], max_regions=8)
    found = detect(res.frame, rects, tiling)
    assert len(truth) == 1 and iou_matrix(truth, found.xyxy).max() > 0.5
