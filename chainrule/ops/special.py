"""The error function, written with whole-array NumPy (NumPy has no erf of its own).

erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt is evaluated as

- |x| < 2:  the everywhere-positive series erf(x) = (2/√π) e^{−x²} Σₙ 2ⁿ x^{2n+1} / (2n+1)!!,
  whose terms have one sign, so no digits are lost to cancellation;
- |x| ≥ 2:  erfc(|x|) = e^{−x²} / (√π · K(x)) with Laplace's continued fraction
  K(x) = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))), evaluated from a fixed depth upwards.

Both loops run over terms, not elements, and are accurate to a few units in the last place of
float64 (checked against Python's math.erf in the tests). With the fast kernels (numba) erf and
erfc are the C library's, element by element, in one pass (kernels/special.py).
"""
from __future__ import annotations

import math

from .. import kernels
from ..autograd.function import Function, primitive
from ..backend import namespace, special_function, xp
from ..parallel import map_flat
from ..tensor import Tensor
from .complex_checks import refuse_complex
from .promotion import to_float

_SERIES_TERMS = 60
_FRACTION_DEPTH = 80
_SPLIT = 2.0
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf_series(x):
    term = x.copy()
    total = x.copy()
    two_x2 = 2.0 * x * x
    for n in range(1, _SERIES_TERMS):
        term *= two_x2 / (2 * n + 1)
        total += term
    return _TWO_OVER_SQRT_PI * xp.exp(-x * x) * total


def _erfc_fraction(x):
    """erfc(x) for x ≥ 2 by Laplace's continued fraction."""
    f = x.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        f = x + (0.5 * k) / f
    return xp.exp(-x * x) / (math.sqrt(math.pi) * f)


def _kernel(name, x):
    """erf or erfc of a float array by the fast kernel (None when the kernels don't take it)."""
    if x.dtype.kind != "f" or not kernels.takes(x):
        return None
    from ..kernels import special as K

    flat = x if x.flags.c_contiguous else xp.ascontiguousarray(x)    # (keeps a 0-d array 0-d)
    # computed in float64, then rounded to x's dtype, as on the NumPy path
    out = map_flat(getattr(K, name), xp.empty(flat.shape, dtype=xp.float64), flat)
    return out.astype(x.dtype, copy=False)


def erf_array(x):
    """erf on a backend array (computed in float64, returned in x's dtype)."""
    x = xp.asarray(x)
    fast = _kernel("erf_into", x)
    if fast is not None:
        return fast
    x64 = x.astype(xp.float64)
    out = xp.empty_like(x64)
    small = xp.abs(x64) < _SPLIT
    out[small] = _erf_series(x64[small])
    large = ~small
    if large.any():
        a = xp.abs(x64[large])
        out[large] = xp.sign(x64[large]) * (1.0 - _erfc_fraction(a))
    return out.astype(x.dtype if x.dtype.kind == "f" else xp.float64, copy=False)


def erfc_array(x):
    """erfc = 1 − erf on a backend array, accurate in the far right tail (no cancellation)."""
    x = xp.asarray(x)
    fast = _kernel("erfc_into", x)
    if fast is not None:
        return fast
    x64 = x.astype(xp.float64)
    out = xp.empty_like(x64)
    large = x64 >= _SPLIT
    out[~large] = 1.0 - erf_array(x64[~large])
    if large.any():
        out[large] = _erfc_fraction(x64[large])
    return out.astype(x.dtype if x.dtype.kind == "f" else xp.float64, copy=False)


@primitive
class Erf(Function):
    """The error function.

    Forward:     y = erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt
    Derivative:  ∂y/∂x = (2/√π) e^{−x²}
    VJP:         ∂L/∂x = g · (2/√π) e^{−x²}
    Numerics:    series for |x| < 2, continued fraction for erfc beyond (see the module); the
                 C library's erf on the fast path. Arrays of other libraries: their own erf, else
                 a host round trip (backend.special_function).
    """

    name = "erf"
    array_api = True
    text = ("y = erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt", "∂y/∂x = (2/√π) e^{−x²}")
    latex = (r"y = \operatorname{erf}(x) = \frac{2}{\sqrt{\pi}}\int_0^x e^{-t^2}\,dt",
             r"\frac{\partial y}{\partial x} = \frac{2}{\sqrt{\pi}} e^{-x^2}")
    explanation = "erf is the integral of a Gaussian; by the fundamental theorem its slope is it."
    reference = staticmethod(erf_array)

    @staticmethod
    def forward(ctx, x):
        refuse_complex("erf", x)
        ctx.save(x)
        return special_function("erf", erf_array, x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g * (_TWO_OVER_SQRT_PI * namespace(x).exp(-x * x))


def erf(x):
    """erf(x), differentiable for Tensors; on a plain array, the array function."""
    if isinstance(x, Tensor):
        return Erf.apply(to_float(x))   # integers and booleans: the default float dtype
    return special_function("erf", erf_array, x)


def normal_cdf(x):
    """Φ(x) = ½ erfc(−x/√2), the standard normal CDF (accurate in the left tail for arrays)."""
    if isinstance(x, Tensor):
        return 0.5 * (1.0 + Erf.apply(x * (1.0 / math.sqrt(2.0))))
    return 0.5 * special_function("erfc", erfc_array, -x * (1.0 / math.sqrt(2.0)))
