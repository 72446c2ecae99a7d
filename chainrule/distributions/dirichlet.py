"""The Dirichlet distribution on the probability simplex, and Beta (its two-category case)."""
from __future__ import annotations

from ..autograd.function import Function
from ..backend import xp
from ..ops.gamma import digamma, lgamma
from ..tensor import Tensor
from . import constraints
from .distribution import as_param, broadcast_all
from .exp_family import ExponentialFamily


class _SampleDirichlet(Function):
    """x ~ Dirichlet(α) along the last axis, with PyTorch's reparameterisation gradient.

    Forward:     gᵢ ~ Gamma(αᵢ, 1) in double, xᵢ = gᵢ / Σⱼ gⱼ, as PyTorch's CPU
                 ``_sample_dirichlet`` draws them (:meth:`chainrule.Generator.sample_dirichlet`:
                 the same numbers after the same manual_seed), clamped to [tiny, 1⁻]
    Derivative:  each xⱼ moves with αⱼ as its Beta(αⱼ, α₀ − αⱼ) marginal's quantile does (the
                 others in proportion, so Σ x stays 1): ∂xᵢ/∂αⱼ = dⱼ (δᵢⱼ − xᵢ), dⱼ =
                 −(∂I/∂α)(xⱼ; αⱼ, α₀ − αⱼ) / (p(xⱼ) (1 − xⱼ)), I the Beta cdf, p its density
    VJP:         ∂L/∂αⱼ = dⱼ (ḡⱼ − Σᵢ ḡᵢ xᵢ), dⱼ = ``_dirichlet_grad(x, α, α₀)``, PyTorch's
                 approximation (:func:`._gamma_grads.dirichlet_grad_array`), as
                 ``torch.distributions.Dirichlet.rsample``'s backward computes it
    """

    name = "sample_dirichlet"

    @staticmethod
    def forward(ctx, alpha, generator=None, differentiable=False):
        from .. import backend
        from ..random import resolve
        x = backend.asarray_like(resolve(generator).sample_dirichlet(backend.to_numpy(alpha)),
                                 alpha)
        ctx.save(alpha, x)
        ctx.differentiable = differentiable
        return x

    @staticmethod
    def vjp(ctx, g):
        from .. import backend
        from ._gamma_grads import dirichlet_grad_array
        if not ctx.differentiable:      # torch._sample_dirichlet itself has no derivative
            raise RuntimeError("derivative for aten::_sample_dirichlet is not implemented "
                               "(Dirichlet(...).rsample() is differentiable)")
        if isinstance(g, Tensor):
            raise RuntimeError("sample_dirichlet: no second derivative (its backward is written "
                               "on arrays)")
        alpha, x = ctx.saved
        alpha_np, x_np = backend.to_numpy(alpha), backend.to_numpy(x)
        total = xp.broadcast_to(_row_sum(alpha_np), alpha_np.shape)
        d = backend.asarray_like(dirichlet_grad_array(x_np, alpha_np, total), g)
        if isinstance(g, xp.ndarray):
            return d * (g - _row_sum(x * g))
        return d * (g - (x * g).sum(-1, keepdims=True))


def _row_sum(values):
    """Σ over the last axis (kept), float64 in the order of PyTorch's CPU ``sum(-1)`` (so the
    gradient's Σ x ḡ rounds as PyTorch's does); float32 by NumPy's sum."""
    if values.dtype != xp.float64 or values.ndim == 0 or values.size == 0:
        return values.sum(-1, keepdims=True)
    from ..random import _torch_row_sum
    rows = xp.ascontiguousarray(values).reshape(-1, values.shape[-1])
    return _torch_row_sum(rows).reshape(values.shape[:-1] + (1,))


def sample_dirichlet(alpha: Tensor, generator=None, differentiable: bool = False) -> Tensor:
    """Draws of Dirichlet(α) along the last axis (``torch._sample_dirichlet``); as PyTorch's,
    its backward raises unless ``differentiable`` (``Dirichlet.rsample``: PyTorch's
    ``_dirichlet_grad``)."""
    return _SampleDirichlet.apply(alpha, generator=generator, differentiable=differentiable)


def _dirichlet_log_prob(c: Tensor, x: Tensor) -> Tensor:
    from .. import xlogy
    return xlogy(c - 1, x).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1)


def _dirichlet_entropy(c: Tensor) -> Tensor:
    k = c.shape[-1]
    a0 = c.sum(-1)
    return lgamma(c).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0) - \
        ((c - 1) * digamma(c)).sum(-1)


