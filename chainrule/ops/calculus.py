"""Finite differences and numerical integration (PyTorch's ``torch.diff``, ``torch.trapezoid``,
``torch.cumulative_trapezoid``): compositions of slicing, subtraction, products and sums, so
their derivatives follow from the chain rule.

    diff(x)_i = x_{i+1} − x_i                         (n times; ``prepend``/``append`` joined first)
    trapezoid(y, x) = Σ_i (x_{i+1} − x_i)(y_i + y_{i+1})/2
    cumulative_trapezoid(y, x)_k = Σ_{i<k} (x_{i+1} − x_i)(y_i + y_{i+1})/2
"""
from __future__ import annotations

from ..tensor import Tensor, tensor_method
from .arithmetic import add, divide, multiply, subtract
from .cumulative import cumsum
from .movement import concatenate, getitem, reshape
from .reduce import sum as _sum


def _slice(x, dim: int, start, stop):
    """x[..., start:stop, ...] along ``dim``."""
    return getitem(x, (slice(None),) * (dim % x.ndim) + (slice(start, stop), Ellipsis))


@tensor_method
def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):  # noqa: A002
    """The n-th forward difference along ``dim``: out_i = x_{i+1} − x_i, applied n times (bools
    give x_{i+1} ≠ x_i); ``prepend``/``append`` are joined to x along ``dim`` first."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = concatenate(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        if x.shape[dim] == 0:
            break
        after, before = _slice(x, dim, 1, None), _slice(x, dim, 0, -1)
        if x.dtype == bool:
            x = Tensor._from_op(after._data != before._data, None)
        else:
            x = subtract(after, before)
    return x


def _spacing(y, x, dx, dim):
    """The widths x_{i+1} − x_i along ``dim`` (a tensor broadcasting against y's pairs), or the
    number ``dx`` (1 by default)."""
    if x is None:
        return 1.0 if dx is None else dx
    if dx is not None:
        raise RuntimeError("trapezoid: received both x and dx; give only one of them")
    if x.ndim == 1:
        widths = diff(x)
        shape = [1] * y.ndim
        shape[dim % y.ndim] = widths.shape[0]
        return reshape(widths, tuple(shape))
    return diff(x, dim=dim)


def trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """∫ y along ``dim`` by the trapezoidal rule, at the sample points ``x`` (1-d, or shaped as
    y) or with the spacing ``dx`` (1 when neither is given)."""
    if y.shape[dim] == 0:
        return _sum(y, dim)
    pairs = add(_slice(y, dim, 1, None), _slice(y, dim, 0, -1))
    return divide(_sum(multiply(_spacing(y, x, dx, dim), pairs), dim), 2.0)


def trapz(y, x=None, *, dx=None, dim: int = -1):
    """PyTorch's older name for :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """The running trapezoidal integral along ``dim``: one fewer entry than y there."""
    pairs = add(_slice(y, dim, 1, None), _slice(y, dim, 0, -1))
    return divide(cumsum(multiply(_spacing(y, x, dx, dim), pairs), dim), 2.0)
