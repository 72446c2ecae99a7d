"""In-place updates and the cost of version counters.

- ``tiny_inplace_update``: ``with no_grad(): p -= 0.1 * g`` on 1-element float32 parameters (the
  from-scratch training loop's update). Per-op overhead of an in-place write: the out-of-place
  product, the write into the parameter's memory and the version bump. Target ≤ 3x PyTorch.
- ``tiny_data_add``: ``p.data.add_(g, alpha=-0.1)`` (the word-language-model example's update):
  the ``.data`` view plus an in-place add. Target ≤ 3x PyTorch.

What the version counters cost in a real step (every optimizer update bumps the parameters'
versions, so every forward records and every backward checks them) is measured by
``step_mlp_adam`` in bench_steps.py.
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from benchmarks.harness import Workload


def _tiny():
    rng = np.random.default_rng(3)
    p, g = rng.standard_normal(1, dtype=np.float32), rng.standard_normal(1, dtype=np.float32)
    mine = cr.tensor(p.copy(), requires_grad=True), cr.tensor(g.copy())
    theirs = torch.from_numpy(p.copy()).requires_grad_(True), torch.from_numpy(g.copy())
    return mine, theirs


def tiny_inplace_update_setup():
    (cp, cg), (tp, tg) = _tiny()

    def chainrule_step():
        with cr.no_grad():
            cp.__isub__(0.1 * cg)

    def torch_step():
        with torch.no_grad():
            tp.__isub__(0.1 * tg)

    return chainrule_step, torch_step


def tiny_data_add_setup():
    (cp, cg), (tp, tg) = _tiny()

    def chainrule_step():
        cp.data.add_(cg, alpha=-0.1)

    def torch_step():
        tp.data.add_(tg, alpha=-0.1)

    return chainrule_step, torch_step


WORKLOADS = [
    Workload("tiny_inplace_update", tiny_inplace_update_setup, target=3.0,
             description="with no_grad(): p -= 0.1 * g on 1-element float32 tensors"),
    Workload("tiny_data_add", tiny_data_add_setup, target=3.0,
             description="p.data.add_(g, alpha=-0.1) on 1-element float32 tensors"),
]
