"""The Poisson distribution over the counts 0, 1, 2, …"""
from __future__ import annotations

from ..ops.gamma import lgamma
from ..tensor import Tensor
from . import constraints
from .distribution import broadcast_all
from .exp_family import ExponentialFamily


class Poisson(ExponentialFamily):
    r"""Poisson distribution with rate ``rate`` (λ ≥ 0): the number of events of a process with
    λ events per unit time.

    Mass:         P(k) = λᵏ e^{−λ} / k!
    Log-mass:     log P(k) = k log λ − λ − ln Γ(k + 1)   (0 · log 0 = 0 at λ = 0)
    Gradients:    ∂/∂λ = k/λ − 1;  ∂/∂k = log λ − ψ(k + 1) (for a relaxed k)
    Reparameterisation: none (discrete); sample as ``torch.poisson`` (PyTorch's CPU sampler, the
                  same numbers after the same manual_seed: :meth:`Generator.sample_poisson`).
    mean λ; variance λ; mode ⌊λ⌋; no closed-form entropy (PyTorch has none: NotImplementedError).
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer
    _math = (("Mass", "P(k) = λᵏ e^{−λ} / k!", r"P(k) = \frac{\lambda^k e^{-\lambda}}{k!}"),
             ("Gradient", "∂log P/∂λ = k/λ − 1",
              r"\frac{\partial \log P}{\partial \lambda} = \frac{k}{\lambda} - 1"),
             "Counts of rare independent events: the limit of Binomial(n, λ/n).")

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate, names=("rate",), owner="Poisson")
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        from ..ops.sampling import poisson
        return poisson(self.rate.expand(*shape).detach())

    def log_prob(self, value) -> Tensor:
        from .. import xlogy
        if self._validate_args:
            self._validate_sample(value)
        return xlogy(value, self.rate) - self.rate - lgamma(value + 1)

    # the exponential family: θ = log λ, F(θ) = e^θ (no expected carrier measure, so no
    # entropy: NotImplementedError, as PyTorch)
    @property
    def _natural_params(self) -> tuple:
        return (self.rate.log(),)

    def _log_normalizer(self, x):
        return x.exp()
