r"""Gradients of complex tensors: PyTorch's convention, and which primitives follow it.

For a real loss L of z = x + iy, the gradient chainrule (as PyTorch) stores is

    z.grad = ∂L/∂x + i·∂L/∂y        (twice the conjugate Wirtinger derivative ∂L/∂z̄),

so that a gradient-descent step z − η·z.grad decreases L, and L = Σ|z|² gives z.grad = 2z.
The chain rule in this convention: for s = f(z) with incoming gradient g = ∂L/∂u + i·∂L/∂v
(s = u + iv),

    grad_z = g · conj(∂s/∂z) + conj(g) · ∂s/∂z̄.

A holomorphic f has ∂s/∂z̄ = 0, so grad_z = g · conj(f′(z)); a map that is linear with real
coefficients (a sum, a reshape, a slice) passes g through its real adjoint unchanged.

Each primitive declares what its ``vjp`` does with complex values in its class attribute
``complex_grad`` (the derivative rule stays data, next to the real one):

- ``None`` (the default): not implemented. Recording a node of this primitive with a complex input
  or result raises, naming the operation, instead of computing a silently wrong gradient.
- ``"real_linear"``: the map is linear with real coefficients (add, sum, reshape, getitem, …):
  the real ``vjp`` is already the complex one.
- ``"holomorphic"``: the real ``vjp`` is g times an analytic expression of the saved values (g·y
  for exp, g/x for log, g·y for a product): its complex rule is
  conj(vjp(conj g)) = g·conj(f′(z)), taken here, in one place, for every such primitive.
- ``"explicit"``: the ``vjp`` is written for complex values itself (abs, angle, conj, real,
  the Fourier transforms).

Where a real input meets a complex gradient (a real tensor times a complex constant), its
gradient is the real part of that gradient (PyTorch's ``handle_r_to_c``): the engine applies that
rule in one place (:func:`real_part` from ``engine._accumulate``).
"""
from __future__ import annotations

from ..backend import dtype_kind, namespace, ndarray
from ..tensor import Tensor

RULES = (None, "real_linear", "holomorphic", "explicit")


def is_complex(value) -> bool:
    """Whether ``value`` (an array, a Tensor or a Python number) holds complex numbers."""
    if isinstance(value, complex):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and dtype_kind(dtype) == "c"


def involves_complex(arrays, out) -> bool:
    """Whether a primitive's inputs or result are complex (then its rule must opt in). This runs
    on every recorded node: NumPy arrays and Python numbers are answered first."""
    if (out.dtype.kind if type(out) is ndarray else dtype_kind(out.dtype)) == "c":
        return True
    for a in arrays:
        kind = type(a)
        if kind is ndarray:
            if a.dtype.kind == "c":
                return True
        elif kind in _REAL_SCALARS:
            continue
        elif kind is complex or is_complex(a):
            return True
        elif kind in (list, tuple) and any(is_complex(v) for v in a):
            return True
    return False


_REAL_SCALARS = frozenset((int, float, bool, type(None), str))


def conj(value):
    """The complex conjugate of an array, a Tensor (differentiably) or a number; a real value
    is returned itself (no copy)."""
    if value is None or not is_complex(value):
        return value
    if isinstance(value, complex):
        return value.conjugate()
    if isinstance(value, Tensor):
        from ..ops import conj as tensor_conj

        return tensor_conj(value)
    return namespace(value).conj(value)


def real_part(g):
    """The gradient of a real input that received the complex gradient ``g``: its real part."""
    if isinstance(g, Tensor):
        from ..ops import real

        return real(g)
    if hasattr(g, "real") and not callable(g.real):
        return g.real
    return namespace(g).real(g)


_CONJUGATED: dict[type, type] = {}


def rule_for(cls: type) -> type:
    """The class whose ``vjp`` gives ``cls``'s gradient on complex values (``cls`` itself, or its
    conjugated variant for a holomorphic primitive); raises for a primitive that has not opted in.
    """
    rule = getattr(cls, "complex_grad", None)
    if rule in ("real_linear", "explicit"):
        return cls
    if rule == "holomorphic":
        variant = _CONJUGATED.get(cls)
        if variant is None:
            variant = _CONJUGATED[cls] = _conjugated(cls)
        return variant
    raise NotImplementedError(
        f"{cls.name}: complex gradients are not implemented for this operation (one of its "
        f"inputs or its result is complex while gradients are being recorded). Compute it "
        f"under chainrule.no_grad() or on detached tensors, or write it with real tensors "
        f"(z.real, z.imag).")


def _conjugated(cls: type) -> type:
    """A subclass of the holomorphic primitive ``cls`` whose vjp is conj(cls.vjp(conj g))."""
    real_vjp = cls.vjp

    def vjp(ctx, g):
        grads = real_vjp(ctx, conj(g))
        if type(grads) is tuple:
            return tuple(conj(gi) for gi in grads)
        return conj(grads)

    return type(cls.__name__, (cls,), {"vjp": staticmethod(vjp), "__doc__": cls.__doc__,
                                       "__module__": cls.__module__})
