"""Batching rules of the fused layer primitives: batch_norm (training and evaluation),
scaled_dot_product_attention, and the recurrences rnn, gru, lstm.

- batch_norm: every example is its own batch, so the vmap batch folds into the *channels*:
  (B, N, C, …) → (N, B·C, …), one call, each (example, channel) standardized over its own N and
  spatial positions, exactly the per-example statistics. Per-example weight, bias and running
  statistics ((B, C): an ensemble's stacked buffers) fold the same way; the running statistics
  are updated in place, each example's row its own (PyTorch's result; as in PyTorch, a stack
  that is not contiguous with the vmap batch first is not updated). An example batch whose
  running statistics are *not* batched cannot update them (one buffer, B batches): PyTorch's
  error, word for word. Evaluation mode folds the batch into N (the statistics are constants).
- scaled_dot_product_attention: the leading (batch, head) axes broadcast, so the batched
  operands get size-1 axes after the vmap batch up to the highest rank of the operands (the
  broadcasting family's alignment); a per-example dropout mask (randomness='different') too.
- rnn, gru, lstm with shared weights: the batch folds into the recurrence's N (one fused call;
  lengths repeat per example), and the packed output [y | h_T | c_T] is re-packed per example.
  With per-example weights (an ensemble, or grad inside vmap: per-sample gradients) the
  recurrence is composed of batched primitives (rules_recurrent.py).
"""
from __future__ import annotations

import builtins

from ..backend import xp
from ..tensor import Tensor
from .batched import BatchedTensor


def _ops():
    from .. import ops

    return ops


def _expanded(v, size: int):
    ops = _ops()
    return ops.broadcast_to(ops.expand_dims(v, 0), (size,) + tuple(v.shape))


def _padded(v, rank: int):
    missing = rank - (v.ndim - 1)
    if missing <= 0:
        return v
    return _ops().reshape(v, (v.shape[0],) + (1,) * missing + tuple(v.shape[1:]))


# ----------------------------------------------------------------------------- batch norm
_UNBATCHED_RUNNING = (
    "Batch norm got a batched tensor as input while the running_mean or running_var, which will "
    "be updated in place, were not batched.\nIf you are using a module and do not need eval "
    "mode, please set `track_running_stats` to be False.If you are using a prebuilt module and "
    "do not need eval mode, please see the functorch website for resources on how to patch your "
    "module to work with vmap")


def _per_channel(v, size: int):
    """A per-channel vector, batched (B, C) or not (C,), as the folded (B·C,) vector."""
    ops = _ops()
    if v is None:
        return None
    return ops.reshape(v, (-1,)) if v.ndim == 2 else ops.reshape(_expanded(v, size), (-1,))


def _running(v):
    """A running statistic as the primitive's parameter. A batched one is this level's value
    (B, C), updated through a flat (B·C,) view. When the stacked buffer is not contiguous with
    the vmap batch first (mapped with in_dims=1, or a transposed stack), the flat form is a copy
    and the update is lost: what PyTorch 2.13 does (its batch rule updates a contiguous copy)."""
    if not isinstance(v, Tensor):
        return v
    if isinstance(v, BatchedTensor):
        raise NotImplementedError("vmap: batch_norm with running statistics batched at two "
                                  "nested vmaps is not supported; use track_running_stats=False "
                                  "(or chainrule.func.replace_all_batch_norm_modules_)")
    return v._data.reshape(-1)


def batch_norm(cls, values, batched, params, size):
    ops = _ops()
    x, weight, bias = (list(values) + [None, None])[:3]
    bx, bw, bb = (list(batched) + [False, False])[:3]
    running = (params.get("running_mean"), params.get("running_var"))
    stats_batched = builtins.any(isinstance(r, Tensor) for r in running)
    if not params.get("training", True):
        if stats_batched:
            return NotImplemented               # F.batch_norm composes this case itself
        return _batch_norm_eval(cls, x, weight, bias, bx, bw, bb, params, size)
    has_running = builtins.any(r is not None for r in running)
    if not bx and not stats_batched:
        # one batch of statistics (x is shared): the running statistics update once, and the
        # per-example weight and bias apply afterwards
        y = cls.apply(x, None if bw else weight, None if bb else bias, **params)
        y = _expanded(y, size)
        return _affine(y, weight if bw else None, bias if bb else None, size)
    if has_running and not stats_batched:
        raise RuntimeError(_UNBATCHED_RUNNING)
    x = x if bx else _expanded(x, size)
    n, c = x.shape[1], x.shape[2]
    rest = tuple(x.shape[3:])
    folded = ops.reshape(ops.moveaxis(x, 0, 1), (n, size * c) + rest)
    w = _per_channel(weight, size) if weight is not None else None
    b = _per_channel(bias, size) if bias is not None else None
    rm, rv = _running(running[0]), _running(running[1])
    y = cls.apply(folded, w, b, **dict(params, running_mean=rm, running_var=rv))
    return ops.moveaxis(ops.reshape(y, (n, size, c) + rest), 1, 0)