class Dirichlet(ExponentialFamily):
    r"""Dirichlet distribution with ``concentration`` (αᵢ > 0, the last dimension: K ≥ 1).

    Density:      p(x) = Γ(α₀)/Πᵢ Γ(αᵢ) · Πᵢ xᵢ^{αᵢ−1} on the simplex (xᵢ ≥ 0, Σ xᵢ = 1),
                  α₀ = Σᵢ αᵢ
    Log-density:  log p(x) = Σᵢ (αᵢ − 1) log xᵢ + ln Γ(α₀) − Σᵢ ln Γ(αᵢ)
    Gradients:    ∂/∂αᵢ = log xᵢ + ψ(α₀) − ψ(αᵢ),  ∂/∂xᵢ = (αᵢ − 1)/xᵢ
    Reparameterisation (rsample):  xᵢ = gᵢ / Σⱼ gⱼ, gᵢ ~ Gamma(αᵢ, 1) (PyTorch's draws for the
                  same seed), differentiated as PyTorch does: each xⱼ through its Beta(αⱼ, α₀ −
                  αⱼ) marginal, ∂L/∂αⱼ = dⱼ (ḡⱼ − Σᵢ ḡᵢ xᵢ) with dⱼ PyTorch's approximation
                  ``_dirichlet_grad`` of −(∂I/∂α)/(p (1 − x)) (its numbers, not only the same
                  quantity in expectation).
    entropy Σ ln Γ(αᵢ) − ln Γ(α₀) − (K − α₀) ψ(α₀) − Σ (αᵢ − 1) ψ(αᵢ); mean α/α₀;
    variance αᵢ(α₀ − αᵢ)/(α₀²(α₀ + 1)); mode max(α − 1, 0)/Σ max(α − 1, 0) (when every
    αᵢ < 1: the first vertex (1, 0, …, 0), PyTorch's result).
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True
    _math = (("Density", "p(x) = Γ(α₀)/Πᵢ Γ(αᵢ) · Πᵢ xᵢ^{αᵢ−1}",
              r"p(x) = \frac{\Gamma(\alpha_0)}{\prod_i \Gamma(\alpha_i)} \prod_i x_i^{\alpha_i-1}"),
             ("Gradient", "∂log p/∂αᵢ = log xᵢ + ψ(α₀) − ψ(αᵢ)",
              r"\frac{\partial \log p}{\partial \alpha_i} = \log x_i + \psi(\alpha_0) - "
              r"\psi(\alpha_i)"),
             "A distribution over probability vectors; conjugate to the categorical.")

    def __init__(self, concentration, validate_args=None):
        c = as_param(concentration)
        if c.dim() < 1:
            raise ValueError("Dirichlet: `concentration` must have at least one dimension "
                             "(the K categories), got a scalar")
        self.concentration = c
        super().__init__(c.shape[:-1], c.shape[-1:], validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        from .. import where
        from ..nn.functional import one_hot
        cm1 = (self.concentration - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, keepdim=True)
        all_small = (self.concentration < 1).all(-1, keepdim=True)
        # PyTorch's result: the argmax of the all-nan row 0/0, the first index
        first = (self.concentration.argmax(-1) * 0)
        hot = one_hot(first, self.concentration.shape[-1])
        return where(all_small, hot.to(mode.dtype), mode)

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0 ** 2 * (c0 + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return sample_dirichlet(self.concentration.expand(*shape), differentiable=True)

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return _dirichlet_log_prob(self.concentration, value)

    def entropy(self) -> Tensor:
        return _dirichlet_entropy(self.concentration)

    # the exponential family: θ = α, F(θ) = Σ ln Γ(θᵢ) − ln Γ(Σ θᵢ)
    @property
    def _natural_params(self) -> tuple:
        return (self.concentration,)

    def _log_normalizer(self, x):
        return lgamma(x).sum(-1) - lgamma(x.sum(-1))


class Beta(ExponentialFamily):
    r"""Beta distribution on [0, 1] with ``concentration1`` (α > 0) and ``concentration0``
    (β > 0): the Dirichlet of (x, 1 − x) with concentrations (α, β).

    Density:      p(x) = x^{α−1} (1 − x)^{β−1} / B(α, β),  B(α, β) = Γ(α)Γ(β)/Γ(α + β)
    Log-density:  log p(x) = (α − 1) log x + (β − 1) log(1 − x) − ln B(α, β)
    Gradients:    ∂/∂α = log x − ψ(α) + ψ(α + β),  ∂/∂β = log(1 − x) − ψ(β) + ψ(α + β),
                  ∂/∂x = (α − 1)/x − (β − 1)/(1 − x)
    Reparameterisation (rsample):  x = g₁/(g₁ + g₂), gᵢ ~ Gamma: the first coordinate of the
                  Dirichlet's draw, differentiated as PyTorch does (``_dirichlet_grad``: see
                  Dirichlet).
    mean α/(α + β); variance αβ/((α + β)²(α + β + 1)); entropy and mode those of the Dirichlet.
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True
    _math = (("Density", "p(x) = x^{α−1} (1 − x)^{β−1} / B(α, β)",
              r"p(x) = \frac{x^{\alpha-1}(1-x)^{\beta-1}}{B(\alpha,\beta)}"),
             ("Gradient", "∂log p/∂α = log x − ψ(α) + ψ(α + β)",
              r"\frac{\partial \log p}{\partial \alpha} = \log x - \psi(\alpha) + "
              r"\psi(\alpha+\beta)"),
             "A distribution over a probability; conjugate to the Bernoulli.")

    def __init__(self, concentration1, concentration0, validate_args=None):
        from .. import stack
        self.concentration1, self.concentration0 = broadcast_all(
            concentration1, concentration0, names=("concentration1", "concentration0"),
            owner="Beta")
        super().__init__(self.concentration1.shape, validate_args=validate_args)
        self._dirichlet = Dirichlet(stack([self.concentration1, self.concentration0], -1),
                                    validate_args=False)

    def expand(self, batch_shape, _instance=None):
        return Beta(self.concentration1.expand(*batch_shape),
                    self.concentration0.expand(*batch_shape), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value) -> Tensor:
        from .. import stack
        if self._validate_args:
            self._validate_sample(value)
        return _dirichlet_log_prob(self._dirichlet.concentration, stack([value, 1.0 - value], -1))

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()

    # the exponential family: θ = (α, β), F(θ) = ln B(α, β)
    @property
    def _natural_params(self) -> tuple:
        return (self.concentration1, self.concentration0)

    def _log_normalizer(self, x, y):
        return lgamma(x) + lgamma(y) - lgamma(x + y)
