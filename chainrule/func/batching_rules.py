"""Batching rules: how each primitive runs on operands that carry a leading batch dimension.

A rule is ``rule(cls, values, batched, params, size)``: ``values`` are the primitive's
arguments with every batched one replaced by its value (batch dimension 0, size ``size``),
``batched`` says which were batched, ``params`` are the primitive's keyword parameters. It
returns the batched result (batch dimension 0) computed with primitives on the values, or
``NotImplemented`` for a case it does not cover (vmap then loops over the batch, and reports it).
Values may themselves be batched at outer levels; the primitives a rule calls take care of that.

The families (``RULES`` maps primitive names to rules):

- elementwise, one operand (exp, relu, astype, …): the primitive on the value as it is;
- broadcasting, several operands (add, where, maximum, comparisons, …): batched operands get
  size-1 axes after the batch dimension up to the highest logical rank, so that broadcasting
  from the right aligns their logical axes with the unbatched operands';
- axis-taking (sum, mean, var, max, logsumexp, softmax, cumsum, vector_norm, …): logical axes
  shift by one, ``axis=None`` becomes every logical axis;
- shape (reshape, transpose, squeeze, expand_dims, broadcast_to, concatenate, stack, pad,
  getitem with basic and integer-array indices, scatter_add);
- matmul (operands raised to matrices, batch dims aligned), linear, einsum (a fresh letter for
  the batch), conv (the batch folded into N, or into groups when the weights are batched),
  max_pool/avg_pool (batch folded into N), layer_norm, softmax_cross_entropy and nll_loss
  with reduction='none' (and 'sum'/'mean' per example), embedding with unbatched weights (only
  reached when the indices come batched to the primitive);
- layers of rules_layers.py: batch_norm (training: the batch folded into the channels, running
  statistics per example; evaluation), scaled_dot_product_attention, rnn/gru/lstm (the batch
  folded into N, or composed of batched primitives for per-example weights, rules_recurrent.py);
- linear algebra of rules_linalg.py: the vmap batch one more leading batch dimension.
"""
from __future__ import annotations

import builtins
import string

from ..backend import xp
from ..tensor import Tensor
from . import rules_indexing as _indexing
from . import rules_layers as _layers
from . import rules_linalg as _linalg
from . import rules_losses as _losses
from . import rules_spatial as _spatial


def _ops():
    from .. import ops

    return ops


def _rank(v, batched: bool) -> int:
    nd = v.ndim if isinstance(v, Tensor) or hasattr(v, "ndim") else 0
    return nd - 1 if batched else nd


def _padded(v, rank: int):
    """A batched value (B, *s) with size-1 axes after B so that len(s) becomes ``rank``."""
    missing = rank - (v.ndim - 1)
    if missing <= 0:
        return v
    return _ops().reshape(v, (v.shape[0],) + (1,) * missing + tuple(v.shape[1:]))


def _expanded(v, size: int):
    ops = _ops()
    return ops.broadcast_to(ops.expand_dims(v, 0), (size,) + tuple(v.shape))


def _shift(axis, logical_ndim: int):
    """A logical axis (or tuple of them) as an axis of the batched value."""
    n = builtins.max(logical_ndim, 1)
    if isinstance(axis, (tuple, list)):
        return tuple(_check_axis(a, n) % n + 1 for a in axis)
    return _check_axis(axis, n) % n + 1


def _check_axis(a, n: int) -> int:
    a = int(a)
    if not -n <= a < n:
        raise IndexError(f"vmap: dimension {a} is out of range for a tensor with {n} "
                         f"dimension(s) (the per-example shape)")
    return a


# ----------------------------------------------------------------------------- families
def elementwise(cls, values, batched, params, size):
    return cls.apply(*values, **params)


def broadcasting(cls, values, batched, params, size):
    rank = builtins.max(_rank(v, b) for v, b in zip(values, batched))
    values = [_padded(v, rank) if b else v for v, b in zip(values, batched)]
    return cls.apply(*values, **params)


def reduction(cls, values, batched, params, size):
    """A primitive whose ``axis`` (or ``axes``) parameter names logical axes."""
    if not batched[0] or builtins.any(batched[1:]):
        return NotImplemented
    x = values[0]
    key = "axes" if "axes" in params else "axis"
    axis = params.get(key)
    lnd = x.ndim - 1
    params = dict(params)
    if lnd == 0:                # a 0-d example: reduce over no axis (each element alone)
        if axis is not None:
            for a in (axis,) if isinstance(axis, int) else tuple(axis):
                _check_axis(a, 1)
        params[key] = ()
    elif axis is None:
        params[key] = tuple(range(1, lnd + 1))
    else:
        params[key] = _shift(axis, lnd)
    return cls.apply(x, *values[1:], **params)


