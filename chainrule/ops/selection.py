"""Selecting and writing along a dimension, with PyTorch's signatures: scatter, scatter_add,
scatter_reduce, index_select/add/copy/fill, masked_fill/select/scatter, take, put, nonzero,
argwhere, where and count_nonzero.

Every differentiable function here is a composite of getitem (whose backward scatter-adds the
gradient), index_put (whose backward zeroes the overwritten positions) and the scatter-add
primitive (getitem's adjoint, whose backward gathers), so none needs a derivative of its own:

    scatter:      y = x;  y[i₀…, index[i], …] = src[i]     ∂L/∂src = gather(g, index)
    scatter_add:  y = x + Σ src scattered at index          ∂L/∂x = g, ∂L/∂src = gather(g, index)
"""
from __future__ import annotations

import builtins

from .. import backend as B
from .. import layouts
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ..backend import xp
from ..tensor import Tensor, check_number_fits, tensor_method
from . import elementwise as _ew
from .indexing import _gather_index, getitem, index_put
from .movement import ScatterAdd, broadcast_to, reshape


def _arr(x):
    return x._data if isinstance(x, Tensor) else xp.asarray(x)


def _wrap(dim: int, ndim: int, op: str) -> int:
    """``dim`` in [0, ndim) with PyTorch's range check (a 0-d tensor accepts -1 and 0)."""
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}(): Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


def _host_index(idx):
    """An index array of another library read on the host: the positions of the scatter and
    index_* families are worked out with NumPy (the standard has no scatter); the values they
    move stay in their library."""
    return B.to_numpy(idx) if type(idx) is not xp.ndarray and B.is_foreign_array(idx) else idx


def _index(index, op: str):
    idx = _host_index(_arr(index))
    if idx.dtype != xp.int64:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {idx.dtype}")
    return idx


def _const(value, dtype, like=None):
    """A number or a tensor as a Tensor of ``dtype`` (numbers are cast as PyTorch casts them),
    a number in the library of the array ``like`` when given."""
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else value.astype(dtype)
    value = check_number_fits(value, dtype)
    return Tensor._make(B.asarray_like(xp.asarray(value, dtype=dtype), like))


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor._make(x)


# ------------------------------------------------------------------------- scatter family
def _scatter_setup(input, dim, index, src, op):  # noqa: A002
    """(input as ≥1-d, dim, the advanced index of every position of ``index``, src cut to
    index's shape or None, a function restoring a 0-d result)."""
    idx = _index(index, op)
    zero_d = input.ndim == 0
    if idx.ndim != builtins.max(input.ndim, idx.ndim) and not (zero_d and idx.ndim <= 1):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"self tensor ({input.ndim}), got {idx.ndim}")
    if zero_d:
        input = reshape(input, (1,))
        idx = idx.reshape(-1)
        if isinstance(src, Tensor):
            src = reshape(src, (-1,))
    dim = _wrap(dim, input.ndim, op)
    if idx.ndim != input.ndim:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"self tensor ({input.ndim}), got {idx.ndim}")
    for d in range(idx.ndim):
        if d != dim and idx.shape[d] > input.shape[d]:
            raise RuntimeError(f"{op}(): Size does not match at dimension {d}: index "
                               f"{tuple(idx.shape)}, self {tuple(input.shape)}")
        if isinstance(src, Tensor) and idx.shape[d] > src.shape[d]:
            raise RuntimeError(f"{op}(): Expected index {tuple(idx.shape)} to be smaller than "
                               f"src {tuple(src.shape)} apart from dimension {dim}")
    size = input.shape[dim]
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexError(f"{op}(): index {int(idx.max())} is out of bounds for dimension {dim} "
                         f"with size {size}")
    where = _gather_index(idx % builtins.max(size, 1), dim)
    if isinstance(src, Tensor) and tuple(src.shape) != tuple(idx.shape):
        src = getitem(src, tuple(builtins.slice(0, n) for n in idx.shape))
    return input, dim, where, idx, src, (lambda y: reshape(y, ())) if zero_d else (lambda y: y)


