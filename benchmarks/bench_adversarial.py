"""One PGD-40 batch on LeNet-5: chainrule.adversarial.pgd beside torchattacks.PGD, same weights.

    python benchmarks/bench_adversarial.py              # measures and writes its RESULTS.md section
    python benchmarks/bench_adversarial.py --no-write   # prints only

The step is a whole attack: 40 L∞ PGD steps (ε = 0.1, α = 0.01, no random start) on a batch of
128 Fashion-MNIST test images (random images in [0, 1] when the data is not installed), each
step a forward and an input-gradient backward of LeNet-5 (float32) and the projection. The
PyTorch side is torchattacks 3.5.1's ``PGD`` on a LeNet-5 built in PyTorch with the weights
copied from chainrule's; setup checks that both give the same adversarial images. The file does
not export ``WORKLOADS`` (a step takes seconds): benchmarks/run.py leaves it out, and this
script writes its own section of RESULTS.md (``harness.write_section``).
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import chainrule  # noqa: F401  (before NumPy: it shortens OpenBLAS's idle spin)

import numpy as np  # noqa: E402

from benchmarks import harness  # noqa: E402

TITLE = "Adversarial attacks: chainrule.adversarial vs torchattacks 3.5.1"
SECTION = "adversarial"
BATCH, EPS, ALPHA, STEPS = 128, 0.1, 0.01, 40
TARGET = 1.5


def _images():
    try:
        from chainrule.data import datasets as D

        x, y = D.get_dataset("fashion-mnist", "test")
        what = "the first 128 Fashion-MNIST test images"
        x = x[:BATCH].reshape(BATCH, 1, 28, 28).astype(np.float32) / 255
        return x, y[:BATCH].astype(np.int64), what
    except Exception:                   # noqa: BLE001 - no data: random images instead
        rng = np.random.default_rng(0)
        return (rng.uniform(0, 1, (BATCH, 1, 28, 28)).astype(np.float32),
                rng.integers(0, 10, BATCH), "128 random images (Fashion-MNIST not found)")


def _torch_lenet():
    import torch.nn as tnn

    class LeNet5(tnn.Module):
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential(
                tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2))
            self.classifier = tnn.Sequential(
                tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Dropout(0.0),
                tnn.Linear(120, 84), tnn.ReLU(), tnn.Dropout(0.0), tnn.Linear(84, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    return LeNet5()


def workload() -> harness.Workload:
    x, y, what = _images()

    def setup():
        import torch
        import torchattacks

        import chainrule as cr
        from chainrule.adversarial import pgd
        from chainrule.models.vision import LeNet5

        cr.manual_seed(0)
        cm = LeNet5().eval()
        tm = _torch_lenet().eval()
        tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in cm.state_dict().items()})
        xc, yc = cr.tensor(x), cr.tensor(y)
        xt, yt = torch.tensor(x), torch.tensor(y)
        atk = torchattacks.PGD(tm, eps=EPS, alpha=ALPHA, steps=STEPS, random_start=False)
        ours = pgd(cm, xc, yc, EPS, ALPHA, STEPS, random_start=False).numpy()
        theirs = atk(xt, yt).numpy()
        # float32: a gradient component near 0 may take the other sign in one library
        differ = float((np.abs(ours - theirs) > 1e-5).mean())
        assert differ < 1e-3, f"the two attacks disagree on {100 * differ:.3f}% of the pixels"
        return (lambda: pgd(cm, xc, yc, EPS, ALPHA, STEPS, random_start=False),
                lambda: atk(xt, yt))

    return harness.Workload(
        "pgd40_lenet_b128", setup, TARGET,
        f"PGD-40 (L∞, ε={EPS}, α={ALPHA}, no random start) on {what}, LeNet-5 float32: "
        "chainrule.adversarial.pgd vs torchattacks.PGD, same weights, same images out")


def main(argv=None) -> int:
    return harness.run_solo(SECTION, TITLE, "torchattacks", [workload],
                            "python benchmarks/bench_adversarial.py", argv,
                            note="; times per whole attack")


if __name__ == "__main__":
    sys.exit(main())
