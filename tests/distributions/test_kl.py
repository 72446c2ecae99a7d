"""kl_divergence against torch.distributions.kl_divergence (float64, relative 1e-10) for every
registered pair, on hypothesis-drawn parameters, with the gradients in both arguments; the
registry's dispatch and errors."""
from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
import torch.distributions as T
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.distributions as D
from tests.distributions.families import BY_NAME, Family

PAIRS = ["Normal", "Laplace", "Exponential", "Gamma", "Beta", "Dirichlet", "Poisson",
         "Bernoulli(probs)", "Bernoulli(logits)", "Categorical(probs)", "Categorical(logits)",
         "MultivariateNormal(scale_tril)", "MultivariateNormal(covariance)",
         "MultivariateNormal(precision)", "Independent(Normal)", "Uniform"]
# The gradients of these KLs contain PyTorch's trigamma, whose absolute error reaches ~3e-10 near
# x = 1 (tests/distributions/test_special.py measures it against mpmath): they are compared to
# 1e-7 relative / 1e-8 absolute, and ours are checked by central differences (gradcheck) too.
_TRIGAMMA = {"Gamma", "Beta", "Dirichlet"}


def _kl(lib, family: Family, pp, qp, grad=False):
    p, p_t = family.build(lib, pp, requires_grad=grad)
    q, q_t = family.build(lib, qp, requires_grad=grad)
    kl = (D.kl_divergence if lib is cr else T.kl_divergence)(p, q)
    return kl, p_t, q_t


@pytest.mark.parametrize("name", PAIRS)
@given(seed=st.integers(0, 2 ** 32 - 1), batch=st.sampled_from([(), (3,), (2, 3)]))
@settings(max_examples=10)
def test_kl_matches_torch(name, seed, batch):
    family = BY_NAME[name]
    rng = np.random.default_rng(seed)
    pp, qp = family.params(rng, batch), family.params(rng, batch)
    ours, p_c, q_c = _kl(cr, family, pp, qp, grad=True)
    theirs, p_t, q_t = _kl(torch, family, pp, qp, grad=True)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    finite = np.isfinite(theirs.detach().numpy())
    if not finite.all():
        return
    w = np.linspace(0.5, 1.5, max(1, int(np.prod(batch)))).reshape(batch)
    (ours * cr.tensor(w, dtype=cr.float64)).sum().backward()
    (theirs * torch.tensor(w, dtype=torch.float64)).sum().backward()
    for side_c, side_t in ((p_c, p_t), (q_c, q_t)):
        for k in side_t:
            a, b = side_c[k].grad, side_t[k].grad
            if b is None:
                assert a is None or not a.numpy().any()
                continue
            a, b = a.numpy(), b.numpy()
            if k in ("covariance_matrix", "precision_matrix"):
                a, b = (a + np.swapaxes(a, -1, -2)) / 2, (b + np.swapaxes(b, -1, -2)) / 2
            loose = name in _TRIGAMMA
            np.testing.assert_allclose(a, b, rtol=1e-7 if loose else 1e-9,
                                       atol=1e-8 if loose else 1e-12, err_msg=f"∂KL/∂{k}")


@pytest.mark.parametrize("name", sorted(_TRIGAMMA))
def test_kl_gradcheck_where_torch_is_inexact(name):
    family = BY_NAME[name]
    rng = np.random.default_rng(11)
    pp, qp = family.params(rng, (2,)), family.params(rng, (2,))
    names = list(pp)

    def kl(*ts):
        p = family.cr_cls(**family.kwargs(dict(zip(names, ts[:len(names)]))))
        q = family.cr_cls(**family.kwargs(dict(zip(names, ts[len(names):]))))
        return D.kl_divergence(p, q)
    tensors = [cr.tensor(v, dtype=cr.float64) for v in list(pp.values()) + list(qp.values())]
    assert cr.gradcheck(kl, *tensors)