@tensor_method(inplace=True)
def scatter(input, dim: int, index, src=None, value=None, *, reduce=None):  # noqa: A002
    """``y = input`` with ``y[index[i][j]][j] = src[i][j]`` (dim 0; likewise for other dims).

    ``src`` may be a tensor or a number (PyTorch's ``value`` overload). ``reduce='add'`` or
    ``'multiply'`` combines instead of overwriting. The gradient of src is g gathered at index;
    the overwritten positions of input get none.
    """
    if src is None:
        src = value
    if reduce is not None:
        modes = {"add": "sum", "multiply": "prod"}
        if reduce not in modes:
            raise RuntimeError(f"scatter(): reduce argument must be 'add' or 'multiply', "
                               f"got {reduce!r}")
        if not isinstance(src, Tensor):
            src = Tensor._make(xp.full(_arr(index).shape, src, dtype=input.dtype))
        return scatter_reduce(input, dim, index, src, modes[reduce])
    base, dim, where, idx, src_, restore = _scatter_setup(input, dim, index, src, "scatter")
    if idx.size == 0:
        return restore(base.clone())
    value_ = _const(src_, base.dtype) if not isinstance(src_, Tensor) else src_
    if isinstance(src_, Tensor) and src_.dtype != base.dtype:
        raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype, got "
                           f"{base.dtype} and {src_.dtype}")
    return restore(index_put(base, where, value_))


def _scatter_sum(shape, where, src):
    """Zeros of ``shape`` with src added at ``where`` (repeated positions accumulate)."""
    return ScatterAdd.apply(src, shape=tuple(shape), index=where, basic=False)


@tensor_method(inplace=True)
def scatter_add(input, dim: int, index, src):  # noqa: A002
    """``y = input``; ``y[index[i][j]][j] += src[i][j]`` (dim 0). ∂L/∂input = g,
    ∂L/∂src = gather(g, dim, index)."""
    base, dim, where, idx, src_, restore = _scatter_setup(input, dim, index, src, "scatter_add")
    if idx.size == 0:
        return restore(base.clone())
    return restore(base + _scatter_sum(base.shape, where, src_))


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _reduce_forward(x, where, s, reduce, include_self):
    """scatter_reduce on arrays: (result, count of contributions per position, touched mask)."""
    touched = xp.zeros(x.shape, dtype=bool)
    touched[where] = True
    count = xp.zeros(x.shape, dtype=xp.int64)
    xp.add.at(count, where, 1)
    if include_self:
        count = count + 1
    out = x.copy()
    if reduce in ("sum", "mean"):
        if not include_self:
            out[touched] = 0
        xp.add.at(out, where, s)
        if reduce == "mean":
            safe = xp.maximum(count, 1)
            out = out // safe if out.dtype.kind in "iub" else out / safe
            out = xp.where(touched, out, x).astype(x.dtype)
    elif reduce == "prod":
        if not include_self:
            out[touched] = 1
        xp.multiply.at(out, where, s)
    else:
        if not include_self:
            info = xp.finfo(x.dtype) if x.dtype.kind == "f" else xp.iinfo(x.dtype)
            out[touched] = info.min if reduce == "amax" else info.max
        (xp.maximum if reduce == "amax" else xp.minimum).at(out, where, s)
    return out, count, touched


