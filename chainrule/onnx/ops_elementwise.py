"""Elementwise operators (with NumPy broadcasting): Add, Sub, Mul, Div, Pow, Sqrt, Exp, Log, Neg,
Abs, Erf, Equal, Where.

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
