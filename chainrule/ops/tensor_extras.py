"""Tensor methods PyTorch programs use that are compositions of existing functions:
``x.matmul(w)``, ``x.maximum(y)``, ``x.ravel()``, ``x.nelement()``, ``x.ndimension()``,
``x.stride()``, ``addcmul``/``addcdiv`` (hand-written optimizers use their in-place forms),
``nansum``/``nanmean``. Each is the function of the same name, with PyTorch's signature.
"""
from __future__ import annotations

from ..backend import astype, is_foreign_array, namespace, xp
from ..tensor import Tensor, tensor_method
from . import elementwise as _ew
from . import linalg as _linalg
from . import reduce as _reduce
from .arithmetic import add, divide, multiply
from .movement import reshape


@tensor_method
def matmul(input, other):  # noqa: A002
    """The matrix product, as the ``@`` operator."""
    return _linalg.matmul(input, other)


@tensor_method
def maximum(input, other):  # noqa: A002
    return _ew.maximum(input, other)


@tensor_method
def minimum(input, other):  # noqa: A002
    return _ew.minimum(input, other)


@tensor_method
def ravel(input):  # noqa: A002
    """The entries as a 1-d tensor (a view when the memory allows)."""
    return reshape(input, (-1,))


@tensor_method
def nelement(input) -> int:  # noqa: A002
    return input.numel()


@tensor_method
def ndimension(input) -> int:  # noqa: A002
    return input.ndim


@tensor_method
def stride(input, dim: int | None = None):  # noqa: A002
    """Steps in elements between neighbours along each dim (PyTorch's strides)."""
    data = input._data
    if type(data) is not xp.ndarray and not hasattr(data, "strides"):
        # the array API standard has no strides: read the layout that the library hands the
        # host (DLPack keeps the strides of array_api_strict's memory)
        from ..backend import to_numpy
        data = to_numpy(data)
    steps = tuple(s // data.itemsize for s in data.strides)
    return steps if dim is None else steps[dim]


@tensor_method(inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value · tensor1 · tensor2."""
    return add(input, multiply(multiply(tensor1, tensor2), value))


@tensor_method(inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value · tensor1 / tensor2."""
    return add(input, multiply(divide(tensor1, tensor2), value))


@tensor_method
def nansum(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    """Σ over ``dim`` treating NaN as 0 (NaN entries get no gradient: g · 0, as PyTorch)."""
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    return _reduce.nansum(input, axis, keepdim, dtype=dtype)


@tensor_method
def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    """The mean over ``dim`` of the entries that are not NaN: nansum / count (an all-NaN slice
    gives 0/0 = NaN, and passes g/0 back to nansum, whose g · 0 makes its gradient NaN, as in
    PyTorch)."""
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    total = _reduce.nansum(input, axis, keepdim, dtype=dtype)
    data = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if type(data) is not xp.ndarray and is_foreign_array(data):
        ns = namespace(data)        # the standard has no bool .sum(): count in total's dtype
        count = ns.sum(astype(~ns.isnan(data), total._data.dtype), axis=axis, keepdims=keepdim)
        return divide(total, Tensor._from_op(count, None))
    count = (~xp.isnan(data)).sum(axis=axis, keepdims=keepdim)
    return divide(total, Tensor._from_op(xp.asarray(count, dtype=total.dtype), None))
