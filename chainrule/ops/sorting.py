"""Sorting and order statistics with PyTorch's signatures and return types: sort, argsort, msort,
topk, kthvalue, median, nanmedian, mode, quantile, nanquantile, unique, unique_consecutive,
bincount, histc, searchsorted, bucketize, aminmax, var_mean and std_mean.

The order (the indices) is found on the arrays; the values are then read with gather, so the
gradient of every selected value goes back to the position it came from (ties: the position the
indices name). NaN counts as larger than every number, as in PyTorch.
"""
from __future__ import annotations

import builtins

from .. import backend as B
from .. import layouts, return_types
from ..amp.autocast_mode import autocast_op
from ..backend import xp
from ..tensor import Tensor, tensor_method
from . import reduce as _reduce
from .binary import lerp
from .complex_checks import ORDER, refuse_complex
from .indexing import gather, getitem
from .movement import expand_dims, reshape, squeeze, stack
from .selection import _wrap


def _arr(x):
    """The array of ``x``; another library's is read on the host (to_numpy): the index work of
    order statistics (stable sorting and its ties, runs, counts, bins) is done with NumPy, which
    the standard cannot match tie for tie; the values are then gathered in x's own library."""
    data = x._data if isinstance(x, Tensor) else xp.asarray(x)
    if type(data) is not xp.ndarray and B.is_foreign_array(data):
        return B.to_numpy(data)
    return data


def _result(a, source) -> Tensor:
    """A host-made result ``a`` in the library of the tensor ``source`` (NumPy: ``a`` itself)."""
    like = source._data if isinstance(source, Tensor) else None
    return Tensor._from_op(a if like is None else B.asarray_like(a, like), None)


def _int(a, source=None) -> Tensor:
    return _result(xp.asarray(a, dtype=xp.int64), source)


def _order(x, axis: int, descending: bool):
    """Stable argsort along ``axis``; descending keeps equal values in their original order."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    flipped = xp.flip(x, axis)
    idx = xp.argsort(flipped, axis=axis, kind="stable")
    return x.shape[axis] - 1 - xp.flip(idx, axis)


def _sorted_parts(input, dim, descending, op):  # noqa: A002
    refuse_complex(op, input, reason=ORDER, error=RuntimeError)
    x = _arr(input)
    if x.ndim == 0:
        return input, xp.zeros((), dtype=xp.int64), 0
    d = _wrap(dim, x.ndim, op)
    # PyTorch sorts a copy laid out as the input (TensorIterator's order): so are the results
    return input, layouts.pointwise(_order(x, d, descending).astype(xp.int64), [x]), d


@tensor_method
def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    """(values, indices) of input sorted along ``dim``; the values are gathered, so their gradient
    returns to the original positions. Equal values keep their order (stable)."""
    if hasattr(input, "_level") and input.ndim:      # inside chainrule.func.vmap
        from ..func.composite import on_batch

        return on_batch(sort, (input,), {"dim": dim, "descending": descending, "stable": stable},
                        ("dim",), input.ndim)
    _, idx, d = _sorted_parts(input, dim, descending, "sort")
    values = gather(input, d, idx) if input.ndim else getitem(input, ())
    values = layouts.relaid(values, layouts.pointwise, [idx]) if input.ndim else values
    return return_types.sort(values, _int(idx, input))


@tensor_method
def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    if hasattr(input, "_level") and input.ndim:      # inside chainrule.func.vmap
        from ..func.composite import on_batch

        return on_batch(argsort, (input,), {"dim": dim, "descending": descending,
                                             "stable": stable}, ("dim",), input.ndim)
    return _int(_sorted_parts(input, dim, descending, "argsort")[1], input)


@tensor_method
def msort(input):  # noqa: A002
    return sort(input, 0).values


@tensor_method
def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The k largest (or smallest) values along ``dim`` and their indices."""
    if hasattr(input, "_level") and input.ndim:      # inside chainrule.func.vmap
        from ..func.composite import on_batch

        return on_batch(topk, (input,), {"k": k, "dim": dim, "largest": largest,
                                         "sorted": sorted}, ("dim",), input.ndim)
    refuse_complex("topk", input, reason=ORDER, error=RuntimeError)
    x = _arr(input)
    d = _wrap(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k ({k}) out of range for dimension {d} of "
                           f"size {n}")
    if x.ndim == 0:     # PyTorch returns the 0-d value itself, for k = 0 too
        return return_types.topk(getitem(input, ()), _int(0, input))
    idx = xp.take(_order(x, d, largest), xp.arange(k), axis=d).astype(xp.int64)
    return return_types.topk(gather(input, d, idx), _int(idx, input))


