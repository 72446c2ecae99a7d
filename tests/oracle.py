"""Shared helpers for comparing chainrule with PyTorch (the oracle) in float64."""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr

RTOL = 1e-6
ATOL = 1e-10


def t64(values, requires_grad: bool = False) -> cr.Tensor:
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def th64(values, requires_grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def as_numpy(x) -> np.ndarray:
    if isinstance(x, cr.Tensor):
        return x.numpy()
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_close(actual, expected, rtol: float = RTOL, atol: float = ATOL) -> None:
    a, e = as_numpy(actual), as_numpy(expected)
    assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)
