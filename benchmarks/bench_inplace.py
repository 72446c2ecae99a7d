"""In-place updates and the cost of version counters.

- ``tiny_inplace_update``: ``with no_grad(): p -= 0.1 * g`` on 1-element float32 parameters (the
  from-scratch training loop's update). Per-op overhead of an in-place write: the out-of-place
  product, the write into the parameter's memory and the version bump. Target ≤ 3x PyTorch.
- ``tiny_data_add``: ``p.data.add_(g, alpha=-0.1)`` (the word-language-model example's update):
  the ``.data`` view plus an in-place add. Target ≤ 3x PyTorch.
- ``mlp_adam_train_step``: one training step of the 784-256-128-10 ReLU MLP (batch 128, float32,
  cross-entropy, Adam): zero_grad, forward, backward, step. Every step's optimizer update bumps the
  parameters' versions, so every forward records the versions it saves and every backward checks
  them: this workload measures what the version counters cost in a real step. Target ≤ 1.2x.
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


def mlp_adam_train_step_setup():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                 torch.nn.Linear(128, 10))
    mine = cr.nn.Sequential(cr.nn.Linear(784, 256), cr.nn.ReLU(), cr.nn.Linear(256, 128),
                            cr.nn.ReLU(), cr.nn.Linear(128, 10))
    mine.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    topt = torch.optim.Adam(theirs.parameters(), lr=1e-3)
    copt = cr.optim.Adam(mine.parameters(), lr=1e-3)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    cx, cy = cr.tensor(x), cr.tensor(y)
    closs, tloss = cr.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    def chainrule_step():
        copt.zero_grad()
        loss = closs(mine(cx), cy)
        loss.backward()
        copt.step()
        return loss

    def torch_step():
        topt.zero_grad()
        loss = tloss(theirs(tx), ty)
        loss.backward()
        topt.step()
        return loss

    a, b = chainrule_step().item(), torch_step().item()
    if not np.isclose(a, b, rtol=1e-4):
        raise AssertionError(f"mlp_adam_train_step: losses differ: {a} vs {b}")
    return chainrule_step, torch_step


WORKLOADS = [
    Workload("tiny_inplace_update", tiny_inplace_update_setup, target=3.0,
             description="with no_grad(): p -= 0.1 * g on 1-element float32 tensors"),
    Workload("tiny_data_add", tiny_data_add_setup, target=3.0,
             description="p.data.add_(g, alpha=-0.1) on 1-element float32 tensors"),
    Workload("mlp_adam_train_step", mlp_adam_train_step_setup, target=1.2,
             description="784-256-128-10 ReLU MLP, batch 128, float32: zero_grad, forward, "
                         "cross-entropy, backward, Adam step (version counters active)"),
]
