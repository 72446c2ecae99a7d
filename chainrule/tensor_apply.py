"""``Tensor.apply_``, ``map_`` and ``map2_``: a Python callable applied element by element, in
place (PyTorch's ``torch/csrc/utils/tensor_apply.cpp``).

Each element is read as a Python number (``bool``, ``int``, ``float`` or ``complex`` by the
dtype), the callable's result converted back by PyTorch's rules, and written before the next
element is read, in row-major order of the tensor's indices: when ``other`` shares memory with the
tensor, later elements see the earlier writes, as in PyTorch. ``other`` (``x``, ``y``) must have
the tensor's dtype and broadcast to its shape (the tensor's shape is kept). Not recorded by
autograd: a tensor that requires grad is refused, and the version counter is left alone (a
graph that saved the memory sees the new values, as in PyTorch).

Conversions of the result (as PyTorch's ``store_scalar``): floating dtypes take anything with
``__float__`` or ``__index__`` (a float32 result rounds, overflowing to ±inf); complex dtypes
also ``__complex__``; integer dtypes take a float (truncated toward zero) or anything with
``__index__``, and refuse a value outside the dtype's range (unsigned ones wrap a negative
integer down to −max); bool takes the truth of a float or complex, else of ``__index__``.
"""
from __future__ import annotations

import math
import operator

import numpy

_INT_NAMES = {"uint8": "uint8", "int8": "int8", "int16": "int16", "int32": "int32",
              "int64": "int64", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64"}


def _as_double(value) -> float:
    """PyFloat_AsDouble: ``__float__``, else ``__index__``; no strings."""
    if isinstance(value, float):
        return value
    kind = type(value)
    if hasattr(kind, "__float__"):
        return kind.__float__(value)
    if hasattr(kind, "__index__"):
        return float(kind.__index__(value))
    raise TypeError(f"must be real number, not {kind.__name__}")


def _as_complex(value) -> complex:
    if isinstance(value, complex):
        return value
    if hasattr(type(value), "__complex__"):
        return type(value).__complex__(value)
    return complex(_as_double(value))


def _as_integer(value, dtype: numpy.dtype) -> int:
    info = numpy.iinfo(dtype)
    name = _INT_NAMES.get(dtype.name, dtype.name)
    if isinstance(value, float):
        if math.isnan(value) or value < info.min or value > info.max:
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
        return int(value)
    number = operator.index(value)
    if not -2 ** 63 <= number < 2 ** 63:
        raise ValueError("Overflow when unpacking long long")
    too_low = number < info.min and not (info.min == 0 and -number <= info.max)
    if number > info.max or too_low:
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    return number % (info.max + 1) if info.min == 0 else number


def _as_bool(value) -> bool:
    if isinstance(value, float):
        return value != 0
    if isinstance(value, complex):
        return value.real != 0 or value.imag != 0
    return operator.index(value) != 0


def _converter(dtype: numpy.dtype):
    kind = dtype.kind
    if kind == "f":
        if dtype.itemsize < 4:      # PyTorch rounds to float first: half(float(result))
            return lambda v: numpy.float32(_as_double(v))
        return _as_double
    if kind == "c":
        return _as_complex
    if kind == "b":
        return _as_bool
    return lambda v: _as_integer(v, dtype)


def _check(name: str, self, others, arg_names) -> numpy.ndarray:
    """PyTorch's checks, in its order: the arguments are tensors, none requires grad."""
    from .tensor import Tensor

    for position, (other, arg) in enumerate(zip(others, arg_names), 1):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                            f"not {type(other).__name__}")
    if any(t.requires_grad for t in (self,) + tuple(others)):
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")
    return self._data


def _expanded(self, other, name: str, arg: str):
    """``other``'s array broadcast to ``self``'s shape (a view: later reads see writes)."""
    if other.dtype != self.dtype or type(other._data) is not type(self._data):
        where = f"'{arg}'" if name == "map_" else f"argument '{arg}'"
        raise TypeError(f"{name}: expected {self.type()} for {where} (got {other.type()})")
    target, shape = tuple(self.shape), tuple(other.shape)
    if len(shape) > len(target):
        raise RuntimeError(f"expand({other.type()}{{{list(shape)}}}, size={list(target)}): the "
                           f"number of sizes provided ({len(target)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({len(shape)})")
    for i in range(1, len(shape) + 1):
        if shape[-i] != 1 and shape[-i] != target[-i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[-i]}) must match the "
                               f"existing size ({shape[-i]}) at non-singleton dimension "
                               f"{len(target) - i}.  Target sizes: {list(target)}.  Tensor "
                               f"sizes: {list(shape)}")
    return numpy.broadcast_to(other._data, target)


def apply(self, fn, name: str = "apply_", others=()):
    """Write ``fn(self[i], *(o[i] for o in others))`` into ``self[i]`` for every index i."""
    arg_names = ("other",) if name == "map_" else ("x", "y")
    array = _check(name, self, others, arg_names)
    sources = [_expanded(self, o, name, a) for o, a in zip(others, arg_names)]
    if type(array) is not numpy.ndarray:
        raise TypeError(f"{name} is only implemented on CPU tensors (NumPy arrays); this one "
                        f"is on {self.device}")
    store = _converter(array.dtype)
    with numpy.errstate(over="ignore", invalid="ignore"):
        for index in numpy.ndindex(array.shape):
            result = fn(array[index].item(), *(s[index].item() for s in sources))
            array[index] = store(result)
    # No version bump: PyTorch writes the memory directly (as through ``.data``), so a graph
    # that saved this memory is not told, there as here.
    return self
