"""Tensor methods PyTorch programs use that are compositions of existing functions:
``x.matmul(w)``, ``x.maximum(y)``, ``x.ravel()``, ``x.nelement()``, ``x.ndimension()``,
``x.stride()``, ``addcmul``/``addcdiv`` (hand-written optimizers use their in-place forms),
``nansum``/``nanmean``. Each is the function of the same name, with PyTorch's signature.
"""
from __future__ import annotations

import math

from .. import layouts
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ..backend import astype, is_foreign_array, namespace, xp
from ..tensor import Tensor, tensor_method
from . import elementwise as _ew
from . import linalg as _linalg
from . import reduce as _reduce
from .arithmetic import add, divide, multiply
from .complex_checks import ORDER, refuse_complex
from .movement import reshape


@tensor_method
def matmul(input, other):  # noqa: A002
    """The matrix product, as the ``@`` operator."""
    return _linalg.matmul(input, other)


@tensor_method
def maximum(input, other):  # noqa: A002
    return _ew.maximum(input, other)


@tensor_method
def minimum(input, other):  # noqa: A002
    return _ew.minimum(input, other)


@tensor_method
def ravel(input):  # noqa: A002
    """The entries as a 1-d tensor (a view when the memory allows)."""
    return reshape(input, (-1,))


@tensor_method
def nelement(input) -> int:  # noqa: A002
    return input.numel()


@tensor_method
def ndimension(input) -> int:  # noqa: A002
    return input.ndim


