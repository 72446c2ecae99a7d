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


def assert_one_of_pytorchs_answers(cr_fn, torch_fn, value, dtype, label=()) -> None:
    """Where PyTorch's answer at a special value depends on the tensor's length (its vectorized
    loop against its scalar tail, which a short tensor meets depending on the CPU's vector
    width): chainrule gives one of PyTorch's answers (value and gradient of the first entry), the
    same for lengths 1, 2 and 64."""
    answers, ours = [], []
    for n in (1, 2, 64):
        x = np.full(n, float(value), dtype=dtype)
        t = torch.tensor(x, requires_grad=True)
        torch_fn(t).sum().backward()
        answers.append((torch_fn(t)[0].item(), t.grad[0].item()))
        c = cr.tensor(x, requires_grad=True)
        cr_fn(c).sum().backward()
        ours.append((cr_fn(c).numpy()[0], c.grad.numpy()[0]))
    assert all(np.allclose(o, ours[0], equal_nan=True) for o in ours), (*label, ours)
    assert any(np.allclose(ours[0], a, equal_nan=True, rtol=1e-6) for a in answers), \
        (*label, ours[0], answers)
