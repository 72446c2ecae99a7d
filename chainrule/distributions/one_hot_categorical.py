"""The categorical distribution over one-hot vectors, and its straight-through variant."""
from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .transformed_distribution import checked_instance, reinit


class OneHotCategorical(Distribution):
    r"""Categorical distribution whose draws are one-hot vectors x ∈ {e₁, …, e_K} (``probs``,
    normalised, or softmax of ``logits``; the last dimension holds the K categories).

    Mass:         P(x = eₖ) = pₖ
    Log-mass:     log P(x) = log p_{argmax x} = l_k − logsumexp(l)
    Gradients:    ∂/∂lⱼ = xⱼ − pⱼ
    Reparameterisation: none (discrete; see OneHotCategoricalStraightThrough); sample the
                  one-hot vector of a categorical draw.
    mean p; variance p (1 − p); mode the one-hot vector of argmax p; entropy −Σ pₖ log pₖ.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True
    _math = (("Mass", "P(x = eₖ) = pₖ", r"P(x = e_k) = p_k"),
             ("Gradient", "∂log P/∂lⱼ = xⱼ − pⱼ",
              r"\frac{\partial\log P}{\partial l_j} = x_j - p_j"),
             "The categorical, its outcomes written as one-hot vectors.")

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        batch_shape = self._categorical.batch_shape
        event_shape = tuple(self._categorical.param_shape[-1:])
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, OneHotCategorical, _instance)
        batch_shape = tuple(batch_shape)
        new._categorical = self._categorical.expand(batch_shape)
        reinit(new, OneHotCategorical, batch_shape, self.event_shape, self._validate_args)
        return new

    @property
    def _param(self) -> Tensor:
        return getattr(self._categorical, self._categorical._given)

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def mean(self) -> Tensor:
        return self._categorical.probs

    @property
    def mode(self) -> Tensor:
        from ..nn.functional import one_hot
        probs = self._categorical.probs
        return one_hot(probs.argmax(-1), probs.shape[-1]).to(probs.dtype)

    @property
    def variance(self) -> Tensor:
        return self._categorical.probs * (1 - self._categorical.probs)

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def sample(self, sample_shape=()) -> Tensor:
        from ..nn.functional import one_hot
        probs = self._categorical.probs
        indices = self._categorical.sample(sample_shape)
        return one_hot(indices, self._categorical._num_events).to(probs.dtype)

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        from .. import eye
        n = self.event_shape[0]
        values = eye(n, dtype=self._param.dtype)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        return values.expand(n, *self.batch_shape, n) if expand else values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    r"""OneHotCategorical with the straight-through gradient estimator (Bengio et al. 2013).

    Reparameterisation (rsample):  x + (p − stop_gradient(p)): the one-hot draw x forwards,
                  the gradient of p backwards (∂x/∂p taken as the identity: biased, but useful).
    Gradients:    those of OneHotCategorical for log_prob.
    """

    has_rsample = True
    _math = (("Mass", "P(x = eₖ) = pₖ", r"P(x = e_k) = p_k"),
             ("Gradient", "∂rsample/∂p ≈ I (straight through)",
              r"\frac{\partial x}{\partial p} \approx I"),
             ("Reparameterisation", "x + (p − sg(p))", r"x + (p - \mathrm{sg}(p))"),
             "A one-hot draw that lets gradients pass as if it were its probabilities.")

    def rsample(self, sample_shape=()) -> Tensor:
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())
