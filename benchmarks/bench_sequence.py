"""Attention workloads: the fused attention primitive and a Transformer encoder training step.

- ``sdpa_fwd_bwd``: scaled_dot_product_attention(q, k, v) with a causal mask, q, k, v of shape
  (32, 4, 128, 32) float32 (batch 32, 4 heads, 128 positions, head size 32), then
  ``out.backward(g)``: ∂L/∂q, ∂L/∂k, ∂L/∂v. Against torch.nn.functional's
  scaled_dot_product_attention. Target ≤ 1.5x.
- ``transformer_encoder_train_step``: one Adam step of a 2-layer TransformerEncoder
  (d_model 128, 4 heads, dim_feedforward 512, ReLU, dropout 0.1, post-norm, batch_first) on
  x (32, 128, 128) float32 with a key-padding mask (the sequences have lengths 64…128), loss
  MSE against a fixed target. PyTorch's encoder runs the same computation (its nested-tensor
  fast path is for inference without gradients, so it is not used in training). Target ≤ 1.5x.

- ``lstm_sentiment_train_step``: the reference sentiment classifier of chainrule.models,
  LSTMClassifier(vocab 5000, embed 64, hidden 128, 2 classes), one Adam step on a padded batch
  of 64 reviews of 100 tokens with lengths 50…100 (the final state is taken at each review's
  length), cross-entropy. PyTorch: the same layers with ``pack_padded_sequence``. Target ≤ 1.5x.
  (bench_rnn.py's ``lstm_classifier_train_step`` is the same model on full-length sequences.)
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr
from benchmarks.harness import Workload
from chainrule import nn, optim
from chainrule.autograd.function import Node
from chainrule.nn import functional as F
from chainrule.ops import attention as A

N, H, L, D = 32, 4, 128, 32
D_MODEL, FF, LAYERS = 128, 512, 2


def _qkv(rng):
    return [rng.standard_normal((N, H, L, D), dtype=np.float32) for _ in range(3)]


def sdpa_setup():
    rng = np.random.default_rng(0)
    q, k, v = _qkv(rng)
    g = rng.standard_normal((N, H, L, D), dtype=np.float32)
    mine = [cr.Tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.from_numpy(a.copy()).requires_grad_(True) for a in (q, k, v)]
    tg = torch.from_numpy(g)

    def chainrule_step():
        for t in mine:
            t.grad = None
        F.scaled_dot_product_attention(*mine, is_causal=True).backward(g)

    def torch_step():
        for t in theirs:
            t.grad = None
        torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=True).backward(tg)

    chainrule_step()
    torch_step()
    for i, (m, t) in enumerate(zip(mine, theirs)):
        if not np.allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-3, atol=1e-4):
            raise AssertionError(f"sdpa_fwd_bwd: gradient {i} differs from PyTorch")
    return chainrule_step, torch_step


class _Ctx(Node):
    needs_input_grad = (True, True, True, False)


def sdpa_kernels():
    """The primitive's array work alone (forward and backward on NumPy arrays)."""
    rng = np.random.default_rng(0)
    q, k, v = _qkv(rng)
    g = rng.standard_normal((N, H, L, D), dtype=np.float32)
    bias = A.causal_bias(L, L, np.float32)

    def step():
        ctx = _Ctx()
        A.ScaledDotProductAttention.forward(ctx, q, k, v, bias)
        return A.ScaledDotProductAttention.vjp(ctx, g)

    return step


def _encoders():
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(D_MODEL, H, FF, dropout=0.1, batch_first=True)
    theirs = torch.nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
    mine = nn.TransformerEncoder(nn.TransformerEncoderLayer(D_MODEL, H, FF, dropout=0.1,
                                                            batch_first=True), LAYERS)
    mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return mine, theirs


