"""Creating tensors: from data, constant-filled, ranges, and random (from the seeded generator)."""
from __future__ import annotations

import sys

from .. import backend, layouts
from .. import random as _random
from ..autograd import function as _function
from ..backend import xp
from ..tensor import Tensor, check_number_fits
from .rounding import fused_multiply_add

_tensor_module = sys.modules[Tensor.__module__]     # (chainrule.tensor is also a function)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _make(array, requires_grad: bool) -> Tensor:
    t = Tensor._from_op(array, None)
    made = _tensor_module._made_while_tracing
    if made is not None:        # a constant (zeros, arange, …): a compiled trace may keep it
        made.pop(id(t), None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float(dtype):
    return backend.get_default_dtype() if dtype is None else xp.dtype(dtype)


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor holding a copy of ``data`` (numbers, nested lists, an array or a tensor)."""
    source = data._data if isinstance(data, Tensor) else data
    data = source.copy() if isinstance(source, xp.ndarray) else source
    t = Tensor._make(data, dtype=dtype, requires_grad=requires_grad)
    made = _tensor_module._made_while_tracing
    if made is not None and isinstance(source, xp.ndarray):     # a copy: of a traced value?
        made[id(t)] = (t, source)
    return t


def as_tensor(data, dtype=None) -> Tensor:
    """Like :func:`tensor` but shares memory with an array of the right dtype."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    return Tensor._make(data, dtype=dtype)


from_numpy = as_tensor


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.zeros(_size(size), dtype=_float(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.ones(_size(size), dtype=_float(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.empty(_size(size), dtype=_float(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    size = (size,) if isinstance(size, int) else tuple(size)
    if dtype is None and isinstance(fill_value, bool):
        dtype = xp.bool_
    elif dtype is None and isinstance(fill_value, int):
        dtype = xp.int64
    elif dtype is None and isinstance(fill_value, complex):   # the default float's complex
        dtype = xp.promote_types(backend.get_default_dtype(), xp.complex64)
    dtype = _float(dtype)
    fill_value = check_number_fits(fill_value, dtype)
    return _make(xp.full(size, fill_value, dtype=dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is None and all(isinstance(v, int) for v in (start, end, step)):
        dtype = xp.int64
    dtype = _float(dtype)
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange(): upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    # PyTorch's size ⌈(end − start)/step⌉ and values start + i·step, computed in double
    wide = xp.int64 if dtype.kind in "iu" and all(isinstance(v, int) for v in (start, end, step)) \
        else xp.float64
    return _make(xp.arange(start, end, step, dtype=wide).astype(dtype), requires_grad)


def evenly_spaced(start, end, steps: int, dtype):
    """PyTorch's linspace values in ``dtype`` (float32 or float64): step = (end − start)/(steps − 1)
    in that dtype; the first half start + step·i and the second half end − step·(steps − 1 − i),
    each one fused multiply-add (as PyTorch's CPU kernel compiles them), so both ends are exact
    and every value is PyTorch's to the bit. Other dtypes: NumPy's linspace."""
    dtype = xp.dtype(dtype)
    if dtype not in (xp.float32, xp.float64) or steps < 2:
        return xp.linspace(start, end, steps, dtype=dtype)
    f = dtype.type
    lo, hi = f(start), f(end)
    step = (hi - lo) / f(steps - 1)
    i = xp.arange(steps, dtype=xp.float64)
    half = i < steps // 2
    k = xp.where(half, i, steps - 1 - i)
    step64 = xp.where(half, xp.float64(step), -xp.float64(step))
    base = xp.where(half, xp.float64(lo), xp.float64(hi))
    return fused_multiply_add(step64, k, base, dtype)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end, computed as PyTorch does
    (:func:`evenly_spaced`); for an integer dtype the ends are truncated to integers, the values
    computed in float64 and truncated toward zero, as PyTorch does (NumPy would floor)."""
    dtype = _float(dtype)
    if dtype.kind in "iu":          # the ends are first converted to the integer dtype
        start, end = int(start), int(end)
    values = evenly_spaced(start, end, steps, xp.float64 if dtype.kind in "iub" else dtype)
    if dtype.kind in "iu":
        values = xp.trunc(values)
    return _make(values.astype(dtype, copy=False), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.eye(n, m, dtype=_float(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), drawn as PyTorch draws it from the default generator (or
    ``generator``, a :class:`chainrule.Generator`): the same numbers for the same seed."""
    dtype = _float(dtype)
    if _function.batching is not None:      # inside chainrule.func.vmap: its randomness mode
        return _vmap_draw(lambda g, s: g.uniform_(s, dtype), _size(size), generator,
                          requires_grad)
    values = _random.resolve(generator).uniform_(_size(size), dtype)
    return _make(values, requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal N(0, 1), drawn as PyTorch draws it (see :func:`rand`)."""
    dtype = _float(dtype)
    if _function.batching is not None:      # inside chainrule.func.vmap: its randomness mode
        return _vmap_draw(lambda g, s: g.normal_(s, dtype), _size(size), generator,
                          requires_grad)
    values = _random.resolve(generator).normal_(_size(size), dtype)
    return _make(values, requires_grad)


def randint(low, high=None, size=(), *, generator=None, dtype=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high) (PyTorch's ``randint(low=0, high, size)``), drawn as
    PyTorch draws them (see :func:`rand`)."""
    if isinstance(high, (tuple, list)):  # PyTorch's randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    size = (size,) if isinstance(size, int) else tuple(size)
    dtype = xp.int64 if dtype is None else xp.dtype(dtype)
    if _function.batching is not None:      # inside chainrule.func.vmap: its randomness mode
        return _vmap_draw(lambda g, s: g.random_(s, dtype, int(low), int(high)), size,
                          generator, requires_grad)
    values = _random.resolve(generator).random_(size, dtype, int(low), int(high))
    return _make(values, requires_grad)


def _vmap_draw(make, shape, generator, requires_grad) -> Tensor:
    from ..func.randomness import draw

    return draw(make, tuple(shape), generator, requires_grad)


def _like(fn, x, dtype, requires_grad, *args):
    dtype = x.dtype if dtype is None else dtype
    out = fn(x.shape, *args, dtype=dtype, requires_grad=requires_grad)
    # PyTorch's *_like keep x's memory layout (preserve_format), filled in memory order
    return layouts.relaid(out, layouts.like, x._data) if isinstance(x, Tensor) else out


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(zeros, x, dtype, requires_grad)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(ones, x, dtype, requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    dtype = x.dtype if dtype is None else dtype
    out = full(x.shape, fill_value, dtype=dtype, requires_grad=requires_grad)
    return layouts.relaid(out, layouts.like, x._data) if isinstance(x, Tensor) else out


def rand_like(x, dtype=None, requires_grad: bool = False, *, generator=None) -> Tensor:
    dtype = x.dtype if dtype is None else dtype
    out = rand(x.shape, generator=generator, dtype=dtype, requires_grad=requires_grad)
    return layouts.relaid(out, layouts.like, x._data) if isinstance(x, Tensor) else out


def randn_like(x, dtype=None, requires_grad: bool = False, *, generator=None) -> Tensor:
    """Standard normals laid out as ``x`` (preserve_format). PyTorch fills a result that is not
    row-major element by element in memory order (the cached Box–Muller pairs, not the 16-block
    fill of a contiguous tensor), so such a result is drawn that way here too."""
    dtype = x.dtype if dtype is None else dtype
    if isinstance(x, Tensor) and _function.batching is None and type(x._data) is xp.ndarray \
            and x._data.size >= 16 and \
            not layouts.like(xp.empty(x._data.shape, xp.bool_), x._data).flags.c_contiguous:
        values = _random.resolve(generator).normal_(tuple(x.shape), xp.dtype(dtype),
                                                    contiguous=False)
        out = _make(values, requires_grad)
    else:
        out = randn(x.shape, generator=generator, dtype=dtype, requires_grad=requires_grad)
    return layouts.relaid(out, layouts.like, x._data) if isinstance(x, Tensor) else out
