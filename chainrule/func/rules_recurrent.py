r"""The recurrences rnn, gru, lstm with per-example weights, composed of batched primitives.

When a weight is batched (an ensemble's stacked parameters, or ``grad`` inside ``vmap``, which
broadcasts the shared weights so that each example gets its own gradient: per-sample
gradients), the fused primitive cannot fold the batch into its N. The rule then runs PyTorch's
equations itself, each step one batched GEMM (B, N, P)·(B, P, G·H) and elementwise primitives,
so the derivatives (of any order) are the primitives' own:

    RNN:   h_t = φ(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh),  φ = tanh or ReLU
    GRU:   r, z = σ(gi_{r,z} + gh_{r,z}),  n = tanh(gi_n + r ⊙ gh_n),
           h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}   (gi = x_t W_ihᵀ + b_ih, gh = h_{t−1} W_hhᵀ + b_hh)
    LSTM:  (i, f, g, o) = (σ, σ, tanh, σ)(gi + gh),  c_t = f ⊙ c_{t−1} + i ⊙ g,
           h_t = o ⊙ tanh(c_t)  (times W_hrᵀ with a projection)

The input projections of all T steps are one batched GEMM before the time loop (a Python loop
over time, as the fused primitive's; never over the batch). With ``lengths``, a sequence's state
stops changing after its last step and its outputs there are 0 (a ``where`` per step), which is
what the fused primitive (and PyTorch's packed sequences) give. The result is packed as the
primitive's: [y (T·N·P) | h_T (N·P) | c_T (N·H), LSTM only] per example.
"""
from __future__ import annotations

from ..backend import xp


def _ops():
    from .. import ops

    return ops


def _batched(v, b: bool, size: int):
    if v is None or b:
        return v
    ops = _ops()
    return ops.broadcast_to(ops.expand_dims(v, 0), (size,) + tuple(v.shape))


def _times_transposed(a, w):
    """a (B, …, K) · wᵀ with w (B, G, K): (B, …, G)."""
    ops = _ops()
    lead = tuple(a.shape[1:-1])
    flat = ops.reshape(a, (a.shape[0], -1, a.shape[-1]))
    out = ops.matmul(flat, ops.swapaxes(w, -1, -2))
    return ops.reshape(out, (a.shape[0],) + lead + (w.shape[1],))


def _plus_bias(a, b):
    """a (B, …, G) + b (B, G)."""
    if b is None:
        return a
    ops = _ops()
    return a + ops.reshape(b, (b.shape[0],) + (1,) * (a.ndim - 2) + (b.shape[-1],))


def composed(cls, values, batched, params, size):
    ops = _ops()
    lstm = cls.name == "lstm"
    states = 2 if lstm else 1
    vals = [_batched(v, b, size) for v, b in zip(values, batched)]
    vals += [None] * (8 - len(vals))
    x, h0 = vals[0], vals[1]
    c0 = vals[2] if lstm else None
    w_ih, w_hh, b_ih, b_hh = vals[1 + states:5 + states]
    w_hr = vals[7] if lstm else None
    T, N = x.shape[1], x.shape[2]
    P = w_hh.shape[2]                                # the state's (output's) size
    H = w_ih.shape[1] // (4 if lstm else 3 if cls.name == "gru" else 1)
    dtype = x.dtype
    h = h0 if h0 is not None else ops.zeros((size, N, P), dtype=dtype)
    c = (c0 if c0 is not None else ops.zeros((size, N, H), dtype=dtype)) if lstm else None
    gi_all = _plus_bias(_times_transposed(x, w_ih), b_ih)           # (B, T, N, G)
    lengths = params.get("lengths")
    reverse = bool(params.get("reverse", False))
    running = None
    if lengths is not None:
        running = xp.asarray(lengths)[None, :] > xp.arange(T)[:, None]      # (T, N)
    zero = ops.zeros((), dtype=dtype)
    act = ops.tanh if params.get("nonlinearity", "tanh") == "tanh" else ops.relu
    ys = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        gi = gi_all[:, t]
        gh = _plus_bias(_times_transposed(h, w_hh), b_hh)
        if lstm:
            a = gi + gh
            i, f = ops.sigmoid(a[..., :H]), ops.sigmoid(a[..., H:2 * H])
            g, o = ops.tanh(a[..., 2 * H:3 * H]), ops.sigmoid(a[..., 3 * H:])
            c_new = f * c + i * g
            h_new = o * ops.tanh(c_new)
            if w_hr is not None:
                h_new = _times_transposed(h_new, w_hr)
        elif cls.name == "gru":
            r = ops.sigmoid(gi[..., :H] + gh[..., :H])
            z = ops.sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
            n = ops.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
            h_new = (1 - z) * n + z * h
        else:
            h_new = act(gi + gh)
        if running is None:
            h, ys[t] = h_new, h_new
            c = c_new if lstm else None
        else:
            run = running[t][:, None]                                # (N, 1)
            ys[t] = ops.where(run, h_new, zero)
            h = ops.where(run, h_new, h)
            c = ops.where(run, c_new, c) if lstm else None
    y = ops.stack(ys, 1)                                             # (B, T, N, P)
    parts = [ops.reshape(y, (size, -1)), ops.reshape(h, (size, -1))]
    if lstm:
        parts.append(ops.reshape(c, (size, -1)))
    return ops.concatenate(parts, 1)
