"""`make model-thermal`: chips -> train -> ONNX -> held-out metrics -> manifest entry and model card.

    python -m borderwatch.models.train.thermal

Needs torch==2.13.0 (training time only; the edge runs the ONNX file). Seeds are fixed: training
scenes 100000.., held-out scenes 900000.., torch seed 0. A few minutes on one CPU core.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from borderwatch.models.registry import MANIFEST, MODELS_DIR, ModelEntry, load_manifest, sha256_file, write_manifest
from borderwatch.models.train.thermal_data import CLASSES, make_set

NAME = "bw-thermal-s"
OUT = MODELS_DIR / "thermal"
TRAIN_SCENES, HELDOUT_SCENES = 2500, 600
TRAIN_SEED, HELDOUT_SEED = 100_000, 900_000
EPOCHS, LR, BATCH = 14, 3e-3, 128


def build_net():  # noqa: ANN201  (torch is imported lazily: training-time only)
    """Three conv blocks and a linear head, softmax on the output: (B, 3, 32, 32) -> (B, 4) probabilities."""
    import torch
    from torch import nn

    def block(i: int, o: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(block(3, 16), block(16, 32), block(32, 64), block(64, 64))
            self.head = nn.Linear(64, len(CLASSES))
            self.probabilities = False

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            logits = self.head(self.features(x).mean(dim=(2, 3)))
            return torch.softmax(logits, dim=1) if self.probabilities else logits

    return Net()


def train(x: np.ndarray, y: np.ndarray):  # noqa: ANN201
    """Adam with a cosine schedule, class-balanced loss, flips as augmentation."""
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(1)
    net = build_net()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    steps = EPOCHS * ((len(x) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps)
    weight = torch.tensor(
        len(y) / (len(CLASSES) * np.maximum(np.bincount(y, minlength=len(CLASSES)), 1)), dtype=torch.float32
    )
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)
    for epoch in range(EPOCHS):
        net.train()
        order, total = torch.randperm(len(xt), generator=gen), 0.0
        for i in range(0, len(order), BATCH):
            idx = order[i : i + BATCH]
            xb = xt[idx]
            if epoch % 2:
                xb = torch.flip(xb, dims=(3,))
            opt.zero_grad()
            loss = loss_fn(net(xb), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        print(f"epoch {epoch + 1}/{EPOCHS} loss {total / len(xt):.4f}", flush=True)
    net.eval()
    net.probabilities = True
    return net


def export(net, path: Path) -> None:  # noqa: ANN001
    """ONNX with a dynamic batch axis: all chips of a frame go in one call."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        net,
        (torch.zeros(1, 3, 32, 32),),
        str(path),
        input_names=["chips"],
        output_names=["probabilities"],
        dynamic_axes={"chips": {0: "batch"}, "probabilities": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )


def evaluate(path: Path, x: np.ndarray, y: np.ndarray) -> dict:
    """Held-out accuracy, per-class recall, confusion matrix (rows truth, columns predicted), latency."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    pred = np.concatenate([session.run(None, {"chips": x[i : i + 256]})[0] for i in range(0, len(x), 256)]).argmax(1)
    k = len(CLASSES)
    confusion = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    batch = x[:8]
    for _ in range(5):
        session.run(None, {"chips": batch})
    t0 = time.perf_counter()
    runs = 200
    for _ in range(runs):
        session.run(None, {"chips": batch})
    ms = (time.perf_counter() - t0) * 1000 / runs
    return {
        "heldout_chips": len(y),
        "accuracy": round(float((pred == y).mean()), 4),
        "recall": {c: round(float(confusion[i, i] / max(confusion[i].sum(), 1)), 4) for i, c in enumerate(CLASSES)},
        "confusion": confusion.tolist(),
        "latency_ms_batch8_1thread": round(ms, 3),
    }


def update_manifest(path: Path) -> None:
    """Replace this model's entry in models/manifest.json (the others stay)."""
    entry = ModelEntry(
        name=NAME,
        file=str(path.relative_to(MODELS_DIR)),
        sha256=sha256_file(path),
        kind="thermal",
        input=[3, 32, 32],
        layout="classifier",
        classes=list(CLASSES),
    )
    others = load_manifest() if MANIFEST.exists() else []
    write_manifest([*(e for e in others if e.name != NAME), entry])


def main(argv: list[str] | None = None) -> int:
    """Render chips, train, export, evaluate, write the manifest entry, metrics and card."""
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    t0 = time.time()
    x, y = make_set(TRAIN_SEED, TRAIN_SCENES)
    xh, yh = make_set(HELDOUT_SEED, HELDOUT_SCENES)
    print(f"chips: train {len(y)} {np.bincount(y).tolist()}, held-out {len(yh)} {np.bincount(yh).tolist()}")
    net = train(x, y)
    path = OUT / f"{NAME}.onnx"
    export(net, path)
    metrics = evaluate(path, xh, yh)
    metrics |= {
        "train_chips": len(y),
        "train_counts": np.bincount(y, minlength=len(CLASSES)).tolist(),
        "heldout_counts": np.bincount(yh, minlength=len(CLASSES)).tolist(),
        "size_bytes": path.stat().st_size,
        "minutes": round((time.time() - t0) / 60, 1),
    }
    (OUT / f"{NAME}.metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    update_manifest(path)
    print(json.dumps(metrics, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