def along_axis(cls, values, batched, params, size):
    """softmax, log_softmax, cumsum …: one logical axis, required."""
    if not batched[0] or builtins.any(batched[1:]) or values[0].ndim == 1:
        return NotImplemented
    params = dict(params, axis=_shift(params.get("axis", -1), values[0].ndim - 1))
    return cls.apply(*values, **params)


# ----------------------------------------------------------------------------- shapes
def reshape(cls, values, batched, params, size):
    shape = tuple(params["shape"]) if not isinstance(params["shape"], int) else (params["shape"],)
    return cls.apply(values[0], shape=(size,) + shape)


def transpose(cls, values, batched, params, size):
    x = values[0]
    lnd = x.ndim - 1
    axes = params.get("axes")
    if axes is None:
        axes = tuple(range(lnd, 0, -1))
    else:
        if len(axes) != lnd:
            return NotImplemented
        axes = tuple(_shift(a, lnd) for a in axes)
    return cls.apply(x, axes=(0,) + axes)


def broadcast_to(cls, values, batched, params, size):
    shape = tuple(params["shape"])
    return cls.apply(_padded(values[0], len(shape)), shape=(size,) + shape)


def squeeze(cls, values, batched, params, size):
    x = values[0]
    lnd = x.ndim - 1
    axis = params.get("axis")
    if axis is None:
        axis = tuple(i + 1 for i, n in enumerate(tuple(x.shape)[1:]) if n == 1)
    elif lnd == 0:
        _check_axis(axis if isinstance(axis, int) else axis[0], 1)
        return x
    else:
        axis = _shift(axis, lnd)
    return cls.apply(x, axis=axis)


def expand_dims(cls, values, batched, params, size):
    x = values[0]
    axis = params["axis"]
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    n = x.ndim - 1 + len(axes)
    shifted = tuple(_check_axis(a, n) % n + 1 for a in axes)
    return cls.apply(x, axis=shifted[0] if isinstance(axis, int) else shifted)


def joined(cls, values, batched, params, size):
    """concatenate, stack: unbatched operands are broadcast to the batch first."""
    values = [v if b else _expanded(v, size) for v, b in zip(values, batched)]
    n = values[0].ndim - 1 + (1 if cls.name == "stack" else 0)
    return cls.apply(*values, axis=_check_axis(params.get("axis", 0), n) % n + 1)


def pad(cls, values, batched, params, size):
    x = values[0]
    widths = xp.broadcast_to(xp.asarray(params["pad_width"], dtype=xp.int64), (x.ndim - 1, 2))
    widths = ((0, 0),) + tuple((int(a), int(b)) for a, b in widths)
    return cls.apply(x, pad_width=widths, value=params.get("value", 0.0))


def _index_parts(index):
    return index if isinstance(index, tuple) else (index,)


def _batched_index(index):
    """The index with a full slice in front for the batch dimension, and where the batch
    dimension lands in the result (advanced indices that are not adjacent go first, as in
    NumPy), or None when the index is not one this rule handles (0-d booleans). A boolean array
    is its ``nonzero()`` integer arrays (NumPy's meaning of a mask)."""
    parts = []
    for p in _index_parts(index):
        if hasattr(p, "dtype") and getattr(p, "ndim", 0) > 0 and p.dtype.kind == "b" and \
                type(p) is xp.ndarray:
            parts.extend(xp.nonzero(p))
        else:
            parts.append(p)
    parts = tuple(parts)
    advanced = []
    for i, p in enumerate(parts):
        if isinstance(p, (int, builtins.slice)) or p is None or p is Ellipsis:
            continue
        if isinstance(p, (bool, xp.bool_)) or not hasattr(p, "dtype") or p.dtype.kind not in "iu":
            return None, None
        advanced.append(i)
    lead = 0
    if advanced and advanced != list(range(advanced[0], advanced[-1] + 1)):
        shapes = [parts[i].shape for i in advanced]
        lead = len(xp.broadcast_shapes(*shapes))
    return (builtins.slice(None),) + parts, lead


def getitem(cls, values, batched, params, size):
    index, lead = _batched_index(params["index"])
    if index is None:
        return NotImplemented
    out = cls.apply(values[0], index=index)
    return _ops().moveaxis(out, lead, 0) if lead else out


def scatter_add(cls, values, batched, params, size):
    index, lead = _batched_index(params["index"])
    if index is None:
        return NotImplemented
    v = _ops().moveaxis(values[0], 0, lead) if lead else values[0]   # where x[index] has it
    return cls.apply(v, shape=(size,) + tuple(params["shape"]), index=index,
                     basic=params.get("basic", False))


