"""The von Mises (circular normal) distribution."""
from __future__ import annotations

import math

from .. import backend
from ..backend import xp
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, broadcast_all

# PyTorch's polynomial approximations of log I₀ and log I₁ (Abramowitz & Stegun 9.8.1–9.8.4),
# used as PyTorch uses them, so that log_prob and variance give PyTorch's numbers (they differ
# from the exact Bessel functions by up to ~1e-7 relative).
_I0_COEF_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2]
_I0_COEF_LARGE = [0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2,
                  -0.2057706e-1, 0.2635537e-1, -0.1647633e-1, 0.392377e-2]
_I1_COEF_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2,
                  0.32411e-3]
_I1_COEF_LARGE = [0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1,
                  0.2282967e-1, -0.2895312e-1, 0.1787654e-1, -0.420059e-2]
_COEF_SMALL = [_I0_COEF_SMALL, _I1_COEF_SMALL]
_COEF_LARGE = [_I0_COEF_LARGE, _I1_COEF_LARGE]


def _eval_poly(y, coef):
    coef = list(coef)
    result = coef.pop()
    while coef:
        result = coef.pop() + y * result
    return result


def _log_modified_bessel_fn(x: Tensor, order: int = 0) -> Tensor:
    """log Iₙ(x), n ∈ {0, 1}, x > 0: a polynomial in (x/3.75)² below 3.75, and
    x − ½ log x + log(poly(3.75/x)) above (PyTorch's approximation)."""
    from .. import where
    if order not in (0, 1):
        raise AssertionError(f"order must be 0 or 1, got {order}")
    y = x / 3.75
    y = y * y
    small = _eval_poly(y, _COEF_SMALL[order])
    if order == 1:
        small = x.abs() * small
    small = small.log()
    y = 3.75 / x
    large = x - 0.5 * x.log() + _eval_poly(y, _COEF_LARGE[order]).log()
    return where(x < 3.75, small, large)


def _rejection_sample(loc, concentration, proposal_r, x):
    """Best & Fisher's (1979) rejection sampler, PyTorch's loop: three uniforms (in double) per
    proposal and element, until every element is accepted."""
    gen = backend.generator()
    done = xp.zeros(x.shape, dtype=bool)
    while not done.all():
        u1, u2, u3 = gen.uniform_((3,) + x.shape, xp.float64)
        z = xp.cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = concentration * (proposal_r - f)
        with xp.errstate(divide="ignore", invalid="ignore"):
            accept = ((c * (2 - c) - u2) > 0) | (xp.log(c / u2) + 1 - c >= 0)
        if accept.any():
            x = xp.where(accept, xp.sign(u3 - 0.5) * xp.arccos(f), x)
            done = done | accept
    return xp.mod(x + math.pi + loc, 2 * math.pi) - math.pi


class VonMises(Distribution):
    r"""Von Mises distribution on the circle with location ``loc`` (μ) and ``concentration``
    (κ > 0); values are angles (any real x, read modulo 2π; samples in [−π, π)).

    Density:      p(x) = e^{κ cos(x − μ)} / (2π I₀(κ))
    Log-density:  log p(x) = κ cos(x − μ) − log 2π − log I₀(κ)   (log I₀ by PyTorch's
                  polynomial approximation)
    Gradients:    ∂/∂μ = κ sin(x − μ),  ∂/∂κ = cos(x − μ) − I₁(κ)/I₀(κ),  ∂/∂x = −κ sin(x − μ)
    Reparameterisation: none (has_rsample = False, as PyTorch); sample by Best & Fisher's
                  rejection method, in double precision.
    mean = mode = μ; variance (circular) 1 − I₁(κ)/I₀(κ); no entropy, cdf or icdf (as PyTorch).
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False
    _math = (("Density", "p(x) = e^{κ cos(x − μ)} / (2π I₀(κ))",
              r"p(x) = \frac{e^{\kappa\cos(x-\mu)}}{2\pi I_0(\kappa)}"),
             ("Gradient", "∂log p/∂κ = cos(x − μ) − I₁(κ)/I₀(κ)",
              r"\frac{\partial\log p}{\partial\kappa} = \cos(x-\mu) - \frac{I_1(\kappa)}"
              r"{I_0(\kappa)}"),
             "The normal distribution of the circle: angles, directions, times of day.")

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration,
                                                     names=("loc", "concentration"),
                                                     owner="VonMises")
        super().__init__(self.loc.shape, (), validate_args=validate_args)

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * (value - self.loc).cos()
        return log_prob - math.log(2 * math.pi) - \
            _log_modified_bessel_fn(self.concentration, order=0)

    def _proposal_r(self):
        kappa = self.concentration._data.astype(xp.float64)
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            tau = 1 + xp.sqrt(1 + 4 * kappa ** 2)
            rho = (tau - xp.sqrt(2 * tau)) / (2 * kappa)
            proposal = (1 + rho ** 2) / (2 * rho)
            taylor = 1 / kappa + kappa
        return xp.where(kappa < 1e-5, taylor, proposal)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        x = xp.zeros(shape, dtype=xp.float64)
        out = _rejection_sample(self.loc._data.astype(xp.float64),
                                self.concentration._data.astype(xp.float64),
                                self._proposal_r(), x)
        return Tensor._from_op(out.astype(self.loc._data.dtype), None)

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        return type(self)(self.loc.expand(*batch_shape), self.concentration.expand(*batch_shape),
                          validate_args=self.__dict__.get("_validate_args"))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 1 - (_log_modified_bessel_fn(self.concentration, order=1)
                    - _log_modified_bessel_fn(self.concentration, order=0)).exp()
