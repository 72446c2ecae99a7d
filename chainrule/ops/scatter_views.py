"""PyTorch's "scatter into a copy" functions and a few view spellings, composed of existing
differentiable operations.

    diagonal_scatter(x, s, k, d₁, d₂):  y = x, except y.diagonal(k, d₁, d₂) = s
    select_scatter(x, s, d, i):         y = x, except y.select(d, i) = s
    slice_scatter(x, s, d, a, b, c):    y = x, except y[…, a:b:c, …] = s   (on axis d)

Each is a copy of x with one part replaced by s, so ∂y/∂x is 1 outside that part and 0 inside,
and ∂y/∂s picks that part: the gradient of x is G with the part zeroed, the gradient of s is
the part of G. They are written as ``clone`` followed by an indexed assignment, whose backward
is exactly that. ``diagflat``, ``narrow_copy``, ``split_with_sizes``, ``adjoint``/``mH``/``H``
and ``nonzero_static`` are the other spellings of existing operations.

``real``, ``conj`` and ``resolve_conj`` of a real tensor are the tensor itself, as in PyTorch;
``imag`` raises PyTorch's error. A complex tensor gives its real and imaginary parts as views,
and ``conj``/``conj_physical`` as a conjugated copy (PyTorch's ``conj`` is a lazy view; chainrule
materialises it, so ``is_conj()`` stays False); all three are differentiable with PyTorch's
complex gradients (chainrule/ops/complex_grad.py).
"""
from __future__ import annotations

import builtins
import warnings

from ..backend import asarray_like, dtype_kind, namespace, to_numpy, xp
from ..tensor import Tensor, tensor_method


def _tensor(x, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def _axis(dim: int, ndim: int, op: str) -> int:
    if not -builtins.max(ndim, 1) <= dim < builtins.max(ndim, 1):
        raise IndexError(f"{op}: dimension {dim} is out of range for a tensor of {ndim} "
                         f"dimensions (expected to be in [{-builtins.max(ndim, 1)}, "
                         f"{builtins.max(ndim, 1) - 1}])")
    return dim % builtins.max(ndim, 1)


def _scatter(input, src, key, part_shape, op: str):
    """A copy of ``input`` with ``input[key]`` (of shape ``part_shape``) replaced by ``src``."""
    src = _tensor(src, op)
    if tuple(src.shape) != tuple(part_shape):
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. "
                           f"src size = {list(src.shape)}, slice size = {list(part_shape)}")
    out = input.clone()
    out[key] = src.to(input.dtype) if src.dtype != input.dtype else src
    return out


@tensor_method
def select_scatter(input, src, dim: int, index: int):  # noqa: A002
    """A copy of ``input`` whose slice ``index`` along ``dim`` is ``src``."""
    input = _tensor(input, "select_scatter")
    d = _axis(dim, input.ndim, "select_scatter")
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select_scatter: index {index} is out of range for dimension {dim} "
                         f"of size {size}")
    key = (slice(None),) * d + (index,)
    part = input.shape[:d] + input.shape[d + 1:]
    return _scatter(input, src, key, part, "select_scatter")


@tensor_method
def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1):  # noqa: A002
    """A copy of ``input`` whose slice ``start:end:step`` along ``dim`` is ``src``."""
    input = _tensor(input, "slice_scatter")
    if step <= 0:
        raise RuntimeError(f"slice_scatter: the slice step must be positive, got {step}")
    d = _axis(dim, input.ndim, "slice_scatter")
    key = (slice(None),) * d + (slice(start, end, step),)
    part = list(input.shape)
    part[d] = len(range(*slice(start, end, step).indices(input.shape[d])))
    return _scatter(input, src, key, tuple(part), "slice_scatter")


def _diagonal_index(shape, offset: int, d1: int, d2: int):
    """The diagonal's (rows, columns) along axes d1, d2 of ``shape``."""
    n1, n2 = shape[d1], shape[d2]
    start1, start2 = (0, offset) if offset >= 0 else (-offset, 0)
    length = builtins.max(0, builtins.min(n1 - start1, n2 - start2))
    k = xp.arange(length)
    return k + start1, k + start2


@tensor_method
def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1):  # noqa: A002
    """A copy of ``input`` whose diagonal ``input.diagonal(offset, dim1, dim2)`` is ``src``
    (``src`` shaped as that diagonal: the other axes first, the diagonal last)."""
    input = _tensor(input, "diagonal_scatter")
    d1 = _axis(dim1, input.ndim, "diagonal_scatter")
    d2 = _axis(dim2, input.ndim, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal_scatter: diagonal dimensions cannot be identical "
                           f"{dim1}, {dim2}")
    rows, cols = _diagonal_index(input.shape, offset, d1, d2)
    # the other axes stay in order, the diagonal's two axes move to the end
    moved = input.movedim((d1, d2), (-2, -1))
    part = moved.shape[:-2] + (len(rows),)
    key = (Ellipsis, Tensor._make(rows), Tensor._make(cols))
    out = _scatter(moved, src, key, part, "diagonal_scatter")
    return out.movedim((-2, -1), (d1, d2))


def diagflat(input, offset: int = 0):  # noqa: A002
    """The 2-d matrix with the flattened ``input`` on its ``offset``-th diagonal."""
    input = _tensor(input, "diagflat")
    return input.reshape(-1).diag(offset)


Tensor.diagflat = diagflat


@tensor_method
def narrow_copy(input, dim: int, start: int, length: int):  # noqa: A002
    """``input.narrow(dim, start, length)`` as a new tensor (not a view)."""
    return _tensor(input, "narrow_copy").narrow(dim, start, length).clone()


