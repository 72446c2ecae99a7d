"""Optimizer workloads: one ``optimizer.step()`` over the parameters of a 784-256-128-10 MLP.

- ``adam_step_mlp``: ``Adam(params, lr=1e-3)`` (PyTorch's defaults), float32, 235,146 parameters in
  six tensors (three weights, three biases), each with a fixed gradient. Target ≤ 1.2x PyTorch.
- ``sgd_momentum_step_mlp``: ``SGD(params, lr=1e-2, momentum=0.9)`` on the same parameters.

PyTorch runs its default implementation on CPU (``foreach=None``, which on CPU is the per-tensor
loop, the same shape of work as chainrule's). Both optimizers are stepped a few times and their
parameters compared before timing, so the two libraries do the same arithmetic. The gradients are
left in place between steps (no backward is timed), so every step does the same work.

- ``adam_step_small_vgg`` / ``sgd_momentum_step_small_vgg``: the same two steps over the
  parameters of chainrule.models.SmallVGG (the small VGG-style CNN with BatchNorm for 32×32 inputs).
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from benchmarks.harness import Workload
from chainrule import nn, optim

SIZES = (784, 256, 128, 10)


def _mlp_shapes():
    return [shape for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:])
            for shape in ((fan_out, fan_in), (fan_out,))]


def _small_vgg_shapes():
    from chainrule.models import SmallVGG

    return [p.shape for p in SmallVGG().parameters()]


def _mlp_pair(shapes=None):
    """Parameters (the MLP's by default) as chainrule Parameters and PyTorch leaves, with equal
    gradients."""
    rng = np.random.default_rng(0)
    mine, theirs = [], []
    for shape in shapes or _mlp_shapes():
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        w = (rng.standard_normal(shape, dtype=np.float32) / np.float32(np.sqrt(fan_in)))
        g = rng.standard_normal(shape, dtype=np.float32) * np.float32(1e-2)
        p = nn.Parameter(w.copy())
        p.grad = cr.Tensor(g.copy())
        t = torch.from_numpy(w.copy()).requires_grad_(True)
        t.grad = torch.from_numpy(g.copy())
        mine.append(p)
        theirs.append(t)
    return mine, theirs


def _check(name: str, mine, theirs, rtol: float = 1e-5) -> None:
    for i, (p, t) in enumerate(zip(mine, theirs)):
        a, b = p.numpy(), t.detach().numpy()
        if not np.allclose(a, b, rtol=rtol, atol=1e-7):
            worst = np.unravel_index(np.argmax(np.abs(a - b)), a.shape)
            raise AssertionError(f"{name}: parameter {i} differs between chainrule and PyTorch "
                                 f"(largest difference at {worst}: {a[worst]!r} vs {b[worst]!r}; "
                                 f"{int((~np.isclose(a, b, rtol=rtol, atol=1e-7)).sum())} of "
                                 f"{a.size} values differ)")


def _setup(name: str, make_mine, make_theirs, shapes=None):
    def setup():
        mine, theirs = _mlp_pair(shapes() if shapes else None)
        opt, topt = make_mine(mine), make_theirs(theirs)
        for _ in range(3):
            opt.step()
            topt.step()
        _check(name, mine, theirs)
        return opt.step, topt.step

    return setup


def _adam_kernels():
    """The NumPy work of one Adam step, written out with no Python around it: the floor."""
    mine, _ = _mlp_pair()
    arrays = [(p.numpy(), p.grad.numpy(), np.zeros_like(p.numpy()), np.zeros_like(p.numpy()),
               np.empty_like(p.numpy())) for p in mine]

    def step():
        for p, g, m, v, s in arrays:
            np.subtract(g, m, out=s)
            s *= 0.1
            m += s
            np.multiply(g, g, out=s)
            s *= 0.001
            v *= 0.999
            v += s
            np.sqrt(v, out=s)
            s *= 1.0
            s += 1e-8
            np.divide(m, s, out=s)
            s *= -1e-3
            p += s

    return step


def _sgd_kernels():
    mine, _ = _mlp_pair()
    arrays = [(p.numpy(), p.grad.numpy(), p.grad.numpy().copy()) for p in mine]

    def step():
        for p, g, b in arrays:
            b *= 0.9
            b += g
            p -= 1e-2 * b

    return step


WORKLOADS = [
    Workload("adam_step_mlp",
             _setup("adam_step_mlp", lambda ps: optim.Adam(ps, lr=1e-3),
                    lambda ps: torch.optim.Adam(ps, lr=1e-3)),
             target=1.2, kernels=_adam_kernels,
             description="Adam(lr=1e-3).step() over a 784-256-128-10 MLP's 6 parameter tensors "
                         "(235,146 float32 values), gradients fixed"),
    Workload("sgd_momentum_step_mlp",
             _setup("sgd_momentum_step_mlp",
                    lambda ps: optim.SGD(ps, lr=1e-2, momentum=0.9),
                    lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9)),
             target=1.2, kernels=_sgd_kernels,
             description="SGD(lr=1e-2, momentum=0.9).step() over the same MLP's parameters"),
    Workload("adam_step_small_vgg",
             _setup("adam_step_small_vgg", lambda ps: optim.Adam(ps, lr=1e-3),
                    lambda ps: torch.optim.Adam(ps, lr=1e-3), shapes=_small_vgg_shapes),
             target=1.2,
             description="Adam(lr=1e-3).step() over the parameters of chainrule.models.SmallVGG"),
    Workload("sgd_momentum_step_small_vgg",
             _setup("sgd_momentum_step_small_vgg",
                    lambda ps: optim.SGD(ps, lr=1e-2, momentum=0.9),
                    lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9),
                    shapes=_small_vgg_shapes),
             target=1.2,
             description="SGD(lr=1e-2, momentum=0.9).step() over SmallVGG's parameters"),
]
