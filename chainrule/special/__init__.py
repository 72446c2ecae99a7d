"""``chainrule.special``: PyTorch's ``torch.special`` names (each the same primitive or composite
as its top-level twin where it has one, with its mathematics; the Bessel, normal-distribution,
incomplete-gamma and zeta functions live in ops/special_*.py)."""
from __future__ import annotations

from ..ops import (
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    log1p,
    logit,
    polygamma,
    round,
    sigmoid,
    xlogy,
)
from ..ops import lgamma as gammaln
from ..ops import log_softmax as _log_softmax
from ..ops import logsumexp as _logsumexp
from ..ops import softmax as _softmax
from ..ops.pointwise import sinc
from ..ops.special_airy_bessel_y import airy_ai, bessel_y0, bessel_y1
from ..ops.special_bessel import (
    i0,
    i0e,
    i1,
    i1e,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
)
from ..ops.special_bessel_j import bessel_j0, bessel_j1, spherical_bessel_j0
from ..ops.special_igamma import gammainc, gammaincc, multigammaln
from ..ops.special_misc import entr, xlog1py
from ..ops.special_ndtr import erfcx, log_ndtr, ndtr, ndtri
from ..ops.special_polynomials import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from ..ops.special_zeta import zeta

expit = sigmoid
psi = digamma


def softmax(input, dim: int, dtype=None):  # noqa: A002
    return _softmax(input if dtype is None else input.to(dtype), dim=dim)


def log_softmax(input, dim: int, dtype=None):  # noqa: A002
    return _log_softmax(input if dtype is None else input.to(dtype), dim=dim)


def logsumexp(input, dim, keepdim: bool = False):  # noqa: A002
    return _logsumexp(input, dim=dim, keepdim=keepdim)


__all__ = ["erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "logit", "round", "expit", "xlogy",
           "softmax", "log_softmax", "logsumexp", "gammaln", "digamma", "psi", "polygamma"]
# the functions of ops/special_*.py (round 33)
__all__ += ["ndtr", "ndtri", "log_ndtr", "erfcx", "i0", "i0e", "i1", "i1e", "entr", "xlog1py",
            "sinc", "multigammaln", "gammainc", "gammaincc", "zeta", "bessel_j0", "bessel_j1",
            "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
            "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
            "spherical_bessel_j0"]
# the orthogonal polynomials, Airy's Ai and Bessel's Y₀, Y₁ (round 34: ops/special_polynomials.py,
# ops/special_airy_bessel_y.py)
__all__ += ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
            "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
            "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
            "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
            "laguerre_polynomial_l", "legendre_polynomial_p", "airy_ai", "bessel_y0", "bessel_y1"]
