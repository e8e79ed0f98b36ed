"""Train the camera detector on the rendered set (CPU, a few threads) and save a checkpoint.

Why time-boxed: the machine is small and shared; the cosine schedule runs over a fixed number
of epochs, or over --max-minutes of wall time if that comes first: progress is the larger of the
share of steps done and the share of the time budget spent, so a busy machine still ends the
cycle at a low learning rate instead of being cut off half-way (it then runs fewer steps; the
log and the pipeline's metrics say how many).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch

from borderwatch.models.train.loss import detection_loss
from borderwatch.models.train.net import Detector, anchors

log = logging.getLogger("borderwatch.models.train")
MAX_BOXES = 64


def load_set(path: Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images (n,3,320,320) uint8, padded labels (n, MAX_BOXES, 5), valid mask (n, MAX_BOXES)."""
    z = np.load(path)
    images, labels = z["images"], z["labels"]
    n = len(images)
    lab = np.zeros((n, MAX_BOXES, 5), np.float32)
    valid = np.zeros((n, MAX_BOXES), bool)
    idx = labels[:, 0].astype(np.int64)
    order = np.argsort(idx, kind="stable")
    idx, rows = idx[order], labels[order, 1:]
    slot = np.arange(len(idx)) - np.searchsorted(idx, idx)
    keep = slot < MAX_BOXES
    lab[idx[keep], slot[keep]] = rows[keep]
    valid[idx[keep], slot[keep]] = True
    return (
        torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
        torch.from_numpy(lab),
        torch.from_numpy(valid),
    )


def photometric(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Per-image brightness/contrast jitter and grey conversion: cheap robustness."""
    b = x.shape[0]
    gain = 0.75 + 0.5 * torch.rand(b, 1, 1, 1, generator=gen)
    bias = (torch.rand(b, 1, 1, 1, generator=gen) - 0.5) * 0.16
    gray = torch.rand(b, 1, 1, 1, generator=gen) < 0.1
    x = torch.where(gray, x.mean(1, keepdim=True).expand_as(x), x)
    return (x * gain + bias).clamp(0, 1)


def lr_at(step: int, total: int, base: float, warmup: int = 150, progress: float | None = None) -> float:
    """Learning rate at ``step``: linear warm-up over ``warmup`` steps, then cosine from ``base`` to 2 % of it.

    ``progress`` (0-1), when given, places the cosine instead of ``step / total`` (the time budget).
    """
    if step < warmup:
        return base * (step + 1) / warmup
    frac = (step - warmup) / max(total - warmup, 1) if progress is None else progress
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


def train(
    data: Path,
    out: Path,
    epochs: int,
    batch: int,
    lr: float,
    threads: int,
    max_minutes: float,
    seed: int,
    init: Path | None = None,
) -> Path:
    """Train (optionally continuing from `init`, a second cosine cycle) and save the state dict, with the
    steps actually run (the time budget may cut them) in a JSON file beside it."""
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    images, labels, valid = load_set(data)
    model = Detector()
    if init is not None:
        model.load_state_dict(torch.load(init, map_location="cpu", weights_only=True))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    pts, strides = anchors()
    gen = torch.Generator().manual_seed(seed)
    steps_per_epoch = len(images) // batch
    total, step, t0 = epochs * steps_per_epoch, 0, time.monotonic()
    budget = max_minutes * 60

    def progress() -> float:
        done = (step - 150) / max(total - 150, 1) if step >= 150 else 0.0
        return max(done, (time.monotonic() - t0) / budget)

    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(images), generator=gen)
        for k in range(steps_per_epoch):
            sel = perm[k * batch : (k + 1) * batch]
            x = photometric(images[sel].float() / 255.0, gen)
            lab, val = labels[sel], valid[sel]
            m = max(int(val.sum(1).max()), 1)
            loss, parts = detection_loss(*model(x), pts, strides, lab[:, :m], val[:, :m])
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total, lr, progress=progress())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            step += 1
            if step % 20 == 0:
                el = time.monotonic() - t0
                print(
                    f"epoch={epoch} step={step}/{total} loss={float(loss):.3f} cls={parts['cls']:.3f} "
                    f"box={parts['box']:.3f} pos={parts['pos']:.0f} lr={opt.param_groups[0]['lr']:.2e} "
                    f"elapsed_s={el:.0f}",
                    flush=True,
                )
            if time.monotonic() - t0 > budget:
                break
        torch.save(model.state_dict(), out)
        if time.monotonic() - t0 > budget:
            print(f"time budget reached at epoch={epoch} step={step}", flush=True)
            break
    minutes = (time.monotonic() - t0) / 60
    print(f"trained steps={step} of {total} in {minutes:.1f} min", flush=True)
    run = {"steps": step, "planned_steps": total, "batch": batch, "images": len(images), "minutes": round(minutes, 1)}
    out.with_suffix(".json").write_text(json.dumps(run) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI around train(); the defaults of epochs, lr and seed are the pipeline's stage 1."""
    ap = argparse.ArgumentParser(description="train the camera detector (CPU)")
    ap.add_argument("--data", type=Path, default=Path("models/data/train.npz"))
    ap.add_argument("--out", type=Path, default=Path("models/runs/detector.pt"))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-minutes", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", type=Path, default=None, help="start from this checkpoint (second stage)")
    a = ap.parse_args(argv)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    train(a.data, a.out, a.epochs, a.batch, a.lr, a.threads, a.max_minutes, a.seed, a.init)
    print(f"saved {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
