"""The chi-squared distribution χ²(ν) = Gamma(ν/2, rate ½)."""
from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .gamma import Gamma
from .transformed_distribution import checked_instance, reinit


class Chi2(Gamma):
    r"""Chi-squared distribution with ``df`` (ν > 0) degrees of freedom: the sum of ν squared
    standard normals, the Gamma(α = ν/2, β = ½) (a subclass of Gamma, as PyTorch).

    Density:      p(x) = x^{ν/2−1} e^{−x/2} / (2^{ν/2} Γ(ν/2)),  x > 0
    Log-density:  log p(x) = (ν/2 − 1) log x − x/2 − (ν/2) log 2 − ln Γ(ν/2)
    Gradients:    ∂/∂ν = ½ (log x − log 2 − ψ(ν/2)),  ∂/∂x = (ν/2 − 1)/x − ½
    Reparameterisation (rsample):  the Gamma's (implicit in α = ν/2).
    mean ν; variance 2ν; mode max(ν − 2, 0); entropy that of the Gamma.
    """

    arg_constraints = {"df": constraints.positive}
    _math = (("Density", "p(x) = x^{ν/2−1} e^{−x/2} / (2^{ν/2} Γ(ν/2))",
              r"p(x) = \frac{x^{\nu/2-1} e^{-x/2}}{2^{\nu/2}\Gamma(\nu/2)}"),
             ("Gradient", "∂log p/∂ν = ½ (log x − log 2 − ψ(ν/2))",
              r"\frac{\partial\log p}{\partial\nu} = \tfrac12(\log x - \log 2 - \psi(\nu/2))"),
             ("Reparameterisation", "x = 2z, z ~ Gamma(ν/2, 1) (implicit gradient)",
              r"x = 2z,\ z\sim\mathrm{Gamma}(\nu/2, 1)"),
             "The sum of ν squared standard normals.")

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Chi2, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration = self.concentration.expand(*batch_shape)
        new.rate = self.rate.expand(*batch_shape)
        reinit(new, Chi2, batch_shape, (), self._validate_args)
        return new

    @property
    def df(self) -> Tensor:
        return self.concentration * 2
