"""The one check that refuses complex tensors where PyTorch refuses them.

Many operations are defined for real numbers only — an order (max, sort, clamp, relu, <), a
rounding (floor, round), or a real special function (erf, lgamma) — and PyTorch raises when it
meets a complex tensor there (``"max_all" not implemented for 'ComplexDouble'``,
``clamp is not supported for complex types``). NumPy often answers instead (lexicographic
order, the real part, a ComplexWarning), so chainrule's front doors call :func:`refuse_complex`
on their inputs first: never a silently different answer. The check reads each input's dtype
kind once (a few hundred nanoseconds on a real tensor); it allocates nothing.

``ORDER`` and ``REAL`` are the two reasons the messages give.
"""
from __future__ import annotations

from ..backend import dtype_kind, ndarray, xp
from ..tensor import Tensor

ORDER = "complex numbers have no order (compare their real parts or their absolute values)"
REAL = "it is defined for real numbers only"

_PLAIN = frozenset((int, float, bool, type(None), str, tuple, list, slice))


def complex_dtype(value):
    """The complex dtype of ``value`` (an array, a Tensor, a dtype, a Python complex), or None."""
    kind = type(value)
    if kind is Tensor:
        value = value._data
        kind = type(value)
    if kind is ndarray:
        return value.dtype if value.dtype.kind == "c" else None
    if kind in _PLAIN:
        return None
    if kind is complex:
        return "complex"
    if isinstance(value, xp.dtype):
        return value if value.kind == "c" else None
    dtype = getattr(value, "dtype", None)
    if dtype is None or callable(dtype):
        return None
    kind_of = getattr(dtype, "kind", None)
    if not isinstance(kind_of, str):
        kind_of = dtype_kind(dtype)
    return dtype if kind_of == "c" else None


def refuse_complex(op: str, *values, reason: str = REAL,
                   error: type[Exception] = NotImplementedError) -> None:
    """Raise ``error`` naming ``op`` if one of ``values`` is complex (PyTorch raises there)."""
    for value in values:
        kind = type(value)
        if kind is ndarray:                 # the common cases first: one attribute read
            if value.dtype.kind != "c":
                continue
        elif kind is Tensor and type(value._data) is ndarray:
            if value._data.dtype.kind != "c":
                continue
        elif kind in _PLAIN:
            continue
        dtype = complex_dtype(value)
        if dtype is not None:
            raise error(f"{op}: not implemented for complex tensors (got {dtype}): {reason}. "
                        f"PyTorch raises here too.")
