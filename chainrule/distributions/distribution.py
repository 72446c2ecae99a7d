"""The ``Distribution`` base class (``torch.distributions.Distribution``'s names and semantics).

A distribution has a ``batch_shape`` (independent, differently parameterised copies) and an
``event_shape`` (the shape of one draw: () for a number, (k,) for a vector). A sample of
``sample(sample_shape)`` has shape ``sample_shape + batch_shape + event_shape``; ``log_prob(x)``
returns shape ``broadcast(x).shape[:-len(event_shape)]``.

Everything is written with chainrule Tensor operations, so gradients flow: ``log_prob`` with
respect to the parameters and the value, ``rsample`` (where ``has_rsample``) with respect to the
parameters through a reparameterisation x = g(θ, ε) with noise ε that does not depend on θ.

``validate_args`` (default True, as PyTorch; ``Distribution.set_default_validate_args(False)``
turns it off) checks parameters against ``arg_constraints`` at construction and values against
``support`` in ``log_prob``/``cdf``; a violation raises ``ValueError`` naming the parameter, the
constraint and the offending values.
"""
from __future__ import annotations

import numbers

from .. import backend
from ..backend import xp
from ..mathematics import Formula
from ..tensor import Size, Tensor
from . import constraints


def _default_float():
    from .. import get_default_dtype
    return get_default_dtype()


def as_param(x, like=None) -> Tensor:
    """A parameter as a floating Tensor (Python numbers take the default dtype, or ``like``'s)."""
    if isinstance(x, Tensor):
        return x if x.dtype.kind == "f" else x.to(_default_float())
    from .. import tensor as make
    if isinstance(x, numbers.Number):
        return make(float(x), dtype=like.dtype if like is not None else _default_float())
    return make(xp.asarray(x, dtype=xp.float64)).to(
        like.dtype if like is not None else _default_float())


def broadcast_all(*values, names=None, owner: str = "distribution") -> tuple[Tensor, ...]:
    """The parameters broadcast to one shape, numbers converted to the tensors' dtype (PyTorch's
    ``broadcast_all``). Shapes that cannot broadcast raise ValueError naming them."""
    like = next((v for v in values if isinstance(v, Tensor) and v.dtype.kind == "f"), None)
    tensors = [as_param(v, like) for v in values]
    shapes = [tuple(t.shape) for t in tensors]
    try:
        shape = xp.broadcast_shapes(*shapes)
    except ValueError:
        names = names or [f"argument {i}" for i in range(len(values))]
        listed = ", ".join(f"{n} {s}" for n, s in zip(names, shapes))
        raise ValueError(f"{owner}: the parameters' shapes do not broadcast ({listed}): aligned "
                         f"from the right, each pair of sizes must be equal or one of them 1"
                         ) from None
    return tuple(t if tuple(t.shape) == shape else t.expand(*shape) for t in tensors)


def sum_rightmost(x: Tensor, n: int) -> Tensor:
    """Sum over the rightmost ``n`` dimensions (none when n = 0)."""
    return x.sum(tuple(range(-n, 0))) if n > 0 else x


def noise(shape, dtype, kind: str = "normal") -> Tensor:
    """ε ~ N(0, 1) or U(0, 1) of ``shape`` from chainrule's seeded generator, as a constant,
    drawn as PyTorch's ``torch.empty(shape).normal_()`` / ``torch.rand(shape)`` draw them."""
    gen = backend.generator()
    shape = tuple(shape)
    a = gen.normal_(shape, dtype) if kind == "normal" else gen.uniform_(shape, dtype)
    return Tensor._from_op(xp.asarray(a, dtype=dtype), None)


