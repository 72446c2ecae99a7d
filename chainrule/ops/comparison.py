"""Comparisons and floating-point classification: ``eq ne lt le gt ge`` (and their NumPy-style
aliases), ``isclose``, ``allclose``, ``equal``, ``isnan isinf isfinite isposinf isneginf``, and the
NaN-ignoring ``fmax``/``fmin``.

Comparisons give bool tensors with no gradient; the operands are first promoted to their common
dtype as PyTorch does (``int_tensor < 1.5`` compares in float32). ``fmax``/``fmin`` are
differentiable composites of :func:`where`.
"""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Function
from ..backend import ndarray, xp
from ..tensor import Tensor, tensor_method
from .complex_checks import ORDER, complex_dtype, refuse_complex
from .elementwise import where
from .promotion import cast, promote, result_type


def _arrays(*operands):
    """The operands' arrays (Python numbers kept) in PyTorch's common dtype."""
    dtype = result_type(*operands)
    out = []
    for v in operands:
        if isinstance(v, Tensor):
            v = v._data
        out.append(cast(v, dtype))
    return out


def _bool(array) -> Tensor:
    if type(array) is not ndarray and B.is_foreign_array(array):
        if B.dtype_kind(array.dtype) != "b":
            array = B.astype(array, xp.bool_)
        return Tensor._from_op(array, None)
    return Tensor._from_op(xp.asarray(array, dtype=bool), None)


#: The array API standard's names of NumPy's ufuncs where they differ.
_STANDARD_NAMES = {"left_shift": "bitwise_left_shift", "right_shift": "bitwise_right_shift",
                   "invert": "bitwise_invert"}


def _foreign(arrays):
    """The first array of another library among ``arrays`` (None when all are NumPy's)."""
    for a in arrays:
        if type(a) is not ndarray and B.is_foreign_array(a):
            return a
    return None


def apply_elementwise(ufunc, *arrays):
    """``ufunc(*arrays)`` with NumPy; where an array is another library's, that library's
    function of the standard's name (host constants, e.g. Python ints cast to NumPy 0-d
    arrays, moved there first)."""
    like = _foreign(arrays)
    if like is None:
        return ufunc(*arrays)
    ns = B.namespace(like)
    arrays = [B.asarray_like(a, like) if isinstance(a, (ndarray, xp.generic)) else a
              for a in arrays]
    return getattr(ns, _STANDARD_NAMES.get(ufunc.__name__, ufunc.__name__))(*arrays)


class Comparison(Function):
    r"""A comparison of two operands, elementwise: a bool array (broadcast).

    Forward:     y = [x ∘ z] for ∘ in =, ≠, <, ≤, >, ≥ (1 where the relation holds, else 0)
    Derivative:  none: y is piecewise constant and boolean, so it never requires grad (as in
                 PyTorch); it is a primitive so that ``chainrule.compile`` records it and a
                 replay recomputes it from the new inputs.
    """

    name = "comparison"
    text = ("y = [x ∘ z], ∘ ∈ {=, ≠, <, ≤, >, ≥}",
            "no derivative (a boolean output)")
    latex = (r"y = [x \circ z],\ \circ \in \{=, \neq, <, \le, >, \ge\}",
             r"\text{no derivative (a boolean output)}")
    explanation = ("A comparison answers yes or no for each element; masks made this way select "
                   "or weight values, and the gradient flows through what they select.")
    differentiable = False
    array_api = True
    UFUNCS = {"eq": xp.equal, "ne": xp.not_equal, "lt": xp.less, "le": xp.less_equal,
              "gt": xp.greater, "ge": xp.greater_equal}

    @staticmethod
    def forward(ctx, x, z, op="eq"):
        array = apply_elementwise(Comparison.UFUNCS[op], x, z)
        if type(array) is not ndarray and B.is_foreign_array(array):
            return array if B.dtype_kind(array.dtype) == "b" else B.astype(array, xp.bool_)
        return xp.asarray(array, dtype=bool)


def _comparison(name: str, ufunc, symbol: str):
    ordering = name not in ("eq", "ne")

    def compare(input, other):  # noqa: A002  (PyTorch's argument names)
        dtype = result_type(input, other)
        if ordering and complex_dtype(dtype) is not None:
            refuse_complex(name, input, other, reason=ORDER)
        x, y = (cast(v, dtype) for v in (input, other))     # Tensors cast by the astype primitive
        return Comparison.apply(x, y, op=name)

    compare.__name__ = name
    compare.__qualname__ = name
    compare.__doc__ = f"``input {symbol} other`` elementwise, as a bool tensor (broadcast)."
    return tensor_method(compare, inplace=True)


eq = _comparison("eq", xp.equal, "==")
ne = _comparison("ne", xp.not_equal, "!=")
lt = _comparison("lt", xp.less, "<")
le = _comparison("le", xp.less_equal, "<=")
gt = _comparison("gt", xp.greater, ">")
ge = _comparison("ge", xp.greater_equal, ">=")
not_equal = tensor_method(ne, name="not_equal", inplace=True)
less = tensor_method(lt, name="less", inplace=True)
less_equal = tensor_method(le, name="less_equal", inplace=True)
greater = tensor_method(gt, name="greater", inplace=True)
greater_equal = tensor_method(ge, name="greater_equal", inplace=True)


