"""The two kinds of value an imported graph passes between nodes, and moving between them.

* A chainrule :class:`~chainrule.Tensor` — always floating point — for everything computed from
  a parameter or a floating-point graph input: the differentiable path, recorded by autograd.
* A NumPy array for everything else: integer and boolean values (shapes, indices, masks, the
  ``Shape → Gather → Concat → Reshape`` arithmetic exporters write) and constants. Operations on
  arrays alone are computed with NumPy, at run time, outside the autograd graph.

A kernel that receives a mixture turns its arrays into Tensors (:func:`tensor`). A result that is
not floating point leaves the Tensor world (:func:`settle`): nothing can differentiate through
it, and keeping it an array keeps integer arithmetic exact and cheap.
"""
from __future__ import annotations

import numpy as np

from ..ops.creation import as_tensor
from ..tensor import Tensor

__all__ = ["is_tensor", "tensor", "array", "ints", "settle", "any_tensor", "is_float"]


def is_tensor(value) -> bool:
    return isinstance(value, Tensor)


def any_tensor(*values) -> bool:
    return any(isinstance(v, Tensor) for v in values)


def tensor(value) -> Tensor:
    """``value`` as a Tensor (arrays become constant Tensors that require no grad)."""
    if isinstance(value, Tensor):
        return value
    return as_tensor(np.asarray(value))


def array(value) -> np.ndarray:
    """``value``'s numbers as a NumPy array (a Tensor's are read without its graph)."""
    if isinstance(value, Tensor):
        return np.asarray(value.detach().numpy())
    return np.asarray(value)


def ints(value) -> tuple[int, ...]:
    """A 0-d or 1-d integer value (a shape, axes, pads, starts) as a tuple of Python ints."""
    a = array(value)
    if a.dtype.kind not in "iub":
        raise TypeError(f"expected an integer tensor, got dtype {a.dtype}")
    return tuple(int(v) for v in a.reshape(-1))


def is_float(value) -> bool:
    return np.dtype(value.dtype).kind in "fc"


def settle(value):
    """Results that are not floating point become NumPy arrays; NumPy scalars become 0-d arrays."""
    if isinstance(value, Tensor):
        return value if is_float(value) else array(value)
    return np.asarray(value)


# ONNX TensorProto element types chainrule computes with (others are refused where they appear).
DTYPES: dict[int, np.dtype] = {
    1: np.dtype(np.float32), 2: np.dtype(np.uint8), 3: np.dtype(np.int8),
    4: np.dtype(np.uint16), 5: np.dtype(np.int16), 6: np.dtype(np.int32),
    7: np.dtype(np.int64), 9: np.dtype(np.bool_), 10: np.dtype(np.float16),
    11: np.dtype(np.float64), 12: np.dtype(np.uint32), 13: np.dtype(np.uint64),
}
DTYPE_NAMES = {1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32",
               7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32",
               13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16"}
