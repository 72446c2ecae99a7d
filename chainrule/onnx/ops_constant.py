"""Constants and types: Constant, ConstantOfShape, Cast, Dropout (inference).

Constant nodes are read when the model loads (see :mod:`chainrule.onnx.module`: a floating-point
one with at least one axis becomes a Parameter, the others constants); their kernel here only
returns the value.
"""
from __future__ import annotations

import numpy as np

from .registry import Node, op
from .values import DTYPE_NAMES, DTYPES, array, ints, is_float, is_tensor


@op("Constant")
def constant(node: Node):
    r"""Constant() = the tensor in its value attribute (value, value_float(s), value_int(s))."""
    value = constant_value(node)
    return lambda: value


def constant_value(node: Node) -> np.ndarray:
    """The array a Constant node holds; string and sparse values are refused."""
    attrs = node.attrs
    if "value" in attrs:
        return np.asarray(attrs["value"])
    if "value_float" in attrs:
        return np.asarray(attrs["value_float"], dtype=np.float32)
    if "value_floats" in attrs:
        return np.asarray(attrs["value_floats"], dtype=np.float32)
    if "value_int" in attrs:
        return np.asarray(attrs["value_int"], dtype=np.int64)
    if "value_ints" in attrs:
        return np.asarray(attrs["value_ints"], dtype=np.int64)
    kinds = ", ".join(sorted(attrs)) or "none"
    raise node.refuse(f"a Constant holding {kinds} is not supported (value, value_float(s) "
                      "and value_int(s) are)")


@op("ConstantOfShape")
def constant_of_shape(node: Node):
    r"""ConstantOfShape(shape) = a tensor of that shape filled with ``value`` (default 0.0f)."""
    value = node.attr("value")
    fill = np.zeros((), np.float32) if value is None else np.asarray(value).reshape(-1)
    if fill.size != 1:
        raise node.refuse(f"value must hold one element, got {fill.size}")
    fill = fill.reshape(())

    def run(target):
        dims = ints(target)
        if any(d < 0 for d in dims):
            raise ValueError(f"ConstantOfShape: negative dimension in {list(dims)}")
        return np.full(dims, fill, dtype=fill.dtype)

    return run


@op("Cast")
def cast(node: Node):
    r"""Cast(X) = X converted to the type ``to`` (float → integer truncates toward zero).

    Derivative: float → float passes the gradient (converted back); to any other type the result
    is an array with no gradient.
    """
    to = node.attr("to")
    if to not in DTYPES:
        raise node.refuse(f"to={DTYPE_NAMES.get(to, to)} is not supported (supported: "
                          + ", ".join(DTYPE_NAMES[t] for t in DTYPES) + ")")
    dtype = DTYPES[to]

    def run(x):
        if is_tensor(x) and dtype.kind == "f":
            return x if x.dtype == dtype else x.to(dtype)
        a = array(x)
        if dtype.kind == "f" or not is_float(a) or dtype.kind == "b":
            return a.astype(dtype)
        with np.errstate(invalid="ignore"):
            return np.trunc(a).astype(dtype)

    return run


@op("Dropout", max_outputs=2)
def dropout(node: Node):
    r"""Dropout(X, ratio?, training_mode?) in inference: Y = X, mask = all true.

    Training mode (a true training_mode input) is refused when it is met.
    """
    def run(x, ratio=None, training_mode=None):
        if training_mode is not None and bool(array(training_mode).reshape(-1)[0]):
            raise ValueError("Dropout: training_mode=True is not supported (the imported graph "
                             "runs in inference form)")
        return x, np.ones(tuple(x.shape), dtype=bool)

    return run

