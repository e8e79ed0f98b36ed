"""``make model-radar``: the radar track classifier (person / group / vehicle / animal / clutter),
from simulator output to a manifest entry: data -> train -> ONNX -> held-out evaluation -> card.

The network is a small MLP over the six track features of ``edge/sensors/radar/features.py`` with the
training set's mean and standard deviation baked in, ending in a softmax, so the agent feeds raw
features. The seam's models take (B, 3, H, W) tensors: the input is (B, 3, 1, 2) (the six features)
and the output (B, 5) probabilities, the classifier layout ``edge/pipeline/decode.py`` recognises.
Fixed seeds throughout; torch only here (the agent runs the ONNX file with onnxruntime).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from borderwatch.edge.sensors.radar.features import CLASSES, FEATURES
from borderwatch.models.registry import MANIFEST, MODELS_DIR, ModelEntry, load_manifest, sha256_file, write_manifest
from borderwatch.models.train.radar_data import ASTERIX, dataset

NAME = "bw-radar-cls"
ONNX_PATH = MODELS_DIR / "radar" / f"{NAME}.onnx"
CARD_PATH = MODELS_DIR / "radar" / f"{NAME}.md"
TRAIN_SEEDS, HELDOUT_SEEDS = range(0, 40), range(1000, 1012)


class Classifier(nn.Module):
    """Standardise, two hidden layers, softmax."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, hidden: int = 32) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        n = len(FEATURES)
        self.net = nn.Sequential(
            nn.Linear(n, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, len(CLASSES))
        )

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x.flatten(1) - self.mean) / self.std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(x), dim=1)


SIGNAL_FREE = [FEATURES.index(f) for f in ("signal_db", "doppler_spread_mps", "radial_mps")]


def without_signal(x: np.ndarray) -> np.ndarray:
    """The features as a radar that sends neither SNR nor Doppler gives them (ASTERIX plots without
    I048/130 and I048/120, NMEA tracks): those columns are 0, as the agent fills them."""
    out = x.copy()
    out[:, SIGNAL_FREE] = 0.0
    return out


def train(x: np.ndarray, y: np.ndarray, epochs: int = 600) -> Classifier:
    """Full-batch Adam with class weights (clutter and people outnumber the rest)."""
    torch.manual_seed(0)
    model = Classifier(x.mean(axis=0), x.std(axis=0) + 1e-3)
    counts = np.bincount(y, minlength=len(CLASSES)).astype(np.float32)
    weights = torch.tensor(counts.sum() / np.maximum(counts, 1) / len(CLASSES))
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    xt, yt = torch.tensor(x).reshape(-1, 3, 1, 2), torch.tensor(y)
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model.logits(xt), yt)
        loss.backward()
        opt.step()
    return model.eval()


def export(model: Classifier, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (torch.zeros(1, 3, 1, 2),), str(out), dynamo=False, input_names=["features"],
            output_names=["probs"], opset_version=17, dynamic_axes={"features": {0: "batch"}, "probs": {0: "batch"}},
        )  # fmt: skip
    m = onnx.load(str(out))
    meta = {
        "names": json.dumps(list(CLASSES)),
        "features": json.dumps(list(FEATURES)),
        "layout": "classifier",
        "description": "borderwatch radar track classifier (simulated scenes)",
        "author": "borderwatch",
    }
    for key, value in meta.items():
        m.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(m)
    onnx.save(m, str(out))
    return out