# ----------------------------------------------------------------------------- products
def matmul(cls, values, batched, params, size):
    ops = _ops()
    (a, b), (ba, bb) = values, batched
    ra, rb = _rank(a, ba), _rank(b, bb)
    if ra == 0 or rb == 0:
        return NotImplemented       # matmul of a 0-d operand is an error: let the loop say so
    squeeze = []
    if ra == 1:                     # a vector: a row (1, k), its row axis dropped afterwards
        a = ops.expand_dims(a, -2)
        ra = 2
        squeeze.append(-2)
    if rb == 1:                     # a vector: a column (k, 1)
        b = ops.expand_dims(b, -1)
        rb = 2
        squeeze.append(-1)
    rank = builtins.max(ra, rb)
    if ba:
        a = _padded(a, rank)
    if bb:
        b = _padded(b, rank)
    out = cls.apply(a, b, **params)
    for axis in squeeze:
        out = ops.squeeze(out, axis)
    return out


def linear(cls, values, batched, params, size):
    x, w, *rest = values
    bx, bw, *brest = batched
    if not bw and not builtins.any(brest):
        return cls.apply(*values, **params)
    ops = _ops()
    # per-example weights: y = x Wᵀ + b as a batched matmul of (B, rows, in) by (B, in, out)
    x = x if bx else _expanded(x, size)
    w = w if bw else _expanded(w, size)
    lead = tuple(x.shape[1:-1])
    y = ops.matmul(ops.reshape(x, (size, -1, x.shape[-1])), ops.swapaxes(w, -1, -2))
    y = ops.reshape(y, (size,) + lead + (w.shape[1],))
    if rest and rest[0] is not None:
        bias = rest[0] if brest[0] else _expanded(rest[0], size)
        y = y + ops.reshape(bias, (size,) + (1,) * len(lead) + (w.shape[1],))
    return y


def einsum(cls, values, batched, params, size):
    from ..ops.products import _parse

    shapes = [tuple(v.shape)[1:] if b else tuple(v.shape) for v, b in zip(values, batched)]
    subs, out = _parse(params["equation"], shapes)
    used = set("".join(subs) + out)
    letter = next(c for c in string.ascii_letters if c not in used)
    subs = [letter + s if b else s for s, b in zip(subs, batched)]
    return cls.apply(*values, equation=",".join(subs) + "->" + letter + out)


# ----------------------------------------------------------------------------- layers
def conv(cls, values, batched, params, size):
    ops = _ops()
    x, w, *rest = values
    bx, bw, *brest = batched
    b = rest[0] if rest else None
    bb = bool(brest and brest[0])
    if params.get("out") is not None and cls.name != "conv":
        return NotImplemented
    if not bw and not bb:
        if not bx:
            return NotImplemented
        n = x.shape[1]
        y = cls.apply(ops.reshape(x, (size * n,) + tuple(x.shape[2:])), w, *rest, **params)
        return ops.reshape(y, (size, n) + tuple(y.shape[1:]))
    if cls.name != "conv":
        return NotImplemented
    # per-example weights: the batch becomes groups, (N, B·C, …) * (B·O, C/g, …)
    x = x if bx else _expanded(x, size)
    w = w if bw else _expanded(w, size)
    n, c = x.shape[1], x.shape[2]
    spatial = tuple(x.shape[3:])
    x = ops.reshape(ops.moveaxis(x, 0, 1), (n, size * c) + spatial)
    o = w.shape[1]
    w = ops.reshape(w, (size * o,) + tuple(w.shape[2:]))
    if b is not None:
        b = ops.reshape(b if bb else _expanded(b, size), (size * o,))
    groups = params.get("groups", 1) * size
    y = cls.apply(x, w, b, **dict(params, groups=groups))
    y = ops.reshape(y, (n, size, o) + tuple(y.shape[2:]))
    return ops.moveaxis(y, 1, 0)


def pool(cls, values, batched, params, size):
    if not batched[0] or builtins.any(batched[1:]):
        return NotImplemented
    ops = _ops()
    x = values[0]
    n = x.shape[1]
    y = cls.apply(ops.reshape(x, (size * n,) + tuple(x.shape[2:])), *values[1:], **params)
    return ops.reshape(y, (size, n) + tuple(y.shape[1:]))


def layer_norm(cls, values, batched, params, size):
    x, weight, bias = (list(values) + [None, None])[:3]
    bx, bw, bb = (list(batched) + [False, False])[:3]
    if not bw and not bb:
        return cls.apply(*values, **params) if bx else NotImplemented
    x = x if bx else _expanded(x, size)
    y = cls.apply(x, None, None, **params)
    if weight is not None:
        y = y * (_padded(weight, y.ndim - 1) if bw else weight)
    if bias is not None:
        y = y + (_padded(bias, y.ndim - 1) if bb else bias)
    return y


