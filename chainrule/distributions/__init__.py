"""``chainrule.distributions``: probability distributions with ``torch.distributions``' names
and semantics — sample, rsample (reparameterised, differentiable), log_prob, entropy, mean,
variance, stddev, cdf/icdf, support, argument validation — and ``kl_divergence`` with a registry
of closed forms. Each class states its density, the gradients of its log-density and its
reparameterisation in its docstring and ``formula()``. See docs/distributions.md.
"""
from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .constraints import Constraint
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .poisson import Poisson
from .uniform import Uniform

__all__ = ["Distribution", "Constraint", "constraints", "Normal", "Bernoulli", "Categorical",
           "Uniform", "Beta", "Gamma", "Dirichlet", "MultivariateNormal", "Laplace",
           "Exponential", "Poisson", "Independent", "kl_divergence", "register_kl"]
