"""Independent: reinterpret batch dimensions of a distribution as event dimensions."""
from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, sum_rightmost


class Independent(Distribution):
    r"""The product of a distribution's batch members over its rightmost
    ``reinterpreted_batch_ndims`` batch dimensions, treated as one event.

    Density:      p(x) = Πᵢ p_base(xᵢ)  over the reinterpreted dimensions
    Log-density:  log p(x) = Σᵢ log p_base(xᵢ)
    Gradients:    ∇ log p(x) = Σᵢ ∇ log p_base(xᵢ)  (the base's, summed)
    Reparameterisation: the base's (rsample exists when the base has one).
    entropy Σᵢ H_base,i; mean, mode, variance those of the base (reshaped into the event).

    Example: ``Independent(Normal(loc, scale), 1)`` with loc of shape (B, D) is a diagonal
    Gaussian over ℝᴰ with batch_shape (B,) and event_shape (D,), the VAE's q(z | x).
    """

    arg_constraints: dict = {}
    _math = (("Density", "p(x) = Πᵢ p_base(xᵢ)", r"p(x) = \prod_i p_{\text{base}}(x_i)"),
             ("Gradient", "∇ log p = Σᵢ ∇ log p_base(xᵢ)",
              r"\nabla\log p = \sum_i \nabla \log p_{\text{base}}(x_i)"),
             "Independent coordinates: log-densities add.")

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args=None):
        n = reinterpreted_batch_ndims
        if not isinstance(n, int) or n < 0 or n > len(base_distribution.batch_shape):
            raise ValueError(
                f"Expected 0 <= reinterpreted_batch_ndims <= len(base_distribution.batch_shape)"
                f", actual {n} vs {len(base_distribution.batch_shape)}")
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        event_dim = n + len(base_distribution.event_shape)
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        super().__init__(shape[:len(shape) - event_dim], shape[len(shape) - event_dim:],
                         validate_args=validate_args)

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):
        return False if self.reinterpreted_batch_ndims > 0 else \
            self.base_dist.has_enumerate_support

    @property
    def support(self):
        result = self.base_dist.support
        if self.reinterpreted_batch_ndims:
            result = constraints.independent(result, self.reinterpreted_batch_ndims)
        return result

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        base = self.base_dist.expand(batch_shape + tuple(
            self.event_shape[:self.reinterpreted_batch_ndims]))
        return Independent(base, self.reinterpreted_batch_ndims,
                           validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape=()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value) -> Tensor:
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