def class_losses(cls, values, batched, params, size):
    """softmax_cross_entropy, nll_loss on an (N, C, …) input per example: the batch folded into
    N with reduction='none', then each example's losses reduced ('mean' of class indices divides
    by the example's count of targets not ignored; with class weights 'mean' takes the loop)."""
    if len(batched) < 2 or builtins.any(batched[2:]):
        return NotImplemented
    reduction = params.get("reduction", "mean")
    weighted = params.get("weight") is not None
    if reduction == "mean" and weighted:
        return NotImplemented
    ops = _ops()
    z, target = values[0], values[1]
    if not isinstance(target, Tensor):
        target = Tensor._make(target)
    z = z if batched[0] else _expanded(z, size)
    target = target if batched[1] else _expanded(target, size)
    if z.ndim < 3:
        return NotImplemented
    n = z.shape[1]
    flat_z = ops.reshape(z, (size * n,) + tuple(z.shape[2:]))
    flat_t = ops.reshape(target, (size * n,) + tuple(target.shape[2:]))
    y = cls.apply(flat_z, flat_t, *values[2:], **dict(params, reduction="none"))
    y = ops.reshape(y, (size, n) + tuple(y.shape[1:]))
    if reduction == "none":
        return y
    axes = tuple(range(1, y.ndim))
    if reduction == "sum":
        return ops.sum(y, axis=axes)
    if target.dtype.kind == "f":                    # class probabilities: every element counts
        return ops.mean(y, axis=axes)
    valid = ops.astype(target != params.get("ignore_index", -100), y.dtype)
    return ops.sum(y, axis=axes) / ops.sum(valid, axis=axes)


def _is_batched_param(value) -> bool:
    from .batched import BatchedTensor

    return isinstance(value, BatchedTensor)


def embedding(cls, values, batched, params, size):
    """Batched indices (a parameter of the primitive) into an unbatched table."""
    if batched[0]:
        return NotImplemented       # per-example embedding tables: the loop
    return cls.apply(*values, **params)


embedding.batched_params = True     # the indices come as a parameter

_ELEMENTWISE = (
    "erf sigmoid relu leaky_relu elu gelu silu softplus negative exp log sqrt abs sin cos tanh "
    "astype copy tan asin acos atan sinh cosh asinh acosh atanh exp2 expm1 log2 log10 log1p "
    "rsqrt reciprocal sinc erfc erfinv floor ceil trunc round sign logit nan_to_num hardtanh "
    "hardsigmoid hardswish mish logsigmoid lgamma digamma polygamma i0 i0e i1 i1e ndtr ndtri "
    "log_ndtr erfcx entr not_differentiable")
_BROADCASTING = (
    "add subtract multiply divide power maximum minimum clip where atan2 hypot xlogy lerp "
    "logaddexp logaddexp2 copysign div_rounded remainder fmod igamma igammac xlog1py ldexp "
    "nextafter zeta comparison huber_loss binary_cross_entropy binary_cross_entropy_with_logits "
    "kl_div soft_margin")
_REDUCTIONS = "sum nansum mean var std max min prod logsumexp vector_norm"
_ALONG_AXIS = "softmax log_softmax cumsum cumprod logcumsumexp"

RULES = {}
RULES.update(dict.fromkeys(_ELEMENTWISE.split(), elementwise))
RULES.update(dict.fromkeys(_BROADCASTING.split(), broadcasting))
RULES.update(dict.fromkeys(_REDUCTIONS.split(), reduction))
RULES.update(dict.fromkeys(_ALONG_AXIS.split(), along_axis))
RULES.update({
    "reshape": reshape, "transpose": transpose, "broadcast_to": broadcast_to,
    "squeeze": squeeze, "expand_dims": expand_dims, "concatenate": joined, "stack": joined,
    "pad": pad, "getitem": getitem, "scatter_add": scatter_add,
    "matmul": matmul, "linear": linear, "einsum": einsum,
    "conv": conv, "conv_transpose": conv, "max_pool": pool, "avg_pool": pool,
    "layer_norm": layer_norm, "softmax_cross_entropy": class_losses, "nll_loss": class_losses,
    "embedding": embedding,
})

# the layer families of rules_layers.py (batch_norm in both modes, attention, recurrences) and the
# linear algebra of rules_linalg.py
RULES.update({"batch_norm": _layers.batch_norm, "scaled_dot_product_attention": _layers.attention,
              "rnn": _layers.recurrence, "gru": _layers.recurrence, "lstm": _layers.recurrence})
RULES.update(_linalg.RULES)
# the families added after: indexed writes and strided views (rules_indexing.py), the spatial
# layers folded into N or groups (rules_spatial.py), losses with weights, margins, CTC
# (rules_losses.py)
RULES.update(_indexing.RULES)
RULES.update(_spatial.RULES)
RULES.update(_losses.RULES)
