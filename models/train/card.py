"""Write the model card from the metrics of the run that produced the model, so it never drifts.

python -m borderwatch.models.train.card   # re-render the card from the recorded metrics.json only
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from borderwatch.models.registry import MODELS_DIR, ModelEntry, find
from borderwatch.models.train.dataset import FRAME_SIZES, STYLES, TRAIN_SETTINGS

TEMPLATE = """# Model card: {name}

Camera detector for **person / vehicle / animal**, shipped with borderwatch so that the camera
pipeline and the demo work from a fresh clone with nothing downloaded. It was trained here, on
the CPU: people, vehicles and animals rendered by borderwatch's own camera simulator, drawn over
the simulator's ground or over real photographs, among real-looking clutter, with domain
randomisation. It has never seen a real person, vehicle or animal (see Limitations).

| | |
|---|---|
| file | `models/{file}` ({size_mb:.1f} MB), sidecar `{names_file}` |
| sha256 | `{sha256}` (checked against `models/manifest.json` when the agent loads it) |
| architecture | anchor-free CNN, 3 levels (stride 8/16/32), {params:,} parameters, 0.30 GMAC per frame |
| training | `make model` (`python -m borderwatch.models.train.pipeline`), torch 2.13 CPU: {lineage}; {train_time} |

## Input
- name `images`, float32, shape **(B, 3, 320, 320)**, dynamic batch axis B.
- RGB channel order, values in **[0, 1]** (pixel / 255), no mean/std normalisation.
- Letterboxed: the frame (or a motion crop) is resized keeping its aspect ratio so that its
  longer side is 320, centred, padded with grey 114/255 (as Ultralytics does).

## Output
- name `output0`, float32, shape **(B, 7, N)** with N = 40x40 + 20x20 + 10x10 = 2100 cells.
- rows 0-3: box centre x, centre y, width, height in input (320x320) pixels;
  rows 4-6: class scores already through a sigmoid (no objectness), one per class.
- This is the standard YOLOv8/YOLO11 ONNX export layout: the agent's decoder (score filter,
  top-k, class-aware NMS, undo letterbox) serves this model and any Ultralytics export alike.
- Class names in ONNX metadata_props `names` = `{names_meta}` and in the sidecar JSON.

## Classes
0 person (one per person; groups are several boxes), 1 vehicle (cars, pick-ups),
2 animal (deer-sized quadrupeds).

## Training data
{train_n} training images (seed 1, `models/train/dataset.py` with `TRAIN_SETTINGS`). Per scene the
simulator draws a camera 3-15 m high, tilted 4-20 deg, hfov 25-70 deg, frame sizes {frames}; per frame
1-{max_actors} actors (groups of 2-5 people in 25 % of person draws) at image rows drawn uniformly below
the horizon, so objects span the sizes a mast camera sees, from ~3 px to most of the frame.
- **Plain simulation** in {sim_p:.0%} of the scenes: rendered as the held-out set is (the simulator's
  terrain, no photograph, clutter, empty frames or randomisation), so that the dressed scenes below
  teach what is not an object without pulling the model away from the simulated images its AP is
  measured on. Everything in the next three items applies to the other scenes only.
- **Real photographs as backgrounds and hard negatives**: in {real_p:.0%} of the scenes the ground is a
  real photograph (random cut, 1-2.5x zoom, flips; infrared grey at night) instead of the rendered
  terrain ({styles}); {neg_p:.0%} of the frames have no actor at all.
- **Clutter** in {clutter_p:.0%} of the scenes (`models/train/clutter.py`, 1-{max_clutter} objects, larger nearer the
  camera, never labelled): poles and lamp posts, road signs, traffic cones, walls with windows, stones,
  bags, litter, tripods: the objects the earlier model took for people and animals on real footage.
- **Domain randomisation** (`models/train/domain.py`), each step with probability {dom_p:.0%} per frame: a
  real high-pass texture multiplied over the frame (5-25 %), white balance, saturation and gamma,
  a lighting ramp or vignette, defocus or motion blur, Gaussian and colour noise (sigma 2-12),
  JPEG at quality 15-95; then the simulator's own night (IR grey, dark, 3x noise) {night_p:.0%},
  bush occluders on {occ_p:.0%} of objects, blur {blur_p:.0%}, letterbox {full_p:.0%} or crops at 0.6-2x,
  flips, and at training time brightness/contrast jitter and 10 % greyscale.
- Generator settings: `{settings}`.

### Photographs used, and held out
{photos}