class Distribution:
    """Base class of probability distributions (see the module docstring)."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    support = None
    _validate_args_default = True
    #: the mathematics: (label, Unicode, LaTeX) triples; see :meth:`formula`
    _math: tuple = ()

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for distributions created afterwards."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args_default = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Size(tuple(batch_shape))
        self._event_shape = Size(tuple(event_shape))
        if validate_args is not None:
            self._validate_args = validate_args
        else:
            self._validate_args = Distribution._validate_args_default
        if self._validate_args:
            self._check_parameters()

    # ------------------------------------------------------------------ validation
    def _check_parameters(self) -> None:
        for param, constraint in self._params_to_check().items():
            if constraints.is_dependent(constraint):
                continue
            value = getattr(self, param)
            ok = constraint.check(value)
            if not bool(ok._data.all()):
                bad = value._data[~ok._data] if ok._data.shape == tuple(value.shape) \
                    else value._data
                raise ValueError(
                    f"Expected parameter {param} (Tensor of shape {tuple(value.shape)}) of "
                    f"distribution {self!r} to satisfy the constraint {constraint!r}, but found "
                    f"invalid values:\n{bad}")

    def _params_to_check(self) -> dict:
        return self.arg_constraints

    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise ValueError(f"{type(self).__name__}: the value must be a Tensor, got "
                             f"{type(value).__name__}")
        event_dim = len(self._event_shape)
        if value.dim() < event_dim or tuple(value.shape[value.dim() - event_dim:]) != \
                tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{tuple(value.shape)} vs {tuple(self._event_shape)}.")
        full = tuple(self._batch_shape) + tuple(self._event_shape)
        try:
            xp.broadcast_shapes(tuple(value.shape), full)
        except ValueError:
            raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                             f"{tuple(value.shape)} vs {full}.") from None
        support = self.support
        ok = support.check(value)._data
        if not bool(ok.all()):
            raise ValueError(f"Expected value argument (Tensor of shape {tuple(value.shape)}) to "
                             f"be within the support ({support!r}) of the distribution {self!r}, "
                             f"but found invalid values:\n{value._data}")

    # ------------------------------------------------------------------ shapes
    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape)

    def expand(self, batch_shape, _instance=None):
        """This distribution with its parameters broadcast to ``batch_shape`` (no copy)."""
        batch_shape = tuple(batch_shape)
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new.__dict__.update(self.__dict__)
        for name, value in self.__dict__.items():
            if isinstance(value, Tensor) and name in self._param_names():
                extra = tuple(value.shape[value.dim() - self._param_event_dims(name):]) \
                    if self._param_event_dims(name) else ()
                new.__dict__[name] = value.expand(*(batch_shape + extra))
        new._batch_shape = Size(batch_shape)
        return new

    def _param_names(self) -> tuple:
        return tuple(self.arg_constraints)

    def _param_event_dims(self, name: str) -> int:
        return self.arg_constraints[name].event_dim if name in self.arg_constraints else 0

    # ------------------------------------------------------------------ the interface
    def sample(self, sample_shape=()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + event_shape, with no gradient."""
        from ..autograd.grad_mode import no_grad
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler "
                                  f"(rsample); use sample(), which carries no gradient")

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    def log_prob(self, value) -> Tensor:
        raise NotImplementedError

    def cdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no cdf")

    def icdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no icdf")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no closed-form entropy")

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def _validate_probability(self, value) -> None:
        """icdf's argument must lie in [0, 1]."""
        if self._validate_args:
            v = value._data if isinstance(value, Tensor) else xp.asarray(value)
            if not bool(((v >= 0) & (v <= 1)).all()):
                raise ValueError(f"{type(self).__name__}.icdf: expected probabilities in "
                                 f"[0, 1], got {v}")

    # ------------------------------------------------------------------ mathematics
    @classmethod
    def formula(cls) -> Formula:
        """The density, its log-density's gradients and the reparameterisation, as a Formula."""
        pairs = [(label, text) for label, text, _ in cls._math[:-1]]
        latex = [tex for _, _, tex in cls._math[:-1]]
        return Formula.of(cls.__name__, pairs, latex, cls._math[-1])

    def __repr__(self) -> str:
        parts = []
        for name in self.arg_constraints:
            if name in self.__dict__ and isinstance(self.__dict__[name], Tensor):
                value = self.__dict__[name]
                parts.append(f"{name}: {value._data if value.numel() == 1 else Size(value.shape)}")
        return f"{type(self).__name__}({', '.join(parts)})"
