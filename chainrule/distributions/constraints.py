"""Constraints: the sets parameters and values must lie in (``torch.distributions.constraints``).

Each constraint answers ``check(value)`` with a boolean Tensor, True where the value satisfies it,
reduced over the rightmost ``event_dim`` dimensions (a simplex is a property of a whole vector).
Distributions name theirs in ``arg_constraints`` (parameters) and ``support`` (values); with
``validate_args`` they are checked, and a violation raises ``ValueError``.
"""
from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor


def _data(x):
    return x._data if isinstance(x, Tensor) else xp.asarray(x)


def _out(mask) -> Tensor:
    return Tensor._from_op(xp.asarray(mask), None)


class Constraint:
    """A region of values. ``is_discrete``: integer-valued; ``event_dim``: how many rightmost
    dimensions together make one event (0 for a constraint on each number)."""

    is_discrete = False
    event_dim = 0

    def check(self, value) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """A constraint that depends on other parameters (checked by the distribution itself).

    ``dependent(is_discrete=..., event_dim=...)`` makes one with those static attributes
    (PyTorch's syntax). Where they are not given they read False and 0 (PyTorch raises
    NotImplementedError instead; chainrule's generic ``expand`` reads ``event_dim``)."""

    def __init__(self, is_discrete: bool = False, event_dim: int = 0):
        self.is_discrete, self.event_dim = is_discrete, event_dim

    def __call__(self, *, is_discrete=None, event_dim=None):
        return _Dependent(self.is_discrete if is_discrete is None else is_discrete,
                          self.event_dim if event_dim is None else event_dim)

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


class _DependentProperty(property, _Dependent):
    """``@constraints.dependent_property(is_discrete=..., event_dim=...)``: a property on an
    instance (a support computed from the parameters), a dependent constraint on the class."""

    def __init__(self, fn=None, *, is_discrete: bool = False, event_dim: int = 0):
        property.__init__(self, fn)
        self.is_discrete, self.event_dim = is_discrete, event_dim

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self.is_discrete, event_dim=self.event_dim)


def is_dependent(constraint) -> bool:
    return isinstance(constraint, _Dependent)


class _Real(Constraint):
    def check(self, value):
        v = _data(value)
        return _out(v == v)                 # False for nan only


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        v = _data(value)
        return _out((v == 0) | (v == 1))


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        v = _data(value)
        return _out((v % 1 == 0) & (v >= _data(self.lower_bound)) & (v <= _data(self.upper_bound)))

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        v = _data(value)
        return _out((v % 1 == 0) & (v >= self.lower_bound))

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return _out(_data(self.lower_bound) < _data(value))

    def __repr__(self):
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value):
        return _out(_data(self.lower_bound) <= _data(value))

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return _out(_data(value) < _data(self.upper_bound))

    def __repr__(self):
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        v = _data(value)
        return _out((_data(self.lower_bound) <= v) & (v <= _data(self.upper_bound)))

    def __repr__(self):
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _HalfOpenInterval(_Interval):
    def check(self, value):
        v = _data(value)
        return _out((_data(self.lower_bound) <= v) & (v < _data(self.upper_bound)))

    def __repr__(self):
        return f"HalfOpenInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Simplex(Constraint):
    """x ≥ 0 elementwise and Σ x = 1 over the last dimension (within 1e-6, as PyTorch)."""

    event_dim = 1

    def check(self, value):
        v = _data(value)
        return _out((v >= 0).all(axis=-1) & (xp.abs(v.sum(axis=-1) - 1) < 1e-6))


class _LowerCholesky(Constraint):
    """Lower-triangular square matrices with a positive diagonal."""

    event_dim = 2

    def check(self, value):
        v = _data(value)
        lower = (xp.tril(v) == v).all(axis=(-2, -1))
        positive = (xp.diagonal(v, axis1=-2, axis2=-1) > 0).all(axis=-1)
        return _out(lower & positive)


class _PositiveDefinite(Constraint):
    """Symmetric matrices with positive eigenvalues (those whose Cholesky factor exists)."""

    event_dim = 2

    def check(self, value):
        v = _data(value)
        symmetric = xp.isclose(v, xp.swapaxes(v, -1, -2), atol=1e-6).all(axis=(-2, -1))
        with xp.errstate(invalid="ignore"):
            sym = 0.5 * (v + xp.swapaxes(v, -1, -2))
            ok = xp.isfinite(v).all(axis=(-2, -1))
            safe = xp.where(ok[..., None, None], sym, 0.0)
            positive = xp.linalg.eigvalsh(safe).min(axis=-1) > 0 if v.shape[-1] else ok
        return _out(symmetric & ok & positive)


