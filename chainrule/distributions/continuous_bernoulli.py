"""The continuous Bernoulli distribution on [0, 1] (Loaiza-Ganem & Cunningham, 2019)."""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import constraints
from .bernoulli import clamp_probs, logits_to_probs, probs_to_logits
from .distribution import broadcast_all, noise
from .exp_family import ExponentialFamily
from .transformed_distribution import checked_instance, reinit


def _where(cond, a, b):
    from .. import where
    return where(cond, a, b)


class ContinuousBernoulli(ExponentialFamily):
    r"""Continuous Bernoulli distribution on [0, 1] with parameter λ = ``probs`` (clamped to
    [eps, 1 − eps]) or λ = σ(``logits``): the Bernoulli's mass formula made a density.

    Density:      p(x) = C(λ) λˣ (1 − λ)^{1−x},  C(λ) = 2 atanh(1 − 2λ)/(1 − 2λ) (C(½) = 2)
    Log-density:  log p(x) = x l − log(1 + eˡ) + log C(λ)  (−BCEWithLogits(l, x) + log C)
    Gradients:    ∂/∂l = x − σ(l) + ∂log C/∂l;  ∂/∂x = l
    Reparameterisation (rsample):  x = F⁻¹(u), u ~ U(0, 1), with
                  F⁻¹(u) = [log1p(−λ + u(2λ − 1)) − log1p(−λ)] / (log λ − log1p(−λ))
    Numerics:     for λ within [0.499, 0.501] (``lims``) log C, mean and variance use their
                  Taylor expansions about ½ (the closed forms are 0/0 there), as PyTorch.
    mean λ/(2λ − 1) + 1/(2 atanh(1 − 2λ)); cdf (λˣ(1 − λ)^{1−x} + λ − 1)/(2λ − 1);
    entropy mean·(log(1 − λ) − log λ) − log C − log(1 − λ).
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True
    _math = (("Density", "p(x) = C(λ) λˣ (1 − λ)^{1−x}, C(λ) = 2 atanh(1 − 2λ)/(1 − 2λ)",
              r"p(x) = C(\lambda)\lambda^x(1-\lambda)^{1-x}"),
             ("Gradient", "∂log p/∂l = x − σ(l) + ∂log C/∂l",
              r"\frac{\partial\log p}{\partial l} = x - \sigma(l) + \frac{\partial\log C}"
              r"{\partial l}"),
             ("Reparameterisation", "x = F⁻¹(u), u ~ U(0, 1)", r"x = F^{-1}(u)"),
             "The Bernoulli's likelihood normalised over [0, 1]: for data in the unit interval.")

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("ContinuousBernoulli: Either `probs` or `logits` must be "
                             "specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs, names=("probs",), owner="ContinuousBernoulli")
            if validate_args is not None:
                if not bool(self.arg_constraints["probs"].check(self.probs)._data.all()):
                    raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
            self.logits = probs_to_logits(self.probs, is_binary=True)
            self._given = "probs"
        else:
            (self.logits,) = broadcast_all(logits, names=("logits",), owner="ContinuousBernoulli")
            self.probs = clamp_probs(logits_to_probs(self.logits, is_binary=True))
            self._given = "logits"
        self._param = getattr(self, self._given)
        self._lims = lims
        super().__init__(self._param.shape, validate_args=validate_args)

    def _params_to_check(self) -> dict:
        return {k: v for k, v in self.arg_constraints.items() if k == self._given}

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, ContinuousBernoulli, _instance)
        batch_shape = tuple(batch_shape)
        new._lims = self._lims
        new.probs = self.probs.expand(*batch_shape)
        new.logits = self.logits.expand(*batch_shape)
        new._given = self._given
        new._param = getattr(new, new._given)
        reinit(new, ContinuousBernoulli, batch_shape, (), self._validate_args)
        return new

    def _outside_unstable_region(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        from .. import ones_like
        return _where(self._outside_unstable_region(), self.probs,
                      self._lims[0] * ones_like(self.probs))

    def _cont_bern_log_norm(self):
        """log C(λ), by its Taylor expansion log 2 + (4/3 + 104/45 (λ − ½)²)(λ − ½)² near ½."""
        from .. import ones_like, zeros_like
        cut = self._cut_probs()
        below = _where(cut <= 0.5, cut, zeros_like(cut))
        above = _where(cut >= 0.5, cut, ones_like(cut))
        log_norm = ((-cut).log1p() - cut.log()).abs().log() - _where(
            cut <= 0.5, (-2.0 * below).log1p(), (2.0 * above - 1.0).log())
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return _where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return _where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        var = cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2) + \
            1.0 / ((-cut).log1p() - cut.log()).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return _where(self._outside_unstable_region(), var, taylor)

    @property
    def param_shape(self):
        return self._param.shape

    def sample(self, sample_shape=()) -> Tensor:
        from ..autograd.grad_mode import no_grad
        u = noise(self._extended_shape(sample_shape), self.probs.dtype, "uniform")
        with no_grad():
            return self.icdf(u).detach()

    def rsample(self, sample_shape=()) -> Tensor:
        u = noise(self._extended_shape(sample_shape), self.probs.dtype, "uniform")
        return self.icdf(u)

    def log_prob(self, value) -> Tensor:
        from ..nn.functional import binary_cross_entropy_with_logits
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value, names=("logits", "value"),
                                      owner="ContinuousBernoulli.log_prob")
        return -binary_cross_entropy_with_logits(logits, value, reduction="none") + \
            self._cont_bern_log_norm()

    def cdf(self, value) -> Tensor:
        from .. import ones_like, zeros_like
        if self._validate_args:
            self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        unbounded = _where(self._outside_unstable_region(), cdfs, value)
        return _where(value <= 0.0, zeros_like(value),
                      _where(value >= 1.0, ones_like(value), unbounded))

    def icdf(self, value) -> Tensor:
        cut = self._cut_probs()
        inner = ((-cut + value * (2.0 * cut - 1.0)).log1p() - (-cut).log1p()) / \
            (cut.log() - (-cut).log1p())
        return _where(self._outside_unstable_region(), inner, value)

    def entropy(self) -> Tensor:
        log_probs0 = (-self.probs).log1p()
        log_probs1 = self.probs.log()
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self) -> tuple:
        return (self.logits,)

    def _log_normalizer(self, x):
        """log((eˣ − 1)/x), by 0.5x + x²/24 − x⁴/2880 near x = 0."""
        from .. import ones_like
        out = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = _where(out, x, (self._lims[0] - 0.5) * ones_like(x))
        log_norm = cut.expm1().abs().log() - cut.abs().log()
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return _where(out, log_norm, taylor)
