"""The camera model on real images held out from training: false detections on scenes with nobody in
them, and recall on real pedestrians.

Why here and not on rendered scenes: a simulation-trained model can score well on renders and
still see twenty people per real frame. Images go through the agent's own whole-frame path
(letterbox, or native tiles plus an overview when the frame is over twice the model input; the
class-aware NMS; `borderwatch detect` does the same), and a detection counts at the agent's
default class threshold (``rules.classes[*].min_score``, 0.4).

- False detections: held-out photographs of photos.py (split ``eval``) and the people-free part of
  opencv-doc's tree.avi (a fixed camera looking at a tree in the wind, frames 0-51). A few of the
  photographs hold real objects the model may rightly find (two parked bicycles, a parked car,
  birds in the sky); detections of that class over them are not counted (``IGNORE``).
- Recall on people: opencv-doc's vtest.avi (a fixed camera over a pedestrian precinct, 768x576).
  Truth is made from motion, not by hand: OpenCV's MOG2 background model over the whole clip, the
  foreground mask cleaned (shadows dropped, opened, closed), and each blob whose box is 40-220 px tall
  and 1.9-4.5x taller than wide taken as one walking person. Blobs of two people walking side by side
  fail the aspect test and are left out; people standing still are not in the truth at all (so
  detections away from the truth are not counted as false). The boxes were checked by eye on a
  contact sheet of 12 sampled frames (``--sheet``): of 45 boxes, 2 held two people (one behind the
  other, or side by side) and 1 a person with the tripod beside him; many standing people and pairs
  have no box. A person counts as found when a person
  detection >= 0.4 overlaps its box at IoU >= 0.5 (and, reported beside it, >= 0.3: motion boxes
  include feet-shadow and miss still limbs, so they are looser than drawn boxes).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.pipeline.decode import Candidates
from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import ModelRef, file_sha256
from borderwatch.edge.sensors.camera.detect import DirectDetector
from borderwatch.edge.sensors.camera.regions import whole_frame_regions
from borderwatch.models.train import photos
from borderwatch.runtime.geometry import iou_matrix

THRESHOLD = 0.4  # the agent's default per-class min_score (edge/config/rules.py)
CLASSES = ("person", "vehicle", "animal")
IGNORE: dict[str, list[tuple[int, tuple[float, float, float, float]]]] = {
    "leuvenB.jpg": [(1, (120, 390, 275, 485))],  # two parked bicycles
    "building.jpg": [(1, (90, 475, 210, 540))],  # a parked car behind the hedge
    "home.jpg": [(2, (0, 0, 10_000, 10_000))],  # birds in flight
}
VTEST_FROM, VTEST_EVERY = 60, 10  # after MOG2 has learnt the background; one frame a second


class Runner:
    """The agent's whole-frame detection of one ONNX model, scores kept down to the detector's default."""

    def __init__(self, model: Path, threads: int = 2) -> None:
        cfg = DetectorConfig(intra_op_threads=threads, max_batch=8)
        det = OnnxDetector(ModelRef(model.stem, model, file_sha256(model)), threads, cfg.input_size)
        self.side = det.input_wh[0]
        self.detect = DirectDetector(InferenceBatcher(det, cfg))

    def __call__(self, frame: npt.NDArray[np.uint8]) -> Candidates:
        """Detections of one BGR frame, as `borderwatch detect --whole-frame auto` prints them."""
        h, w = frame.shape[:2]
        rects, tiling = whole_frame_regions((w, h), self.side, "auto")
        return self.detect(frame, rects, tiling)


def false_detections(cands: Candidates, ignore: list[tuple[int, tuple[float, float, float, float]]]) -> list[int]:
    """Classes of the detections >= THRESHOLD, less those of an ignored class centred in its region."""
    out = []
    for box, score, cls in zip(cands.xyxy, cands.score, cands.class_id, strict=True):
        if score < THRESHOLD:
            continue
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        if any(c == cls and r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for c, r in ignore):
            continue
        out.append(int(cls))
    return out


def people_free(run: Runner) -> dict:
    """False detections per image on the held-out photographs and on tree.avi's people-free frames."""
    per_photo: dict[str, int] = {}
    by_class = np.zeros(len(CLASSES), np.int64)
    for p in photos.available("eval"):
        fd = false_detections(run(photos.load(p, max_side=10_000)), IGNORE.get(Path(p.name).name, []))
        per_photo[p.name] = len(fd)
        by_class += np.bincount(fd, minlength=len(CLASSES))
    tree = photos.video_frames(photos.TREE_VIDEO.path(), photos.TREE_HAND_FROM)
    tree_fd = [false_detections(run(f), []) for f in tree]
    for fd in tree_fd:
        by_class += np.bincount(fd, minlength=len(CLASSES))
    n_frames = len(per_photo) + len(tree)
    total = sum(per_photo.values()) + sum(len(f) for f in tree_fd)
    return {
        "threshold": THRESHOLD,
        "photos": len(per_photo),
        "per_photo": per_photo,
        "tree_frames": len(tree),
        "tree_false_per_frame": sum(len(f) for f in tree_fd) / max(len(tree), 1),
        "frames": n_frames,
        "false_per_frame": total / max(n_frames, 1),
        "by_class": {c: int(k) for c, k in zip(CLASSES, by_class, strict=True)},
    }