def _pick(input, idx, d, keepdim, kind):  # noqa: A002
    """return_types.<kind>(values at idx along d, idx) with the dim kept or dropped."""
    if input.ndim == 0:
        return getattr(return_types, kind)(getitem(input, ()), _int(0, input))
    values = gather(input, d, idx)
    if not keepdim:
        values, idx = squeeze(values, d), idx.squeeze(d)
    return getattr(return_types, kind)(values, _int(idx, input))


@tensor_method
def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):  # noqa: A002
    """The k-th smallest value (k counted from 1) along ``dim`` and its index."""
    x = _arr(input)
    if x.ndim and x.size:       # (PyTorch answers a 0-d or empty complex tensor)
        refuse_complex("kthvalue", input, reason=ORDER)
    d = _wrap(dim, x.ndim, "kthvalue")
    n = x.shape[d] if x.ndim else 1
    if not 1 <= k <= n:
        raise IndexError(f"kthvalue(): selected number k ({k}) out of range for dimension {d} of "
                         f"size {n}")
    if x.ndim == 0:
        return _pick(input, None, 0, keepdim, "kthvalue")
    idx = xp.take(_order(x, d, False), [k - 1], axis=d).astype(xp.int64)
    return _pick(input, idx, d, keepdim, "kthvalue")