**People are never trained on.** Every photograph or clip with people in it (listed as
"people" above) serves evaluation only; training photographs were checked by eye to hold
nobody (nor animals). Near-duplicate pairs stay in one split.

{verdict}
## Held-out simulated images ({heldout_n} images, {heldout_boxes} boxes; threshold {thr})
Simulation only, as for the earlier model (seed 2, disjoint scenes, no photographs, no clutter, no
randomisation; rendered by today's simulator, which differs slightly from the render the earlier card
was measured on). base = the model this one was fine-tuned from, measured on the same images in
the same run: the comparison is like with like.
| class | AP@0.5 | base AP@0.5 | precision @ {thr} | recall @ {thr} | objects | target AP >= 0.8 |
|---|---|---|---|---|---|---|
{rows}

Animals detected as person (IoU >= 0.5, score >= {thr}): **{a2p:.1%}** of animals
(target <= 5 %); people detected as animal: {p2a:.1%}.

Recall at {thr} (any class, right label) by object height in the 320x320 input:
{by_height}

## Real images held out from training
Measured by `models/train/realeval.py` (module docstring: how each figure is made) through the
agent's whole-frame path (native tiles plus overview for frames over 640 px, as
`borderwatch detect` does) at the agent's default class threshold {real_thr}; base = the model
this one was fine-tuned from, same run. The pedestrian truth comes from motion, not from hand
labels; checked by eye on 12 sampled frames, 3 of its 45 boxes were wrong (two people in one box,
or a person with the tripod), and people standing still are not in it.
{real}

## In the demo scenario
Frames of both cameras of `border-crossing` (day and night, 960x540), every {demo_step:g} s, objects
matched at IoU >= 0.5 with the right class at score >= {thr} (`models/train/democheck.py`):
{demo}