def encoder_setup():
    mine, theirs = _encoders()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, L, D_MODEL), dtype=np.float32)
    target = rng.standard_normal((N, L, D_MODEL), dtype=np.float32)
    lengths = rng.integers(L // 2, L + 1, N)
    padding = np.arange(L)[None, :] >= lengths[:, None]          # True = padding
    cx, ct = cr.Tensor(x), cr.Tensor(target)
    tx, tt, tpad = torch.from_numpy(x), torch.from_numpy(target), torch.from_numpy(padding)
    opt = optim.Adam(mine.parameters(), lr=1e-4)
    topt = torch.optim.Adam(theirs.parameters(), lr=1e-4)

    def chainrule_step():
        opt.zero_grad()
        loss = F.mse_loss(mine(cx, src_key_padding_mask=padding), ct)
        loss.backward()
        opt.step()
        return loss

    def torch_step():
        topt.zero_grad()
        loss = torch.nn.functional.mse_loss(theirs(tx, src_key_padding_mask=tpad), tt)
        loss.backward()
        topt.step()
        return loss

    mine.eval()
    theirs.eval()
    with cr.no_grad():
        a = F.mse_loss(mine(cx, src_key_padding_mask=padding), ct).item()
    b = torch.nn.functional.mse_loss(theirs(tx, src_key_padding_mask=tpad), tt).item()
    if not np.isclose(a, b, rtol=1e-4):
        raise AssertionError(f"transformer_encoder_train_step: loss {a} differs from PyTorch's "
                             f"{b} (eval mode)")
    mine.train()
    theirs.train()
    return chainrule_step, torch_step


VOCAB, EMBED, HIDDEN, T = 5000, 64, 128, 100


class _TorchSentiment(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.rnn = torch.nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.fc = torch.nn.Linear(HIDDEN, 2)

    def forward(self, ids, lengths):
        packed = torch.nn.utils.rnn.pack_padded_sequence(self.embedding(ids), lengths,
                                                         batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.rnn(packed)
        return self.fc(h_n[-1])


def sentiment_setup():
    from chainrule.models import LSTMClassifier

    torch.manual_seed(0)
    theirs = _TorchSentiment()
    mine = LSTMClassifier(VOCAB, EMBED, HIDDEN)
    mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(2)
    lengths = rng.integers(T // 2, T + 1, 64)
    ids = rng.integers(1, VOCAB, (64, T))
    ids[np.arange(T)[None, :] >= lengths[:, None]] = 0
    labels = rng.integers(0, 2, 64)
    tids, tlengths, tlabels = (torch.from_numpy(a) for a in (ids, lengths, labels))
    clabels = cr.tensor(labels)
    opt = optim.Adam(mine.parameters(), lr=1e-3)
    topt = torch.optim.Adam(theirs.parameters(), lr=1e-3)

    def chainrule_step():
        opt.zero_grad()
        loss = F.cross_entropy(mine(ids, lengths), clabels)
        loss.backward()
        opt.step()
        return loss

    def torch_step():
        topt.zero_grad()
        loss = torch.nn.functional.cross_entropy(theirs(tids, tlengths), tlabels)
        loss.backward()
        topt.step()
        return loss

    a, b = chainrule_step().item(), torch_step().item()
    if not np.isclose(a, b, rtol=1e-4):
        raise AssertionError(f"lstm_sentiment_train_step: loss {a} differs from PyTorch's {b}")
    return chainrule_step, torch_step


WORKLOADS = [
    Workload("sdpa_fwd_bwd", sdpa_setup, target=1.5, kernels=sdpa_kernels,
             description="scaled_dot_product_attention, causal, q/k/v (32, 4, 128, 32) float32, "
                         "forward + backward"),
    Workload("transformer_encoder_train_step", encoder_setup, target=1.5, rounds=9,
             description="TransformerEncoder: 2 layers, d_model 128, 4 heads, feed-forward 512, "
                         "dropout 0.1, batch 32 × 128 positions with key padding; MSE loss, "
                         "Adam step"),
    Workload("lstm_sentiment_train_step", sentiment_setup, target=1.5, rounds=9,
             description="chainrule.models.LSTMClassifier(5000, 64, 128): Embedding → LSTM with "
                         "lengths (50…100 of 100) → Linear(2), cross-entropy, Adam step, batch "
                         "64; PyTorch with pack_padded_sequence"),
]
