"""Integrated gradients on 100 LeNet-5 images: chainrule.interpret beside Captum 0.9, same weights.

    python benchmarks/bench_interpret.py              # measures and writes its RESULTS.md section
    python benchmarks/bench_interpret.py --no-write   # prints only

One step is a whole attribution: integrated gradients with 50 Gauss–Legendre steps (both
libraries' default quadrature; zero baseline) for 100 Fashion-MNIST test images (random images
in [0, 1] without the data) and their labels as targets, batched over the steps: the 5,000 path
points go through LeNet-5 (float32) in one forward and one input-gradient backward pass in both
libraries (Captum's ``internal_batch_size=None``). PyTorch's side is Captum's
``IntegratedGradients(model).attribute(x, target=y, n_steps=50)`` on a LeNet-5 built in PyTorch
with chainrule's weights copied; setup checks that the attributions agree. Steps take a second
or so, so the file exports no ``WORKLOADS`` for benchmarks/run.py: it measures alone and writes
its own section of RESULTS.md with ``harness.write_section``.
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import chainrule  # noqa: F401  (before NumPy: it shortens OpenBLAS's idle spin)

import numpy as np  # noqa: E402

from benchmarks import harness  # noqa: E402

TITLE = "Attributions: chainrule.interpret vs Captum 0.9"
SECTION = "interpret"
IMAGES, STEPS = 100, 50
TARGET = 1.5


def _data():
    try:
        from chainrule.data import datasets as D

        x, y = D.get_dataset("fashion-mnist", "test")
        x = x[:IMAGES].reshape(IMAGES, 1, 28, 28).astype(np.float32) / 255
        return x, y[:IMAGES].astype(np.int64), f"the first {IMAGES} Fashion-MNIST test images"
    except Exception:                   # noqa: BLE001 - no data: random images instead
        rng = np.random.default_rng(0)
        return (rng.uniform(0, 1, (IMAGES, 1, 28, 28)).astype(np.float32),
                rng.integers(0, 10, IMAGES), f"{IMAGES} random images (no Fashion-MNIST)")


def _torch_lenet():
    """LeNet-5 in PyTorch with chainrule.models.vision.LeNet5's layer names and shapes."""
    import torch.nn as tnn

    net = tnn.Module()
    net.features = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                                  tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2))
    net.classifier = tnn.Sequential(tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(),
                                    tnn.Dropout(0.0), tnn.Linear(120, 84), tnn.ReLU(),
                                    tnn.Dropout(0.0), tnn.Linear(84, 10))
    net.forward = lambda x: net.classifier(net.features(x))
    return net


def workload() -> harness.Workload:
    x, y, what = _data()

    def setup():
        import torch
        from captum.attr import IntegratedGradients

        import chainrule as cr
        from chainrule.interpret import integrated_gradients
        from chainrule.models.vision import LeNet5

        cr.manual_seed(0)
        cm = LeNet5().eval()
        tm = _torch_lenet().eval()
        tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in cm.state_dict().items()})
        xt, yt = torch.tensor(x), torch.tensor(y)
        ig = IntegratedGradients(tm)
        ours = integrated_gradients(cm, x, y, steps=STEPS).numpy()
        theirs = ig.attribute(xt, target=yt, n_steps=STEPS).numpy()
        # float32 sums of 5,000 path points in different orders: equal to 1e-3 of the largest
        # attribution (measured: 2e-4 of it at the worst pixel)
        worst = np.abs(ours - theirs).max() / np.abs(theirs).max()
        assert worst <= 1e-3, f"the attributions disagree ({worst:.2g} of the largest)"
        return (lambda: integrated_gradients(cm, x, y, steps=STEPS),
                lambda: ig.attribute(xt, target=yt, n_steps=STEPS))

    return harness.Workload(
        "ig50_lenet_100", setup, TARGET,
        f"integrated gradients, {STEPS} Gauss–Legendre steps batched (one forward + one backward "
        f"of {STEPS * IMAGES} points), zero baseline, targets = labels, on {what}; LeNet-5 "
        "float32: chainrule.interpret.integrated_gradients vs captum.attr.IntegratedGradients, "
        "same weights, same attributions out. Both backward passes compute only the input's "
        "gradient (torch.autograd.grad prunes the weights' branch; chainrule freezes the "
        "parameters for the call)")


def main(argv=None) -> int:
    return harness.run_solo(SECTION, TITLE, "Captum", [workload],
                            "python benchmarks/bench_interpret.py", argv, rounds=7,
                            note="; times per whole attribution of the 100 images")


if __name__ == "__main__":
    sys.exit(main())
