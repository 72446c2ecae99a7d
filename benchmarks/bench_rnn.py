"""Recurrent workloads: the fused LSTM against torch.nn.LSTM.

- ``lstm_fwd_bwd``: out, (h_n, c_n) = LSTM(128, 128)(x) with x of shape (100, 64, 128) float32
  (seq 100, batch 64), then ``out.backward(g)`` for a fixed upstream gradient g: ∂L/∂x and the
  gradients of the four weights. One fused primitive: one GEMM for the input projections of all
  steps, 100 recurrent GEMMs (64×128)(128×512) forward and 100 (64×512)(512×128) backward, the
  gate arithmetic in between, and three GEMMs for ∂L/∂x, ∂L/∂W_ih, ∂L/∂W_hh. Target ≤ 1.5x.

The issue's training-step benchmark (Embedding → LSTM → Linear with Adam) is
``lstm_sentiment_train_step`` in bench_sequence.py.

Each step clears the gradients first, so every step does the same work and no accumulation is
timed.
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from benchmarks.harness import Workload
from chainrule import nn
from chainrule.autograd.function import Node
from chainrule.ops import rnn as R

T, N, I, H = 100, 64, 128, 128


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
        if not np.allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-3, atol=1e-3):
            raise AssertionError(f"lstm_fwd_bwd: gradient {i} differs from PyTorch")
    return chainrule_step, torch_step


class _Ctx(Node):
    """A context for calling the primitive's forward and vjp directly (no Tensors, no graph)."""

    needs_input_grad = (True, False, False, True, True, True, True, False)


def lstm_kernels():
    """The primitive's own array work alone: forward and BPTT on NumPy arrays."""
    mine, _ = _lstm_pair(I)
    x, g = _data()
    w = [p.numpy() for p in mine.parameters()]
    flat = np.concatenate([g.ravel(), np.zeros(2 * N * H, np.float32)])

    def step():
        ctx = _Ctx()
        R.Lstm.forward(ctx, x, None, None, *w, None)
        return R.Lstm.vjp(ctx, flat)

    return step


WORKLOADS = [
    Workload("lstm_fwd_bwd", lstm_setup, target=1.5, rounds=9, kernels=lstm_kernels,
             description="LSTM(128, 128) forward + backward, seq 100, batch 64, float32"),
]