@tensor_method(inplace=True)
def scatter_reduce(input, dim: int, index, src, reduce: str, *,  # noqa: A002
                   include_self: bool = True):
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` with 'sum', 'prod', 'mean', 'amax'
    or 'amin'; ``include_self=False`` leaves input's own values out at the positions written to.

    Gradients as PyTorch: sum → g and gather(g); mean → g/count; amax/amin → g shared evenly
    among every value equal to the result; prod → g · (product of the other factors).
    The prod and amax/amin gradients are first-order (their weights are held constant).
    """
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce(): reduce argument must be one of {_REDUCTIONS}, "
                           f"got {reduce!r}")
    base, dim, where, idx, src_, restore = _scatter_setup(input, dim, index, src,
                                                          "scatter_reduce")
    if idx.size == 0:
        return restore(base.clone())
    x, s = base._data, src_._data
    like = None
    if type(x) is not xp.ndarray and B.is_foreign_array(x):
        # the standard has no scatter (no ufunc.at): the reductions and their weights are
        # computed on the host, an explicit round trip as backend.special_function's, and
        # moved back; the graph (the scatter-sums of src) stays in the input's library
        like, x, s = x, B.to_numpy(x), B.to_numpy(s)

    def moved(a):
        return a if like is None else B.asarray_like(a, like)

    out, count, touched = _reduce_forward(x, where, s, reduce, include_self)
    keep = xp.where(touched, 1.0 if include_self else 0.0, 1.0).astype(x.dtype)
    if reduce == "sum":
        return restore(base * moved(keep) + _scatter_sum(x.shape, where, src_))
    if reduce == "mean" and x.dtype.kind == "f":
        total = base * moved(keep) + _scatter_sum(x.shape, where, src_)
        return restore(total / moved(xp.maximum(count, 1).astype(x.dtype)))
    result = Tensor._from_op(moved(out), None)
    if x.dtype.kind != "f" or not (base.requires_grad or src_.requires_grad):
        return restore(result)
    # the first-order weights ∂y/∂x (self) and ∂y/∂src (gathered at index)
    at = out[where]
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if reduce == "prod":
            w_self, w_src = _prod_weights(x, s, where, out, include_self)
        else:
            # PyTorch's: the gradient shared evenly among the values equal to the result; a
            # result no value equals (a NaN) shares it among none: g/0 times 0, NaN
            ties = (x == out) * keep
            tie_count = ties.copy()
            xp.add.at(tie_count, where, (s == at).astype(x.dtype))
            share = xp.where(tie_count == 0, xp.nan, 1 / tie_count)
            w_self, w_src = ties * share, (s == at) * share[where]
        w_self = xp.where(keep == 0, 0.0, w_self)           # (0, not 0·NaN: self left out)
    w_self = moved(xp.where(touched, w_self, 1.0).astype(x.dtype))
    with xp.errstate(invalid="ignore", over="ignore"):     # (the values of linear are unused)
        linear = base * w_self + _scatter_sum(x.shape, where, src_ * moved(w_src.astype(x.dtype)))
        if reduce == "prod":   # its weights depend on the inputs: no exact second derivative here
            linear = _FirstOrderOnly.apply(linear)
        return restore(_ValueWithGradientOf.apply(linear, value=result._data))


def _prod_weights(x, s, where, out, include_self):
    """∂y/∂self and ∂y/∂src of scatter_reduce 'prod' at each position, in PyTorch's form:
    the result divided by the factor, except for a zero factor, whose weight is the product of
    the others when it is its position's only zero among src (and for self, of src), else 0."""
    ones_for_zeros = xp.where(x == 0, 1, x)
    others_of_self = ones_for_zeros.copy()      # the product with self's own zero taken as 1
    xp.multiply.at(others_of_self, where, s)
    w_self = xp.where(x == 0, others_of_self, out / x)
    src_zero = s == 0
    zeros = xp.zeros(x.shape, dtype=xp.int64)
    xp.add.at(zeros, where, src_zero.astype(xp.int64))
    single = src_zero & (zeros[where] == 1)
    others_of_src = (x if include_self else xp.ones_like(x)).copy()
    xp.multiply.at(others_of_src, where, xp.where(single, 1, s))
    w_src = xp.where(single, others_of_src[where], out[where] / xp.where(src_zero, 1, s))
    return w_self, w_src


class _ValueWithGradientOf(Function):
    """y = ``value`` (an array computed beside the graph), with the gradient of x, a linear
    function of the inputs built to have the right gradient (scatter_reduce's amax, amin, prod):
    unlike y = value + (x − x.detach()), an infinite x (∞ − ∞ = NaN) cannot reach y's values.

    Forward:     y = value
    VJP:         ∂L/∂x = g
    """

    name = "value_with_gradient_of"
    array_api = True            # (no array function at all)

    @staticmethod
    def forward(ctx, x, value=None):
        return value

    @staticmethod
    def vjp(ctx, g):
        return g


class _FirstOrderOnly(Function):
    """The identity, whose gradient is exact only to first order (scatter_reduce 'prod' builds
    its gradient from weights held constant). The engine refuses to differentiate through it with
    ``create_graph=True``, so a second derivative is never silently wrong.

    Forward:     y = x
    VJP:         ∂L/∂x = g
    """

    name = "scatter_reduce_prod_first_order"
    twice_differentiable = False
    array_api = True            # (the identity: no array function at all)

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def vjp(ctx, g):
        return g


# ------------------------------------------------------------------------- index_* family
def _index_setup(input, dim, index, op):  # noqa: A002
    idx = _host_index(_arr(index))
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {idx.dtype}")
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got {idx.ndim} dimensions")
    idx = idx.reshape(-1)
    zero_d = input.ndim == 0
    dim = _wrap(dim, input.ndim, op)
    base = reshape(input, (1,)) if zero_d else input
    size = base.shape[dim]
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexError(f"{op}(): index out of range in self (dimension {dim} has size {size}, "
                         f"got index {int(idx.max()) if idx.max() >= size else int(idx.min())})")
    where = (builtins.slice(None),) * dim + (idx % builtins.max(size, 1),)
    return base, dim, where, zero_d


@tensor_method
def index_select(input, dim: int, index):  # noqa: A002
    """The slices ``input[..., index[k], ...]`` along ``dim`` (index a 1-d integer tensor)."""
    base, dim, where, zero_d = _index_setup(input, dim, index, "index_select")
    out = layouts.relaid(getitem(base, where))      # PyTorch's index_select: row-major
    return reshape(out, ()) if zero_d else out


def _source(source, base, dim, n, op):
    """``source`` with the shape of base, ``n`` along ``dim`` (a 0-d source fits 1 position)."""
    src = _as_tensor(source)
    want = list(base.shape)
    want[dim] = n
    if tuple(src.shape) == tuple(want):
        return src
    if src.ndim <= 1 and len(want) == 1 and src.numel() == n:
        return reshape(src, tuple(want))
    raise RuntimeError(f"{op}(): source has shape {tuple(src.shape)}, expected {tuple(want)} "
                       f"(self's shape with dimension {dim} of the index's length {n})")


@tensor_method(inplace=True)
def index_add(input, dim: int, index, source, *, alpha=1):  # noqa: A002
    """``y = input``; ``y[..., index[k], ...] += alpha · source[..., k, ...]`` along ``dim``."""
    base, dim, where, zero_d = _index_setup(input, dim, index, "index_add")
    src = _source(source, base, dim, where[-1].size, "index_add")
    if alpha != 1:
        src = src * alpha
    out = base + _scatter_sum(base.shape, where, src)
    return reshape(out, ()) if zero_d else out


_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


@tensor_method(inplace=True)
def index_reduce(input, dim: int, index, source, reduce: str, *,  # noqa: A002
                 include_self: bool = True):
    """``y = input``; ``y[..., index[k], ...]`` reduced with ``source[..., k, ...]`` along ``dim``
    by 'prod', 'mean', 'amax' or 'amin' (``include_self=False``: input's own values left out where
    written to). scatter_reduce with the index repeated across source's other axes, so its
    values and gradients are scatter_reduce's."""
    if reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    idx = _host_index(_arr(index)).reshape(-1)
    if idx.size and idx.min() < 0:
        raise IndexError(f"index_reduce(): index out of range in self (got index "
                         f"{int(idx.min())}; negative indices are not allowed here)")
    base, dim, where, zero_d = _index_setup(input, dim, index, "index_reduce")
    src = _source(source, base, dim, where[-1].size, "index_reduce")
    shape = [1] * base.ndim
    shape[dim] = -1
    if where[-1].size == 0:         # nothing written: input's values; source's gradient empty
        out = _ValueWithGradientOf.apply(base + src.sum(), value=B.copy(base._data))
        return reshape(out, ()) if zero_d else out
    spread = xp.ascontiguousarray(xp.broadcast_to(where[-1].reshape(shape), tuple(src.shape)))
    out = scatter_reduce(base, dim, Tensor._make(spread), src, reduce,
                         include_self=include_self)
    if (reduce in ("amax", "amin") and not include_self and base.dtype.kind == "f"
            and (base.requires_grad or src.requires_grad)):
        out = _extremes_left_out_gradient(base, src, out, _gather_index(spread, dim))
    return reshape(out, ()) if zero_d else out


def _extremes_left_out_gradient(base, src, out, where):
    """index_reduce 'amax'/'amin' with include_self=False, with PyTorch's gradient: the share of
    each value equal to the result is g/N where N counts self's value too when it equals the
    result, although self was left out (PyTorch's index_reduce backward; its scatter_reduce does
    not count it). Self's own gradient is 0 at the positions written to, g elsewhere."""
    x, s, r = B.to_numpy(base._data), B.to_numpy(src._data), B.to_numpy(out._data)
    self_is = (x == r).astype(x.dtype)
    src_is = (s == r[where]).astype(x.dtype)
    count = self_is.copy()
    xp.add.at(count, where, src_is)
    touched = xp.zeros(x.shape, dtype=bool)
    touched[where] = True
    with xp.errstate(divide="ignore", invalid="ignore"):
        w_self = xp.where(touched, 0.0, self_is / count).astype(x.dtype)
        w_src = (src_is / count[where]).astype(x.dtype)
    like = base._data
    linear = (base * Tensor._make(B.asarray_like(w_self, like))
              + _scatter_sum(x.shape, where, src * Tensor._make(B.asarray_like(w_src, like))))
    return _ValueWithGradientOf.apply(linear, value=out._data)


@tensor_method(inplace=True)
@autocast_op("index_copy")
def index_copy(input, dim: int, index, source):  # noqa: A002
    """``y = input``; ``y[..., index[k], ...] = source[..., k, ...]`` along ``dim``."""
    base, dim, where, zero_d = _index_setup(input, dim, index, "index_copy")
    src = _source(source, base, dim, where[-1].size, "index_copy")
    out = index_put(base, where, src)
    return reshape(out, ()) if zero_d else out


@tensor_method(inplace=True)
def index_fill(input, dim: int, index, value):  # noqa: A002
    """``y = input``; ``y[..., index[k], ...] = value`` along ``dim`` (value a number or a 0-d
    tensor, which then receives the summed gradient of the filled positions)."""
    base, dim, where, zero_d = _index_setup(input, dim, index, "index_fill")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"index_fill(): only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s)")
    out = index_put(base, where, _const(value, base.dtype, base._data))
    return reshape(out, ()) if zero_d else out


# ------------------------------------------------------------------------- masks
def _mask(mask, op):
    m = _arr(mask)
    if B.numpy_dtype(m.dtype) != xp.bool_:
        raise RuntimeError(f"{op}(): expected a boolean mask, got {B.numpy_dtype(m.dtype)}")
    return m


@tensor_method(inplace=True)
def masked_fill(input, mask, value):  # noqa: A002
    """``value`` where ``mask`` holds, else ``input`` (mask and input broadcast together; value a
    number or a 0-d tensor, cast to input's dtype)."""
    m = _mask(mask, "masked_fill")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"masked_fill(): only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s)")
    out = _ew.where(m, _const(value, input.dtype, input._data), input)
    return layouts.relaid(out)      # PyTorch fills a row-major clone


@tensor_method
def masked_select(input, mask):  # noqa: A002
    """The 1-d tensor of the elements of input where mask holds (both broadcast together)."""
    m = _mask(mask, "masked_select")
    shape = xp.broadcast_shapes(m.shape, tuple(input.shape))
    x = input if tuple(input.shape) == shape else broadcast_to(input, shape)
    x = reshape(x, (-1,))
    return getitem(x, xp.broadcast_to(m, shape).reshape(-1))


@tensor_method(inplace=True)
def masked_scatter(input, mask, source):  # noqa: A002
    """``input`` with its masked positions (in row-major order) taking source's first values."""
    m = _mask(mask, "masked_scatter")
    shape = tuple(input.shape)
    mb = xp.broadcast_to(m, shape)
    n = int(mb.sum())
    flat = reshape(source, (-1,))
    if flat.shape[0] < n:
        raise RuntimeError(f"masked_scatter(): the mask has {n} true positions but source has "
                           f"only {flat.shape[0]} elements")
    out = index_put(reshape(input, (-1,)), xp.ascontiguousarray(mb).reshape(-1),
                    getitem(flat, builtins.slice(0, n)))
    return reshape(out, shape)


# ------------------------------------------------------------------------- flat indices
@tensor_method
def take(input, index):  # noqa: A002
    """``input`` read as a 1-d tensor at ``index`` (the result has index's shape)."""
    idx = _host_index(_arr(index))
    n = input.numel()
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"take(): index out of range: tried to access index "
                         f"{int(idx.max()) if idx.max() >= n else int(idx.min())} on a tensor "
                         f"of {n} elements")
    return getitem(reshape(input, (-1,)), idx % builtins.max(n, 1))


@tensor_method(inplace=True)
def put(input, index, source, accumulate: bool = False):  # noqa: A002
    """``input`` read as 1-d with ``flat[index] = source`` (or ``+=`` with accumulate)."""
    idx = _host_index(_arr(index)).reshape(-1)
    n = input.numel()
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"put(): index out of range for a tensor of {n} elements")
    src = reshape(_as_tensor(source), (-1,))
    where = (idx % builtins.max(n, 1),)
    flat = reshape(input, (-1,))
    out = flat + _scatter_sum((n,), where, src) if accumulate else index_put(flat, where, src)
    return reshape(out, tuple(input.shape))


# ------------------------------------------------------------------------- nonzero, where
@tensor_method
def nonzero(input, *, as_tuple: bool = False):  # noqa: A002
    """Indices of the nonzero elements: an int64 tensor (n, ndim), or one 1-d tensor per dim."""
    x = _arr(input)
    if type(x) is not xp.ndarray and B.is_foreign_array(x):
        return _nonzero_standard(x, as_tuple)
    if as_tuple:
        parts = xp.nonzero(x.reshape(1) if x.ndim == 0 else x)
        return tuple(Tensor._from_op(p.astype(xp.int64), None) for p in parts)
    return Tensor._from_op(xp.argwhere(x).astype(xp.int64), None)


def _nonzero_standard(x, as_tuple: bool):
    """nonzero of another library's array with the standard's ``nonzero`` (int64 indices)."""
    ns = B.namespace(x)
    parts = ns.nonzero(ns.reshape(x, (1,)) if x.ndim == 0 else x)
    parts = [ns.astype(p, ns.int64) for p in parts]
    if as_tuple:
        return tuple(Tensor._from_op(p, None) for p in parts)
    stacked = ns.stack(parts, axis=1)
    return Tensor._from_op(stacked[:, :0] if x.ndim == 0 else stacked, None)   # NumPy's (n, 0)


@tensor_method
def argwhere(input):  # noqa: A002
    """Indices of the nonzero elements as an int64 tensor of shape (n, ndim)."""
    return nonzero(input)


def _scalar_dtype(value, other):
    """The dtype PyTorch gives a Python number beside ``other`` (a tensor or a number); an
    array or NumPy scalar (a fill value or drawn values, already in the tensor's dtype) keeps
    its own."""
    from .. import backend
    if isinstance(value, (xp.ndarray, xp.generic)):
        return value.dtype
    if isinstance(other, Tensor):
        k = other.dtype.kind
        if isinstance(value, bool):
            return other.dtype
        if isinstance(value, int):
            return other.dtype if k != "b" else xp.dtype(xp.int64)
        return other.dtype if k in "fc" else backend.get_default_dtype()
    kinds = [type(v) for v in (value, other)]
    if float in kinds:
        return backend.get_default_dtype()
    if int in kinds:
        return xp.dtype(xp.int64)
    return xp.dtype(xp.bool_)


def where(condition, input=None, other=None):  # noqa: A002
    """``where(condition, input, other)``: input where condition holds, else other (broadcast;
    Python numbers take PyTorch's dtypes). ``where(condition)`` is ``nonzero(condition,
    as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): expected (condition) or (condition, input, other)")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        like = condition._data if isinstance(condition, Tensor) else condition
        input, other = (Tensor._make(B.asarray_like(
                            xp.asarray(input, dtype=_scalar_dtype(input, other)), like)),
                        Tensor._make(B.asarray_like(
                            xp.asarray(other, dtype=_scalar_dtype(other, input)), like)))
    elif not isinstance(input, Tensor):
        input = Tensor._make(B.asarray_like(xp.asarray(input, dtype=_scalar_dtype(input, other)),
                                            other._data))
        other = other if other.dtype == input.dtype else other.astype(input.dtype)
    elif not isinstance(other, Tensor):
        other = Tensor._make(B.asarray_like(xp.asarray(other, dtype=_scalar_dtype(other, input)),
                                            input._data))
        input = input if input.dtype == other.dtype else input.astype(other.dtype)
    elif input._data.dtype != other._data.dtype:
        # PyTorch's promotion (float32 beside int64 stays float32, where NumPy would make
        # float64), with a differentiable cast: the standard's where takes one dtype only
        from .promotion import promote
        input, other = promote(input, other)[0]
    return _ew.where(condition, input, other)


@tensor_method(name="where")
def _where_method(self, condition, other):
    """``self.where(condition, other)`` = ``where(condition, self, other)``."""
    return where(condition, self, other)


@tensor_method
def count_nonzero(input, dim=None):  # noqa: A002
    """The number of nonzero elements (over ``dim``, an int or a tuple), as int64."""
    x = _arr(input)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dim = tuple(_wrap(d, x.ndim, "count_nonzero") for d in dims)
        if x.ndim == 0:
            dim = None
    if type(x) is not xp.ndarray and B.is_foreign_array(x):
        ns = B.namespace(x)
        return Tensor._from_op(ns.sum(ns.astype(x != 0, ns.int64), axis=dim), None)
    return Tensor._from_op(xp.asarray(xp.count_nonzero(x, axis=dim), dtype=xp.int64), None)
