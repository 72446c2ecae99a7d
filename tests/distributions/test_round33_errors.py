"""Validation of the round-33 families as PyTorch validates them (parameters outside their
constraints and values outside the support raise ValueError exactly where PyTorch's do),
constructor errors, the constraints added with them, and each class's stated mathematics."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.distributions as T
from torch.distributions import constraints as TC

import chainrule as cr
import chainrule.distributions as D
from chainrule.distributions import constraints as CC
from tests.distributions.round33_families import FAMILIES, Family, torch_dtype

IDS = [f.name for f in FAMILIES]
BAD_PARAMETER_VALUES = [-1.0, 0.0, 1.0, 1.5, math.nan, math.inf, 0.5]


def _raises(fn) -> type | None:
    """Which of ValueError, NotImplementedError, RuntimeError (e.g. a LinAlgError) ``fn``
    raises, or None."""
    try:
        fn()
    except (ValueError, NotImplementedError, RuntimeError) as e:
        return next(k for k in (ValueError, NotImplementedError, RuntimeError)
                    if isinstance(e, k))
    return None


@pytest.mark.parametrize("validate", [None, True, False])
@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_invalid_parameters_raise_where_torch_raises(family: Family, validate):
    params = family.params(np.random.default_rng(0), (3,))
    for name in params:
        for bad in BAD_PARAMETER_VALUES:
            broken = dict(params)
            broken[name] = np.array(params[name], dtype=np.float64)
            broken[name].reshape(-1)[0] = bad
            result = {}
            for lib in (cr, torch):
                def build(lib=lib, broken=broken):
                    ps = {k: lib.tensor(v, dtype=lib.float64) for k, v in broken.items()}
                    kwargs = family.kwargs(ps)
                    cls = family.cr_cls if lib is cr else family.torch_cls
                    if validate is not None and isinstance(cls, type):
                        kwargs["validate_args"] = validate
                    cls(**kwargs)
                result[lib] = _raises(build)
            assert result[cr] == result[torch], (name, bad, result)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_values_outside_the_support_raise_where_torch_raises(family: Family):
    rng = np.random.default_rng(1)
    params = family.params(rng, (3,))
    good = family.value(rng, (3,), params)
    ours, theirs = family.build(cr, params)[0], family.build(torch, params)[0]
    for bad in [-1.0, 0.5, 1.5, 2.0, math.nan, -7.0, 30.0]:
        value = np.array(good, dtype=np.float64)
        value.reshape(-1)[0] = bad
        a = _raises(lambda v=value: ours.log_prob(cr.tensor(v, dtype=cr.float64)))
        with torch_dtype(family):
            b = _raises(lambda v=value: theirs.log_prob(torch.tensor(v, dtype=torch.float64)))
        assert a == b, (bad, a, b)
    # a value whose rightmost dimensions are not the event shape
    wrong = np.zeros((3, 7)) if family.event else np.zeros((4,))
    assert _raises(lambda: ours.log_prob(cr.tensor(wrong))) is ValueError


def test_constructor_errors_as_torch():
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
        D.Multinomial(cr.tensor(3), probs=cr.tensor([0.5, 0.5]))
    for cls in (D.Geometric, D.ContinuousBernoulli):
        with pytest.raises(ValueError, match="Either `probs` or `logits`"):
            cls()
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Binomial(3, probs=cr.tensor(0.3), logits=cr.tensor(0.1))
    with pytest.raises(ValueError, match="to be positive"):
        D.Geometric(probs=cr.tensor([0.5, 0.0]))
    with pytest.raises(ValueError, match="The parameter probs has invalid values"):
        D.ContinuousBernoulli(probs=cr.tensor(1.5), validate_args=False)
    with pytest.raises(ValueError, match="Mixture distribution needs"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(cr.zeros(2), cr.ones(2)))
    with pytest.raises(ValueError, match="Component distribution needs"):
        D.MixtureSameFamily(D.Categorical(logits=cr.zeros(2)), "normal")
    with pytest.raises(ValueError, match="does not equal"):
        D.MixtureSameFamily(D.Categorical(logits=cr.zeros(3)), D.Normal(cr.zeros(2), cr.ones(2)))
    with pytest.raises(ValueError, match="not compatible"):
        D.MixtureSameFamily(D.Categorical(logits=cr.zeros(4, 2)),
                            D.Normal(cr.zeros(3, 2), cr.ones(3, 2)))
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        D.LowRankMultivariateNormal(cr.tensor(0.0), cr.ones(1, 1), cr.ones(1))
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices"):
        D.LowRankMultivariateNormal(cr.zeros(3), cr.ones(2, 1), cr.ones(3))
    with pytest.raises(ValueError, match="cov_diag must be a batch of vectors"):
        D.LowRankMultivariateNormal(cr.zeros(3), cr.ones(3, 1), cr.ones(2))
    with pytest.raises(ValueError, match="Incompatible batch shapes"):
        D.LowRankMultivariateNormal(cr.zeros(2, 3), cr.ones(4, 3, 1), cr.ones(3))
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
        D.Binomial(cr.tensor([2.0, 3.0]), probs=cr.tensor([0.5, 0.5])).enumerate_support()

    class MyLogNormal(D.LogNormal):
        def __init__(self, loc):
            super().__init__(loc, 1.0)
    with pytest.raises(NotImplementedError, match="must also define a custom .expand"):
        MyLogNormal(cr.zeros(2)).expand((3, 2))


def test_enumerate_support_as_torch():
    for make in (lambda L, lib: L.Binomial(lib.tensor([4.0, 4.0]), probs=lib.tensor([0.2, 0.7])),
                 lambda L, lib: L.OneHotCategorical(probs=lib.tensor([[0.2, 0.8], [0.5, 0.5]]))):
        ours, theirs = make(D, cr), make(T, torch)
        for expand in (True, False):
            np.testing.assert_array_equal(ours.enumerate_support(expand).numpy(),
                                          theirs.enumerate_support(expand).numpy())


# ------------------------------------------------------------------ constraints
@pytest.mark.parametrize("make, value", [
    (lambda C: C.one_hot, [[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.5, 0.5]]),
    (lambda C: C.multinomial(4), [[1.0, 2.0, 1.0], [3.0, 2.0, 0.0], [-1.0, 2.0, 0.0]]),
    (lambda C: C.lower_triangular, [[[1.0, 0.0], [2.0, -1.0]], [[1.0, 0.5], [0.0, 1.0]]]),
    (lambda C: C.corr_cholesky, [[[1.0, 0.0], [0.6, 0.8]], [[1.0, 0.0], [0.6, 0.7]]]),
    (lambda C: C.square, [[[1.0, 0.0], [0.6, 0.8]]]),
    (lambda C: C.symmetric, [[[1.0, 0.3], [0.3, 0.8]], [[1.0, 0.0], [0.6, 0.7]]]),
    (lambda C: C.positive_semidefinite, [[[1.0, 0.3], [0.3, 0.8]], [[1.0, 2.0], [2.0, 1.0]]]),
    (lambda C: C.positive_definite, [[[1.0, 0.3], [0.3, 0.8]], [[0.0, 0.0], [0.0, 1.0]]]),
    (lambda C: C.cat([C.positive, C.unit_interval], -1, [2, 1]),
     [[1.0, 2.0, 0.5], [-1.0, 2.0, 1.5]]),
    (lambda C: C.stack([C.positive, C.real, C.unit_interval], -1),
     [[1.0, -2.0, 0.5], [-1.0, 2.0, 1.5]]),
    (lambda C: C.MixtureSameFamilyConstraint(C.positive), [[1.0, 2.0], [0.5, -1.0]]),
    (lambda C: C.integer_interval(0, 3), [0.0, 2.0, 3.5, 4.0]),
    (lambda C: C.independent(C.positive, 1), [[1.0, 2.0], [1.0, -2.0]]),
])
def test_constraints_check_as_torch(make, value):
    a = make(CC).check(cr.tensor(value, dtype=cr.float64))
    b = make(TC).check(torch.tensor(value, dtype=torch.float64))
    np.testing.assert_array_equal(np.asarray(a.numpy()), b.numpy())
    assert make(CC).event_dim == make(TC).event_dim
    assert make(CC).is_discrete == make(TC).is_discrete


def test_dependent_constraints_as_torch():
    d = CC.dependent(is_discrete=True, event_dim=1)
    assert CC.is_dependent(d) and d.is_discrete and d.event_dim == 1
    with pytest.raises(ValueError, match="dependent"):
        d.check(cr.zeros(2))
    for name in ("Pareto", "Binomial", "GeneralizedPareto", "Multinomial", "MixtureSameFamily",
                 "TransformedDistribution"):
        ours, theirs = getattr(D, name).support, getattr(T, name).support
        assert CC.is_dependent(ours) == TC.is_dependent(theirs), name
    assert D.Binomial.support.is_discrete and D.Multinomial.support.event_dim == 1
    ours = D.Pareto(cr.tensor([1.5]), cr.tensor([2.0])).support
    theirs = T.Pareto(torch.tensor([1.5]), torch.tensor([2.0])).support
    assert type(ours).__name__ == type(theirs).__name__ == "_GreaterThanEq"
    assert ours.lower_bound.numpy() == theirs.lower_bound.numpy()


# ------------------------------------------------------------------ the mathematics
NEW_CLASSES = [D.LogNormal, D.HalfNormal, D.HalfCauchy, D.Cauchy, D.StudentT, D.Gumbel,
               D.Weibull, D.Pareto, D.Chi2, D.Geometric, D.Binomial, D.NegativeBinomial,
               D.Multinomial, D.OneHotCategorical, D.OneHotCategoricalStraightThrough,
               D.RelaxedBernoulli, D.RelaxedOneHotCategorical, D.ContinuousBernoulli,
               D.Kumaraswamy, D.VonMises, D.LowRankMultivariateNormal, D.MixtureSameFamily,
               D.FisherSnedecor, D.InverseGamma, D.GeneralizedPareto, D.LogisticNormal,
               D.ExponentialFamily, D.TransformedDistribution]


@pytest.mark.parametrize("cls", NEW_CLASSES, ids=lambda c: c.__name__)
def test_every_new_class_states_its_mathematics(cls):
    f = cls.formula()
    assert f.equations and f.explanation
    text = str(f) + f.to_latex()
    assert "p(" in text or "P(" in text
    assert "Gradient" in cls.__doc__
    assert "Reparameterisation" in cls.__doc__
    assert issubclass(cls, D.Distribution)


def test_class_hierarchy_as_torch():
    for name in ("LogNormal", "HalfNormal", "HalfCauchy", "Gumbel", "Weibull", "Pareto",
                 "RelaxedBernoulli", "RelaxedOneHotCategorical", "Kumaraswamy", "InverseGamma",
                 "LogisticNormal"):
        assert issubclass(getattr(D, name), D.TransformedDistribution) == \
            issubclass(getattr(T, name), T.TransformedDistribution), name
    assert issubclass(D.Chi2, D.Gamma) and issubclass(D.ContinuousBernoulli, D.ExponentialFamily)
    assert issubclass(D.OneHotCategoricalStraightThrough, D.OneHotCategorical)


@pytest.mark.parametrize("cls", NEW_CLASSES, ids=lambda c: c.__name__)
def test_arg_constraints_and_support_as_torch(cls):
    """The class-level ``arg_constraints`` and ``support`` (a dependent property where PyTorch's
    is one) print as PyTorch's."""
    theirs = getattr(T, cls.__name__)
    if isinstance(theirs.arg_constraints, dict):
        assert {k: repr(v) for k, v in cls.arg_constraints.items()} == \
            {k: repr(v) for k, v in theirs.arg_constraints.items()}
    if not isinstance(theirs.support, property) or isinstance(theirs.support, TC.Constraint):
        assert repr(cls.support) == repr(theirs.support)
    assert cls.has_rsample == theirs.has_rsample or isinstance(theirs.has_rsample, property)