def evaluate(path: Path, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Held-out accuracy and confusion matrix (rows: truth, columns: predicted) of the ONNX file."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probs = session.run(None, {"features": x.reshape(-1, 3, 1, 2).astype(np.float32)})[0]
    pred = probs.argmax(axis=1)
    confusion = np.zeros((len(CLASSES), len(CLASSES)), np.int64)
    np.add.at(confusion, (y, pred), 1)
    return float((pred == y).mean()), confusion


def _matrix(confusion: np.ndarray) -> str:
    header = "| truth \\ predicted | " + " | ".join(CLASSES) + " |\n|---|" + "---|" * len(CLASSES) + "\n"
    return header + "".join(
        f"| {c} | " + " | ".join(str(v) for v in row) + " |\n" for c, row in zip(CLASSES, confusion, strict=True)
    )


Scored = tuple[float, np.ndarray]


def card(
    full: tuple[float, np.ndarray, int], coarse: tuple[float, np.ndarray, int], bare: Scored, n_train: int,
    seconds: float,
) -> str:  # fmt: skip
    """The model card: what it is, how it was trained, and held-out accuracy per kind of radar."""
    (accuracy, confusion, n_held), (coarse_acc, coarse_confusion, n_coarse), (bare_acc, bare_confusion) = (
        full,
        coarse,
        bare,
    )
    size_kb = ONNX_PATH.stat().st_size / 1024
    return f"""# Model card: {NAME}

Radar track classifier for **{" / ".join(CLASSES)}**, shipped so that radar tracks get a class
with nothing downloaded. Trained here on the CPU (`make model-radar`, {seconds:.0f} s on the machine
that ran it) on tracks that the radar simulator (`simulators/radar/`) and the agent's own radar
code (`edge/sensors/radar/`) made from {len(TRAIN_SEEDS)} seeded scenes; it matches the simulator, not a
particular real radar (retrain on labelled tracks of the deployed radar before trusting it).

| | |
|---|---|
| file | `models/radar/{NAME}.onnx` ({size_kb:.1f} kB), sha256 in `models/manifest.json` |
| input | `features`, float32 (B, 3, 1, 2): the six features {", ".join(FEATURES)} in that order |
| output | `probs`, float32 (B, 5): softmax probabilities in the class order above |
| network | standardisation (training mean/std baked in), MLP 6-32-32-5, softmax |
| training | {n_train} track samples (each twice: also without SNR and Doppler), class-weighted |
| | cross-entropy, Adam, 600 full-batch epochs, torch 2.13 CPU |
| held-out | tracks of {len(HELDOUT_SEEDS)} other seeds: **accuracy {accuracy:.3f}** with full-resolution SNR and |
| | Doppler ({n_held} samples, e.g. TI mmWave); **{coarse_acc:.3f}** at ASTERIX resolution ({n_coarse} |
| | samples); **{bare_acc:.3f} without SNR and Doppler** (NMEA tracks, ASTERIX without I048/130 and 120) |

## Held-out confusion matrix, all features (a radar sending SNR and Doppler, e.g. TI mmWave)

{_matrix(confusion)}
## Held-out confusion matrix at ASTERIX resolution (SNR whole dB, Doppler whole m/s)

{_matrix(coarse_confusion)}
## Held-out confusion matrix without SNR and Doppler (ASTERIX plots without I048/130 and 120, NMEA)

{_matrix(bare_confusion)}
Without SNR and Doppler a track has only its speed, turn rate and plots per target: walkers and
animals (similar speeds) are then often confused, which is why the figure is lower.

## How the agent uses it

`[radars.<id>] model = "{NAME}"`: every frame, the features of all confirmed tracks go to the model
in one batch (`edge/sensors/radar/kind.py`); `group` is reported as `person` (the contract has no
group class) and tracks called `clutter` are not announced.

## Limits

The features are made by the simulator's models of radar cross-section, micro-Doppler and clutter;
on a real radar their distributions differ, so expect lower accuracy until retrained.
"""


def update_manifest() -> ModelEntry:
    entry = ModelEntry(name=NAME, file=str(ONNX_PATH.relative_to(MODELS_DIR)), sha256=sha256_file(ONNX_PATH),
                       kind="radar", input=[3, 1, 2], layout="classifier", classes=list(CLASSES))  # fmt: skip
    others = load_manifest() if MANIFEST.exists() else []
    write_manifest([*(e for e in others if e.name != NAME), entry])
    return entry


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m borderwatch.models.train.radar", description=__doc__.splitlines()[0])
    ap.add_argument("--min-accuracy", type=float, default=0.9, help="fail below this held-out accuracy")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    x, y = dataset(TRAIN_SEEDS)
    xh, yh = dataset(HELDOUT_SEEDS)
    xha, yha = dataset(HELDOUT_SEEDS, ASTERIX)
    model = train(np.concatenate((x, without_signal(x))), np.concatenate((y, y)))
    export(model, ONNX_PATH)
    accuracy, confusion = evaluate(ONNX_PATH, xh, yh)
    coarse, coarse_confusion = evaluate(ONNX_PATH, xha, yha)
    bare, bare_confusion = evaluate(ONNX_PATH, without_signal(xh), yh)
    seconds = time.monotonic() - t0
    text = card(
        (accuracy, confusion, len(yh)), (coarse, coarse_confusion, len(yha)), (bare, bare_confusion), 2 * len(y),
        seconds,
    )  # fmt: skip
    CARD_PATH.write_text(text, encoding="utf-8")
    entry = update_manifest()
    print(f"{NAME}: held-out accuracy {accuracy:.3f} ({coarse:.3f} at ASTERIX resolution, {bare:.3f} without "
          f"SNR/Doppler) on {len(yh)} samples, "
          f"{seconds:.0f} s, sha256 {entry.sha256}")  # fmt: skip
    print(confusion)
    return 0 if accuracy >= args.min_accuracy else 1


if __name__ == "__main__":
    raise SystemExit(main())
