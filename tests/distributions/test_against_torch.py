"""Every family against torch.distributions in float64 (relative 1e-10) on hypothesis-drawn
parameters and batch shapes: log_prob, entropy, mean, mode, variance, stddev, cdf, icdf, the
shapes, and the gradients of log_prob with respect to the parameters and the value.

A property PyTorch does not define (raises NotImplementedError) must raise the same in chainrule.
Matrix parameters (a covariance or precision matrix) are compared by their symmetrised gradients:
only symmetric directions are meaningful for them, and that is what both libraries differentiate.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from tests.distributions.families import FAMILIES, Family

RTOL, ATOL = 1e-10, 1e-12
BATCHES = st.sampled_from([(), (1,), (3,), (2, 3)])


def close(ours, theirs, where: str, rtol=RTOL, atol=ATOL):
    a = ours.detach().numpy() if isinstance(ours, cr.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy()
    assert a.shape == b.shape, f"{where}: shape {a.shape}, PyTorch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)


def both(fn, ours, theirs, where: str):
    """fn on both; PyTorch raising NotImplementedError means chainrule must too."""
    try:
        expected = fn(theirs)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            fn(ours)
        return
    close(fn(ours), expected, where)


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
@given(seed=st.integers(0, 2 ** 32 - 1), batch=BATCHES)
@settings(max_examples=12)
def test_values_match_torch(family: Family, seed, batch):
    rng = np.random.default_rng(seed)
    params = family.params(rng, batch)
    ours, _ = family.build(cr, params)
    theirs, _ = family.build(torch, params)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    value = family.value(rng, batch, params)
    v_cr, v_t = cr.tensor(value, dtype=cr.float64), torch.tensor(value, dtype=torch.float64)
    close(ours.log_prob(v_cr), theirs.log_prob(v_t), "log_prob")
    # a value with extra sample dimensions broadcasts against the batch
    extra = family.value(rng, (2,) + batch, params)
    close(ours.log_prob(cr.tensor(extra, dtype=cr.float64)),
          theirs.log_prob(torch.tensor(extra, dtype=torch.float64)), "log_prob (sample dims)")
    for name in ("mean", "variance", "stddev", "mode"):
        both(lambda d, name=name: getattr(d, name), ours, theirs, name)
    both(lambda d: d.entropy(), ours, theirs, "entropy")
    if family.event == 0 and family.continuous_value:
        both(lambda d: d.cdf(v_cr if d is ours else v_t), ours, theirs, "cdf")
        p = rng.uniform(0.01, 0.99, batch)
        both(lambda d: d.icdf(cr.tensor(p, dtype=cr.float64) if d is ours else
                              torch.tensor(p, dtype=torch.float64)), ours, theirs, "icdf")


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
@given(seed=st.integers(0, 2 ** 32 - 1), batch=BATCHES)
@settings(max_examples=8)
def test_log_prob_gradients_match_torch(family: Family, seed, batch):
    rng = np.random.default_rng(seed)
    params = family.params(rng, batch)
    value = family.value(rng, batch, params)
    grads = {}
    for lib in (cr, torch):
        d, ps = family.build(lib, params, requires_grad=True)
        v = lib.tensor(value, dtype=lib.float64, requires_grad=family.continuous_value)
        weights = lib.tensor(np.linspace(0.5, 1.5, int(np.prod(d.batch_shape, dtype=int)))
                             .reshape(tuple(d.batch_shape)), dtype=lib.float64)
        (d.log_prob(v) * weights).sum().backward()
        grads[lib] = {k: t.grad for k, t in ps.items()}
        if family.continuous_value:
            grads[lib]["value"] = v.grad
    compare_grads(grads, 1e-9, "log_prob")


def compare_grads(grads: dict, rtol: float, what: str) -> None:
    for name, g in grads[torch].items():
        if g is None:        # no path from this input (a Uniform's value): none in chainrule
            assert grads[cr][name] is None or not grads[cr][name].numpy().any(), name
            continue
        ours, theirs = grads[cr][name].numpy(), g.numpy()
        if name in ("covariance_matrix", "precision_matrix"):
            ours = 0.5 * (ours + np.swapaxes(ours, -1, -2))
            theirs = 0.5 * (theirs + np.swapaxes(theirs, -1, -2))
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-12,
                                   err_msg=f"∂ {what} / ∂ {name}")


# PyTorch's trigamma (the derivative of digamma, which these entropies contain) has a relative
# error up to ~3e-10 (tests/distributions/test_special.py shows it against mpmath): their entropy
# gradients are compared at 1e-7, and checked by central differences (gradcheck) besides.
_TRIGAMMA = {"Gamma", "Beta", "Dirichlet"}


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_entropy_gradients_match_torch(family: Family):
    rng = np.random.default_rng(7)
    params = family.params(rng, (3,))
    grads = {}
    for lib in (cr, torch):
        d, ps = family.build(lib, params, requires_grad=True)
        try:
            d.entropy().sum().backward()
        except NotImplementedError:
            pytest.skip("no closed-form entropy (in either library)")
        grads[lib] = {k: t.grad for k, t in ps.items()}
    compare_grads(grads, 1e-7 if family.name in _TRIGAMMA else 1e-9, "entropy")
    if family.name in _TRIGAMMA:
        names = list(params)

        def entropy(*ts):
            return family.cr_cls(**family.kwargs(dict(zip(names, ts)))).entropy()
        assert cr.gradcheck(entropy, *[cr.tensor(params[n], dtype=cr.float64) for n in names])


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_expand_matches_torch(family: Family):
    rng = np.random.default_rng(3)
    params = family.params(rng, (3,))
    ours = family.build(cr, params)[0].expand((2, 3))
    theirs = family.build(torch, params)[0].expand((2, 3))
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) == (2, 3)
    value = family.value(rng, (2, 3), params)
    close(ours.log_prob(cr.tensor(value, dtype=cr.float64)),
          theirs.log_prob(torch.tensor(value, dtype=torch.float64)), "expanded log_prob")


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Uniform", "Exponential", "Gamma"])
def test_cdf_and_icdf_gradients_match_torch(name):
    """∂cdf and ∂icdf with respect to every parameter and the value (Gamma: not in the
    concentration, where both libraries raise NotImplementedError)."""
    from tests.distributions.families import BY_NAME
    family = BY_NAME[name]
    rng = np.random.default_rng(5)
    params = family.params(rng, (4,))
    value = family.value(rng, (4,), params)
    p = rng.uniform(0.05, 0.95, (4,))
    for method, arg in (("cdf", value), ("icdf", p)):
        grads = {}
        for lib in (cr, torch):
            d, ps = family.build(lib, params, requires_grad=True)
            if name == "Gamma":
                ps["concentration"].requires_grad_(False)
            v = lib.tensor(arg, dtype=lib.float64, requires_grad=True)
            try:
                out = getattr(d, method)(v)
            except NotImplementedError:
                assert lib is cr or method == "icdf"
                with pytest.raises(NotImplementedError):
                    getattr(family.build(cr, params)[0], method)(cr.tensor(arg))
                break
            (out * lib.tensor(np.linspace(0.5, 1.5, 4), dtype=lib.float64)).sum().backward()
            grads[lib] = {k: t.grad for k, t in ps.items()} | {"value": v.grad}
        else:
            compare_grads(grads, 1e-9, method)
    if name == "Gamma":
        a = cr.tensor(params["concentration"], dtype=cr.float64, requires_grad=True)
        d = family.cr_cls(a, cr.tensor(params["rate"], dtype=cr.float64))
        with pytest.raises(NotImplementedError, match="first argument"):
            d.cdf(cr.tensor(value, dtype=cr.float64)).sum().backward()
