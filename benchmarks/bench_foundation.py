"""Foundation workloads: a dense layer's forward and backward, and the per-op overhead of autograd.

- ``linear_relu_fwd_bwd``: loss = Σ relu(x W + b) with x 128×784, W 784×256, b 256 (float32),
  then backward for ∂loss/∂x, ∂loss/∂W, ∂loss/∂b. Mostly BLAS time; target ≤ 1.2x PyTorch.
- ``tiny_mul_forward``: y = a · b on 1-element float32 tensors requiring grad (the graph is
  recorded, then dropped). Pure per-op Python overhead: Tensor creation, node bookkeeping.
- ``tiny_mul_fwd_bwd``: the same op followed by ``y.backward()``: the engine's fixed cost per
  backward call and per node. Target ≤ 3x PyTorch for both tiny workloads.

Each step clears the gradients first (``.grad = None`` in both libraries), so every step does the
same work and no accumulation is timed.
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from benchmarks.harness import Workload


def _pair(*arrays: np.ndarray):
    """The same float32 values as chainrule leaves and as PyTorch leaves, all requiring grad."""
    mine = [cr.Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    return mine, theirs


def _check_grads(name: str, mine, theirs, rtol: float = 1e-4, atol: float = 1e-4) -> None:
    """Fail loudly if the two libraries did not compute the same gradients."""
    for i, (m, t) in enumerate(zip(mine, theirs)):
        if not np.allclose(m.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol):
            raise AssertionError(f"{name}: gradient {i} differs between chainrule and PyTorch")


def _clear(tensors) -> None:
    for t in tensors:
        t.grad = None


def _linear_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784), dtype=np.float32)
    w = rng.standard_normal((784, 256), dtype=np.float32) / np.float32(28.0)
    b = rng.standard_normal(256, dtype=np.float32) * np.float32(0.1)
    return x, w, b


def linear_relu_setup():
    (cx, cw, cb), (tx, tw, tb) = leaves = _pair(*_linear_data())

    def chainrule_step():
        _clear(leaves[0])
        cr.relu(cx @ cw + cb).sum().backward()

    def torch_step():
        _clear(leaves[1])
        torch.relu(tx @ tw + tb).sum().backward()

    chainrule_step()
    torch_step()
    _check_grads("linear_relu_fwd_bwd", *leaves)
    return chainrule_step, torch_step


def linear_relu_kernels():
    """The NumPy work of the chainrule step alone: forward, then the three gradients."""
    x, w, b = _linear_data()

    def step():
        y = np.maximum(x @ w + b, 0)
        y.sum()
        g = np.ones_like(y) * (y > 0)
        return g @ w.T, x.T @ g, g.sum(axis=0)

    return step


def _tiny_leaves():
    return _pair(*_tiny_arrays())


def tiny_mul_forward_setup():
    (ca, cb), (ta, tb) = _tiny_leaves()

    def chainrule_step():
        return ca * cb

    def torch_step():
        return ta * tb

    return chainrule_step, torch_step


def tiny_mul_fwd_bwd_setup():
    (ca, cb), (ta, tb) = leaves = _tiny_leaves()

    def chainrule_step():
        ca.grad = cb.grad = None
        (ca * cb).backward()

    def torch_step():
        ta.grad = tb.grad = None
        (ta * tb).backward()

    chainrule_step()
    torch_step()
    _check_grads("tiny_mul_fwd_bwd", *leaves)
    return chainrule_step, torch_step


def _tiny_arrays():
    rng = np.random.default_rng(1)
    return rng.standard_normal(1, dtype=np.float32), rng.standard_normal(1, dtype=np.float32)


def tiny_mul_forward_kernels():
    a, b = _tiny_arrays()
    return lambda: a * b


def tiny_mul_fwd_bwd_kernels():
    a, b = _tiny_arrays()

    def step():
        a * b
        g = np.ones(1, dtype=np.float32)
        return g * b, g * a

    return step


WORKLOADS = [
    Workload("linear_relu_fwd_bwd", linear_relu_setup, target=1.2,
             description="Σ relu(x W + b), x 128×784, W 784×256, b 256, float32; forward and "
                         "backward for x, W, b",
             kernels=linear_relu_kernels),
    Workload("tiny_mul_forward", tiny_mul_forward_setup, target=3.0,
             description="y = a · b on 1-element float32 tensors requiring grad; forward only "
                         "(graph recorded)",
             kernels=tiny_mul_forward_kernels),
    Workload("tiny_mul_fwd_bwd", tiny_mul_fwd_bwd_setup, target=3.0,
             description="y = a · b on 1-element float32 tensors, then y.backward()",
             kernels=tiny_mul_fwd_bwd_kernels),
]
