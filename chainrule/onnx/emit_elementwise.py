"""Elementwise primitives: arithmetic, functions of one variable, rounding, where, clip, casts.

ONNX's elementwise operators broadcast as NumPy does (multidirectional broadcasting) but want
their inputs of one type, while chainrule promotes as PyTorch (``int_tensor * 0.5`` is float):
every input is therefore cast to the primitive's result type first, and a Python number becomes
a 0-d constant of that type. Where ONNX has no operator of the same name, the function is
written with the identity beside it (log2 x = ln x / ln 2, expm1 x = eˣ − 1, …); those forms
agree with chainrule's to float rounding, not bit for bit, in the tails (expm1 and log1p near 0
lose the relative accuracy that NumPy's dedicated functions keep).
"""
from __future__ import annotations

import math

import numpy as np

from .builder import Op
from .emitters import emits

_BINARY = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div",
           "power": "Pow", "maximum": "Max", "minimum": "Min"}

_UNARY = {"negative": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs",
          "sin": "Sin", "cos": "Cos", "tanh": "Tanh", "erf": "Erf", "tan": "Tan", "asin": "Asin",
          "acos": "Acos", "atan": "Atan", "sinh": "Sinh", "cosh": "Cosh", "asinh": "Asinh",
          "acosh": "Acosh", "atanh": "Atanh", "reciprocal": "Reciprocal", "floor": "Floor",
          "ceil": "Ceil", "sign": "Sign", "copy": "Identity"}


def inputs(op: Op, count: int | None = None) -> list[str]:
    """The first ``count`` arguments (all by default) as names of the result's type."""
    n = op.nargs if count is None else count
    return [op.x(i, op.out_dtype) for i in range(n)]


@emits(*_BINARY)
def binary(op: Op) -> str:
    """z = x ∘ y for ∘ in +, −, ×, ÷, ^, max, min: Add, Sub, Mul, Div, Pow, Max, Min, on both
    inputs cast to the result type (so integer ÷ integer is the true quotient, as in PyTorch)."""
    return op.node(_BINARY[op.name], inputs(op, 2))


@emits(*_UNARY)
def unary(op: Op) -> str:
    """y = f(x) with ONNX's operator of the same function (Neg, Exp, Log, Sqrt, Abs, Sin, …);
    ``copy`` is Identity."""
    return op.node(_UNARY[op.name], inputs(op, 1))


def _check_plain(op: Op) -> None:
    extra = {k: v for k, v in op.call.params.items() if v not in (None, 0)}
    if extra:
        raise op.refuse(f"parameters {extra} have no ONNX form here")


