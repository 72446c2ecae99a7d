"""Batching rules of the fused losses beyond vmap's first ones: softmax_cross_entropy and
nll_loss with class weights under 'mean', multi_margin, multilabel_margin, ctc_loss.

Each folds the vmap batch into the loss's N with reduction 'none' (per-sample losses are
independent), unfolds, and reduces per example:

- class losses, 'mean' with class weights: Σₙ ℓₙ / Σₙ w_{yₙ} over each example's targets that
  are not ignored (PyTorch's divisor, label smoothing included); the divisor is nll_loss of a
  constant −1 input with the same weights and reduction 'none' (w_{yₙ}, 0 where ignored), so it
  comes from a primitive with the targets wherever they are batched.
- multi_margin, multilabel_margin: the primitives give per-row losses of an (N, C) input; the
  integer targets are constants of the primitive, repeated for every example.
- ctc_loss: log-probabilities (T, N, C) fold the batch into N, (T, B·N, C), and the targets
  and both lengths repeat per example.
"""
from __future__ import annotations

import builtins

from ..backend import xp
from ..tensor import Tensor


def _ops():
    from .. import ops

    return ops


def _expanded(v, size: int):
    ops = _ops()
    return ops.broadcast_to(ops.expand_dims(v, 0), (size,) + tuple(v.shape))


def _repeat_param(v, size: int):
    """An unbatched integer parameter (N, …) as the folded (B·N, …) one."""
    a = xp.asarray(v)
    return xp.broadcast_to(a, (size,) + a.shape).reshape((size * a.shape[0],) + a.shape[1:])


def class_losses(cls, values, batched, params, size):
    """softmax_cross_entropy, nll_loss: the cases of batching_rules.class_losses and 'mean' with
    class weights and integer targets."""
    from .batching_rules import class_losses as plain_rule

    reduction = params.get("reduction", "mean")
    weight = params.get("weight")
    if not (reduction == "mean" and weight is not None):
        return plain_rule(cls, values, batched, params, size)
    if len(batched) < 2 or builtins.any(batched[2:]) or isinstance(weight, Tensor):
        return NotImplemented
    ops = _ops()
    z, target = values[0], values[1]
    if not isinstance(target, Tensor):
        target = Tensor._make(target)
    if target.dtype.kind == "f":                    # class probabilities: the mean over N
        return plain_rule(cls, values, batched, params, size)
    z = z if batched[0] else _expanded(z, size)
    target = target if batched[1] else _expanded(target, size)
    if z.ndim < 3:
        return NotImplemented
    n = z.shape[1]
    flat_z = ops.reshape(z, (size * n,) + tuple(z.shape[2:]))
    flat_t = ops.reshape(target, (size * n,) + tuple(target.shape[2:]))
    y = cls.apply(flat_z, flat_t, *values[2:], **dict(params, reduction="none"))
    nll = _nll()
    minus_one = ops.full(tuple(flat_z.shape[1:]), -1.0, dtype=z.dtype)
    picked = nll.apply(ops.broadcast_to(minus_one, tuple(flat_z.shape)), flat_t, weight=weight,
                       ignore_index=params.get("ignore_index", -100), reduction="none")
    y = ops.reshape(y, (size, n) + tuple(y.shape[1:]))
    picked = ops.reshape(picked, (size, n) + tuple(picked.shape[1:]))
    axes = tuple(range(1, y.ndim))
    return ops.sum(y, axis=axes) / ops.sum(picked, axis=axes)



def _nll():
    from ..autograd.registry import get

    return get("nll_loss")


def row_losses(cls, values, batched, params, size):
    """multi_margin, multilabel_margin: x (N, C) per example, target a constant (N[, C])."""
    if builtins.any(batched[1:]) or isinstance(params.get("target"), Tensor):
        return NotImplemented
    ops = _ops()
    x = values[0]
    n = x.shape[1]
    y = cls.apply(ops.reshape(x, (size * n,) + tuple(x.shape[2:])),
                  **dict(params, target=_repeat_param(params["target"], size)))
    return ops.reshape(y, (size, n))


def ctc_loss(cls, values, batched, params, size):
    if builtins.any(batched[1:]) or builtins.any(
            isinstance(params.get(k), Tensor) for k in ("targets", "input_lengths",
                                                          "target_lengths")):
        return NotImplemented
    ops = _ops()
    lp = values[0]                                          # (B, T, N, C)
    T, n = lp.shape[1], lp.shape[2]
    folded = ops.reshape(ops.moveaxis(lp, 0, 1), (T, size * n) + tuple(lp.shape[3:]))
    repeated = {k: _repeat_param(params[k], size)
                for k in ("targets", "input_lengths", "target_lengths")}
    y = cls.apply(folded, *values[1:], **dict(params, **repeated))
    return ops.reshape(y, (size, n))


RULES = {"softmax_cross_entropy": class_losses, "nll_loss": class_losses,
         "multi_margin": row_losses, "multilabel_margin": row_losses, "ctc_loss": ctc_loss}
