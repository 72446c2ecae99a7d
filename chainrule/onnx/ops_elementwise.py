"""Elementwise operators (with NumPy broadcasting): Add, Sub, Mul, Div, Mod, Pow, Sqrt, Exp, Log,
Neg, Abs, Reciprocal, Sign, Ceil, Floor, Sin, Cos, Erf, Max, Min, Mean, Sum (variadic), the
comparisons Equal, Greater, Less, the logic And, Or, Not, and Where.

On Tensors they are chainrule's primitives (the gradient of a broadcast operand is summed back to
its shape by the engine); on NumPy arrays alone — shape arithmetic, integer constants — they are
NumPy's, with ONNX's integer rules (Div truncates toward zero).
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops as _ops
from .registry import Node, op
from .values import any_tensor, array, is_tensor, tensor


def _binary(tensor_fn, array_fn):
    def run(a, b):
        if any_tensor(a, b):
            return tensor_fn(tensor(a), tensor(b))
        return np.asarray(array_fn(np.asarray(a), np.asarray(b)))
    return run


def _trunc_divide(a, b):
    """Integer division rounding toward zero (C's, and ONNX's for integer tensors)."""
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":
        if np.any(b == 0):
            raise ZeroDivisionError("Div: integer division by zero")
        q = np.abs(a) // np.abs(b)
        return (np.sign(a) * np.sign(b) * q).astype(np.result_type(a, b))
    return a / b


@op("Add")
def add(node: Node):
    r"""Add(A, B) = A + B.   Derivative: ∂/∂A = 1, ∂/∂B = 1 (summed over broadcast axes)."""
    return _binary(lambda a, b: a + b, np.add)


@op("Sub")
def sub(node: Node):
    r"""Sub(A, B) = A − B.   Derivative: ∂/∂A = 1, ∂/∂B = −1."""
    return _binary(lambda a, b: a - b, np.subtract)


@op("Mul")
def mul(node: Node):
    r"""Mul(A, B) = A · B.   Derivative: ∂/∂A = B, ∂/∂B = A."""
    return _binary(lambda a, b: a * b, np.multiply)


@op("Div")
def div(node: Node):
    r"""Div(A, B) = A / B (integers: truncated toward zero).

    Derivative: ∂/∂A = 1/B, ∂/∂B = −A/B².
    """
    return _binary(lambda a, b: a / b, _trunc_divide)


@op("Pow")
def pow_(node: Node):
    r"""Pow(X, Y) = X^Y, of X's type.

    Derivative: ∂/∂X = Y·X^{Y−1}; ∂/∂Y = X^Y·ln X (only where Y is a Tensor: a parameter).
    A constant exponent is a plain number, so X^2 of a negative X has no ln X anywhere.
    """
    def run(x, y):
        if not any_tensor(x, y):
            xa = np.asarray(x)
            return np.asarray(np.power(xa, np.asarray(y).astype(xa.dtype)))
        if not is_tensor(y):
            ya = np.asarray(y)
            exponent = float(ya) if ya.ndim == 0 else tensor(ya.astype(np.dtype(x.dtype)))
            return tensor(x) ** exponent
        x = tensor(x)
        return _ops.pow(x, y.to(x.dtype) if y.dtype != x.dtype else y)

    return run


def _unary(tensor_fn, array_fn):
    def run(x):
        if is_tensor(x):
            return tensor_fn(x)
        return np.asarray(array_fn(np.asarray(x)))
    return run


@op("Sqrt")
def sqrt(node: Node):
    r"""Sqrt(X) = √X.   Derivative: 1 / (2√X)."""
    return _unary(_ops.sqrt, np.sqrt)


@op("Exp")
def exp(node: Node):
    r"""Exp(X) = e^X.   Derivative: e^X."""
    return _unary(_ops.exp, np.exp)


@op("Log")
def log(node: Node):
    r"""Log(X) = ln X.   Derivative: 1/X."""
    return _unary(_ops.log, np.log)


@op("Neg")
def neg(node: Node):
    r"""Neg(X) = −X.   Derivative: −1."""
    return _unary(lambda x: -x, np.negative)


@op("Abs")
def abs_(node: Node):
    r"""Abs(X) = |X|.   Derivative: sign(X) (0 at X = 0)."""
    return _unary(_ops.abs, np.abs)


_erf = np.vectorize(math.erf, otypes=[np.float64])


@op("Erf")
def erf(node: Node):
    r"""Erf(X) = (2/√π) ∫₀^X e^{−t²} dt.   Derivative: (2/√π) e^{−X²}."""
    return _unary(_ops.erf, lambda a: _erf(a).astype(a.dtype))


@op("Equal")
def equal(node: Node):
    r"""Equal(A, B) = (A == B), boolean (no derivative: the result is a NumPy array)."""
    return lambda a, b: np.equal(array(a), array(b))


@op("Where")
def where(node: Node):
    r"""Where(C, X, Y) = X where C else Y (broadcast).

    Derivative: ∂/∂X = C, ∂/∂Y = ¬C (summed over broadcast axes).
    """
    def run(cond, x, y):
        c = array(cond).astype(bool)
        if any_tensor(x, y):
            return _ops.where(tensor(c), tensor(x), tensor(y))
        return np.where(c, np.asarray(x), np.asarray(y))

    return run


@op("Reciprocal")
def reciprocal(node: Node):
    r"""Reciprocal(X) = 1/X.   Derivative: −1/X²."""
    return _unary(_ops.reciprocal, np.reciprocal)


@op("Sign")
def sign(node: Node):
    r"""Sign(X) = −1, 0 or 1 by X's sign.   Derivative: 0 (almost everywhere)."""
    return _unary(_ops.sign, np.sign)