@emits("exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "erfc", "trunc", "round")
def composed(op: Op) -> str:
    """The functions ONNX writes with an identity: 2ˣ = Pow(2, x), eˣ − 1, ln x / ln 2,
    ln x / ln 10, ln(1 + x), 1/√x, 1 − erf x, trunc x = x ≥ 0 ? ⌊x⌋ : ⌈x⌉, and round (half to
    even, as Round)."""
    _check_plain(op)
    (x,) = inputs(op, 1)
    dt = op.out_dtype
    if op.name == "exp2":
        return op.node("Pow", [op.const(2.0, dt), x])
    if op.name == "expm1":
        return op.node("Sub", [op.node("Exp", [x]), op.const(1.0, dt)])
    if op.name in ("log2", "log10"):
        base = 2.0 if op.name == "log2" else 10.0
        return op.node("Div", [op.node("Log", [x]), op.const(math.log(base), dt)])
    if op.name == "log1p":
        return op.node("Log", [op.node("Add", [x, op.const(1.0, dt)])])
    if op.name == "rsqrt":
        return op.node("Reciprocal", [op.node("Sqrt", [x])])
    if op.name == "erfc":
        return op.node("Sub", [op.const(1.0, dt), op.node("Erf", [x])])
    if op.name == "round":
        return op.node("Round", [x])
    if np.dtype(dt).kind != "f":
        return op.node("Identity", [x])
    negative = op.node("Less", [x, op.const(0.0, dt)])
    return op.node("Where", [negative, op.node("Ceil", [x]), op.node("Floor", [x])])


@emits("div_rounded")
def div_rounded(op: Op) -> str:
    """x // y: floor(x / y) ('floor' mode) or trunc(x / y) ('trunc'); for integers, Div (which
    truncates) corrected by −1 where the signs differ and the division is inexact (floor)."""
    mode = op.param("mode", "floor")
    x, y = inputs(op, 2)
    dt = op.out_dtype
    q = op.node("Div", [x, y])
    if np.dtype(dt).kind == "f":
        if mode == "floor":
            return op.node("Floor", [q])
        negative = op.node("Less", [q, op.const(0.0, dt)])
        return op.node("Where", [negative, op.node("Ceil", [q]), op.node("Floor", [q])])
    if mode != "floor":
        return q
    inexact = op.node("Not", [op.node("Equal", [op.node("Mul", [q, y]), x])])
    differ = op.node("Xor", [op.node("Less", [x, op.const(0, dt)]),
                             op.node("Less", [y, op.const(0, dt)])])
    fix = op.node("Cast", [op.node("And", [inexact, differ])], to=_onnx(dt))
    return op.node("Sub", [q, fix])


@emits("remainder", "fmod")
def remainder(op: Op) -> str:
    """fmod: Mod(fmod=1) (sign of x). remainder (sign of y, Python's %): Mod(fmod=0) for
    integers; for floats, where ONNX needs fmod=1, r = fmod(x, y) + y where r ≠ 0 and the signs
    of r and y differ."""
    x, y = inputs(op, 2)
    dt = op.out_dtype
    if op.name == "fmod":
        return op.node("Mod", [x, y], fmod=1)
    if np.dtype(dt).kind != "f":
        return op.node("Mod", [x, y], fmod=0)
    r = op.node("Mod", [x, y], fmod=1)
    zero = op.const(0.0, dt)
    differ = op.node("Xor", [op.node("Less", [r, zero]), op.node("Less", [y, zero])])
    fix = op.node("And", [differ, op.node("Not", [op.node("Equal", [r, zero])])])
    return op.node("Where", [fix, op.node("Add", [r, y]), r])


_COMPARISONS = {"eq": "Equal", "lt": "Less", "le": "LessOrEqual", "gt": "Greater",
                "ge": "GreaterOrEqual"}


@emits("comparison")
def comparison(op: Op) -> str:
    """x ∘ z, a bool tensor: Equal, Less, LessOrEqual, Greater, GreaterOrEqual, and ≠ as
    Not(Equal); the operands already share their promoted type (the astype before it)."""
    kind = op.call.params.get("op", "eq")
    dtype = np.result_type(*[np.asarray(getattr(op.arg(i), "_data", op.arg(i)))
                             for i in range(2)])
    operands = [op.x(i, dtype) for i in range(2)]
    if kind == "ne":
        return op.node("Not", [op.node("Equal", operands)])
    return op.node(_COMPARISONS[kind], operands)


@emits("where")
def where(op: Op) -> str:
    """where(c, x, y): Where, c as bool, x and y of the result type."""
    cond = op.x(0, np.bool_)
    return op.node("Where", [cond, op.x(1, op.out_dtype), op.x(2, op.out_dtype)])


@emits("nan_to_num")
def nan_to_num(op: Op) -> str:
    """NaN → nan, +∞ → posinf, −∞ → neginf (the dtype's extremes by default), x elsewhere:
    Where(IsNaN(x), nan, Where(IsInf⁺(x), posinf, Where(IsInf⁻(x), neginf, x)))."""
    dt = op.out_dtype
    x = op.x(0, dt)
    info = np.finfo(dt)
    posinf, neginf = op.param("posinf", None), op.param("neginf", None)
    y = op.node("Where", [op.node("IsInf", [x], detect_positive=0, detect_negative=1),
                          op.const(info.min if neginf is None else neginf, dt), x])
    y = op.node("Where", [op.node("IsInf", [x], detect_positive=1, detect_negative=0),
                          op.const(info.max if posinf is None else posinf, dt), y])
    return op.node("Where", [op.node("IsNaN", [x]), op.const(op.param("nan", 0.0), dt), y])


@emits("clip")
def clip(op: Op) -> str:
    """clip(x, lo, hi) = min(max(x, lo), hi): Clip with 0-d bounds; Max and Min for bounds
    that are tensors (elementwise bounds)."""
    x = op.x(0, op.out_dtype)
    bounds = [op.arg(1), op.arg(2)]
    if all(b is None or np.ndim(getattr(b, "_data", b)) == 0 for b in bounds):
        return op.node("Clip", [x] + [op.x(i, op.out_dtype) for i in (1, 2)])
    if bounds[0] is not None:
        x = op.node("Max", [x, op.x(1, op.out_dtype)])
    if bounds[1] is not None:
        x = op.node("Min", [x, op.x(2, op.out_dtype)])
    return x


@emits("astype")
def astype(op: Op) -> str:
    """A change of type: Cast (float → integer truncates toward zero in both)."""
    return op.node("Cast", [op.x(0)], to=_onnx(op.out_dtype))


def _onnx(dtype) -> int:
    from .builder import onnx_type

    return onnx_type(dtype)
