"""ExponentialFamily: the base class of distributions p(x; θ) = h(x) exp(⟨t(x), θ⟩ − F(θ))
(``torch.distributions.ExponentialFamily``)."""
from __future__ import annotations

from ..tensor import Tensor
from .distribution import Distribution


class ExponentialFamily(Distribution):
    r"""A distribution of the exponential family

        p_F(x; θ) = exp(⟨t(x), θ⟩ − F(θ) + k(x))

    with natural parameters θ (``_natural_params``), sufficient statistic t(x), log-normaliser
    F(θ) (``_log_normalizer``) and carrier measure k(x) (``_mean_carrier_measure`` = E[k(x)]).

    Log-density:  ⟨t(x), θ⟩ − F(θ) + k(x)
    Gradients:    ∂ log p/∂θ = t(x) − ∇F(θ)   (∇F(θ) = E[t(x)], the mean parameters)
    Reparameterisation: none in general (a subclass may have one).
    entropy H = F(θ) − ⟨θ, ∇F(θ)⟩ − E[k(x)], with ∇F by automatic differentiation (a
    differentiable graph: the entropy can be differentiated again); the KL divergence between
    two members of the same family is the Bregman divergence of F (registered in kl_more.py).
    """

    _math = (("Density", "p(x; θ) = exp(⟨t(x), θ⟩ − F(θ) + k(x))",
              r"p(x;\theta) = \exp(\langle t(x),\theta\rangle - F(\theta) + k(x))"),
             ("Gradient", "∂log p/∂θ = t(x) − ∇F(θ)",
              r"\frac{\partial\log p}{\partial\theta} = t(x) - \nabla F(\theta)"),
             ("Reparameterisation", "none in general",
              r"\text{none in general}"),
             "Every member is determined by its log-normaliser F: means are ∇F, entropy "
             "F − ⟨θ, ∇F⟩ − E k.")

    @property
    def _natural_params(self) -> tuple:
        """The natural parameters θ (a tuple of Tensors)."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params) -> Tensor:
        """F(θ), the log-normaliser, as a function of the natural parameters."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """E[k(x)], the expected carrier measure."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form entropy (no "
                                  f"expected carrier measure E[k(x)])")

    def entropy(self) -> Tensor:
        """H = F(θ) − Σ ⟨θ, ∇F(θ)⟩ − E[k(x)] (∇F by ``autograd.grad`` with create_graph)."""
        from ..autograd import grad
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for theta, g in zip(nparams, gradients):
            result = result - (theta * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