@tensor_method
def split_with_sizes(input, split_sizes, dim: int = 0):  # noqa: A002
    """The pieces of ``input`` along ``dim`` with the given sizes, which must add up to that
    axis's length (views, as ``split``)."""
    input = _tensor(input, "split_with_sizes")
    d = _axis(dim, input.ndim, "split_with_sizes")
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes) or sum(sizes) != input.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                           f"{input.shape[d]} (input tensor's size at dimension {dim}), but got "
                           f"split_sizes={sizes}")
    return input.split(sizes, d)


@tensor_method
def adjoint(input):  # noqa: A002
    """The conjugate transpose of the last two axes: their transpose, for real tensors (a
    view)."""
    input = _tensor(input, "adjoint")
    if input.ndim == 0:                 # PyTorch: the tensor itself, with a deprecation warning
        warnings.warn("adjoint() is deprecated on 0-D tensors. Consider using x.conj().",
                      UserWarning, stacklevel=2)
        return input
    if input.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    return _conj_if_complex(input.transpose(-2, -1))


def _conj_if_complex(t):
    """``conj(t)`` for a complex tensor (a copy: chainrule has no lazy conjugate bit), else t."""
    return conj(t) if dtype_kind(t._data.dtype) == "c" else t


def _h(self):
    if self.ndim != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.ndim}-D tensor." + (" For batches of matrices, consider "
                                                       "using tensor.mH" if self.ndim > 2
                                                       else ""))
    return _conj_if_complex(self.transpose(0, 1))


def _mh(self):
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self.ndim}-D tensor.")
    return _conj_if_complex(self.transpose(-2, -1))


Tensor.H = property(_h, doc="The conjugate transpose of a matrix (its transpose, when real).")
Tensor.mH = property(_mh, doc="The conjugate transpose of the last two axes (their transpose, "
                              "when real).")


@tensor_method
def nonzero_static(input, *, size: int, fill_value: int = -1):  # noqa: A002
    """The indices of the nonzero entries as ``nonzero()`` gives them, cut or padded with
    ``fill_value`` to exactly ``size`` rows (a fixed shape, whatever the values)."""
    input = _tensor(input, "nonzero_static")
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size}")
    found = xp.argwhere(to_numpy(input._data) != 0).astype(xp.int64)
    found = found.reshape(-1, input.ndim)
    out = xp.full((size, input.ndim), fill_value, dtype=xp.int64)
    n = builtins.min(size, found.shape[0])
    out[:n] = found[:n]
    return Tensor._make(asarray_like(out, input._data))


def _is_complex(x: Tensor) -> bool:
    return dtype_kind(x._data.dtype) == "c"


def _part(data, which: str):
    """The real or imaginary part: a view for NumPy arrays (as PyTorch's), the standard's
    ``real``/``imag`` (a new array) for other libraries."""
    if type(data) is xp.ndarray:
        return getattr(data, which)
    return getattr(namespace(data), which)(data)


def real(input):  # noqa: A002
    """The real part: a real tensor itself; of a complex tensor, a view of its real parts
    (differentiable: ``complex_grad.Real``)."""
    input = _tensor(input, "real")
    return _complex_grad().Real.apply(input) if _is_complex(input) else input


def imag(input):  # noqa: A002
    """The imaginary part of a complex tensor (a view); a real tensor has none (PyTorch's
    error)."""
    input = _tensor(input, "imag")
    if _is_complex(input):
        return _complex_grad().Imag.apply(input)
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def _complex_grad():
    from . import complex_grad

    return complex_grad


def _no_grad_write(self, value, part: str) -> None:
    from ..autograd.grad_mode import _GradMode

    if _GradMode.enabled and (self.requires_grad or
                              (isinstance(value, Tensor) and value.requires_grad)):
        raise NotImplementedError(
            f"z.{part} = value: writing the {part} part of a complex tensor in place while "
            f"gradients are recorded is not supported by chainrule; build the tensor with "
            f"chainrule.complex(real, imag) instead, or write under chainrule.no_grad()")


def _set_real(self, value):
    if _is_complex(self):
        _no_grad_write(self, value, "real")
        self._data.real[...] = value._data if isinstance(value, Tensor) else value
    else:
        self.copy_(value)


def _set_imag(self, value):
    imag(self)
    _no_grad_write(self, value, "imag")
    self._data.imag[...] = value._data if isinstance(value, Tensor) else value


# PyTorch's Tensor.real and Tensor.imag are attributes, not methods (x.real = y writes in place)
Tensor.real = property(real, _set_real, doc="The real part: a real tensor itself.")
Tensor.imag = property(imag, _set_imag, doc="The imaginary part (complex tensors only).")


@tensor_method
def conj(input):  # noqa: A002
    """The complex conjugate: a real tensor itself; a complex one conjugated (a copy)."""
    input = _tensor(input, "conj")
    return _complex_grad().Conj.apply(input) if _is_complex(input) else input


@tensor_method
def resolve_conj(input):  # noqa: A002
    """The tensor with a lazy conjugation applied: a real tensor itself."""
    return _tensor(input, "resolve_conj")


@tensor_method
def resolve_neg(input):  # noqa: A002
    """The tensor with a lazy negation applied: chainrule has none, so the tensor itself."""
    return _tensor(input, "resolve_neg")


@tensor_method
def conj_physical(input):  # noqa: A002
    """The complex conjugate, materialised: a real tensor itself (as PyTorch returns it)."""
    input = _tensor(input, "conj_physical")
    return _complex_grad().Conj.apply(input) if _is_complex(input) else input


@tensor_method
def is_conj(input) -> bool:  # noqa: A002
    """Whether the tensor carries a lazy conjugation: never, in chainrule."""
    return False


@tensor_method
def is_neg(input) -> bool:  # noqa: A002
    """Whether the tensor carries a lazy negation: never, in chainrule."""
    return False