def motion_truth(frames: list[npt.NDArray[np.uint8]]) -> dict[int, npt.NDArray[np.float32]]:
    """Walking-person boxes (xyxy) of the sampled frames, from MOG2 foreground blobs (module docstring)."""
    mog = cv2.createBackgroundSubtractorMOG2(history=300, varThreshold=25, detectShadows=True)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    truth: dict[int, npt.NDArray[np.float32]] = {}
    for i, f in enumerate(frames):
        fg = mog.apply(f)
        if i < VTEST_FROM or (i - VTEST_FROM) % VTEST_EVERY:
            continue
        mask = np.where(fg == 255, 255, 0).astype(np.uint8)  # 127 = shadow
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        boxes = []
        for x, y, w, h, _area in stats[1:n]:
            if 40 <= h <= 220 and 1.9 <= h / max(w, 1) <= 4.5:
                boxes.append((x, y, x + w, y + h))
        truth[i] = np.array(boxes, np.float32).reshape(-1, 4)
    return truth


def people_recall(run: Runner) -> dict:
    """Recall of walking people in vtest.avi (motion-made truth), and person detections per frame."""
    frames = photos.video_frames(photos.OPENCV_DATA / "vtest.avi")
    truth = motion_truth(frames)
    found = {0.5: 0, 0.3: 0}
    n_truth, n_person = 0, 0
    for i, gt in truth.items():
        c = run(frames[i])
        keep = (c.class_id == 0) & (c.score >= THRESHOLD)
        n_person += int(keep.sum())
        n_truth += len(gt)
        iou = iou_matrix(gt, c.xyxy[keep])
        for t in found:
            found[t] += int((iou >= t).any(axis=1).sum()) if iou.size else 0
    return {
        "frames": len(truth),
        "people": n_truth,
        "recall_iou50": found[0.5] / max(n_truth, 1),
        "recall_iou30": found[0.3] / max(n_truth, 1),
        "person_detections_per_frame": n_person / max(len(truth), 1),
    }


def evaluate(model: Path, threads: int = 2) -> dict:
    """Both real-image figures of an ONNX model, JSON-ready (metrics.json key ``real``)."""
    missing = photos.missing()
    if missing:
        raise RuntimeError(f"real evaluation images are not installed; run: {'; '.join(missing)}")
    run = Runner(model, threads)
    return {"people_free": people_free(run), "vtest_people": people_recall(run)}


def sheet(out: Path, n: int = 12) -> None:
    """A contact sheet of sampled vtest.avi frames with their motion boxes, to check the truth by eye."""
    frames = photos.video_frames(photos.OPENCV_DATA / "vtest.avi")
    truth = motion_truth(frames)
    keys = sorted(truth)[:: max(1, len(truth) // n)][:n]
    tiles = []
    for k in keys:
        f = frames[k].copy()
        for b in truth[k].astype(int):
            cv2.rectangle(f, (int(b[0]), int(b[1])), (int(b[2]), int(b[3])), (0, 0, 255), 2)
        tiles.append(cv2.resize(f, (384, 288)))
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % 4)
    rows = [np.concatenate(tiles[r : r + 4], 1) for r in range(0, len(tiles), 4)]
    cv2.imwrite(str(out), np.concatenate(rows, 0))


def main(argv: list[str] | None = None) -> int:
    """CLI: print the real-image figures of one or more models as JSON (side by side when several)."""
    ap = argparse.ArgumentParser(description="false detections and people recall on real images")
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sheet", type=Path, default=None, help="also draw the vtest motion truth here (PNG)")
    a = ap.parse_args(argv)
    if a.sheet:
        sheet(a.sheet)
    print(json.dumps({str(m): evaluate(m, a.threads) for m in a.models}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
