r"""Complex values: ``linalg.eig``/``eigvals``, ``angle``, ``polar``, ``complex``, ``view_as_real``
and ``view_as_complex`` (PyTorch's names).

``angle``, ``polar``, ``complex`` and the two views are differentiable with PyTorch's complex
gradients (their primitives are in chainrule/ops/complex_grad.py); ``linalg.eig``/``eigvals``
give values only and refuse inputs that require grad (their gradients are not implemented),
instead of returning a result whose gradient would silently be missing.

- ``linalg.eig(A)``: A V = V diag(w) for a square real or complex A, by LAPACK's geev (NumPy's,
  as PyTorch's CPU build): eigenvalues complex always (PyTorch's rule, even when all are real),
  eigenvectors of unit 2-norm with their largest component real — unique only up to a sign
  there, which NumPy's OpenBLAS and PyTorch's MKL can choose differently (seen in float32).
- ``angle(z)``: arg z ∈ (−π, π]; of a real x, π for x < 0 and 0 otherwise (NaN stays NaN), whose
  derivative is 0 (it keeps the graph, as PyTorch's).
- ``polar(r, θ)`` = r(cos θ + i sin θ); ``complex(a, b)`` = a + ib.
- ``view_as_real(z)``: the (…, 2) real view of a complex tensor (real and imaginary parts
  interleaved in memory); ``view_as_complex(x)``: the complex view of a (…, 2) real tensor.
  Both share memory with their input, as in PyTorch.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend as B
from ..amp.autocast_mode import autocast_op
from ..autograd.grad_mode import _GradMode
from ..tensor import Tensor, tensor_method
from . import complex_grad

_COMPLEX = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}
_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
          "int32": "Int", "bool": "Bool", "complex64": "ComplexFloat",
          "complex128": "ComplexDouble"}


def _no_grad_through_complex(op: str, *tensors) -> None:
    if _GradMode.enabled and any(isinstance(t, Tensor) and t.requires_grad for t in tensors):
        raise NotImplementedError(
            f"{op}: an input requires grad, and the gradient of {op} is not implemented in "
            f"chainrule; compute it under chainrule.no_grad() or on detached tensors")


def _host(t: Tensor):
    return B.to_numpy(t._data)


def _back(values, like: Tensor) -> Tensor:
    return Tensor._make(B.asarray_like(np.ascontiguousarray(values), like._data))


# ------------------------------------------------------------------ eigen-decomposition
def _square(op: str, A: Tensor):
    a = _host(A)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        shape = a.shape[-2:] if a.ndim >= 2 else a.shape
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{' by '.join(str(n) for n in shape)} matrices")
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. "
                           f"Got {_NAMES.get(a.dtype.name, a.dtype.name)}")
    return a


def _complex_of(a):
    return a.astype(_COMPLEX.get(a.dtype, a.dtype), copy=False)


@autocast_op("linalg_eig")
def eig(A, *, out=None):  # noqa: N803
    """``torch.linalg.eig``: (eigenvalues, eigenvectors), both complex."""
    _no_grad_through_complex("linalg.eig", A)
    a = _square("linalg.eig", A)
    target = _COMPLEX.get(a.dtype, a.dtype)
    w, v = np.linalg.eig(a)
    from .. import return_types
    return return_types.linalg_eig(_back(w.astype(target), A), _back(v.astype(target), A))


@autocast_op("linalg_eigvals")
def eigvals(A, *, out=None):  # noqa: N803
    """``torch.linalg.eigvals``: the eigenvalues (complex) of a square matrix."""
    _no_grad_through_complex("linalg.eigvals", A)
    a = _square("linalg.eigvals", A)
    return _back(np.linalg.eigvals(a).astype(_COMPLEX.get(a.dtype, a.dtype)), A)


# ------------------------------------------------------------------ angle, polar, complex
@tensor_method
def angle(input) -> Tensor:  # noqa: A002
    """arg z of a complex tensor; of a real one π where x < 0, else 0 (derivative 0)."""
    data = input._data
    kind = B.dtype_kind(data.dtype)
    if kind == "c":
        return complex_grad.Angle.apply(input)
    from .promotion import to_float

    x = to_float(input)
    ns = B.namespace(x._data)
    values = Tensor._make(ns.where(x._data < 0, ns.asarray(math.pi, dtype=x._data.dtype),
                                  ns.zeros_like(x._data)))
    return values + 0 * x.clamp(-1, 1)      # NaN stays NaN; the gradient is 0


def _pair(op: str, a: Tensor, b: Tensor):
    x, y = _host(a), _host(b)
    if x.dtype != y.dtype:
        raise RuntimeError(f"Expected object of scalar type {_NAMES.get(x.dtype.name)} but got "
                           f"scalar type {_NAMES.get(y.dtype.name)} for second argument")
    if x.dtype == np.float16:
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for 'Half'")
    if x.dtype.kind != "f":
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_NAMES.get(x.dtype.name)} and {_NAMES.get(y.dtype.name)}")
    return x, y


@autocast_op("polar")
def polar(abs, angle) -> Tensor:  # noqa: A002
    """r (cos θ + i sin θ): the complex numbers of modulus ``abs`` and argument ``angle``."""
    _pair("polar", abs, angle)
    return complex_grad.Complex.apply(abs * angle.cos(), abs * angle.sin())


def complex(real, imag) -> Tensor:  # noqa: A001, A002  (PyTorch's name)
    """real + i·imag."""
    _pair("complex", real, imag)
    return complex_grad.Complex.apply(real, imag)


# ------------------------------------------------------------------ views
def view_as_real(input) -> Tensor:  # noqa: A002
    """The (…, 2) real view of a complex tensor: [real, imag] pairs sharing its memory."""
    data = input._data
    if B.dtype_kind(data.dtype) != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return complex_grad.ViewAsReal.apply(input)


@autocast_op("view_as_complex")
def view_as_complex(input) -> Tensor:  # noqa: A002
    """The complex view of a (…, 2) real tensor whose last dim has stride 1 (PyTorch's checks)."""
    data = input._data
    if not input.shape or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    kind = B.numpy_dtype(data.dtype)
    if kind not in (np.float32, np.float64):
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {_NAMES.get(kind.name)}")
    if type(data) is np.ndarray:
        if data.strides[-1] != data.itemsize:
            raise RuntimeError("Tensor must have a last dimension with stride 1")
        if any(s % (2 * data.itemsize) for s in data.strides[:-1]):
            raise RuntimeError("Tensor must have a stride divisible by 2 for all but last "
                               "dimension")
    return complex_grad.ViewAsComplex.apply(input)


__all__ = ["angle", "polar", "complex", "view_as_real", "view_as_complex"]