@tensor_method
def stride(input, dim: int | None = None):  # noqa: A002
    """Steps in elements between neighbours along each dim (PyTorch's strides)."""
    data = input._data
    if type(data) is not xp.ndarray and not hasattr(data, "strides"):
        # the array API standard has no strides: read the layout that the library hands the
        # host (DLPack keeps the strides of array_api_strict's memory)
        from ..backend import to_numpy
        data = to_numpy(data)
    steps = tuple(s // data.itemsize for s in data.strides)
    return steps if dim is None else steps[dim]


@tensor_method(inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value · tensor1 · tensor2."""
    out = add(input, multiply(multiply(tensor1, tensor2), value))
    return layouts.relaid(out, layouts.pointwise, _operands(input, tensor1, tensor2))


@tensor_method(inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value · tensor1 / tensor2."""
    out = add(input, multiply(divide(tensor1, tensor2), value))
    return layouts.relaid(out, layouts.pointwise, _operands(input, tensor1, tensor2))


def _operands(*tensors) -> list:
    """The arrays of a fused op's operands, in PyTorch's order (its TensorIterator's layout)."""
    return [t._data for t in tensors if isinstance(t, Tensor)]


@tensor_method
def nansum(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    """Σ over ``dim`` treating NaN as 0 (NaN entries get no gradient: g · 0, as PyTorch)."""
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    return _reduce.nansum(input, axis, keepdim, dtype=dtype)


@tensor_method
def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    """The mean over ``dim`` of the entries that are not NaN: nansum / count (an all-NaN slice
    gives 0/0 = NaN, and passes g/0 back to nansum, whose g · 0 makes its gradient NaN, as in
    PyTorch)."""
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    total = _reduce.nansum(input, axis, keepdim, dtype=dtype)
    data = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if type(data) is not xp.ndarray and is_foreign_array(data):
        ns = namespace(data)        # the standard has no bool .sum(): count in total's dtype
        count = ns.sum(astype(~ns.isnan(data), total._data.dtype), axis=axis, keepdims=keepdim)
        return divide(total, Tensor._from_op(count, None))
    count = (~xp.isnan(data)).sum(axis=axis, keepdims=keepdim)
    return divide(total, Tensor._from_op(xp.asarray(count, dtype=total.dtype), None))


# ------------------------------------------------------------------ top-level forms and predicates
def all(input, dim=None, keepdim: bool = False):  # noqa: A001, A002  (PyTorch's names)
    """True where every element (along ``dim``, an int or a tuple) is nonzero: ``x.all(dim)``."""
    return input.all(dim=dim, keepdim=keepdim)


def any(input, dim=None, keepdim: bool = False):  # noqa: A001, A002
    """True where some element (along ``dim``, an int or a tuple) is nonzero: ``x.any(dim)``."""
    return input.any(dim=dim, keepdim=keepdim)


def detach(input):  # noqa: A002
    """``input.detach()``: the same values, cut from the graph."""
    return input.detach()


def _numpy_dtype(input):
    from ..backend import numpy_dtype

    return numpy_dtype(input.dtype)


@tensor_method
def is_complex(input) -> bool:  # noqa: A002
    return _numpy_dtype(input).kind == "c"


@tensor_method
def is_signed(input) -> bool:  # noqa: A002
    """Whether the dtype holds negative numbers (floats and signed integers; not uint8, bool)."""
    return _numpy_dtype(input).kind in "fci"


@tensor_method
def is_nonzero(input) -> bool:  # noqa: A002
    """``bool(x)`` of a one-element tensor; PyTorch's error for any other size."""
    if input.numel() != 1:
        raise RuntimeError(f"is_nonzero: Boolean value of Tensor with "
                           f"{'no values' if input.numel() == 0 else 'more than one value'} is "
                           f"ambiguous (shape {tuple(input.shape)})")
    return bool(input.item())


@tensor_method
def is_same_size(input, other) -> bool:  # noqa: A002
    return tuple(input.shape) == tuple(other.shape)


def scalar_tensor(s, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number ``s``, float32 by default (PyTorch's)."""
    from ..backend import get_default_dtype
    from .creation import tensor

    return tensor(float(s) if dtype is None else s, dtype=dtype or get_default_dtype(),
                  requires_grad=requires_grad)


@tensor_method(inplace=True)
def deg2rad(input):  # noqa: A002
    """Degrees to radians: x·π/180 (integers become the default float dtype)."""
    refuse_complex("deg2rad", input, error=RuntimeError)
    from .promotion import to_float

    return multiply(to_float(input), math.pi / 180)


@tensor_method(inplace=True)
def rad2deg(input):  # noqa: A002
    """Radians to degrees: x·180/π."""
    refuse_complex("rad2deg", input, error=RuntimeError)
    from .promotion import to_float

    return multiply(to_float(input), 180 / math.pi)


@tensor_method
def signbit(input):  # noqa: A002
    """True where the sign bit is set (−0.0 and NaNs with the sign bit included): no gradient."""
    data = input._data
    ns = namespace(data)
    return Tensor._from_op(ns.signbit(data) if _numpy_dtype(input).kind == "f"
                           else data < 0, None)


def rsub(input, other, *, alpha=1):  # noqa: A002
    """other − alpha·input (PyTorch's reversed subtraction)."""
    from .arithmetic import subtract

    return subtract(other, multiply(input, alpha) if alpha != 1 else input)


@tensor_method(inplace=True)
def float_power(input, exponent):  # noqa: A002
    """input^exponent computed in double precision (float64, complex128 for complex operands),
    as PyTorch's float_power."""
    from .arithmetic import power

    def wide(v):
        if isinstance(v, Tensor):
            return v.to(xp.complex128 if _numpy_dtype(v).kind == "c" else xp.float64)
        return v
    return power(wide(input), wide(exponent))


def _integer_pair(op, input, other):
    from .promotion import promote

    (a, b), dtype = promote(input, other)
    if xp.dtype(dtype).kind not in "iub":
        raise RuntimeError(f"{op}: expected integer tensors, got dtype {dtype}")
    return a, b


@tensor_method(inplace=True)
def gcd(input, other):  # noqa: A002
    """The greatest common divisor, elementwise (integers; no gradient)."""
    return _on_host(xp.gcd, *_integer_pair("gcd", input, other))


@tensor_method(inplace=True)
def lcm(input, other):  # noqa: A002
    """The least common multiple, elementwise (integers; no gradient)."""
    return _on_host(xp.lcm, *_integer_pair("lcm", input, other))


@tensor_method(inplace=True)
def heaviside(input, values):  # noqa: A002
    """The step function: 0 for x < 0, ``values`` at x = 0, 1 for x > 0 (and 0 for NaN, as
    PyTorch's x > 0). Not differentiable in PyTorch, which raises on a backward through it; so
    does chainrule."""
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    refuse_complex("heaviside", input, values, reason=ORDER, error=RuntimeError)
    if input.dtype != values.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes "
                           f"({input.dtype} and {values.dtype})")
    x, v = input._data, values._data
    ns = namespace(x)
    out = ns.where(x == 0, v, astype(x > 0, x.dtype))
    if input.requires_grad or values.requires_grad:
        return _NotDifferentiable.apply(input, values, value=out, op="heaviside")
    return Tensor._from_op(out, None)


class _NotDifferentiable(Function):
    """A value computed beside the graph from inputs that require a gradient, whose backward
    raises, as PyTorch's for a function it has no derivative of.

    Forward:     y = value
    VJP:         raises
    """

    name = "not_differentiable"
    array_api = True

    @staticmethod
    def forward(ctx, *inputs, value=None, op=""):
        ctx.op = op
        return value

    @staticmethod
    def vjp(ctx, g):
        raise RuntimeError(f"the derivative for '{ctx.op}' is not implemented.")


@tensor_method
def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """True where an element of ``elements`` occurs in ``test_elements`` (either may be a
    number); no gradient."""
    return _on_host(lambda a, b: xp.isin(a, b, assume_unique=assume_unique, invert=invert),
                    elements, test_elements)


def _on_host(fn, *operands):
    """``fn`` (a NumPy function the array API standard lacks: gcd, lcm, isin) of the operands'
    values, read on the host, with the result in the first tensor operand's library (no
    gradient)."""
    from ..backend import asarray_like, to_numpy

    like = next((t._data for t in operands if isinstance(t, Tensor)), None)
    host = [to_numpy(t._data) if isinstance(t, Tensor) else xp.asarray(t) for t in operands]
    out = xp.asarray(fn(*host))
    return Tensor._from_op(out if like is None else asarray_like(out, like), None)


@tensor_method
def positive(input):  # noqa: A002
    """+x: the tensor itself (PyTorch's; a bool tensor refuses, as there)."""
    if _numpy_dtype(input).kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# ------------------------------------------------------------ older spellings and methods
@tensor_method
@autocast_op("triangular_solve")
def triangular_solve(input, A, upper: bool = True, transpose: bool = False,  # noqa: A002,N803
                     unitriangular: bool = False):
    """X with A X = b (``transpose``: Aᵀ X = b), A triangular (its upper or lower triangle
    read): PyTorch's older ``torch.triangular_solve(b, A)``, which returns (solution,
    cloned_coefficient) — linalg.solve_triangular with the arguments in the other order."""
    from .. import return_types
    from .linalg_extra import solve_triangular

    coefficient = A.mT if transpose else A
    x = solve_triangular(coefficient, input, upper=upper != transpose, left=True,
                         unitriangular=unitriangular)
    return return_types.triangular_solve(x, A.clone())


def _method_of(target: str, name: str):
    """The Tensor method ``name`` that calls ``target``: a Tensor method (looked up at the call)
    or, as "module:function", a function of chainrule.ops."""
    module, _, function = target.rpartition(":")

    def method(self, *args, **kwargs):
        if not module:
            return getattr(self, function)(*args, **kwargs)
        from importlib import import_module

        return getattr(import_module(f"chainrule.ops.{module}"), function)(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"``{function}`` as a Tensor method (PyTorch's spelling ``x.{name}``)."
    return method


# Tensor methods PyTorch has for functions chainrule keeps elsewhere: x.hardshrink(λ), x.prelu(w),
# and the "unsafe" split spellings (the same pieces: chainrule has no view bookkeeping for them
# to skip)
for _name, _target in (("hardshrink", "activations_extra:hardshrink"),
                       ("prelu", "activations_extra:prelu"), ("unsafe_chunk", "chunk"),
                       ("unsafe_split", "split"), ("unsafe_split_with_sizes", "split_with_sizes")):
    setattr(Tensor, _name, _method_of(_target, _name))