def _median(input, dim, keepdim, ignore_nan, kind):  # noqa: A002
    x = _arr(input)
    if x.size:                  # (PyTorch answers an empty complex tensor)
        refuse_complex(kind, input, reason=ORDER)
    if dim is None:
        flat = x.reshape(-1)
        if flat.size == 0:
            if x.dtype.kind == "f" and isinstance(input, Tensor):    # NaN, in the graph
                return _reduce.sum(input) + float("nan")
            return _result(xp.asarray(xp.nan, dtype=x.dtype), input)
        order = xp.argsort(flat, kind="stable")
        nan = xp.isnan(flat) if x.dtype.kind == "f" else xp.zeros(flat.shape, bool)
        valid = flat.size - int(nan.sum()) if ignore_nan else flat.size
        pos = (valid - 1) // 2 if valid else 0
        if not ignore_nan and nan.any():
            pos = flat.size - int(nan.sum())
        if x.dtype.kind != "f":
            return getitem(reshape(input, (-1,)), int(order[pos]))
        return _evenly(input, x, flat[order[pos]])
    if x.ndim == 0:
        _wrap(dim, 0, kind)
        return _pick(input, None, 0, keepdim, kind)
    d = _wrap(dim, x.ndim, kind)
    if x.shape[d] == 0:
        raise IndexError(f"{kind}(): Expected reduction dim {d} to have non-zero size.")
    order = xp.argsort(x, axis=d, kind="stable")
    nan = xp.isnan(x).sum(axis=d, keepdims=True) if x.dtype.kind == "f" else \
        xp.zeros([1 if a == d else s for a, s in enumerate(x.shape)], xp.int64)
    n = x.shape[d]
    if ignore_nan:
        valid = n - nan
        pos = xp.where(valid > 0, (valid - 1) // 2, 0)
    else:
        pos = xp.where(nan > 0, n - nan, (n - 1) // 2)
    idx = xp.take_along_axis(order, pos, axis=d).astype(xp.int64)
    return _pick(input, idx, d, keepdim, kind)


def _evenly(input, x, m):  # noqa: A002
    """The value ``m`` of ``input`` with PyTorch's gradient for median()/nanmedian() over every
    element (evenly_distribute_backward): g shared evenly by the entries equal to m (the NaN
    entries when m is NaN), 0 elsewhere. Formed as max() of the input with every other entry
    replaced by −∞ (min() with +∞ when m = −∞): the same value m, and max()'s gradient is
    exactly that sharing, which the where passes back to the hits."""
    from .elementwise import where
    hits = (x == m) | (xp.isnan(x) & xp.isnan(m))
    like = input._data if isinstance(input, Tensor) else x
    hits = B.asarray_like(hits, like) if type(like) is not xp.ndarray else hits
    extremum, fill = (_reduce.Min, xp.inf) if m == -xp.inf else (_reduce.Max, -xp.inf)
    return extremum.apply(where(hits, input, fill), axis=None, keepdims=False, distribute=True)


@tensor_method
def median(input, dim=None, keepdim: bool = False):  # noqa: A002
    """The lower median: the ⌊(n−1)/2⌋-th smallest value (NaN if any is NaN). Without ``dim``
    a 0-d tensor over all elements (its gradient shared evenly by the entries equal to it, as
    PyTorch; NaN, in the graph, for an empty tensor); with it, (values, indices)."""
    return _median(input, dim, keepdim, False, "median")


@tensor_method
def nanmedian(input, dim=None, keepdim: bool = False):  # noqa: A002
    """The lower median of the values that are not NaN (NaN where all are)."""
    return _median(input, dim, keepdim, True, "nanmedian")


@tensor_method
def mode(input, dim: int = -1, keepdim: bool = False):  # noqa: A002
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and the
    index of its last occurrence."""
    x = _arr(input)
    if x.ndim and x.size:       # (PyTorch answers a 0-d or empty complex tensor)
        refuse_complex("mode", input, reason=ORDER)
    if x.ndim == 0:
        return _pick(input, None, 0, keepdim, "mode")
    d = _wrap(dim, x.ndim, "mode")
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    order = xp.argsort(x, axis=d, kind="stable")
    s = xp.moveaxis(xp.take_along_axis(x, order, axis=d), d, -1)
    new = xp.ones(s.shape, dtype=bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]
    pos = xp.broadcast_to(xp.arange(n), s.shape)
    start = xp.maximum.accumulate(xp.where(new, pos, 0), axis=-1)
    best = xp.argmax(pos - start, axis=-1)[..., None]
    # the last element of the winning run is the last occurrence of the mode
    idx = xp.take_along_axis(xp.moveaxis(order, d, -1), best, axis=-1)
    idx = xp.moveaxis(idx, -1, d).astype(xp.int64)
    return _pick(input, idx, d, keepdim, "mode")


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):  # noqa: A002
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}(): interpolation must be one of {_INTERPOLATIONS}, got "
                           f"{interpolation!r}")
    x = _arr(input)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}(): input tensor must be either float or double dtype")
    qs = _arr(q).astype(xp.float64) if isinstance(q, Tensor) else xp.asarray(q, xp.float64)
    if qs.ndim > 1:
        raise RuntimeError(f"{op}(): q must be a scalar or 1D tensor")
    if qs.size and ((qs < 0).any() or (qs > 1).any()):
        raise RuntimeError(f"{op}(): q values must be in the range [0, 1]")
    if dim is None:
        base, d = reshape(input, (-1,)), 0
    else:
        base = reshape(input, (1,)) if x.ndim == 0 else input
        d = _wrap(dim, x.ndim, op)
    if x.size == 0:
        raise RuntimeError(f"{op}(): input tensor must be non-empty, got shape {x.shape}")
    moved = _to_last(sort(base, d).values, d)           # NaN sorts last
    arr = _arr(base)
    nan = xp.isnan(arr).sum(axis=d)[..., None]
    n = arr.shape[d]
    out = []
    for qv in qs.reshape(-1):
        # PyTorch's ranks: q·(count − 1) over the values that are not NaN (nanquantile; rank 0,
        # a NaN, where all are), or over all values with a NaN row sent to its last value, a NaN
        # (quantile): the NaN is selected, so it is the result and receives the gradient
        # (computed in the input's dtype, as PyTorch's, whose q has the input's dtype)
        qv = x.dtype.type(qv)
        if ignore_nan:
            pos = xp.maximum(qv * (n - nan - 1).astype(x.dtype), 0)
        else:
            pos = xp.where(nan > 0, x.dtype.type(n - 1), qv * x.dtype.type(n - 1))
        lo = xp.floor(pos).astype(xp.int64)
        hi = xp.ceil(pos).astype(xp.int64)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = xp.round(pos).astype(xp.int64)
        a = gather(moved, moved.ndim - 1, lo)
        if interpolation in ("linear", "midpoint"):
            w = xp.full(pos.shape, 0.5, x.dtype) if interpolation == "midpoint" else pos - lo
            a = lerp(a, gather(moved, moved.ndim - 1, hi),
                     Tensor._from_op(B.asarray_like(w.astype(x.dtype), input._data), None))
        a = squeeze(a, -1)
        if keepdim:
            a = reshape(a, (1,) * x.ndim) if dim is None or x.ndim == 0 else expand_dims(a, d)
        out.append(a)
    return out[0] if qs.ndim == 0 else stack(out, 0)


def _to_last(t, d):
    if d == t.ndim - 1:
        return t
    from .shape import movedim
    return movedim(t, d, -1)


@tensor_method
@autocast_op("quantile")
def quantile(input, q, dim=None, keepdim: bool = False, *,  # noqa: A002
             interpolation: str = "linear"):
    """The q-quantiles of input (flattened, or along ``dim``): sorted values interpolated at
    position q·(n−1); NaN if any value is NaN. A 1-d q adds a leading dimension."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@tensor_method
@autocast_op("nanquantile")
def nanquantile(input, q, dim=None, keepdim: bool = False, *,  # noqa: A002
                interpolation: str = "linear"):
    """:func:`quantile` of the values that are not NaN (NaN where all are)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ------------------------------------------------------------------------- counting
@tensor_method
def unique(input, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim=None):
    """The distinct values (sorted), with the inverse map and counts on request."""
    refuse_complex("unique", input, reason=ORDER)
    x = _arr(input)
    axis = None if dim is None else _wrap(dim, x.ndim, "unique")
    values, inverse, counts = xp.unique(x, return_inverse=True, return_counts=True, axis=axis)
    out = [_result(values, input)]
    if return_inverse:
        inv = inverse.reshape(x.shape) if axis is None else inverse.reshape(-1)
        out.append(_int(inv, input))
    if return_counts:
        out.append(_int(counts, input))
    return out[0] if len(out) == 1 else tuple(out)


@tensor_method
def unique_consecutive(input, return_inverse: bool = False,  # noqa: A002
                       return_counts: bool = False, dim=None):
    """Runs of equal consecutive values (or slices along ``dim``) collapsed to one."""
    refuse_complex("unique_consecutive", input, reason=ORDER)
    x = _arr(input)
    if dim is None:
        flat = x.reshape(-1)
        new = xp.ones(flat.shape, dtype=bool)
        new[1:] = flat[1:] != flat[:-1]
        values = flat[new]
        inverse = (xp.cumsum(new) - 1).reshape(x.shape)
    else:
        d = _wrap(dim, x.ndim, "unique_consecutive")
        if builtins.any(n == 0 for a, n in enumerate(x.shape) if a != d):
            raise RuntimeError("unique_consecutive(): There are 0 sized dimensions, and they "
                               "aren't selected, so unique cannot be applied")
        m = xp.moveaxis(x, d, 0).reshape(x.shape[d], -1) if x.shape[d] else \
            xp.zeros((0, 1), dtype=x.dtype)
        new = xp.ones(m.shape[0], dtype=bool)
        new[1:] = (m[1:] != m[:-1]).any(axis=1)
        values = xp.compress(new, x, axis=d)
        inverse = xp.cumsum(new) - 1
    starts = xp.flatnonzero(new)
    counts = xp.diff(xp.append(starts, new.size))
    out = [_result(values, input)]
    if return_inverse:
        out.append(_int(inverse, input))
    if return_counts:
        out.append(_int(counts, input))
    return out[0] if len(out) == 1 else tuple(out)


@tensor_method
def bincount(input, weights=None, minlength: int = 0):  # noqa: A002
    """Counts of each non-negative integer in a 1-d tensor (sums of weights, when given)."""
    x = _arr(input)
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise RuntimeError(f"bincount(): only 1-d non-negative integral inputs are supported, "
                           f"got shape {x.shape} and dtype {x.dtype}")
    if x.size and x.min() < 0:
        raise RuntimeError("bincount(): input must be non-negative")
    if weights is None:
        return _int(xp.bincount(x, minlength=minlength), input)
    w = _arr(weights)
    dtype = w.dtype if w.dtype.kind == "f" else xp.float64
    out = xp.bincount(x, weights=w.astype(xp.float64), minlength=minlength).astype(dtype)
    return _result(out, input)


@tensor_method
def histc(input, bins: int = 100, min=0, max=0):  # noqa: A002
    """Counts in ``bins`` equal bins over [min, max] (the data's range when min = max); values
    outside are ignored, the value max falls in the last bin."""
    x = _arr(input)
    if x.dtype.kind != "f":
        raise RuntimeError(f"histc(): not implemented for {x.dtype}")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc(): max must be larger than min, got min={min}, max={max}")
    flat = x.reshape(-1).astype(xp.float64)
    inside = flat[(flat >= lo) & (flat <= hi)]
    b = ((inside - lo) * bins / (hi - lo)).astype(xp.int64)
    b = xp.minimum(b, bins - 1)
    return _result(xp.bincount(b, minlength=bins).astype(x.dtype), input)


def histogram(input, bins=100, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """Counts of the values in bins: ``bins`` equal bins over ``range`` (the data's min and max
    when None; ±0.5 around a single value), or the bins between the edges of a 1-d tensor.
    A value belongs to the bin [eᵢ, eᵢ₊₁) — the last bin includes its right edge; values outside
    the edges (and NaN) are not counted. ``weight``: each value counts its weight instead of 1.
    ``density``: counts divided by (total · bin width), so the histogram integrates to 1.
    Returns (hist, bin_edges), both in input's floating dtype, as PyTorch's: the 1-dimensional
    :func:`~chainrule.ops.histogram_dd.histogramdd` (as in PyTorch)."""
    from .histogram_dd import histogramdd

    if weight is not None:
        weight = reshape(weight, (-1,))
    hist, edges = histogramdd(reshape(input, (-1, 1)), [bins], range=range, weight=weight,
                              density=density)
    return return_types.histogram(hist, edges[0])


Tensor.histogram = histogram


def searchsorted(sorted_sequence, input, *, out_int32: bool = False,  # noqa: A002
                 right: bool = False, side: str | None = None, sorter=None):
    """For each value, the index where it would be inserted into the sorted innermost dim of
    ``sorted_sequence`` (left: first position with seq ≥ v; right: first with seq > v)."""
    seq = _arr(sorted_sequence)
    scalar = not isinstance(input, Tensor)
    v = xp.asarray(input) if scalar else _arr(input)
    if seq.size and v.size:     # (PyTorch answers empty complex tensors)
        refuse_complex("searchsorted", seq, v, reason=ORDER)
    if side is not None:
        right = side == "right"
    if sorter is not None:
        seq = xp.take_along_axis(seq, _arr(sorter), axis=-1)
    if seq.ndim == 1:
        out = xp.searchsorted(seq, v, side="right" if right else "left")
    else:
        if scalar or v.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"searchsorted(): boundaries {seq.shape} and input {v.shape} "
                               "must have the same leading dimensions")
        cmp = seq[..., None, :] <= v[..., :, None] if right else \
            seq[..., None, :] < v[..., :, None]
        out = cmp.sum(axis=-1)
    return _result(xp.asarray(out, dtype=xp.int32 if out_int32 else xp.int64),
                   sorted_sequence if isinstance(sorted_sequence, Tensor) else input)


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False):  # noqa: A002
    """The bucket of each value: i with boundaries[i−1] < v ≤ boundaries[i] (right=True:
    boundaries[i−1] ≤ v < boundaries[i])."""
    if _arr(boundaries).ndim != 1:
        raise RuntimeError("bucketize(): boundaries tensor must be 1 dimension")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)



# ------------------------------------------------------------------------- paired reductions
@tensor_method
def aminmax(input, *, dim=None, keepdim: bool = False):  # noqa: A002
    """(min, max) over all elements or along ``dim``."""
    if _arr(input).size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty tensor")
    return return_types.aminmax(_reduce.amin(input, dim, keepdim), _reduce.amax(input, dim,
                                                                               keepdim))


def _correction(correction, unbiased):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *,  # noqa: A002
             correction=None):
    """(variance, mean) over ``dim`` (all when None), variance with ``correction`` (default 1)."""
    if isinstance(unbiased, (int, tuple, list)) and not isinstance(unbiased, bool):
        dim, unbiased = unbiased, None
    c = _correction(correction, unbiased)
    return (_reduce.var(input, dim, keepdim, correction=c), _reduce.mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *,  # noqa: A002
             correction=None):
    """(standard deviation, mean) over ``dim``, with ``correction`` (default 1)."""
    if isinstance(unbiased, (int, tuple, list)) and not isinstance(unbiased, bool):
        dim, unbiased = unbiased, None
    c = _correction(correction, unbiased)
    return (_reduce.std(input, dim, keepdim, correction=c), _reduce.mean(input, dim, keepdim))


def logsumexp(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A002
    """log Σ exp over ``dim`` (PyTorch's argument names; NumPy's accepted)."""
    return _reduce.logsumexp(input, dim if axis is None else axis,
                             keepdim if keepdims is None else keepdims)
