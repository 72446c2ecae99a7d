"""The Bernoulli distribution over {0, 1}, parameterised by ``probs`` or ``logits``."""
from __future__ import annotations

from .. import backend
from ..backend import xp
from ..nn.functional import binary_cross_entropy_with_logits as _bce_logits
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, broadcast_all
from .exp_family import ExponentialFamily


def clamp_probs(probs: Tensor) -> Tensor:
    """p clamped to [ε, 1 − ε] (ε the dtype's machine epsilon), so that logits stay finite."""
    eps = float(xp.finfo(probs._data.dtype).eps)
    return probs.clamp(eps, 1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p (categorical) or log p − log(1 − p) (binary), from the clamped probabilities."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """σ(l) (binary) or softmax(l) over the last dimension (categorical)."""
    from .. import softmax
    return logits.sigmoid() if is_binary else softmax(logits, -1)


class _ProbsOrLogits(Distribution):
    """Shared by Bernoulli and Categorical: exactly one of ``probs`` and ``logits`` is given,
    and only the given one is validated (PyTorch's rule)."""

    def _given_one(self, probs, logits, name: str):
        if (probs is None) == (logits is None):
            raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not "
                             f"both (got probs={probs!r}, logits={logits!r})")
        self._given = "probs" if probs is not None else "logits"

    def _params_to_check(self) -> dict:
        return {k: v for k, v in self.arg_constraints.items() if k == self._given}

    @property
    def param_shape(self):
        return self.probs.shape


class Bernoulli(_ProbsOrLogits, ExponentialFamily):
    r"""Bernoulli distribution: x ∈ {0, 1} with P(x = 1) = p = σ(l).

    Mass:         P(x) = pˣ (1 − p)^{1−x}
    Log-mass:     log P(x) = x l − log(1 + eˡ) = −BCEWithLogits(l, x)   (l = log p − log(1 − p))
    Gradients:    ∂/∂l = x − σ(l),  ∂/∂p = x/p − (1 − x)/(1 − p);  ∂/∂x = l (the value may be
                  relaxed to [0, 1] with validate_args=False)
    Reparameterisation: none (discrete; has_rsample = False); sample: x = [u < p], u ~ U(0, 1).
    entropy −p log p − (1 − p) log(1 − p); mean p; mode [p > ½] (nan at ½); variance p(1 − p).
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _math = (("Mass", "P(x) = pˣ (1 − p)^{1−x}, x ∈ {0, 1}", r"P(x) = p^x (1-p)^{1-x}"),
             ("Gradient", "∂log P/∂l = x − σ(l)",
              r"\frac{\partial \log P}{\partial l} = x - \sigma(l)"),
             "A biased coin; its log-mass is the negative binary cross-entropy.")

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._given_one(probs, logits, "Bernoulli")
        if probs is not None:
            (self.probs,) = broadcast_all(probs, names=("probs",), owner="Bernoulli")
            self.logits = probs_to_logits(self.probs, is_binary=True)
        else:
            (self.logits,) = broadcast_all(logits, names=("logits",), owner="Bernoulli")
            self.probs = logits_to_probs(self.logits, is_binary=True)
        super().__init__(self.probs.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        from .. import where
        m = (self.probs >= 0.5).to(self.probs.dtype)
        return where(self.probs == 0.5, m * float("nan"), m)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = xp.broadcast_to(self.probs._data, shape)     # torch.bernoulli(probs.expand(shape))
        drawn = backend.generator().bernoulli(p)
        return Tensor._from_op(drawn.astype(self.probs._data.dtype), None)

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        from .. import broadcast_tensors
        logits, value = broadcast_tensors(self.logits, value)
        return -_bce_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        return _bce_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        from .. import tensor
        values = tensor([0.0, 1.0], dtype=self.probs.dtype).reshape(
            (2,) + (1,) * len(self.batch_shape))
        return values.expand(2, *self.batch_shape) if expand else values

    # the exponential family: θ = logit p, F(θ) = log(1 + e^θ)
    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple:
        return (self.probs.logit(),)

    def _log_normalizer(self, x):
        return x.exp().log1p()
