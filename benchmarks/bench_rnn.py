"""Recurrent workloads: the fused LSTM against torch.nn.LSTM.

- ``lstm_fwd_bwd``: out, (h_n, c_n) = LSTM(128, 128)(x) with x of shape (100, 64, 128) float32
  (seq 100, batch 64), then ``out.backward(g)`` for a fixed upstream gradient g: ∂L/∂x and the
  gradients of the four weights. One fused primitive: one GEMM for the input projections of all
  steps, 100 recurrent GEMMs (64×128)(128×512) forward and 100 (64×512)(512×128) backward, the
  gate arithmetic in between, and three GEMMs for ∂L/∂x, ∂L/∂W_ih, ∂L/∂W_hh. Target ≤ 1.5x.
- ``lstm_classifier_train_step``: one Adam training step of Embedding(5000, 64) → LSTM(64, 128)
  → Linear(128, 2) on the final state, cross-entropy, batch 64, 100 tokens (the issue's
  sentiment-analysis benchmark). Target ≤ 1.5x.

Each step clears the gradients first, so every step does the same work and no accumulation is
timed.
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from benchmarks.harness import Workload
from chainrule import nn, optim
from chainrule.autograd.function import Node
from chainrule.ops import rnn as R

T, N, I, H = 100, 64, 128, 128
VOCAB, EMBED, CLASSES = 5000, 64, 2


def _lstm_pair(input_size: int):
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(input_size, H)
    mine = nn.LSTM(input_size, H)
    mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return mine, theirs


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I), dtype=np.float32)
    g = rng.standard_normal((T, N, H), dtype=np.float32)
    return x, g


def lstm_setup():
    mine, theirs = _lstm_pair(I)
    x, g = _data()
    cx = cr.Tensor(x.copy(), requires_grad=True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    tg = torch.from_numpy(g)
    leaves = ([cx, *mine.parameters()], [tx, *theirs.parameters()])

    def chainrule_step():
        for t in leaves[0]:
            t.grad = None
        out, _ = mine(cx)
        out.backward(g)

    def torch_step():
        for t in leaves[1]:
            t.grad = None
        out, _ = theirs(tx)
        out.backward(tg)

    chainrule_step()
    torch_step()
    for i, (m, t) in enumerate(zip(*leaves)):
        if not np.allclose(m.grad.data, t.grad.numpy(), rtol=1e-3, atol=1e-3):
            raise AssertionError(f"lstm_fwd_bwd: gradient {i} differs from PyTorch")
    return chainrule_step, torch_step


class _Ctx(Node):
    """A context for calling the primitive's forward and vjp directly (no Tensors, no graph)."""

    needs_input_grad = (True, False, False, True, True, True, True, False)


def lstm_kernels():
    """The primitive's own array work alone: forward and BPTT on NumPy arrays."""
    mine, _ = _lstm_pair(I)
    x, g = _data()
    w = [p.data for p in mine.parameters()]
    flat = np.concatenate([g.ravel(), np.zeros(2 * N * H, np.float32)])

    def step():
        ctx = _Ctx()
        R.Lstm.forward(ctx, x, None, None, *w, None)
        return R.Lstm.vjp(ctx, flat)

    return step


class _Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED)
        self.lstm = nn.LSTM(EMBED, H)
        self.fc = nn.Linear(H, CLASSES)

    def forward(self, tokens):
        _, (h_n, _) = self.lstm(self.embedding(tokens))
        return self.fc(h_n[-1])


class _TorchClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(VOCAB, EMBED)
        self.lstm = torch.nn.LSTM(EMBED, H)
        self.fc = torch.nn.Linear(H, CLASSES)

    def forward(self, tokens):
        _, (h_n, _) = self.lstm(self.embedding(tokens))
        return self.fc(h_n[-1])


def classifier_setup():
    torch.manual_seed(0)
    theirs = _TorchClassifier()
    mine = _Classifier()
    mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, VOCAB, size=(T, N))
    labels = rng.integers(0, CLASSES, size=N)
    ctokens, clabels = cr.tensor(tokens), cr.tensor(labels)
    ttokens, tlabels = torch.from_numpy(tokens), torch.from_numpy(labels)
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    opt = optim.Adam(mine.parameters(), lr=1e-3)
    topt = torch.optim.Adam(theirs.parameters(), lr=1e-3)

    def chainrule_step():
        opt.zero_grad()
        loss = loss_fn(mine(ctokens), clabels)
        loss.backward()
        opt.step()
        return loss

    def torch_step():
        topt.zero_grad()
        loss = tloss_fn(theirs(ttokens), tlabels)
        loss.backward()
        topt.step()
        return loss

    first, tfirst = chainrule_step(), torch_step()
    if not np.isclose(first.item(), tfirst.item(), rtol=1e-4):
        raise AssertionError(f"lstm_classifier_train_step: loss {first.item()} differs from "
                             f"PyTorch's {tfirst.item()}")
    return chainrule_step, torch_step


WORKLOADS = [
    Workload("lstm_fwd_bwd", lstm_setup, target=1.5, rounds=9, kernels=lstm_kernels,
             description="LSTM(128, 128) forward + backward, seq 100, batch 64, float32"),
    Workload("lstm_classifier_train_step", classifier_setup, target=1.5, rounds=9,
             description="Embedding(5000, 64) → LSTM(64, 128) → Linear(128, 2), cross-entropy, "
                         "Adam step; seq 100, batch 64"),
]
