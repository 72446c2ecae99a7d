"""A small CNN built in chainrule and in PyTorch with the same weights, for comparing each
attribution method with Captum's."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

from .interpret_models import small_cnn


@pytest.fixture(scope="module")
def twins():
    """(chainrule model, torch model) in float64 with the same random weights, in eval mode."""
    rng = np.random.default_rng(7)
    ours, theirs = small_cnn(cr).double().eval(), small_cnn(torch).double().eval()
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        w = rng.uniform(-0.5, 0.5, tuple(p.shape))
        with cr.no_grad():
            p.copy_(cr.tensor(w))
        with torch.no_grad():
            tp.copy_(torch.from_numpy(w))
    return ours, theirs


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(3).uniform(0, 1, (3, 1, 12, 12))