def test_kl_uniform_outside_support_is_inf():
    lo = np.array([0.0, 0.0, -1.0])
    hi = np.array([1.0, 2.0, 0.5])
    lo2 = np.array([-0.5, 0.5, -2.0])
    hi2 = np.array([1.5, 3.0, 0.0])
    ours = D.kl_divergence(D.Uniform(cr.tensor(lo), cr.tensor(hi)),
                           D.Uniform(cr.tensor(lo2), cr.tensor(hi2)))
    theirs = T.kl_divergence(T.Uniform(torch.tensor(lo), torch.tensor(hi)),
                             T.Uniform(torch.tensor(lo2), torch.tensor(hi2)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert np.isinf(ours.numpy()[1:]).all()


def test_kl_with_zero_probabilities_as_torch():
    p = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]])
    q = np.array([[0.3, 0.3, 0.4], [0.0, 0.5, 0.5]])
    ours = D.kl_divergence(D.Categorical(probs=cr.tensor(p)), D.Categorical(probs=cr.tensor(q)))
    theirs = T.kl_divergence(T.Categorical(probs=torch.tensor(p)),
                             T.Categorical(probs=torch.tensor(q)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    b1, b2 = np.array([0.0, 1.0, 0.3, 0.0, 1.0]), np.array([0.5, 0.5, 0.0, 0.0, 1.0])
    ours = D.kl_divergence(D.Bernoulli(cr.tensor(b1)), D.Bernoulli(cr.tensor(b2)))
    theirs = T.kl_divergence(T.Bernoulli(torch.tensor(b1)), T.Bernoulli(torch.tensor(b2)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_unknown_pair_raises_not_implemented():
    p = D.Normal(cr.tensor(0.0), cr.tensor(1.0))
    with pytest.raises(NotImplementedError, match="Normal.*Poisson"):
        D.kl_divergence(p, D.Poisson(cr.tensor(1.0)))


def test_register_kl_dispatches_to_the_most_specific():
    class MyNormal(D.Normal):
        pass

    p = MyNormal(cr.tensor(0.0), cr.tensor(1.0))
    q = D.Normal(cr.tensor(1.0), cr.tensor(2.0))
    inherited = D.kl_divergence(p, q)
    assert np.isclose(inherited.item(), T.kl_divergence(T.Normal(0.0, 1.0),
                                                        T.Normal(1.0, 2.0)).item())

    @D.register_kl(MyNormal, D.Normal)
    def _mine(p, q):
        return cr.tensor(42.0)

    assert D.kl_divergence(p, q).item() == 42.0
    assert D.kl_divergence(q, q).item() == 0.0
    with pytest.raises(TypeError, match="subclasses of Distribution"):
        D.register_kl(int, D.Normal)


# ------------------------------------------------------------------ pairs of different families
def _unit_uniform(r, b):
    lo = r.uniform(0.0, 0.5, b)
    return {"low": lo, "high": lo + r.uniform(0.05, 0.5, b)}


def _positive_uniform(r, b):
    lo = r.uniform(0.0, 2.0, b)
    return {"low": lo, "high": lo + r.uniform(0.1, 3.0, b)}


CROSS = [(p, q) for p in ("Bernoulli(probs)", "Beta", "Exponential", "Gamma", "Laplace",
                          "Normal", "Poisson", "Uniform")
         for q in ("Beta", "Exponential", "Gamma", "Laplace", "Normal", "Uniform", "Poisson",
                   "Bernoulli(probs)") if p != q]


@pytest.mark.parametrize("pname, qname", CROSS)
def test_cross_family_kl_matches_torch(pname, qname):
    """Every pair torch.distributions registers among these families (finite or +∞), on
    parameters where it is finite too (a Uniform inside the other's support); a pair PyTorch
    does not have raises NotImplementedError in both."""
    fp, fq = BY_NAME[pname], BY_NAME[qname]
    rng = np.random.default_rng(zlib.crc32(f"{pname}|{qname}".encode()))
    draws = [fp.params(rng, (5,))]
    if pname == "Uniform":
        draws += [_unit_uniform(rng, (5,)), _positive_uniform(rng, (5,))]
    qp = fq.params(rng, (5,))
    for pp in draws:
        p_t, q_t = fp.build(torch, pp)[0], fq.build(torch, qp)[0]
        p_c, q_c = fp.build(cr, pp)[0], fq.build(cr, qp)[0]
        try:
            expected = T.kl_divergence(p_t, q_t)
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                D.kl_divergence(p_c, q_c)
            return
        ours = D.kl_divergence(p_c, q_c)
        np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)
