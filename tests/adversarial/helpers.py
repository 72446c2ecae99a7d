"""One small CNN built in chainrule and in PyTorch with the same weights (the attacks' oracle)."""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
import chainrule.nn as nn

CLASSES = 5
SHAPE = (1, 8, 8)


def torch_cnn(seed: int = 0, dtype=torch.float64) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(36, 16), torch.nn.Tanh(), torch.nn.Linear(16, CLASSES)).to(dtype)


def chainrule_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(36, 16), nn.Tanh(), nn.Linear(16, CLASSES))


def twin_cnns(seed: int = 0, dtype=torch.float64):
    """(torch model, chainrule model) with identical weights, in ``dtype``."""
    tm = torch_cnn(seed, dtype)
    cm = chainrule_cnn().to(cr.float64 if dtype == torch.float64 else cr.float32)
    cm.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, cm


def batch(seed: int, n: int = 6, dtype=np.float64):
    """Images uniform in [0, 1] and labels in [0, CLASSES)."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, 1, (n, *SHAPE)).astype(dtype),
            rng.integers(0, CLASSES, n).astype(np.int64))
