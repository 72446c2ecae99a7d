"""Small synthetic problems and models shared by the training tests."""
from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn


def blobs(n: int = 240, classes: int = 3, features: int = 4, seed: int = 0):
    """Well separated Gaussian blobs: (x float32 (n, features), y int64 (n,))."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    x = centers[y] + rng.normal(scale=0.7, size=(n, features))
    return x.astype(np.float32), y.astype(np.int64)


def mlp(features: int = 4, classes: int = 3, hidden: int = 16, dropout: float = 0.0,
        seed: int = 0) -> nn.Module:
    cr.manual_seed(seed)
    layers = [nn.Linear(features, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, classes))
    return nn.Sequential(*layers)


def params(model) -> dict:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same_params(a: dict, b: dict, exact: bool = True) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if exact:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-7, err_msg=k)
