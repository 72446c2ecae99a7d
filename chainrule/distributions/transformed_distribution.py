"""TransformedDistribution: a base distribution pushed through a chain of transforms
(``torch.distributions.TransformedDistribution``), and the expand helper its subclasses share."""
from __future__ import annotations

from ..tensor import Size, Tensor
from . import constraints
from .distribution import Distribution, sum_rightmost
from .independent import Independent
from .transform import ComposeTransform, Transform


def checked_instance(self: Distribution, cls: type, _instance=None):
    """A bare instance of ``type(self)`` for ``expand`` (PyTorch's ``_get_checked_instance``):
    a subclass with its own ``__init__`` must define its own ``expand``."""
    if _instance is None and type(self).__init__ != cls.__init__:
        raise NotImplementedError(
            f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom __init__ "
            f"method must also define a custom .expand() method.")
    return type(self).__new__(type(self)) if _instance is None else _instance


def reinit(new: Distribution, cls: type, batch_shape, event_shape, validate_args) -> None:
    """``super(cls, new).__init__(batch_shape, event_shape, validate_args=False)`` then the
    original's validate_args, as PyTorch's expand methods end."""
    Distribution.__init__(new, batch_shape, event_shape, validate_args=False)
    new._validate_args = validate_args


def delegated(name: str) -> property:
    """A read-only property answering the base distribution's ``name``."""
    return property(lambda self: getattr(self.base_dist, name),
                    doc=f"The base distribution's ``{name}``.")


class TransformedDistribution(Distribution):
    r"""Y = f(X), X ~ ``base_distribution``, f = the composition of ``transforms`` (applied in
    order).

    Density:      p_Y(y) = p_X(f⁻¹(y)) · |det ∂f⁻¹/∂y|
    Log-density:  log p_Y(y) = log p_X(x) − Σₜ log |det Jₜ(xₜ)|,  x = f⁻¹(y), each term summed
                  over the dimensions by which the event exceeds that transform's own
    Gradients:    those of the expression above (the inverse, the base log-density and the
                  log-determinants are Tensor operations, differentiable in y and every
                  parameter)
    Reparameterisation (rsample):  y = f(x), x = base.rsample() (exists when the base's does)
    cdf: F_X(f⁻¹(y)), flipped (1 − ·) when f decreases; icdf: f(F_X⁻¹(p)) likewise.
    event_shape: the larger of the base's and the transforms' (a transform may couple
    coordinates, as the stick-breaking map does).
    """

    arg_constraints: dict = {}
    _math = (("Density", "p(y) = p_X(f⁻¹(y)) |det ∂f⁻¹/∂y|",
              r"p(y) = p_X(f^{-1}(y))\,\left|\det \frac{\partial f^{-1}}{\partial y}\right|"),
             ("Gradient", "∇ log p_Y(y) = ∇ [log p_X(x) − log |det J_f(x)|], x = f⁻¹(y)",
              r"\nabla\log p_Y(y) = \nabla\left[\log p_X(x) - \log|\det J_f(x)|\right]"),
             ("Reparameterisation", "y = f(x), x ~ base (reparameterised)",
              r"y = f(x),\ x \sim p_X"),
             "The change of variables: push a simple distribution through invertible maps.")

    def __init__(self, base_distribution: Distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, list):
            if not all(isinstance(t, Transform) for t in transforms):
                raise ValueError("transforms must be a Transform or a list of Transforms")
            self.transforms = transforms
        else:
            raise ValueError(f"transforms must be a Transform or list, but was {transforms}")
        base_shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        if len(base_shape) < transform.domain.event_dim:
            raise ValueError(f"base_distribution needs to have shape with size at least "
                             f"{transform.domain.event_dim}, but got {Size(base_shape)}.")
        forward_shape = tuple(transform.forward_shape(base_shape))
        expanded_base_shape = tuple(transform.inverse_shape(forward_shape))
        if base_shape != expanded_base_shape:
            base_batch_shape = expanded_base_shape[:len(expanded_base_shape) - base_event_dim]
            base_distribution = base_distribution.expand(base_batch_shape)
        reinterpreted_batch_ndims = transform.domain.event_dim - base_event_dim
        if reinterpreted_batch_ndims > 0:
            base_distribution = Independent(base_distribution, reinterpreted_batch_ndims)
        self.base_dist = base_distribution
        change = transform.codomain.event_dim - transform.domain.event_dim
        event_dim = max(transform.codomain.event_dim, base_event_dim + change)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, TransformedDistribution, _instance)
        batch_shape = tuple(batch_shape)
        shape = batch_shape + tuple(self.event_shape)
        for t in reversed(self.transforms):
            shape = tuple(t.inverse_shape(shape))
        base_batch_shape = shape[:len(shape) - len(self.base_dist.event_shape)]
        new.base_dist = self.base_dist.expand(base_batch_shape)
        new.transforms = self.transforms
        reinit(new, TransformedDistribution, batch_shape, self.event_shape, self._validate_args)
        return new

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support, len(self.event_shape) - support.event_dim)
        return support

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    def sample(self, sample_shape=()) -> Tensor:
        from ..autograd.grad_mode import no_grad
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for transform in self.transforms:
                x = transform(x)
        return x.detach()

    def rsample(self, sample_shape=()) -> Tensor:
        x = self.base_dist.rsample(sample_shape)
        for transform in self.transforms:
            x = transform(x)
        return x

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self.event_shape)
        log_prob = 0.0
        y = value
        for transform in reversed(self.transforms):
            x = transform.inv(y)
            event_dim += transform.domain.event_dim - transform.codomain.event_dim
            log_prob = log_prob - sum_rightmost(transform.log_abs_det_jacobian(x, y),
                                                event_dim - transform.domain.event_dim)
            y = x
        return log_prob + sum_rightmost(self.base_dist.log_prob(y),
                                        event_dim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value):
        """value, or 1 − value where the composed transform decreases."""
        sign = 1
        for transform in self.transforms:
            sign = sign * transform.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value) -> Tensor:
        for transform in self.transforms[::-1]:
            value = transform.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value) -> Tensor:
        value = self._monotonize_cdf(value)
        value = self.base_dist.icdf(value)
        for transform in self.transforms:
            value = transform(value)
        return value
