"""Rebuild a trainable checkpoint from the shipped ONNX detector, so a new model can be fine-tuned
from it instead of trained from scratch (about 40 minutes of a 2-core machine).

Why this is needed: only the ONNX file is kept in the repository, and its export folded every
BatchNorm into the convolution before it (weights scaled, a bias added). Unfolding restores a
``Detector`` that computes the same function: each BatchNorm gets the statistics of its
convolution's output measured on calibration images, with gamma and beta chosen so that
normalising and rescaling cancel out. In training mode, batch statistics then stay close to the
running ones and fine-tuning starts where the shipped model stands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from borderwatch.models.train.export import CLASS_NAMES
from borderwatch.models.train.net import Detector


def folded_convs(model: Path) -> list[tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]]:
    """(weight, bias) of every Conv node of the ONNX graph, in graph order.

    The exporter shares equal tensors (an untrained model's identical biases) through Identity nodes,
    and may leave constants as Constant nodes; both are followed.
    """
    g = onnx.load(str(model)).graph
    values = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            values[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    alias = {n.output[0]: n.input[0] for n in g.node if n.op_type == "Identity"}

    def value(name: str) -> npt.NDArray[np.float32]:
        while name not in values and name in alias:
            name = alias[name]
        return np.array(values[name], np.float32)  # a writable copy

    return [(value(n.input[1]), value(n.input[2])) for n in g.node if n.op_type == "Conv"]


def unfold(model: Path, calib: torch.Tensor) -> Detector:
    """A Detector equal (in eval mode) to the ONNX ``model``; ``calib`` (B,3,320,320) in [0,1] sets BN stats.

    Raises ValueError when the graph's convolutions do not line up with the Detector's, which
    happens if net.py changed since the model was exported.
    """
    det = Detector(len(CLASS_NAMES)).eval()
    convs = [m for m in det.modules() if isinstance(m, nn.Conv2d)]
    folded = folded_convs(model)
    if len(convs) != len(folded):
        raise ValueError(f"{model}: {len(folded)} convolutions, the Detector has {len(convs)}")
    bn_after: dict[nn.Conv2d, nn.BatchNorm2d] = {}
    for seq in det.modules():
        if isinstance(seq, nn.Sequential) and len(seq) == 3 and isinstance(seq[1], nn.BatchNorm2d):
            bn_after[seq[0]] = seq[1]
    with torch.no_grad():
        for conv, (w, b) in zip(convs, folded, strict=True):
            if tuple(conv.weight.shape) != w.shape:
                raise ValueError(f"{model}: weight {w.shape} where the Detector has {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(w))
            bn = bn_after.get(conv)
            if bn is None:
                conv.bias.copy_(torch.from_numpy(b))
                continue
            # identity BN with the folded bias as beta: exactly the exported function
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(b))
        stats: dict[nn.Conv2d, tuple[torch.Tensor, torch.Tensor]] = {}
        hooks = [
            c.register_forward_hook(
                lambda mod, _inp, out: stats.__setitem__(mod, (out.mean((0, 2, 3)), out.var((0, 2, 3))))
            )
            for c in bn_after
        ]
        det(calib)
        for h in hooks:
            h.remove()
        for conv, bn in bn_after.items():
            mean, var = stats[conv]
            beta = bn.bias.clone()
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.weight.copy_(torch.sqrt(var + bn.eps))
            bn.bias.copy_(mean + beta)
    return det


def main(argv: list[str] | None = None) -> int:
    """CLI: write a state dict rebuilt from an ONNX model and print how far it is from the ONNX output."""
    ap = argparse.ArgumentParser(description="rebuild a trainable checkpoint from the shipped ONNX model")
    ap.add_argument("--model", type=Path, default=Path("models/camera/bw-cam-s.onnx"))
    ap.add_argument("--data", type=Path, default=Path("models/data/train.npz"), help="calibration images")
    ap.add_argument("--out", type=Path, default=Path("models/runs/warmstart.pt"))
    a = ap.parse_args(argv)
    images = np.load(a.data)["images"][:64]
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    det = unfold(a.model, x)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(det.state_dict(), a.out)
    import onnxruntime as ort

    from borderwatch.models.train.net import YoloExport

    sess = ort.InferenceSession(str(a.model), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {"images": x[:8].numpy()})[0]
    with torch.no_grad():
        got = YoloExport(det).eval()(x[:8]).numpy()
    print(f"saved {a.out}; max |score difference| vs ONNX = {np.abs(got[:, 4:] - ref[:, 4:]).max():.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
