"""The gamma distribution Gamma(α, β) (shape α = concentration, rate β)."""
from __future__ import annotations

from ..ops.gamma import digamma, lgamma
from ..tensor import Tensor
from . import constraints
from .distribution import broadcast_all
from .exp_family import ExponentialFamily


class Gamma(ExponentialFamily):
    r"""Gamma distribution with ``concentration`` (α > 0) and ``rate`` (β > 0).

    Density:      p(x) = βᵅ x^{α−1} e^{−βx} / Γ(α),  x > 0
    Log-density:  log p(x) = α log β + (α − 1) log x − βx − ln Γ(α)
    Gradients:    ∂/∂α = log β + log x − ψ(α),  ∂/∂β = α/β − x,  ∂/∂x = (α − 1)/x − β
    Reparameterisation (rsample):  x = z/β with z ~ Gamma(α, 1) drawn as PyTorch's CPU
                  ``_standard_gamma`` draws it (the same numbers after the same manual_seed:
                  :meth:`chainrule.Generator.sample_gamma`), x at least the smallest normal
                  number, and differentiated implicitly (the quantile u = F(z; α) held fixed):
                  ∂z/∂α = −(∂F/∂α)(z; α) / p(z; α), evaluated as PyTorch evaluates it, by its
                  approximation ``_standard_gamma_grad`` (a Taylor series for z < 0.8, Rice's
                  saddle-point expansion for α > 8, a fitted rational function otherwise;
                  within ~1e-4 of the exact derivative), so the gradients are PyTorch's numbers
                  (chainrule/distributions/_gamma_grads.py); ∂x/∂β = −x/β.
    cdf P(α, βx) (the regularised incomplete gamma function);
    entropy α − log β + ln Γ(α) + (1 − α) ψ(α); mean α/β; mode max((α − 1)/β, 0); variance α/β².
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _math = (("Density", "p(x) = βᵅ x^{α−1} e^{−βx} / Γ(α)",
              r"p(x) = \frac{\beta^\alpha x^{\alpha-1} e^{-\beta x}}{\Gamma(\alpha)}"),
             ("Gradient", "∂log p/∂α = log β + log x − ψ(α), ∂log p/∂β = α/β − x",
              r"\frac{\partial \log p}{\partial \alpha} = \log\beta + \log x - \psi(\alpha),\ "
              r"\frac{\partial \log p}{\partial \beta} = \frac{\alpha}{\beta} - x"),
             ("Reparameterisation", "x = z/β, z ~ Gamma(α, 1), ∂z/∂α = −(∂F/∂α)(z; α)/p(z; α) "
              "(PyTorch's approximation _standard_gamma_grad)",
              r"x = z/\beta,\ \frac{\partial z}{\partial\alpha} = -\frac{\partial F(z;\alpha)"
              r"/\partial\alpha}{p(z;\alpha)}"),
             "The waiting time for α events of a process with rate β.")

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate,
                                                      names=("concentration", "rate"),
                                                      owner="Gamma")
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape=()) -> Tensor:
        from ..backend import xp
        from ._igamma import standard_gamma
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(*shape)) / self.rate
        data = value._data         # PyTorch: value.detach().clamp_(min=tiny), in place
        tiny = xp.finfo(data.dtype).tiny
        if (data < tiny).any():
            data[...] = xp.maximum(data, tiny)
        return value

    def log_prob(self, value) -> Tensor:
        from .. import xlogy
        if self._validate_args:
            self._validate_sample(value)
        return (xlogy(self.concentration, self.rate) + xlogy(self.concentration - 1, value)
                - self.rate * value - lgamma(self.concentration))

    def cdf(self, value) -> Tensor:
        """P(α, βx), the regularised lower incomplete gamma function (differentiable in x and
        β; in α not, as PyTorch)."""
        from ._igamma import gammainc
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)

    def entropy(self) -> Tensor:
        a = self.concentration
        return a - self.rate.log() + lgamma(a) + (1.0 - a) * digamma(a)

    # the exponential family: θ = (α − 1, −β), F(θ) = ln Γ(θ₁ + 1) + (θ₁ + 1) log(−1/θ₂)
    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return lgamma(x + 1) + (x + 1) * (-y.reciprocal()).log()