## Latency (this machine: {machine})
{latency}
{measured}; `make bench`
(bench/bench_model.py) measures it again beside the pipeline. The architecture is unchanged from the
base model, so the work per frame is the same.
These are the only latency figures of this card, copied from `models/camera/{name}.metrics.json`.
On a mast whose cores are busy with other work, one intra-op thread per call does better than two
(the agent's default plan: two lanes of one thread on two cores); `make bench` (bench/bench_model.py)
measures 1 and 2 threads side by side on the machine it runs on.

## Limitations
- It has never seen a real person, vehicle or animal: those are the simulator's shaded silhouettes.
  Real photographs only taught it what is *not* an object. Recall on real people (above) is the figure
  to trust, and it is measured on one clip; on a real border, bring a detector trained on real
  imagery (see the end) and use this one as the fallback that works out of the box.
- The real-image figures rest on few images: {n_eval} held-out photographs and two clips from
  two packages, most of them not mast-camera views. No night, rain, fog or thermal footage is
  among them.
- Small objects are the weak spot (see recall by height): under 8 px tall in the 320x320 input they
  are mostly missed. A whole 960x540 frame letterboxed to 320 shrinks people 3x; the agent feeds
  320x320 crops at native resolution around motion, and tiles whole frames (`detection.whole_frame`).
- Confusions between animals and people are measured above; both classes are rendered as simple
  silhouettes, so an animal seen head-on is narrow and upright like a person.

## Using a real model instead
Export any Ultralytics YOLOv8/YOLO11 detector to ONNX (`yolo export model=yolov8n.pt format=onnx
imgsz=320 dynamic=True`), copy it to the mast, and point the agent's camera detector config at it
with a class map from the model's own names (read from its metadata) to ours, e.g. COCO
person -> person; car, truck, bus, motorcycle -> vehicle; dog, horse, cow, sheep, bear -> animal
(unmapped classes are dropped). Add its SHA-256 to the manifest to have it checked and reported.
"""


def _rows(classes: dict, thr: float, base: dict[str, float]) -> str:
    def verdict(ap: float) -> str:
        return "PASS" if ap >= 0.8 else "BELOW"

    return "\n".join(
        f"| {n} | {m['ap50']:.3f} | {base.get(n, float('nan')):.3f} | {m['precision']:.3f} | {m['recall']:.3f} "
        f"| {m['n_gt']} | {verdict(m['ap50'])} |"
        for n, m in classes.items()
    )


def _real(real: dict, base: dict | None) -> str:
    pf, vt = real["people_free"], real["vtest_people"]
    bpf = base["people_free"] if base else None
    bvt = base["vtest_people"] if base else None

    def b(v: float | None, fmt: str) -> str:
        return format(v, fmt) if v is not None else "-"

    still = sum(pf["per_photo"].values()) / max(pf["photos"], 1)
    bstill = sum(bpf["per_photo"].values()) / max(bpf["photos"], 1) if bpf else None

    def verdict(v: float) -> str:
        return "PASS" if v <= 1.0 else "BELOW"

    lines = [
        "| figure | this model | base | target |",
        "|---|---|---|---|",
        f"| false detections per photograph ({pf['photos']} held-out photographs, nobody in them) | "
        f"**{still:.2f}** | {b(bstill, '.2f')} | <= 1: {verdict(still)} |",
        f"| false detections per frame, tree.avi ({pf['tree_frames']} frames, fixed camera, leaves in wind) | "
        f"**{pf['tree_false_per_frame']:.2f}** | {b(bpf and bpf['tree_false_per_frame'], '.2f')} | "
        f"<= 1: {verdict(pf['tree_false_per_frame'])} |",
        f"| false detections per real frame, both together ({pf['frames']} frames) | **{pf['false_per_frame']:.2f}** "
        f"| {b(bpf and bpf['false_per_frame'], '.2f')} | <= 1: {verdict(pf['false_per_frame'])} |",
        f"| recall of walking people, vtest.avi ({vt['people']} people in {vt['frames']} frames), IoU >= 0.5 | "
        f"**{vt['recall_iou50']:.2f}** | {b(bvt and bvt['recall_iou50'], '.2f')} | (no target) |",
        f"| same, IoU >= 0.3 | {vt['recall_iou30']:.2f} | {b(bvt and bvt['recall_iou30'], '.2f')} | |",
        f"| person detections per vtest.avi frame (motion truth: {vt['people'] / max(vt['frames'], 1):.1f} walking "
        f"people per frame, more standing) | {vt['person_detections_per_frame']:.1f} "
        f"| {b(bvt and bvt['person_detections_per_frame'], '.1f')} | |",
    ]
    per = ", ".join(f"{k.split('/')[-1]} {v}" for k, v in pf["per_photo"].items())
    lines.append("")
    lines.append(f"False detections by photograph: {per}. By class (photographs and tree.avi): {pf['by_class']}.")
    return "\n".join(lines)


def _photos() -> str:
    from borderwatch.models.train import photos

    rows = ["| package, version | licence | training (backgrounds, negatives) | held out (evaluation only) |"]
    rows.append("|---|---|---|---|")
    for key, src in photos.SOURCES.items():
        mine = [p for p in photos.CATALOGUE if p.source == key]
        train = ", ".join(p.name.split("/")[-1] for p in mine if p.split == "train") or "-"
        held = [p.name.split("/")[-1] + (" (people)" if p.split == "people" else "") for p in mine]
        held = [h for h, p in zip(held, mine, strict=True) if p.split != "train"]
        if key == photos.TREE_VIDEO.source:
            held.append(f"tree.avi frames 0-{photos.TREE_HAND_FROM - 1}")
        rows.append(f"| {src.package} | {src.licence} | {train} | {', '.join(held) or '-'} |")
    return "\n".join(rows)


def write(
    entry: ModelEntry,
    metrics: dict,
    epochs: int,
    params: int | None = None,
    train_minutes: str = "",
    models_dir: Path = MODELS_DIR,
) -> Path:
    """Render the card next to the model file (under ``models_dir``)."""
    s = TRAIN_SETTINGS
    base = metrics.get("base")
    tr = metrics.get("training", {})
    run = tr.get("finetune_run", {})
    done = (
        f"{run['steps']} steps of batch {run['batch']} ({run['steps'] * run['batch'] / run['images']:.1f} epochs; "
        f"the {run['planned_steps']} planned for {epochs} epochs did not fit the time budget, and the cosine "
        "schedule followed the budget)"
        if run and run["steps"] < run["planned_steps"]
        else f"{epochs} epochs"
    )
    lineage = (
        f"fine-tuned for {done}, one cosine cycle at peak lr {tr.get('finetune_lr', 0):g}, from the model with "
        f"sha256 `{base['sha256'][:12]}...` ({_base_lineage(base.get('training', {}))})"
        if base
        else done
    )
    path = entry.path(models_dir)
    names_meta = "{" + ", ".join(f"{i}: {n!r}" for i, n in enumerate(entry.classes)) + "}"
    lat = metrics["latency"]
    text = TEMPLATE.format(
        name=entry.name,
        file=entry.file,
        size_mb=path.stat().st_size / 1e6,
        names_file=f"models/camera/{entry.name}.names.json",
        sha256=entry.sha256,
        params=params or metrics.get("params") or count_params(),
        lineage=lineage,
        verdict=_verdict(metrics),
        names_meta=names_meta,
        train_n=tr.get("train_images", 3200),
        real_p=s.real_bg_p,
        neg_p=s.negative_p,
        clutter_p=s.clutter_p,
        max_clutter=s.max_clutter,
        dom_p=s.domain_p,
        sim_p=s.sim_p,
        photos=_photos(),
        real=_real(metrics["real"], base and base.get("real")) if "real" in metrics else "(not measured)",
        real_thr=metrics.get("real", {}).get("people_free", {}).get("threshold", 0.4),
        n_eval=metrics.get("real", {}).get("people_free", {}).get("photos", 0),
        heldout_n=metrics["images"],
        styles=", ".join(sorted(set(STYLES))),
        frames=", ".join(f"{w}x{h}" for w, h in FRAME_SIZES),
        max_actors=s.max_actors,
        settings=asdict(s),
        full_p=s.full_frame_p,
        night_p=s.night_p,
        occ_p=s.occluder_p,
        blur_p=s.blur_p,
        heldout_boxes=sum(m["n_gt"] for m in metrics["classes"].values()),
        thr=metrics["threshold"],
        rows=_rows(metrics["classes"], metrics["threshold"], base["classes"] if base else {}),
        a2p=metrics["animal_as_person"],
        p2a=metrics["person_as_animal"],
        machine=_machine(metrics),
        measured=_measured(metrics),
        latency=_latency(lat, base and base.get("latency")),
        by_height=_by_height(metrics.get("recall_by_height", {})),
        demo_step=metrics.get("demo_step_s", 0),
        demo=_demo(metrics.get("demo", {})),
        train_time=f"wall time here {train_minutes} min" if train_minutes else "wall time not measured",
    )
    out = models_dir / "camera" / f"{entry.name}.md"
    out.write_text(text)
    return out


def _base_lineage(training: dict) -> str:
    """How the base model was trained, from the training block of its own metrics (pipeline.base_training);
    without one the base is the simulation-only model of the earlier pipeline, which kept no such record."""
    run, parent = training.get("finetune_run", {}), training.get("base_sha256", "")
    if not run:
        return "trained on simulated scenes only, 20 epochs from scratch"
    return (
        f"itself fine-tuned on the same training set for {run['steps']} steps of batch {run['batch']} "
        f"({run['steps'] * run['batch'] / run['images']:.1f} epochs, peak lr {training.get('finetune_lr', 0):g}, "
        f"{run['minutes']:g} min)" + (f" from the model with sha256 `{parent[:12]}...`" if parent else "")
    )


def missed_targets(metrics: dict) -> list[str]:
    """Every target of issue 15 the card's tables judge that ``metrics`` misses, other than held-out AP (the
    verdict explains that one): animals taken for people, false detections on real frames, latency beside the base.
    """
    missed = []
    if metrics.get("animal_as_person", 0.0) > 0.05:
        missed.append(f"animals detected as person {metrics['animal_as_person']:.1%} (target <= 5 %)")
    if "real" in metrics:
        pf = metrics["real"]["people_free"]
        per_photo = sum(pf["per_photo"].values()) / max(pf["photos"], 1)
        for what, v in (("per photograph", per_photo), ("per frame of tree.avi", pf["tree_false_per_frame"]),
                        ("per real frame", pf["false_per_frame"])):  # fmt: skip
            if v > 1.0:
                missed.append(f"false detections {what} {v:.2f} (target <= 1)")
    lat, base = metrics.get("latency"), (metrics.get("base") or {}).get("latency")
    if lat and base and lat["batch1_ms_per_frame"] / base["batch1_ms_per_frame"] > 1.5:
        ratio = lat["batch1_ms_per_frame"] / base["batch1_ms_per_frame"]
        missed.append(f"latency {ratio:.2f}x the base model's at batch 1 (target <= 1.5)")
    return missed


def _verdict(metrics: dict) -> str:
    """Says plainly which targets the model misses and why it ships anyway (or that it meets them all: every
    target the tables judge, not held-out AP alone)."""
    below = [f"{n} {m['ap50']:.3f}" for n, m in metrics["classes"].items() if m["ap50"] < 0.8]
    others = missed_targets(metrics)
    real, base = metrics.get("real"), metrics.get("base")
    if not below and not others:
        return "## Targets\nEvery target of issue 15 this card measures is met (tables below).\n"
    if not below:
        return "## Targets\n**BELOW target**: " + "; ".join(others) + ".\n"
    text = (
        "## Targets, and why this model ships\n"
        f"**BELOW target** on simulated held-out AP@0.5 (>= 0.8 per class): {', '.join(below)}."
    )
    if real and base:
        pf, bpf = real["people_free"], base["real"]["people_free"]
        vt, bvt = real["vtest_people"], base["real"]["vtest_people"]
        text += (
            f" Against that, on real images nobody trained on, false detections per real frame fell from "
            f"{bpf['false_per_frame']:.2f} to **{pf['false_per_frame']:.2f}** (target <= 1), and person detections "
            f"per frame of the real pedestrian clip from {bvt['person_detections_per_frame']:.1f} to "
            f"{vt['person_detections_per_frame']:.1f}, while recall of its walking people fell from "
            f"{bvt['recall_iou50']:.2f} to {vt['recall_iou50']:.2f} (IoU >= 0.5). The base model's real-image "
            f"recall came with {bvt['person_detections_per_frame']:.0f} person detections per frame where motion "
            f"finds {vt['people'] / max(vt['frames'], 1):.1f} walking people, and false people turn into tracks "
            "and alerts (the simulation-only model gave person tracks on the real static clip of "
            "tests/test_camera_real_clip.py; this model gives none), so this model ships, with the shortfall "
            "stated here. A longer fine-tune (the planned epochs, see training) is the next step to win the "
            "simulated AP back."
        )
    if others:
        text += " Also **BELOW target**: " + "; ".join(others) + "."
    return text + "\n"


def _machine(metrics: dict) -> str:
    """The machine the latency ran on, and its load then (older metrics did not record it: said so)."""
    load = metrics.get("latency_load")
    span = f"load average {load['start']:.1f} to {load['end']:.1f}" if load else "load not recorded"
    return f"{metrics['machine']}; {span}"


def _measured(metrics: dict) -> str:
    """Which run measured the latency: the training run, or a later run of the same script alone."""
    if metrics.get("latency_run") == "latency-only":
        return (
            "Measured by the training pipeline's script (`models/train/evaluate.py` through "
            "`pipeline.side_by_side_latency`), run again after training with no other job of ours running "
            "(`python -m borderwatch.models.train.pipeline --latency-only --base FILE`, FILE = the base model "
            "from git history)"
        )
    return "Measured by `models/train/evaluate.py` right after training, on the shared 2-core machine"


def _latency(lat: dict[str, float], base: dict[str, float] | None) -> str:
    text = (
        f"- batch 1: **{lat['batch1_ms_per_frame']:.1f} ms** per 320x320 frame; batch 4: "
        f"{lat['batch4_ms_per_frame']:.1f} ms per frame (onnxruntime CPU, 2 threads)."
    )
    if base:
        ratio = lat["batch1_ms_per_frame"] / base["batch1_ms_per_frame"]
        text += (
            "\n- base model, same script, alternated with this one five times in the same run (medians): batch 1 "
            f"{base['batch1_ms_per_frame']:.1f} ms, batch 4 {base['batch4_ms_per_frame']:.1f} ms; "
            f"ratio this/base at batch 1 **{ratio:.2f}** "
            f"(target <= 1.5: {'PASS' if ratio <= 1.5 else 'BELOW'})."
        )
    return text


def _by_height(rec: dict[str, float]) -> str:
    head = "| " + " | ".join(rec) + " |\n|" + "---|" * len(rec) + "\n"
    return head + "| " + " | ".join(f"{v:.2f}" for v in rec.values()) + " |"


def _demo(demo: dict[str, dict[str, float]]) -> str:
    rows = [f"| {n} | {d['frames']} | {d['whole_frame']:.2f} | {d['native_crops']:.2f} |" for n, d in demo.items()]
    head = "| scenario | frames with objects | recall, whole frame letterboxed | recall, native crops |\n"
    return head + "|---|---|---|---|\n" + "\n".join(rows)


def count_params() -> int:
    """Trainable parameters of the network the card describes (needs torch: the training run counts them)."""
    from borderwatch.models.train.net import Detector

    return sum(p.numel() for p in Detector().parameters())


def main(argv: list[str] | None = None) -> int:
    """Re-render the shipped camera model's card from its manifest entry and recorded metrics.json, with no
    re-evaluation: after a template change the card then still quotes only figures measured by the pipeline."""
    name = argv[0] if argv else "bw-cam-s"
    entry = find(name)
    metrics = json.loads((MODELS_DIR / "camera" / f"{name}.metrics.json").read_text())
    tr = metrics.get("training", {})
    print(write(entry, metrics, tr.get("finetune_epochs", 8), train_minutes=str(tr.get("minutes", ""))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
