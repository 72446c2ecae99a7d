"""The geometric distribution: failures before the first success."""
from __future__ import annotations

from .. import backend
from ..backend import xp
from ..tensor import Tensor
from . import constraints
from ._probs_logits import binary_pair, given_params
from .distribution import Distribution, broadcast_all
from .transformed_distribution import checked_instance, reinit


class Geometric(Distribution):
    r"""Geometric distribution: the number k ∈ {0, 1, …} of failures before the first success
    of Bernoulli trials with success probability p (``probs``, or p = σ(``logits``)).

    Mass:         P(k) = (1 − p)ᵏ p
    Log-mass:     log P(k) = k log(1 − p) + log p   (0 at p = 1, k = 0)
    Gradients:    ∂/∂p = 1/p − k/(1 − p);  ∂/∂l = 1 − p(k + 1)   (l the logits)
    Reparameterisation: none (discrete); sample ⌊log u / log(1 − p)⌋, u ~ U(tiny, 1).
    mean 1/p − 1; variance (1/p − 1)/p; mode 0; entropy [−p log p − (1 − p) log(1 − p)]/p.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer
    _math = (("Mass", "P(k) = (1 − p)ᵏ p", r"P(k) = (1-p)^k p"),
             ("Gradient", "∂log P/∂p = 1/p − k/(1 − p)",
              r"\frac{\partial\log P}{\partial p} = \frac1p - \frac{k}{1-p}"),
             "Waiting for the first success: the discrete memoryless law.")

    def __init__(self, probs=None, logits=None, validate_args=None):
        binary_pair(self, probs, logits, "Geometric")
        super().__init__(self._param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            valid = self.probs._data > 0
            if not bool(valid.all()):
                raise ValueError(
                    f"Expected parameter probs (Tensor of shape {tuple(self.probs.shape)}) of "
                    f"distribution {self!r} to be positive but found invalid values:\n"
                    f"{self.probs._data[~valid]}")

    def _params_to_check(self) -> dict:
        return given_params(self)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Geometric, _instance)
        batch_shape = tuple(batch_shape)
        new.probs = self.probs.expand(*batch_shape)
        new.logits = self.logits.expand(*batch_shape)
        new._param = new.probs if self._given == "probs" else new.logits
        new._given = self._given
        reinit(new, Geometric, batch_shape, (), self._validate_args)
        return new

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        from .. import zeros_like
        return zeros_like(self.probs)

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = self.probs._data.dtype
        tiny = float(xp.finfo(dtype).tiny)
        u = backend.generator().uniform_(shape, dtype, tiny, 1.0)
        p = self.probs._data
        with xp.errstate(divide="ignore", invalid="ignore"):
            k = xp.floor(xp.log(u) / xp.log1p(-p))
        return Tensor._from_op(k.astype(dtype), None)

    def log_prob(self, value) -> Tensor:
        from .. import where
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs, names=("value", "probs"),
                                     owner="Geometric.log_prob")
        probs = where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self) -> Tensor:
        from ..nn.functional import binary_cross_entropy_with_logits
        return binary_cross_entropy_with_logits(self.logits, self.probs,
                                                reduction="none") / self.probs
