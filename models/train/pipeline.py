"""One command regenerates the shipped camera model: data -> train -> export -> evaluate -> manifest + card.

    python -m borderwatch.models.train.pipeline            # reuses rendered data if present
    python -m borderwatch.models.train.pipeline --fresh    # re-renders the data too

Needs torch==2.13.0 (training-time only). Seeds are fixed: train set seed 1, held-out seed 2.
Training runs in two cosine cycles: stage 1 from scratch (12 epochs, lr 3e-3, seed 0), stage 2
continuing from it (8 epochs, lr 1.5e-3, seed 1); about 40 minutes on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from borderwatch.models.registry import MANIFEST, MODELS_DIR, ModelEntry, load_manifest, sha256_file, write_manifest
from borderwatch.models.train import card, dataset, democheck, evaluate

NAME = "bw-cam-s"
DATA = Path("models/data")
RUNS = Path("models/runs")
TRAIN_N, HELDOUT_N = 3200, 500
THRESHOLD = 0.35
DEMO_STEP_S = 2.0
STAGES = ((12, 3e-3), (8, 1.5e-3))  # (epochs, peak learning rate) per cosine cycle


def render_data(fresh: bool) -> None:
    """Render train.npz (seed 1) and heldout.npz (seed 2) unless present: without ``fresh`` an existing
    file is reused as is, even if the generator has changed since.
    """
    for name, n, seed in (("train", TRAIN_N, 1), ("heldout", HELDOUT_N, 2)):
        out = DATA / f"{name}.npz"
        if fresh or not out.exists():
            dataset.main(["--out", str(out), "-n", str(n), "--seed", str(seed)])


def update_manifest(onnx_path: Path) -> ModelEntry:
    """Put the exported file's entry (with its SHA-256) in models/manifest.json, replacing the entry of
    the same name and keeping the others; ``onnx_path`` must lie under models/.
    """
    entry = ModelEntry(
        name=NAME,
        file=str(onnx_path.relative_to(MODELS_DIR)),
        sha256=sha256_file(onnx_path),
        kind="camera",
        input=[3, 320, 320],
        layout="yolov8",
        classes=list(evaluate.CLASSES),
    )
    others = [e for e in load_manifest()] if MANIFEST.exists() else []
    write_manifest([*(e for e in others if e.name != NAME), entry])
    return entry


def run_training(train_main: Callable[[list[str]], int], max_minutes: float) -> None:
    """Stage 1 from scratch, stage 2 continuing from it (a second cosine cycle)."""
    init: list[str] = []
    for k, (epochs, lr) in enumerate(STAGES):
        out = RUNS / f"stage{k + 1}.pt"
        args = [
            "--data",
            str(DATA / "train.npz"),
            "--out",
            str(out),
            "--epochs",
            str(epochs),
            "--lr",
            str(lr),
        ]
        train_main([*args, "--seed", str(k), "--max-minutes", str(max_minutes), *init])
        init = ["--init", str(out)]


def main(argv: list[str] | None = None) -> int:
    """Regenerate the shipped model (see the module docstring); data and runs paths are relative, so
    run it from the repository root.
    """
    ap = argparse.ArgumentParser(description="regenerate the shipped camera model end to end")
    ap.add_argument("--fresh", action="store_true", help="re-render the data even if present")
    ap.add_argument("--max-minutes", type=float, default=28.0, help="per training stage")
    ap.add_argument("--skip-train", action="store_true", help="export/evaluate the existing checkpoint")
    ap.add_argument("--train-minutes", default="", help="with --skip-train: training wall time for the card")
    a = ap.parse_args(argv)
    from borderwatch.models.train import export, train  # torch only from here on

    render_data(a.fresh)
    ckpt = RUNS / "stage2.pt"
    train_minutes = a.train_minutes
    if not a.skip_train:
        t0 = time.monotonic()
        run_training(train.main, a.max_minutes)
        train_minutes = f"{(time.monotonic() - t0) / 60:.0f}"
    onnx_path = export.export(ckpt, MODELS_DIR / "camera" / f"{NAME}.onnx")
    metrics = evaluate.evaluate(onnx_path, DATA / "heldout.npz", THRESHOLD)
    metrics |= {"demo_step_s": DEMO_STEP_S, "demo": democheck.demo_recall(onnx_path, THRESHOLD, DEMO_STEP_S)}
    (MODELS_DIR / "camera" / f"{NAME}.metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    entry = update_manifest(onnx_path)
    card.write(entry, metrics, sum(e for e, _ in STAGES), train_minutes=train_minutes)
    print(json.dumps(metrics["classes"], indent=1), f"animal_as_person={metrics['animal_as_person']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
