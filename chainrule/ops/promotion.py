"""PyTorch's type promotion for operations of several operands.

PyTorch ranks operands in three priority classes: tensors with at least one dimension, 0-d tensors,
and Python numbers. The result dtype is the promotion of the highest class present; a lower class
changes it only when it holds a higher *category* (bool < integer < floating < complex), and then

- a 0-d tensor contributes its own dtype (``int_tensor + tensor(1.5, dtype=float64)`` → float64);
- a Python float contributes the default float dtype (``int_tensor + 1.5`` → float32), a Python
  int contributes int64 (``bool_tensor + 1`` → int64).

NumPy (NEP 50) already treats Python numbers as weak, so once the tensors are cast to the result
dtype the Python numbers can be passed on unchanged.
"""
from __future__ import annotations

from ..backend import (
    asarray_like,
    dtype_kind,
    get_default_dtype,
    is_foreign_array,
    ndarray,
    numpy_dtype,
    xp,
)
from ..backend import astype as backend_astype
from ..tensor import Tensor

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def category(dtype) -> int:
    return _CATEGORY[xp.dtype(dtype).kind]


def promote_types(a, b):
    """``torch.promote_types``: the higher category wins outright (int64 with float32 is float32,
    not NumPy's float64), except that a floating dtype with a complex one gives the complex dtype
    of the wider precision (float64 with complex64 is complex128); within one category NumPy's
    promotion (int8 with uint8 is int16)."""
    a, b = xp.dtype(a), xp.dtype(b)
    if category(a) != category(b):
        high, low = (a, b) if category(a) > category(b) else (b, a)
        if category(high) == 3 and category(low) == 2:
            return xp.promote_types(high, low)
        return high
    return xp.promote_types(a, b)


def to_complex(dtype):
    """The complex dtype with ``dtype``'s precision (PyTorch's toComplexType): float64 →
    complex128; float32 → complex64; float16 → complex64 (PyTorch's complex32 has no NumPy
    counterpart)."""
    return xp.dtype(xp.complex128 if xp.dtype(dtype) == xp.float64 else xp.complex64)


def _scalar_dtype(v):
    if isinstance(v, bool):
        return xp.dtype(bool)
    if isinstance(v, int):
        return xp.dtype(xp.int64)
    if isinstance(v, float):
        return get_default_dtype()
    if isinstance(v, complex):
        return xp.dtype(xp.complex128 if get_default_dtype() == xp.float64 else xp.complex64)
    return None


def result_type(*operands):
    """The dtype PyTorch gives an elementwise operation of ``operands`` (``torch.result_type``)."""
    groups = ([], [], [])          # dimensioned tensors, 0-d tensors, Python numbers
    for v in operands:
        if v is None:
            continue
        if isinstance(v, Tensor):
            groups[0 if v._data.ndim else 1].append(numpy_dtype(v._data.dtype))
        elif isinstance(v, (ndarray, xp.generic)):
            groups[0 if xp.ndim(v) else 1].append(xp.asarray(v).dtype)
        elif is_foreign_array(v):       # another library's array (a saved value in a rule)
            groups[0 if v.ndim else 1].append(numpy_dtype(v.dtype))
        else:
            dt = _scalar_dtype(v)
            if dt is None:
                raise TypeError(f"unsupported operand type {type(v).__name__}: expected a Tensor "
                                "or a Python number")
            groups[2].append(dt)
    result = None
    for group in groups:
        if not group:
            continue
        dt = group[0]
        for other in group[1:]:
            dt = promote_types(dt, other)
        if result is None:
            result = dt
        elif category(dt) > category(result):
            # a float tensor with a complex 0-d tensor or number: the tensor's precision decides
            result = to_complex(result) if category(dt) == 3 and category(result) == 2 else dt
    return result


def cast(v, dtype):
    """``v`` in ``dtype``: Tensors through the differentiable cast, arrays with astype, Python
    numbers unchanged (NumPy treats them as weak)."""
    if isinstance(v, Tensor):
        if numpy_dtype(v._data.dtype) == dtype:
            return v
        from .movement import astype
        return astype(v, dtype)
    if isinstance(v, (ndarray, xp.generic)):
        return xp.asarray(v).astype(dtype, copy=False)
    if is_foreign_array(v):
        return v if numpy_dtype(v.dtype) == dtype else backend_astype(v, dtype)
    if isinstance(v, int) and xp.dtype(dtype).kind in "iu":
        return xp.asarray(v).astype(dtype)     # wraps out-of-range ints, as PyTorch: uint8 − 3
    return v


def no_bool(name: str, *operands, what: str = "") -> None:
    """PyTorch's refusal of bool operands (``bool_tensor - x``, ``remainder`` of bools)."""
    if result_type(*operands) == xp.dtype(bool) or (what == "any" and any(
            isinstance(v, bool) or (isinstance(v, Tensor) and v._data.dtype == bool)
            for v in operands)):
        raise NotImplementedError(f"{name}: not implemented for 'Bool' operands; convert them "
                                  "first (x.long() or x.float())")


def promote(*operands, floating: bool = False):
    """(operands cast to their common dtype, that dtype). ``floating``: integer and bool results
    become the default float dtype (true division, sqrt of an integer tensor...)."""
    dtype = result_type(*operands)
    if floating and category(dtype) < 2:
        dtype = get_default_dtype()
    cast_ = tuple(cast(v, dtype) for v in operands)
    if any(type(v) is int and type(c) is ndarray for v, c in zip(operands, cast_)):
        # Python ints cast to an integer dtype are NumPy 0-d arrays: move them to the library
        # of the tensors beside them (asarray_like keeps them as they are for NumPy)
        like = next((v._data for v in operands if isinstance(v, Tensor)), None)
        if like is not None and is_foreign_array(like):
            cast_ = tuple(asarray_like(c, like) if type(v) is int and type(c) is ndarray else c
                          for v, c in zip(operands, cast_))
    return cast_, dtype


def to_float(x):
    """An integer or bool tensor as the default float dtype (PyTorch's unary float functions)."""
    if isinstance(x, Tensor) and dtype_kind(x._data.dtype) in "biu":
        return cast(x, get_default_dtype())
    return x


def as_tensor_input(v):
    """Python numbers and arrays as Tensors (for functions whose operands must be Tensors)."""
    return v if isinstance(v, Tensor) else Tensor._make(v)


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` → ``to`` without a lower category: bool →
    integer → floating → complex may only go up (any size within a category)."""
    return category(xp.dtype(from_)) <= category(xp.dtype(to))
