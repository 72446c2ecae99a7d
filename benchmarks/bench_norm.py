"""Normalization workloads: BatchNorm2d in training mode, forward and backward.

- ``batchnorm2d_fwd_bwd``: y = BatchNorm2d(64)(x) with x of shape (64, 64, 32, 32) float32 in
  training mode (batch statistics, running statistics updated), then ``y.backward(g)`` for a fixed
  upstream gradient g: ∂L/∂x, ∂L/∂γ, ∂L/∂β. Memory-bound elementwise work and per-channel
  reductions over 4 M elements; target ≤ 1.5x PyTorch.

Each step clears the gradients first, so every step does the same work and no accumulation is
timed.
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from benchmarks.harness import Workload
from chainrule import nn

SHAPE = (64, 64, 32, 32)


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE, dtype=np.float32) * np.float32(2.0) + np.float32(0.5)
    g = rng.standard_normal(SHAPE, dtype=np.float32)
    return x, g


def batchnorm2d_setup():
    x, g = _data()
    layer, tlayer = nn.BatchNorm2d(SHAPE[1]), torch.nn.BatchNorm2d(SHAPE[1])
    cx = cr.Tensor(x.copy(), requires_grad=True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    tg = torch.from_numpy(g)
    mine = [cx, layer.weight, layer.bias]
    theirs = [tx, tlayer.weight, tlayer.bias]

    def chainrule_step():
        for t in mine:
            t.grad = None
        layer(cx).backward(g)

    def torch_step():
        for t in theirs:
            t.grad = None
        tlayer(tx).backward(tg)

    chainrule_step()
    torch_step()
    for i, (m, t) in enumerate(zip(mine, theirs)):
        if not np.allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-3, atol=1e-3):
            raise AssertionError(f"batchnorm2d_fwd_bwd: gradient {i} differs from PyTorch")
    return chainrule_step, torch_step


def batchnorm2d_kernels():
    """The NumPy work alone: batch statistics, y, then the compact backward."""
    x, g = _data()
    gamma = np.ones(SHAPE[1], np.float32)
    beta = np.zeros(SHAPE[1], np.float32)

    def step():
        x3, g3 = x.reshape(64, 64, -1), g.reshape(64, 64, -1)
        n = np.float32(x3.shape[0] * x3.shape[2])
        mean = x3.sum(axis=(0, 2)) / n
        xc = x3 - mean[:, None]
        invstd = 1 / np.sqrt(np.einsum("ncl,ncl->c", xc, xc) / n + np.float32(1e-5))
        y = xc * (gamma * invstd)[:, None]
        y += beta[:, None]
        sg = g3.sum(axis=(0, 2))
        xc = x3 - mean[:, None]
        sgx = np.einsum("ncl,ncl->c", g3, xc) * invstd
        k = gamma * invstd
        xc *= (k * invstd * sgx / n)[:, None]
        gx = g3 * k[:, None]
        gx -= xc
        gx -= (k * sg / n)[:, None]
        return y, gx, sgx, sg

    return step


WORKLOADS = [
    Workload("batchnorm2d_fwd_bwd", batchnorm2d_setup, target=1.5,
             description="BatchNorm2d(64) in training mode on x (64, 64, 32, 32) float32: forward "
                         "(batch statistics, running statistics updated) and y.backward(g) for "
                         "x, γ, β",
             kernels=batchnorm2d_kernels),
]