class _Independent(Constraint):
    """``base`` over ``reinterpreted_batch_ndims`` more rightmost dimensions (all must hold)."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims: int):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        ok = _data(self.base_constraint.check(value))
        if self.reinterpreted_batch_ndims:
            ok = ok.reshape(ok.shape[:ok.ndim - self.reinterpreted_batch_ndims] + (-1,)).all(-1)
        return _out(ok)

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _OneHot(Constraint):
    """One-hot vectors: entries in {0, 1} summing to 1 over the last dimension."""

    is_discrete = True
    event_dim = 1

    def check(self, value):
        v = _data(value)
        return _out(((v == 0) | (v == 1)).all(axis=-1) & (v.sum(axis=-1) == 1))


class _IntegerLessThan(Constraint):
    is_discrete = True

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        v = _data(value)
        return _out((v % 1 == 0) & (v <= _data(self.upper_bound)))

    def __repr__(self):
        return f"IntegerLessThan(upper_bound={self.upper_bound})"


class _Multinomial(Constraint):
    """Non-negative vectors whose sum is at most ``upper_bound`` (PyTorch's weaker check)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        v = _data(value)
        return _out((v >= 0).all(axis=-1) & (v.sum(axis=-1) <= _data(self.upper_bound)))


class _LowerTriangular(Constraint):
    event_dim = 2

    def check(self, value):
        v = _data(value)
        return _out((xp.tril(v) == v).all(axis=(-2, -1)))


class _CorrCholesky(Constraint):
    """Lower Cholesky factors whose rows have unit Euclidean norm (within 10·eps·n)."""

    event_dim = 2

    def check(self, value):
        v = _data(value)
        tol = float(xp.finfo(v.dtype).eps) * v.shape[-1] * 10
        unit = (xp.abs(xp.sqrt((v * v).sum(-1)) - 1.0) <= tol).all(-1)
        return _out(_data(_LowerCholesky().check(v)) & unit)


class _Square(Constraint):
    event_dim = 2

    def check(self, value):
        v = _data(value)
        return _out(xp.full(v.shape[:-2], v.shape[-2] == v.shape[-1], dtype=bool))


class _Symmetric(_Square):
    def check(self, value):
        square = _data(super().check(value))
        if not square.all():
            return _out(square)
        v = _data(value)
        return _out(xp.isclose(v, xp.swapaxes(v, -1, -2), atol=1e-6).all(axis=(-2, -1)))


class _PositiveSemidefinite(_Symmetric):
    def check(self, value):
        sym = _data(super().check(value))
        if not sym.all():
            return _out(sym)
        return _out((xp.linalg.eigvalsh(_data(value)) >= 0).all(-1))


class _Cat(Constraint):
    """Constraints ``cseq`` applied to consecutive slices (of ``lengths``) along ``dim``."""

    def __init__(self, cseq, dim: int = 0, lengths=None):
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.cseq = list(cseq)
        self.lengths = list(lengths) if lengths is not None else [1] * len(self.cseq)
        if len(self.lengths) != len(self.cseq):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match cseq "
                                 f"({len(self.cseq)})")
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        v = _data(value)
        checks, start = [], 0
        for c, length in zip(self.cseq, self.lengths):
            part = xp.take(v, xp.arange(start, start + length), axis=self.dim)
            checks.append(_data(c.check(part)))
            start += length
        return _out(xp.concatenate(checks, axis=self.dim))


class _Stack(Constraint):
    """Constraints ``cseq`` applied to the slices of ``dim`` (as ``torch.stack`` makes them)."""

    def __init__(self, cseq, dim: int = 0):
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.cseq = list(cseq)
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    def check(self, value):
        v = _data(value)
        parts = [xp.take(v, i, axis=self.dim) for i in range(v.shape[self.dim])]
        return _out(xp.stack([_data(c.check(p)) for p, c in zip(parts, self.cseq)], self.dim))


class MixtureSameFamilyConstraint(Constraint):
    """The component's constraint checked on a value with the component dimension added back."""

    def __init__(self, base_constraint):
        if not isinstance(base_constraint, Constraint):
            raise AssertionError(f"base_constraint must be a Constraint, got "
                                 f"{type(base_constraint).__name__}")
        self.base_constraint = base_constraint

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim

    def check(self, value):
        v = _data(value)
        if v.ndim < self.event_dim:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {v.ndim}")
        result = _data(self.base_constraint.check(xp.expand_dims(v, -1 - self.event_dim)))
        keep = v.ndim - self.event_dim
        return _out(result.reshape(result.shape[:keep] + (-1,)).all(-1))

    def __repr__(self):
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


dependent = _Dependent()
dependent_property = _DependentProperty   # a support that depends on the parameters
real = _Real()
real_vector = _Independent(real, 1)
boolean = _Boolean()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
integer_interval = _IntegerInterval
one_hot = _OneHot()
multinomial = _Multinomial
lower_triangular = _LowerTriangular()
corr_cholesky = _CorrCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
cat = _Cat
stack = _Stack
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval
independent = _Independent

__all__ = ["Constraint", "dependent", "dependent_property", "is_dependent", "real",
           "real_vector", "boolean", "nonnegative_integer", "positive_integer", "positive",
           "nonnegative", "unit_interval", "simplex", "lower_cholesky", "positive_definite",
           "integer_interval", "greater_than", "greater_than_eq", "less_than", "interval",
           "half_open_interval", "independent", "one_hot", "multinomial", "lower_triangular",
           "corr_cholesky", "square", "symmetric", "positive_semidefinite", "cat", "stack",
           "MixtureSameFamilyConstraint"]
