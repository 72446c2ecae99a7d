"""The round-33 families against torch.distributions in float64 on hypothesis-drawn parameters
and batch shapes: log_prob (also with extra sample dimensions), cdf, icdf, entropy, mean, mode,
variance, stddev, batch/event shapes, support, arg_constraints, has_rsample, expand; and the
gradients of log_prob (parameters and value), entropy, cdf, icdf, mean and variance with
respect to the parameters.

A property PyTorch does not define (raises NotImplementedError) must raise the same here.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from tests.distributions.round33_families import FAMILIES, Family, torch_dtype

RTOL, ATOL = 1e-10, 1e-12
BATCHES = st.sampled_from([(), (1,), (3,), (2, 3)])
IDS = [f.name for f in FAMILIES]


def close(ours, theirs, where: str, rtol=RTOL, atol=ATOL):
    a = ours.detach().numpy() if isinstance(ours, cr.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert a.shape == b.shape, f"{where}: shape {a.shape}, PyTorch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)


def both(fn, ours, theirs, where: str, **tol):
    """fn on both; PyTorch raising NotImplementedError (a property it does not define) or
    ValueError (a value its validation rejects) means chainrule must raise the same."""
    try:
        expected = fn(theirs, torch)
    except (NotImplementedError, ValueError) as e:
        with pytest.raises(type(e)):
            fn(ours, cr)
        return
    close(fn(ours, cr), expected, where, **tol)


def _t(lib, a):
    return lib.tensor(a, dtype=lib.float64)


# ContinuousBernoulli's variance near λ = ½ (just outside its Taylor window) is a difference of
# two terms of size 1/(1 − 2λ)² ≈ 10⁵–10⁶: a last-bit difference in log or sigmoid (NumPy's
# versus PyTorch's vectorised kernels) is amplified to ~1e-9 relative there.
_LOOSE = {("ContinuousBernoulli", "variance"): 1e-8, ("ContinuousBernoulli", "stddev"): 1e-8,
          ("ContinuousBernoulli", "entropy"): 1e-9, ("ContinuousBernoulli", "perplexity"): 1e-9}


def _rtol(family: Family, what: str) -> float:
    return _LOOSE.get((family.name.split("(")[0], what), RTOL)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
@given(seed=st.integers(0, 2 ** 32 - 1), batch=BATCHES)
@settings(max_examples=10, deadline=None)
def test_values_match_torch(family: Family, seed, batch):
    with torch_dtype(family):
        _values_match_torch(family, seed, batch)


def _values_match_torch(family: Family, seed, batch):
    rng = np.random.default_rng(seed)
    params = family.params(rng, batch)
    ours, _ = family.build(cr, params)
    theirs, _ = family.build(torch, params)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert ours.has_enumerate_support == theirs.has_enumerate_support
    value = family.value(rng, batch, params)
    both(lambda d, lib: d.log_prob(_t(lib, value)), ours, theirs, "log_prob")
    extra = family.value(rng, (2,) + batch, params)
    both(lambda d, lib: d.log_prob(_t(lib, extra)), ours, theirs, "log_prob (sample dims)")
    for name in ("mean", "variance", "stddev", "mode"):
        both(lambda d, lib, name=name: getattr(d, name), ours, theirs, name,
             rtol=_rtol(family, name))
    both(lambda d, lib: d.entropy(), ours, theirs, "entropy", rtol=_rtol(family, "entropy"))
    both(lambda d, lib: d.perplexity(), ours, theirs, "perplexity",
         rtol=_rtol(family, "perplexity"))
    if family.event == 0 and family.continuous_value:
        both(lambda d, lib: d.cdf(_t(lib, value)), ours, theirs, "cdf")
        p = rng.uniform(0.01, 0.99, batch)
        both(lambda d, lib: d.icdf(_t(lib, p)), ours, theirs, "icdf")
    ok_ours = ours.support.check(_t(cr, value))
    ok_theirs = theirs.support.check(_t(torch, value))
    np.testing.assert_array_equal(ok_ours.numpy(), ok_theirs.numpy())
    assert set(type(ours).arg_constraints) == set(type(theirs).arg_constraints) or \
        family.name.startswith(("MixtureSameFamily", "TransformedDistribution"))


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_expand_matches_torch(family: Family):
    with torch_dtype(family):
        _expand_matches_torch(family)


def _expand_matches_torch(family: Family):
    rng = np.random.default_rng(11)
    params = family.params(rng, (3,))
    ours = family.build(cr, params)[0].expand((2, 3))
    theirs = family.build(torch, params)[0].expand((2, 3))
    assert type(ours).__name__ == type(theirs).__name__
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) == (2, 3)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours._validate_args == theirs._validate_args
    value = family.value(rng, (2, 3), params)
    both(lambda d, lib: d.log_prob(_t(lib, value)), ours, theirs, "expanded log_prob")
    both(lambda d, lib: d.mean, ours, theirs, "expanded mean")
    assert tuple(ours.sample().shape) == tuple(theirs.sample().shape)


# ------------------------------------------------------------------ gradients
# PyTorch's trigamma has a relative error up to ~3e-10 (tests/distributions/test_special.py):
# quantities whose gradient contains it (a digamma in the value) compare at 1e-7.
_TRIGAMMA = ("StudentT", "Chi2", "Kumaraswamy", "InverseGamma", "NegativeBinomial", "Multinomial",
             "FisherSnedecor", "Binomial", "Weibull")


def _grads(family: Family, params: dict, fn) -> dict:
    out, failed = {}, {}
    with torch_dtype(family):
        for lib in (cr, torch):
            try:
                if not _grad_of(family, params, fn, lib, out):
                    return {}
            except (NotImplementedError, RuntimeError) as e:
                failed[lib] = e
    if torch in failed:
        # no derivative in PyTorch (the Gamma cdf in its shape): none in chainrule either
        assert cr in failed, f"PyTorch has no such gradient ({failed[torch]}); chainrule has one"
        return {}
    assert cr not in failed, f"chainrule raised {failed.get(cr)!r}"
    return out


def _grad_of(family, params, fn, lib, out) -> bool:
    d, ps = family.build(lib, params, requires_grad=True)
    y = fn(d, lib)
    if y is None or not np.isfinite(y.detach().numpy()).any():
        return False
    # entries PyTorch sets to inf/nan (a moment that does not exist) carry no gradient
    y = lib.where(lib.isfinite(y), y, lib.zeros_like(y))
    weights = _t(lib, np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)))
    (y * weights).sum().backward()
    out[lib] = {k: t.grad for k, t in ps.items()}
    return True


def compare_grads(grads: dict, rtol: float, what: str) -> None:
    for name, g in grads.get(torch, {}).items():
        ours = grads[cr][name]
        if g is None:
            assert ours is None or not np.asarray(ours.numpy()).any(), f"∂ {what}/∂ {name}"
            continue
        assert ours is not None, f"∂ {what}/∂ {name}: no gradient in chainrule"
        np.testing.assert_allclose(ours.numpy(), g.numpy(), rtol=rtol, atol=1e-11,
                                   err_msg=f"∂ {what} / ∂ {name}")


def _tolerance(family: Family, what: str) -> float:
    return 1e-7 if family.name.startswith(_TRIGAMMA) and what != "log_prob" else 1e-9


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
@given(seed=st.integers(0, 2 ** 32 - 1), batch=BATCHES)
@settings(max_examples=6, deadline=None)
def test_log_prob_gradients_match_torch(family: Family, seed, batch):
    rng = np.random.default_rng(seed)
    params = family.params(rng, batch)
    value = family.value(rng, batch, params)
    grads = {}
    for lib in (cr, torch):
        with torch_dtype(family):
            d, ps = family.build(lib, params, requires_grad=True)
            v = lib.tensor(value, dtype=lib.float64, requires_grad=family.continuous_value)
            lp = d.log_prob(v)
            weights = _t(lib, np.linspace(0.5, 1.5, lp.numel()).reshape(tuple(lp.shape)))
            (lp * weights).sum().backward()
        grads[lib] = {k: t.grad for k, t in ps.items()}
        if family.continuous_value:
            grads[lib]["value"] = v.grad
    compare_grads(grads, 1e-8 if family.name.startswith("VonMises") else 1e-9, "log_prob")


@pytest.mark.parametrize("what", ["entropy", "mean", "variance", "cdf", "icdf"])
@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_other_gradients_match_torch(family: Family, what: str):
    rng = np.random.default_rng(5)
    params = family.params(rng, (8,))
    value = family.value(rng, (8,), params)
    p = rng.uniform(0.05, 0.95, (8,))

    def fn(d, lib):
        try:
            if what == "cdf":
                return d.cdf(_t(lib, value)) if family.event == 0 else None
            if what == "icdf":
                return d.icdf(_t(lib, p)) if family.event == 0 else None
            return d.entropy() if what == "entropy" else getattr(d, what)
        except NotImplementedError:
            return None

    grads = _grads(family, params, fn)
    if not grads:
        pytest.skip(f"{what}: not defined or not finite for {family.name}")
    compare_grads(grads, _tolerance(family, what), what)
