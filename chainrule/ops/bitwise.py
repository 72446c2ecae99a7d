"""Bitwise operations on integer and bool tensors, and logical operations on any tensor.

``bitwise_and/or/xor/not`` and the shifts ``bitwise_left_shift``/``bitwise_right_shift`` (the
operators ``& | ^ ~ << >>``) need integer or bool operands (promoted together as PyTorch does);
``logical_and/or/xor/not`` treat any non-zero element as True and give bool tensors. None of them
has a gradient.
"""
from __future__ import annotations

from .. import backend as B
from ..backend import xp
from ..tensor import Tensor, tensor_method
from .comparison import _arrays, _bool, _foreign, apply_elementwise


def _integer_arrays(name: str, *operands):
    arrays = _arrays(*operands)
    for a in arrays:
        dtype = a.dtype if hasattr(a, "dtype") else xp.asarray(a).dtype
        kind = B.dtype_kind(dtype) if not isinstance(a, (bool, int)) else "i"
        if kind not in "biu":
            raise RuntimeError(f"{name}: expected integer or bool operands, got dtype "
                               f"{B.numpy_dtype(dtype)} (bitwise operations are defined only for "
                               "integers and bools)")
    return arrays


def _bitwise(name: str, ufunc, symbol: str):
    def op(input, other):  # noqa: A002  (PyTorch's argument names)
        x, y = _integer_arrays(name, input, other)
        if _foreign((x, y)) is not None:
            return Tensor._from_op(apply_elementwise(ufunc, x, y), None)
        return Tensor._from_op(xp.asarray(ufunc(x, y)), None)

    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = f"``input {symbol} other`` elementwise on integer or bool tensors."
    return tensor_method(op, inplace=True)


bitwise_and = _bitwise("bitwise_and", xp.bitwise_and, "&")
bitwise_or = _bitwise("bitwise_or", xp.bitwise_or, "|")
bitwise_xor = _bitwise("bitwise_xor", xp.bitwise_xor, "^")
bitwise_left_shift = _bitwise("bitwise_left_shift", xp.left_shift, "<<")
bitwise_right_shift = _bitwise("bitwise_right_shift", xp.right_shift, ">>")


@tensor_method(inplace=True)
def bitwise_not(input) -> Tensor:  # noqa: A002
    """``~input``: bitwise complement of integers, logical negation of bools."""
    (x,) = _integer_arrays("bitwise_not", input)
    if _foreign((x,)) is not None:      # the standard's bitwise_invert (logical not of bools)
        ns = B.namespace(x)
        return Tensor._from_op(ns.logical_not(x) if B.dtype_kind(x.dtype) == "b"
                               else ns.bitwise_invert(x), None)
    return Tensor._from_op(xp.asarray(xp.invert(x)), None)


def _logical(name: str, ufunc, doc: str):
    def op(input, other):  # noqa: A002
        x, y = (v._data if isinstance(v, Tensor) else v for v in (input, other))
        if _foreign((x, y)) is not None:    # the standard's logical functions take bools
            x, y = (_truth(v) for v in (x, y))
            return _bool(apply_elementwise(ufunc, x, y))
        return _bool(ufunc(x, y))

    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = doc
    return tensor_method(op, inplace=True)


logical_and = _logical("logical_and", xp.logical_and, "Both non-zero, elementwise (bool).")
logical_or = _logical("logical_or", xp.logical_or, "Either non-zero, elementwise (bool).")
logical_xor = _logical("logical_xor", xp.logical_xor, "Exactly one non-zero, elementwise (bool).")


@tensor_method(inplace=True)
def logical_not(input) -> Tensor:  # noqa: A002
    """Where the elements are zero (bool)."""
    if _foreign((input._data,)) is not None:
        return _bool(B.namespace(input._data).logical_not(_truth(input._data)))
    return _bool(xp.logical_not(input._data))


def _truth(v):
    """A value of another library (or a Python number) as bools: non-zero is True."""
    if B.is_foreign_array(v):
        return v if B.dtype_kind(v.dtype) == "b" else v != 0
    return bool(v) if isinstance(v, (bool, int, float, complex)) else v


# ------------------------------------------------------------------ operators not in tensor.py
def _operator(name: str, fn, reflected: bool = False, inplace: bool = False):
    if inplace:
        def method(self, other):
            return self._inplace(fn, other)
    elif reflected:
        def method(self, other):
            return fn(other, self)
    else:
        def method(self, other):
            return fn(self, other)
    method.__name__ = name
    tensor_method(method, name=name)


_operator("__lshift__", bitwise_left_shift)
_operator("__rlshift__", bitwise_left_shift, reflected=True)
_operator("__ilshift__", bitwise_left_shift, inplace=True)
_operator("__rshift__", bitwise_right_shift)
_operator("__rrshift__", bitwise_right_shift, reflected=True)
_operator("__irshift__", bitwise_right_shift, inplace=True)
_operator("__rxor__", bitwise_xor, reflected=True)
_operator("__iand__", bitwise_and, inplace=True)
_operator("__ior__", bitwise_or, inplace=True)
_operator("__ixor__", bitwise_xor, inplace=True)