@op("Ceil")
def ceil(node: Node):
    r"""Ceil(X) = ⌈X⌉, the least integer ≥ X.   Derivative: 0 (almost everywhere)."""
    return _unary(_ops.ceil, np.ceil)


@op("Floor")
def floor(node: Node):
    r"""Floor(X) = ⌊X⌋, the greatest integer ≤ X.   Derivative: 0 (almost everywhere)."""
    return _unary(_ops.floor, np.floor)


@op("Sin")
def sin(node: Node):
    r"""Sin(X) = sin X.   Derivative: cos X."""
    return _unary(_ops.sin, np.sin)


@op("Cos")
def cos(node: Node):
    r"""Cos(X) = cos X.   Derivative: −sin X."""
    return _unary(_ops.cos, np.cos)


@op("Mod")
def mod(node: Node):
    r"""Mod(A, B): with fmod = 0 (integers only) the remainder takes B's sign (Python's %);
    with fmod = 1 it takes A's sign (C's fmod), as floating-point inputs require.

    Derivative (fmod = 1): ∂/∂A = 1, ∂/∂B = −trunc(A/B).
    """
    c_style = node.flag("fmod")

    def run(a, b):
        if any_tensor(a, b):
            if not c_style:
                raise ValueError("Mod: fmod=0 is defined for integers only; a floating-point "
                                 "input needs fmod=1")
            return _ops.fmod(tensor(a), tensor(b))
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind in "iu" and b.dtype.kind in "iu" and np.any(b == 0):
            raise ZeroDivisionError("Mod: integer division by zero")
        if c_style:
            return np.asarray(np.fmod(a, b))
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            raise ValueError("Mod: fmod=0 is defined for integers only; a floating-point "
                             "input needs fmod=1")
        return np.asarray(np.mod(a, b))

    return run


def _variadic(tensor_fn, array_fn):
    def run(*xs):
        out = xs[0]
        for x in xs[1:]:
            out = (tensor_fn(tensor(out), tensor(x)) if any_tensor(out, x)
                   else np.asarray(array_fn(np.asarray(out), np.asarray(x))))
        return out
    return run


@op("Max")
def max_(node: Node):
    r"""Max(X₁, …, X_n) = elementwise maximum (broadcast).

    Derivative: g to the largest operand (ties share it evenly, as chainrule's maximum).
    """
    return _variadic(_ops.maximum, np.maximum)


@op("Min")
def min_(node: Node):
    r"""Min(X₁, …, X_n) = elementwise minimum (broadcast).

    Derivative: g to the smallest operand (ties share it evenly, as chainrule's minimum).
    """
    return _variadic(_ops.minimum, np.minimum)


@op("Sum")
def sum_(node: Node):
    r"""Sum(X₁, …, X_n) = X₁ + … + X_n (broadcast).   Derivative: 1 to each operand."""
    return _variadic(lambda a, b: a + b, np.add)


@op("Mean")
def mean(node: Node):
    r"""Mean(X₁, …, X_n) = (X₁ + … + X_n) / n (broadcast).   Derivative: 1/n to each operand."""
    add = _variadic(lambda a, b: a + b, np.add)

    def run(*xs):
        total = add(*xs)
        if is_tensor(total):
            return total / len(xs)
        return np.asarray(total / np.asarray(len(xs), dtype=total.dtype))

    return run


def _compare(array_fn):
    return lambda a, b: np.asarray(array_fn(array(a), array(b)))


@op("Greater")
def greater(node: Node):
    r"""Greater(A, B) = (A > B), boolean."""
    return _compare(np.greater)


@op("Less")
def less(node: Node):
    r"""Less(A, B) = (A < B), boolean."""
    return _compare(np.less)


def _boolean(name: str, fn):
    def run(*xs):
        values = [array(x) for x in xs]
        if any(v.dtype != np.bool_ for v in values):
            raise TypeError(f"{name}: expects boolean inputs, got "
                            f"{', '.join(str(v.dtype) for v in values)}")
        return np.asarray(fn(*values))
    return run


@op("And")
def and_(node: Node):
    r"""And(A, B) = A ∧ B, boolean."""
    return _boolean("And", np.logical_and)


@op("Or")
def or_(node: Node):
    r"""Or(A, B) = A ∨ B, boolean."""
    return _boolean("Or", np.logical_or)


@op("Not")
def not_(node: Node):
    r"""Not(A) = ¬A, boolean."""
    return _boolean("Not", np.logical_not)