batch_norm.batched_params = True        # per-example running statistics come as parameters


def _affine(y, weight, bias, size):
    """y (B, N, C, …) times a per-example weight (B, C), plus a per-example bias."""
    ops = _ops()
    per_channel = (size, 1, -1) + (1,) * (y.ndim - 3)      # (B, C) → (B, 1, C, 1, …)
    if weight is not None:
        y = y * ops.reshape(weight, per_channel)
    if bias is not None:
        y = y + ops.reshape(bias, per_channel)
    return y


def _batch_norm_eval(cls, x, weight, bias, bx, bw, bb, params, size):
    """Evaluation: the statistics are constants, so the batch folds into N; a per-example
    weight and bias (an ensemble's) apply after."""
    ops = _ops()
    if not bx:
        y = _expanded(cls.apply(x, None if bw else weight, None if bb else bias, **params), size)
        return _affine(y, weight if bw else None, bias if bb else None, size)
    n = x.shape[1]
    folded = ops.reshape(x, (size * n,) + tuple(x.shape[2:]))
    y = cls.apply(folded, None if bw else weight, None if bb else bias, **params)
    y = ops.reshape(y, (size, n) + tuple(y.shape[1:]))
    return _affine(y, weight if bw else None, bias if bb else None, size)


# ----------------------------------------------------------------------------- attention
def attention(cls, values, batched, params, size):
    keep = params.get("keep")
    keep_batched = isinstance(keep, Tensor)
    ranks = [v.ndim - (1 if b else 0) for v, b in zip(values, batched) if v is not None]
    if keep is not None:
        ranks.append(keep.ndim - (1 if keep_batched else 0))
    rank = builtins.max(ranks)
    values = [_padded(v, rank) if b else v for v, b in zip(values, batched)]
    if keep_batched:                    # an array for the primitive; still batched at an outer
        keep = _padded(keep, rank)      # vmap ('different' there too): that level's rule
        params = dict(params, keep=keep if isinstance(keep, BatchedTensor) else keep._data)
    return cls.apply(*values, **params)


attention.batched_params = True         # a per-example dropout mask comes as a parameter


# ----------------------------------------------------------------------------- recurrences
def recurrence(cls, values, batched, params, size):
    """rnn (x, h0, w_ih, w_hh, b_ih, b_hh), gru (the same), lstm (x, h0, c0, w_ih, w_hh, b_ih,
    b_hh, w_hr): x (T, N, I) per example."""
    from .rules_recurrent import composed

    states = 2 if cls.name == "lstm" else 1
    if builtins.any(batched[1 + states:]):
        return composed(cls, values, batched, params, size)
    if not batched[0] and not builtins.any(batched[1:1 + states]):
        return NotImplemented
    ops = _ops()
    x = values[0] if batched[0] else _expanded(values[0], size)
    T, N = x.shape[1], x.shape[2]
    folded = ops.reshape(ops.moveaxis(x, 0, 1), (T, size * N, x.shape[3]))
    inits = []
    for v, b in zip(values[1:1 + states], batched[1:1 + states]):
        if v is not None:
            v = ops.reshape(v if b else _expanded(v, size), (size * N, v.shape[-1]))
        inits.append(v)
    lengths = params.get("lengths")
    if lengths is not None:
        params = dict(params, lengths=xp.tile(lengths, size))
    packed = cls.apply(folded, *inits, *values[1 + states:], **params)
    # the packed [y (T, B·N, H) | h_T (B·N, H) | c_T (B·N, Hc)] re-packed per example
    H = values[2 + states].shape[1]                 # w_hh (G·H, P): the output size P
    sizes = [T * size * N * H, size * N * H]
    if cls.name == "lstm":
        sizes.append(size * N * (values[3].shape[0] // 4))
    parts, start = [], 0
    for k, count in enumerate(sizes):
        piece = ops.getitem(packed, slice(start, start + count))
        start += count
        if k == 0:
            piece = ops.moveaxis(ops.reshape(piece, (T, size, N * H)), 1, 0)
        parts.append(ops.reshape(piece, (size, -1)))
    return ops.concatenate(parts, 1)