@tensor_method
def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """|input − other| ≤ atol + rtol·|other| elementwise (equal infinities are close; NaNs only
    with ``equal_nan``). Both tensors must have the same dtype, as in PyTorch."""
    if isinstance(input, Tensor) and isinstance(other, Tensor) and input.dtype != other.dtype:
        raise RuntimeError(f"isclose(): expected both inputs to have the same dtype, but got "
                           f"{input.dtype} and {other.dtype}")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose(): rtol and atol must be non-negative, got rtol={rtol}, "
                           f"atol={atol}")
    x, y = _arrays(input, other)
    if _foreign((x, y)) is not None:
        return _bool(_isclose_standard(x, y, rtol, atol, equal_nan))
    with xp.errstate(invalid="ignore", over="ignore"):
        return _bool(xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _isclose_standard(x, y, rtol, atol, equal_nan):
    """NumPy's isclose with the standard's functions: |x − y| ≤ atol + rtol·|y| where both are
    finite, equality (equal infinities) elsewhere, and NaN beside NaN only with ``equal_nan``."""
    like = _foreign((x, y))
    ns = B.namespace(like)
    x, y = (v if B.is_foreign_array(v) else ns.asarray(B.to_numpy(v), dtype=like.dtype,
                                                        device=like.device) for v in (x, y))
    finite = ns.isfinite(x) & ns.isfinite(y)
    close = ns.where(finite, ns.abs(x - y) <= atol + rtol * ns.abs(y), x == y)
    if equal_nan:
        close = close | (ns.isnan(x) & ns.isnan(y))
    return close


@tensor_method
def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """Whether every element is :func:`isclose` (a Python bool)."""
    close = isclose(input, other, rtol, atol, equal_nan)._data
    if _foreign((close,)) is not None:
        return bool(B.namespace(close).all(close))
    return bool(close.all())


@tensor_method
def equal(input, other) -> bool:  # noqa: A002
    """True if the two tensors have the same shape and the same elements (a Python bool)."""
    if tuple(input.shape) != tuple(other.shape):
        return False
    x, y = _arrays(input, other)
    if _foreign((x, y)) is not None:
        return bool(B.namespace(_foreign((x, y))).all(apply_elementwise(xp.equal, x, y)))
    return bool(xp.array_equal(x, y))


def _classifier(name: str, fn, doc: str):
    def classify(input):  # noqa: A002
        data = input._data if isinstance(input, Tensor) else xp.asarray(input)
        if type(data) is not ndarray and B.is_foreign_array(data):
            return _classify_standard(name, data)
        if data.dtype.kind in "biu":
            return _bool(xp.zeros(data.shape, dtype=bool) if name != "isfinite"
                         else xp.ones(data.shape, dtype=bool))
        return _bool(fn(data))

    classify.__name__ = name
    classify.__qualname__ = name
    classify.__doc__ = doc
    return tensor_method(classify)


def _classify_standard(name: str, data) -> Tensor:
    """A classifier of another library's array with the standard's functions (it has no
    isposinf/isneginf: isinf and the sign)."""
    ns = B.namespace(data)
    if B.dtype_kind(data.dtype) in "biu":
        return _bool((ns.ones if name == "isfinite" else ns.zeros)(
            data.shape, dtype=ns.bool, device=data.device))
    if name in ("isposinf", "isneginf"):
        return _bool(ns.isinf(data) & (data > 0 if name == "isposinf" else data < 0))
    return _bool(getattr(ns, name)(data))


isnan = _classifier("isnan", xp.isnan, "Where the elements are NaN (a bool tensor).")
isinf = _classifier("isinf", xp.isinf, "Where the elements are ±inf (a bool tensor).")
isfinite = _classifier("isfinite", xp.isfinite, "Where the elements are neither inf nor NaN.")
isposinf = _classifier("isposinf", xp.isposinf, "Where the elements are +inf.")
isneginf = _classifier("isneginf", xp.isneginf, "Where the elements are −inf.")


@tensor_method
def isreal(input) -> Tensor:  # noqa: A002
    """Where the elements have no imaginary part (all True for real dtypes)."""
    data = input._data
    if _foreign((data,)) is not None:
        ns = B.namespace(data)
        if B.dtype_kind(data.dtype) == "c":
            return _bool(ns.imag(data) == 0)
        return _bool(ns.ones(data.shape, dtype=ns.bool, device=data.device))
    return _bool(xp.isreal(data))


@tensor_method
def fmax(input, other) -> Tensor:  # noqa: A002
    """Elementwise maximum that ignores NaN: max(x, y), or the other value where one is NaN.

    Gradient (PyTorch's): all of g goes to ``input`` where x ≥ y or y is NaN, else to ``other``
    (ties are not split, unlike :func:`maximum`).
    """
    refuse_complex("fmax", input, other, reason=ORDER, error=RuntimeError)
    (x, y), _ = promote(input, other)
    xa, ya = _arrays(x, y)
    return where((xa >= ya) | apply_elementwise(xp.isnan, ya), x, y)


@tensor_method
def fmin(input, other) -> Tensor:  # noqa: A002
    """Elementwise minimum that ignores NaN (see :func:`fmax`); ties give g to ``input``."""
    refuse_complex("fmin", input, other, reason=ORDER, error=RuntimeError)
    (x, y), _ = promote(input, other)
    xa, ya = _arrays(x, y)
    return where((xa <= ya) | apply_elementwise(xp.isnan, ya), x, y)
