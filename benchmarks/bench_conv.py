"""Convolution workloads: Conv2d forward and backward at LeNet's and a VGG block's shapes.

- ``conv2d_lenet_fwd_bwd``: Conv2d(1, 6, 5) on x of shape (128, 1, 28, 28) float32 → (128, 6, 24,
  24), then ``y.backward(g)`` for a fixed upstream gradient g: ∂L/∂x, ∂L/∂W, ∂L/∂b. Small GEMMs
  (6 × 25 per image), so the im2col copy and col2im's strided additions dominate.
- ``conv2d_vgg_fwd_bwd``: Conv2d(32, 64, 3, padding=1) on x of shape (64, 32, 32, 32) float32, the
  same backward. GEMM-bound: 2.4 GFLOP per pass, three passes.

Targets: ≤ 1.5x PyTorch. Each step clears the gradients first, so every step does the same work
and no accumulation is timed.

Memory: the peak of the memory allocated during each workload's backward (tracemalloc, which
sees NumPy's allocations), beside the size of its im2col buffer (N · C·kH·kW · H′W′ elements);
the bound is 2x. ``setup()`` measures it, prints it and fails if the bound is broken;
``python -m benchmarks.bench_conv`` prints it alone.
"""
from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import torch

import chainrule as cr
from benchmarks.harness import Workload
from chainrule import nn
from chainrule.ops import conv as C

# name: (batch, in_channels, side, out_channels, kernel, padding)
SHAPES = {"lenet": (128, 1, 28, 6, 5, 0), "vgg": (64, 32, 32, 64, 3, 1)}


def _data(shape):
    n, c, side, o, k, p = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, side, side), dtype=np.float32)
    out = side + 2 * p - k + 1
    g = rng.standard_normal((n, o, out, out), dtype=np.float32)
    return x, g


def _layers(shape):
    n, c, side, o, k, p = shape
    layer, tlayer = nn.Conv2d(c, o, k, padding=p), torch.nn.Conv2d(c, o, k, padding=p)
    with torch.no_grad():  # the same weights in both
        layer.weight.numpy()[...] = tlayer.weight.numpy()
        layer.bias.numpy()[...] = tlayer.bias.numpy()
    return layer, tlayer


def _setup(name):
    shape = SHAPES[name]

    def setup():
        peak, im2col = backward_memory(name)
        print(f"  conv2d_{name}: {_memory_note(peak, im2col)}", flush=True)
        if peak > 2 * im2col:
            raise AssertionError(f"conv2d_{name}: backward peak memory {peak} bytes exceeds twice "
                                 f"the im2col buffer ({im2col} bytes)")
        x, g = _data(shape)
        layer, tlayer = _layers(shape)
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
            scale = float(np.abs(t.grad.numpy()).max())
            if not np.allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-3, atol=1e-4 * scale):
                raise AssertionError(f"conv2d_{name}_fwd_bwd: gradient {i} differs from PyTorch")
        return chainrule_step, torch_step

    return setup


def _kernels(name):
    shape = SHAPES[name]

    def kernels():
        """The NumPy work alone: im2col + GEMM, the weight gradient, col2im, the bias sum."""
        x, g = _data(shape)
        layer, _ = _layers(shape)
        w, b = layer.weight.numpy(), layer.bias.numpy()
        p = shape[5]
        geometry = ((1, 1), ((p, p), (p, p)), (1, 1), 1)

        def step():
            y = C.conv_forward(x, w, *geometry)
            y += b.reshape(1, -1, 1, 1)
            C.conv_weight_grad(x, g, w.shape[2:], *geometry)
            C.conv_input_grad(g, w, *geometry, x.shape[2:])
            g.sum(axis=(0, 2, 3))

        return step

    return kernels


def backward_memory(name) -> tuple[int, int]:
    """(peak bytes allocated during the backward, bytes of the im2col buffer) for a workload."""
    n, c, side, o, k, p = shape = SHAPES[name]
    x, g = _data(shape)
    layer, _ = _layers(shape)
    cx = cr.Tensor(x, requires_grad=True)
    layer(cx).backward(g)     # once first: a fast kernel's first use loads its compiled code,
    y = layer(cx)             # whose Python objects tracemalloc would count
    out = y.shape[2] * y.shape[3]
    im2col = n * c * k * k * out * x.itemsize
    tracemalloc.start()
    try:
        y.backward(g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, im2col


def _memory_note(peak: int, im2col: int) -> str:
    return (f"backward peak memory {peak / 2**20:.1f} MiB = {peak / im2col:.2f}x its im2col "
            f"buffer ({im2col / 2**20:.1f} MiB; bound 2x)")


WORKLOADS = [
    Workload("conv2d_lenet_fwd_bwd", _setup("lenet"), target=1.5,
             description="Conv2d(1, 6, 5), x (128, 1, 28, 28) float32, forward and backward for "
                         "x, W, b; backward peak memory ≤ 2x the im2col buffer (checked in setup)",
             kernels=_kernels("lenet")),
    Workload("conv2d_vgg_fwd_bwd", _setup("vgg"), target=1.5,
             description="Conv2d(32, 64, 3, padding=1), x (64, 32, 32, 32) float32, forward and "
                         "backward for x, W, b; backward peak memory ≤ 2x the im2col buffer "
                         "(checked in setup)",
             kernels=_kernels("vgg")),
]


if __name__ == "__main__":
    for key in SHAPES:
        print(f"conv2d_{key}: {_memory_note(*backward_memory(key))}")
    sys.exit(0)
