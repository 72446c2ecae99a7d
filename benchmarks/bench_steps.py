"""Full training steps and an inference pass, beside PyTorch (issue 11's five workloads).

Each model is written once as a function of the library ``L`` (``torch`` or ``chainrule``: the
same PyTorch-style source builds both), PyTorch's initial weights are copied into chainrule's
model, and one step is zero_grad → forward → loss → backward → optimizer step (float32). The
setup checks that both libraries compute the same first loss.

- ``step_mlp_adam``: MLP 784-256-128-10 (ReLU), Adam, batch 128. Target ≤ 0.85.
- ``step_lenet_sgd``: LeNet-5 (conv 5×5 pad 2 → ReLU → max-pool, conv 5×5 → ReLU → max-pool,
  120-84-10), SGD with momentum 0.9, batch 128 of 1×28×28. Target ≤ 1.35 pure NumPy, ≤ 1.1
  with the fast kernels.
- ``step_lenet_sgd_processes``: the same step compiled, split over a worker process
  (``chainrule.compile(..., options={"data_parallel": "processes"})``, Linux).
- ``step_vgg_bn_adam``: 3 blocks of (conv 3×3 – BatchNorm – ReLU) ×2 + max-pool, 32/64/128
  channels, then 256-10, Adam, batch 64 of 3×32×32. Target ≤ 1.2 pure NumPy, ≤ 1.1 fast.
- ``step_vgg_bn_adam_processes``: the same step compiled, its batch's second half in a worker
  process; the two meet at each BatchNorm to combine the statistics.
- ``step_lstm_adam``: Embedding(5000, 64) → LSTM(128) → Linear(2) on the last step, Adam, batch 64,
  T = 100, every sequence full length. Target ≤ 1.1.
- ``step_lstm_adam_processes``: the same step compiled, split over a worker process.
- ``infer_lenet_b1000``: LeNet-5 forward on 1000 images under no_grad. Target ≤ 0.85 pure
  NumPy, ≤ 0.7 fast.
- ``infer_lenet_b1000_processes``: the same forward compiled, 500 images in a worker process.

The targets are issue 11's; which apply depends on the path the run uses (``CHAINRULE_FAST=0``
or numba missing: the pure-NumPy ones).
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from benchmarks.harness import Workload
from chainrule import kernels


def _mlp(L):
    nn = L.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def _lenet(L):
    nn = L.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def _vgg(L):
    nn = L.nn
    layers, cin = [], 3
    for c in (32, 64, 128):
        layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                   nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                   nn.MaxPool2d(2)]
        cin = c
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(128 * 4 * 4, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def _lstm(L):
    nn = L.nn

    class TextLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(5000, 64)
            self.lstm = nn.LSTM(64, 128, batch_first=True)
            self.fc = nn.Linear(128, 2)

        def forward(self, ids):
            out, _ = self.lstm(self.embedding(ids))
            return self.fc(out[:, -1])

    return TextLSTM()


def _pair(build):
    """The model in both libraries, chainrule's holding PyTorch's initial weights."""
    torch.manual_seed(0)
    theirs = build(torch)
    mine = build(cr)
    mine.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return mine, theirs


def training_step(L, model, optimizer, x, y):
    """One cross-entropy training step of ``model`` on (x, y) in library ``L`` (chainrule or
    torch), as a function of no arguments that returns the loss."""
    step = batch_step(L, model, optimizer)
    return lambda: step(x, y)


def batch_step(L, model, optimizer):
    """The same step as a function of the batch: ``step(x, y)`` returns the loss (the form to
    compile: the batch is an argument, so a compiled step may split it over the cores)."""
    loss_fn = L.nn.CrossEntropyLoss()

    def step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def _train_setup(name, build, x, y, optimizer, data_parallel=None, **options):
    """``data_parallel``: chainrule's step through chainrule.compile with that option
    ("processes": the batch's second half in a worker process; "threads": the halves on two
    threads) instead of eager."""
    def setup():
        mine, theirs = _pair(build)
        copt = getattr(cr.optim, optimizer)(mine.parameters(), **options)
        topt = getattr(torch.optim, optimizer)(theirs.parameters(), **options)
        if data_parallel is None:
            chainrule_step = training_step(cr, mine, copt, cr.tensor(x), cr.tensor(y))
        else:
            compiled = cr.compile(batch_step(cr, mine, copt), fullgraph=True,
                                  options={"data_parallel": data_parallel})
            cx, cy = cr.tensor(x), cr.tensor(y)

            def chainrule_step():
                return compiled(cx, cy)
        torch_step = training_step(torch, theirs, topt, torch.from_numpy(x), torch.from_numpy(y))
        a, b = chainrule_step().item(), torch_step().item()
        if not np.isclose(a, b, rtol=1e-4):
            raise AssertionError(f"{name}: first losses differ: {a} vs {b}")
        return chainrule_step, torch_step

    return setup


def _inference_setup(data_parallel=None):
    """LeNet-5 at batch 1000 under no_grad; ``data_parallel``: chainrule's forward through
    chainrule.compile with that option instead of eager."""
    mine, theirs = _pair(_lenet)
    mine.eval()
    theirs.eval()
    x = np.random.default_rng(2).standard_normal((1000, 1, 28, 28)).astype(np.float32)
    cx, tx = cr.tensor(x), torch.from_numpy(x)
    forward = mine if data_parallel is None else cr.compile(
        mine, fullgraph=True, options={"data_parallel": data_parallel})

    def chainrule_step():
        with cr.no_grad():
            return forward(cx)

    def torch_step():
        with torch.no_grad():
            return theirs(tx)

    if not np.allclose(chainrule_step().numpy(), torch_step().numpy(), rtol=1e-4, atol=1e-5):
        raise AssertionError("infer_lenet_b1000: outputs differ")
    return chainrule_step, torch_step


_rng = np.random.default_rng(1)
_MLP_DATA = (_rng.standard_normal((128, 784)).astype(np.float32), _rng.integers(0, 10, 128))
_LENET_DATA = (_rng.standard_normal((128, 1, 28, 28)).astype(np.float32),
               _rng.integers(0, 10, 128))
_VGG_DATA = (_rng.standard_normal((64, 3, 32, 32)).astype(np.float32), _rng.integers(0, 10, 64))
_LSTM_DATA = (_rng.integers(0, 5000, (64, 100)), _rng.integers(0, 2, 64))

_FAST = kernels.available()
_PATH = "fast path" if _FAST else "pure NumPy"

WORKLOADS = [
    Workload("step_mlp_adam", _train_setup("step_mlp_adam", _mlp, *_MLP_DATA, "Adam", lr=1e-3),
             target=0.85, description="MLP 784-256-128-10, Adam, batch 128: one training step"),
    Workload("step_lenet_sgd", _train_setup("step_lenet_sgd", _lenet, *_LENET_DATA, "SGD",
                                            lr=0.01, momentum=0.9),
             target=1.1 if _FAST else 1.35,
             description=f"LeNet-5, SGD momentum 0.9, batch 128 of 1×28×28: one training step "
                         f"({_PATH} target)"),
    Workload("step_lenet_sgd_processes",
             _train_setup("step_lenet_sgd_processes", _lenet, *_LENET_DATA, "SGD",
                          data_parallel="processes", lr=0.01, momentum=0.9),
             target=1.1 if _FAST else 1.35,
             description=f"the same LeNet-5 step through chainrule.compile with "
                         f"options={{'data_parallel': 'processes'}} (the batch's second half in "
                         f"a worker process; {_PATH} target)"),
    Workload("step_vgg_bn_adam", _train_setup("step_vgg_bn_adam", _vgg, *_VGG_DATA, "Adam",
                                              lr=1e-3),
             target=1.1 if _FAST else 1.2,
             description=f"VGG-style 3×(conv-BN-ReLU ×2 + pool) 32/64/128, Adam, batch 64 of "
                         f"3×32×32: one training step ({_PATH} target)"),
    Workload("step_vgg_bn_adam_processes",
             _train_setup("step_vgg_bn_adam_processes", _vgg, *_VGG_DATA, "Adam",
                          data_parallel="processes", lr=1e-3),
             target=1.1 if _FAST else 1.2,
             description=f"the same VGG-style step through chainrule.compile with "
                         f"options={{'data_parallel': 'processes'}} (the batch's second half in "
                         f"a worker process, the halves meeting at each BatchNorm to combine its "
                         f"statistics; {_PATH} target)"),
    Workload("step_lstm_adam", _train_setup("step_lstm_adam", _lstm, *_LSTM_DATA, "Adam",
                                            lr=1e-3),
             target=1.1, description="Embedding(5000, 64) → LSTM(128) → Linear(2), Adam, batch "
                                     "64, T = 100 (full length): one training step"),
    Workload("step_lstm_adam_processes",
             _train_setup("step_lstm_adam_processes", _lstm, *_LSTM_DATA, "Adam",
                          data_parallel="processes", lr=1e-3),
             target=1.1, description="the same LSTM step through chainrule.compile with "
                                     "options={'data_parallel': 'processes'}"),
    Workload("infer_lenet_b1000", _inference_setup, target=0.7 if _FAST else 0.85,
             description=f"LeNet-5 forward on 1000 images of 1×28×28 under no_grad ({_PATH} "
                         f"target)"),
    Workload("infer_lenet_b1000_processes", lambda: _inference_setup("processes"),
             target=0.7 if _FAST else 0.85,
             description=f"the same forward through chainrule.compile with "
                         f"options={{'data_parallel': 'processes'}} (500 images in a worker "
                         f"process; {_PATH} target)"),
]
