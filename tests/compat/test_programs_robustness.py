"""Adversarial examples, saliency maps and fine-tuning a frozen backbone agree with PyTorch.

``programs/fgsm_saliency.py`` (FGSM per epsilon, a vanilla-gradient saliency map, PGD adversarial
training through torch.autograd.grad) and ``programs/finetune.py`` (frozen "pretrained"
nn.Sequential, a new head, add_param_group, StepLR, best-weights deepcopy, save/load with
strict=False) are run by :mod:`runner` on PyTorch and on chainrule (imports rewritten, PyTorch's
initial weights), and their records are compared to 1e-10 in float64 and 1e-4 in float32. The
data, the PGD random starts and the new head's initial weights are made here from a fixed NumPy
generator.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import runner  # noqa: E402
from runner import DTYPES, compare  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")



@pytest.fixture(autouse=True)
def _one_torch_thread():
    """These tensors are tiny: on a busy 2-core machine PyTorch's worker threads only cost time
    (the FGSM program took 3.5 s with 2 threads against 0.2 s with 1)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# ----------------------------------------------------------------------------- data
def bars(n: int, seed: int = 0, classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-format 28×28 uint8 images: noise plus one bright 10×4 bar whose place (jittered by
    a pixel or two) tells the class, so a small CNN learns it in ten steps."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n).astype(np.int64)
    images = rng.normal(40.0, 30.0, (n, 28, 28))
    for i, c in enumerate(labels):
        r = 2 + 12 * (c // 5) + rng.integers(0, 3)
        q = 1 + 5 * (c % 5) + rng.integers(0, 2)
        images[i, r:r + 10, q:q + 4] += 180
    return np.clip(images, 0, 255).astype(np.uint8), labels


def fgsm_data(n_train=80, n_test=12, eps=0.1, seed=0) -> dict:
    """Train/test images and labels, and a PGD random start in [-eps, eps] per training image."""
    images, labels = bars(n_train + n_test, seed)
    rng = np.random.default_rng(seed + 1)
    return {"train": (images[:n_train], labels[:n_train]),
            "test": (images[n_train:], labels[n_train:]),
            "starts": rng.uniform(-eps, eps, (n_train, 1, 28, 28))}


def finetune_data(n_train=48, n_val=16, size=16, classes=3, features=16, seed=0) -> dict:
    """CIFAR-format N×size×size×3 uint8 images (class template + noise), int64 labels, and the
    new head's initial (weight, bias), drawn as nn.Linear draws them (uniform, 1/sqrt(fan_in))."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    templates = rng.integers(0, 256, (classes, size, size, 3))
    labels = rng.integers(0, classes, n).astype(np.int64)
    noise = rng.normal(0.0, 50.0, (n, size, size, 3))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    bound = 1 / np.sqrt(features)
    head = (rng.uniform(-bound, bound, (classes, features)), rng.uniform(-bound, bound, classes))
    return {"train": (images[:n_train], labels[:n_train]),
            "val": (images[n_train:], labels[n_train:]), "head": head}


# ----------------------------------------------------------------------------- 1. FGSM, saliency
@pytest.mark.parametrize("dtype", DTYPES)
def test_fgsm_saliency_matches_pytorch(dtype):
    expected, _ = compare("fgsm_saliency", fgsm_data(), dtype, build=dict(dropout=0.0))
    assert len(expected["adv_losses"]) == 10
    acc = expected["accuracies"]
    assert acc[0] > acc[-1], acc                  # the attack works on the trained network
    assert all(len(ex) > 0 for ex in expected["examples"])
    assert expected["saliency"].shape == (6, 28, 28) and np.all(expected["saliency"] >= 0)


# ----------------------------------------------------------------------------- 2. fine-tuning
KEYS = {
    "pretrained_missing": ["fc.weight", "fc.bias"],
    "pretrained_unexpected": [],
    "trainable_head": ["fc.weight", "fc.bias"],
    "trainable_finetune": ["layer2.0.weight", "layer2.1.weight", "layer2.1.bias", "fc.weight",
                           "fc.bias"],
    "extractor_missing": [],
    "extractor_unexpected": ["fc.weight", "fc.bias"],
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rates", [(0.001, 0.0005), (0.02, 0.01)], ids=["tutorial", "faster"])
def test_finetune_matches_pytorch(rates, dtype, tmp_path):
    lr, finetune_lr = rates
    expected, _ = compare("finetune", finetune_data(), dtype, text_key="keys",
                          run=dict(path=str(tmp_path), lr=lr, finetune_lr=finetune_lr))
    assert len(expected["losses"]) == 24
    assert expected["lrs"] == [[pytest.approx(lr)], [pytest.approx(lr / 10)],
                               [pytest.approx(lr / 10), pytest.approx(finetune_lr)],
                               [pytest.approx(lr / 100), pytest.approx(finetune_lr / 10)]]
    assert (tmp_path / "pretrained.pt").exists() and (tmp_path / "finetuned.pt").exists()


def test_finetune_records_pytorchs_keys(tmp_path):
    """The key lists the program records on chainrule are PyTorch's (written out here)."""
    _, record = runner.run_once("finetune", "chainrule", finetune_data(),
                                run=dict(path=str(tmp_path)))
    assert record["keys"] == KEYS
    state = record["state"]
    assert state["fc.weight"].shape == (3, 16) and "layer2.1.num_batches_tracked" in state
