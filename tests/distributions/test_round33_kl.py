"""``kl_divergence`` for the pairs PyTorch registers among the round-33 families (and between
them and the first families): values and gradients in both arguments' parameters against
``torch.distributions.kl_divergence`` in float64, +inf where p's support leaves q's, and the
same NotImplementedError where PyTorch has none."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributions as T

import chainrule as cr
import chainrule.distributions as D
from tests.distributions.families import pos

B = (5,)


def _lib(lib):
    return D if lib is cr else T


def _uniform_params(r):
    low = r.uniform(-1.0, 0.6, B)
    return {"low": low, "high": low + pos(r, B, 0.2, 3.0)}


# name -> (parameters (rng -> dict of arrays), build (module, dict of tensors) -> distribution)
MAKERS = {
    "Normal": (lambda r: {"loc": r.standard_normal(B), "scale": pos(r, B)},
               lambda L, p: L.Normal(p["loc"], p["scale"])),
    "Laplace": (lambda r: {"loc": r.standard_normal(B), "scale": pos(r, B)},
                lambda L, p: L.Laplace(p["loc"], p["scale"])),
    "Exponential": (lambda r: {"rate": pos(r, B)}, lambda L, p: L.Exponential(p["rate"])),
    "Gamma": (lambda r: {"c": pos(r, B), "rate": pos(r, B)},
              lambda L, p: L.Gamma(p["c"], p["rate"])),
    "Chi2": (lambda r: {"df": pos(r, B, 0.5, 8.0)}, lambda L, p: L.Chi2(p["df"])),
    "Beta": (lambda r: {"a": pos(r, B), "b": pos(r, B)}, lambda L, p: L.Beta(p["a"], p["b"])),
    "Uniform": (_uniform_params, lambda L, p: L.Uniform(p["low"], p["high"])),
    "Poisson": (lambda r: {"rate": pos(r, B)}, lambda L, p: L.Poisson(p["rate"])),
    "Bernoulli": (lambda r: {"probs": r.uniform(0.1, 0.9, B)},
                  lambda L, p: L.Bernoulli(probs=p["probs"])),
    "Binomial(n=6)": (lambda r: {"probs": r.uniform(0.1, 0.9, B)},
                      lambda L, p: L.Binomial(6, probs=p["probs"])),
    "Binomial(n=4..8)": (lambda r: {"n": r.integers(4, 9, B).astype(float),
                                    "probs": r.uniform(0.1, 0.9, B)},
                         lambda L, p: L.Binomial(p["n"], probs=p["probs"])),
    "ContinuousBernoulli": (lambda r: {"probs": r.uniform(0.05, 0.95, B)},
                            lambda L, p: L.ContinuousBernoulli(probs=p["probs"])),
    "Gumbel": (lambda r: {"loc": r.standard_normal(B), "scale": pos(r, B)},
               lambda L, p: L.Gumbel(p["loc"], p["scale"])),
    "Geometric": (lambda r: {"probs": r.uniform(0.1, 0.9, B)},
                  lambda L, p: L.Geometric(probs=p["probs"])),
    "HalfNormal": (lambda r: {"scale": pos(r, B)}, lambda L, p: L.HalfNormal(p["scale"])),
    "HalfCauchy": (lambda r: {"scale": pos(r, B)}, lambda L, p: L.HalfCauchy(p["scale"])),
    "Cauchy": (lambda r: {"loc": r.standard_normal(B), "scale": pos(r, B)},
               lambda L, p: L.Cauchy(p["loc"], p["scale"])),
    "Pareto": (lambda r: {"scale": pos(r, B, 0.5, 2.0), "alpha": pos(r, B, 0.5, 5.0)},
               lambda L, p: L.Pareto(p["scale"], p["alpha"])),
    "OneHotCategorical": (lambda r: {"logits": r.standard_normal(B + (4,))},
                          lambda L, p: L.OneHotCategorical(logits=p["logits"])),
    "LogNormal": (lambda r: {"loc": r.standard_normal(B), "scale": pos(r, B)},
                  lambda L, p: L.LogNormal(p["loc"], p["scale"])),
    "InverseGamma": (lambda r: {"c": pos(r, B), "rate": pos(r, B)},
                     lambda L, p: L.InverseGamma(p["c"], p["rate"])),
    "Weibull": (lambda r: {"scale": pos(r, B), "k": pos(r, B)},
                lambda L, p: L.Weibull(p["scale"], p["k"])),
    "Kumaraswamy": (lambda r: {"a": pos(r, B), "b": pos(r, B)},
                    lambda L, p: L.Kumaraswamy(p["a"], p["b"])),
    "LogisticNormal": (lambda r: {"loc": r.standard_normal(B + (3,)),
                                  "scale": pos(r, B + (3,))},
                       lambda L, p: L.LogisticNormal(p["loc"], p["scale"])),
    "StudentT": (lambda r: {"df": pos(r, B), "loc": r.standard_normal(B)},
                 lambda L, p: L.StudentT(p["df"], p["loc"])),
    "LowRankMVN": (lambda r: {"loc": r.standard_normal(B + (3,)),
                              "W": r.standard_normal(B + (3, 2)),
                              "d": pos(r, B + (3,), 0.3, 3.0)},
                   lambda L, p: L.LowRankMultivariateNormal(p["loc"], p["W"], p["d"])),
    "MVN": (lambda r: {"loc": r.standard_normal(B + (3,)),
                       "L": np.tril(r.standard_normal(B + (3, 3)), -1)
                       + np.eye(3) * pos(r, B + (3,), 0.5, 2.0)[..., None, :]},
            lambda L, p: L.MultivariateNormal(p["loc"], scale_tril=p["L"])),
}

SAME = ["Binomial(n=6)", "ContinuousBernoulli", "Gumbel", "Geometric", "HalfNormal", "HalfCauchy",
        "Cauchy", "Pareto", "OneHotCategorical", "LogNormal", "InverseGamma", "Weibull",
        "Kumaraswamy", "LogisticNormal", "Chi2", "LowRankMVN"]
CROSS = [
    ("Beta", "ContinuousBernoulli"), ("Beta", "Pareto"), ("ContinuousBernoulli", "Pareto"),
    ("ContinuousBernoulli", "Exponential"), ("ContinuousBernoulli", "Normal"),
    ("ContinuousBernoulli", "Uniform"), ("Exponential", "ContinuousBernoulli"),
    ("Exponential", "Pareto"), ("Exponential", "Gumbel"), ("Gamma", "ContinuousBernoulli"),
    ("Gamma", "Pareto"), ("Gamma", "Gumbel"), ("Chi2", "Gumbel"), ("Gumbel", "Beta"),
    ("Gumbel", "ContinuousBernoulli"), ("Gumbel", "Exponential"), ("Gumbel", "Gamma"),
    ("Gumbel", "Pareto"), ("Gumbel", "Uniform"), ("Gumbel", "Normal"),
    ("Laplace", "ContinuousBernoulli"), ("Laplace", "Pareto"),
    ("Normal", "ContinuousBernoulli"), ("Normal", "Pareto"), ("Normal", "Gumbel"),
    ("Pareto", "Beta"), ("Pareto", "ContinuousBernoulli"), ("Pareto", "Uniform"),
    ("Pareto", "Exponential"), ("Pareto", "Gamma"), ("Pareto", "Normal"),
    ("Poisson", "Binomial(n=6)"), ("Uniform", "ContinuousBernoulli"), ("Uniform", "Gumbel"),
    ("Uniform", "Pareto"), ("Binomial(n=4..8)", "Binomial(n=4..8)"),
    ("MVN", "LowRankMVN"), ("LowRankMVN", "MVN"),
    # no closed form in PyTorch either
    ("LogNormal", "Gumbel"), ("Weibull", "LogNormal"), ("StudentT", "StudentT"),
    ("Cauchy", "Normal"), ("Geometric", "Poisson"),
]
PAIRS = [(n, n) for n in SAME] + CROSS


def _build(lib, name, params, grad):
    ps = {k: lib.tensor(v, dtype=lib.float64, requires_grad=grad) for k, v in params.items()}
    return MAKERS[name][1](_lib(lib), ps), ps


def _params(name, seed):
    return MAKERS[name][0](np.random.default_rng(seed))


@pytest.mark.parametrize("p_name, q_name", PAIRS, ids=[f"{p}-{q}" for p, q in PAIRS])
def test_kl_matches_torch(p_name, q_name):
    pp, qp = _params(p_name, 1), _params(q_name, 2)
    if p_name == q_name == "Binomial(n=4..8)":
        qp["n"] = np.minimum(qp["n"], pp["n"])          # n_q ≤ n_p: finite or +inf
    out = {}
    for lib in (cr, torch):
        p, pps = _build(lib, p_name, pp, True)
        q, qps = _build(lib, q_name, qp, True)
        try:
            kl = _lib(lib).kl_divergence(p, q)
        except NotImplementedError:
            out[lib] = NotImplementedError
            continue
        finite = torch.isfinite(kl) if lib is torch else cr.isfinite(kl)
        safe = (torch if lib is torch else cr).where(finite, kl, 0.0 * kl)
        w = lib.tensor(np.linspace(0.5, 1.5, kl.numel()).reshape(tuple(kl.shape)),
                       dtype=lib.float64)
        if bool(finite.any()):
            (safe * w).sum().backward()
        grads = {("p", k): t.grad for k, t in pps.items()}
        grads.update({("q", k): t.grad for k, t in qps.items()})
        out[lib] = (kl.detach().numpy(), grads)
    if out[torch] is NotImplementedError:
        assert out[cr] is NotImplementedError, f"PyTorch has no KL({p_name} ‖ {q_name})"
        return
    assert out[cr] is not NotImplementedError, f"no KL({p_name} ‖ {q_name}) in chainrule"
    np.testing.assert_allclose(out[cr][0], out[torch][0], rtol=1e-10, atol=1e-12)
    for key, g in out[torch][1].items():
        ours = out[cr][1][key]
        if g is None or not np.asarray(g).any():
            assert ours is None or not np.nan_to_num(ours.numpy()).any(), key
            continue
        np.testing.assert_allclose(ours.numpy(), g.numpy(), rtol=1e-7, atol=1e-10,
                                   err_msg=f"∂KL/∂{key}")


def test_binomial_kl_with_larger_q_count_is_not_implemented_as_torch():
    for L in (D, T):
        lib = cr if L is D else torch
        p = L.Binomial(lib.tensor([3.0, 5.0]), probs=lib.tensor([0.3, 0.5]))
        q = L.Binomial(lib.tensor([4.0, 5.0]), probs=lib.tensor([0.3, 0.5]))
        with pytest.raises(NotImplementedError, match="total_count"):
            L.kl_divergence(p, q)


def test_exponential_family_bregman_divergence():
    """The generic KL between two members of one exponential family (registered for
    (ExponentialFamily, ExponentialFamily), reached by a family with no pair of its own): the
    Bregman divergence of the log-normaliser, as PyTorch's, and equal to the closed form; two
    different families raise NotImplementedError."""
    from torch.distributions.kl import _kl_expfamily_expfamily as theirs_fn

    from chainrule.distributions.kl_more import _kl_expfamily_expfamily as ours_fn
    lp, lq = np.array([0.3, -1.2, 2.0]), np.array([-0.5, 0.8, 0.1])
    tp, tq = torch.tensor(lp, requires_grad=True), torch.tensor(lq, requires_grad=True)
    cp = cr.tensor(lp, dtype=cr.float64, requires_grad=True)
    cq = cr.tensor(lq, dtype=cr.float64, requires_grad=True)
    ours = ours_fn(D.ContinuousBernoulli(logits=cp), D.ContinuousBernoulli(logits=cq))
    theirs = theirs_fn(T.ContinuousBernoulli(logits=tp), T.ContinuousBernoulli(logits=tq))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(cq.grad.numpy(), tq.grad.numpy(), rtol=1e-9)
    assert cp.grad is None and tp.grad is None      # p's natural parameters enter detached
    closed = D.kl_divergence(D.ContinuousBernoulli(logits=cr.tensor(lp)),
                             D.ContinuousBernoulli(logits=cr.tensor(lq)))
    np.testing.assert_allclose(ours.detach().numpy(), closed.numpy(), rtol=1e-7)
    with pytest.raises(NotImplementedError, match="different exponential families"):
        ours_fn(D.ContinuousBernoulli(logits=cr.tensor(lp)), D.Normal(0.0, 1.0))
    # and the entropy of the base class, F − ⟨θ, ∇F⟩ − E k, as PyTorch's
    d = D.ContinuousBernoulli(logits=cr.tensor(lp))
    np.testing.assert_allclose(
        D.ExponentialFamily.entropy(d).detach().numpy(),
        T.ExponentialFamily.entropy(T.ContinuousBernoulli(logits=torch.tensor(lp)))
        .detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(D.ExponentialFamily.entropy(d).detach().numpy(),
                               d.entropy().numpy(), rtol=1e-7)


@pytest.mark.parametrize("make", [
    lambda L, t: (L.Normal(t([0.3, 1.0]), t([1.0, 2.0])), L.Normal(t([-0.2, 0.5]), t([0.7, 1.1]))),
    lambda L, t: (L.Gamma(t([0.3, 1.0]), t([1.0, 2.0])), L.Gamma(t([2.0, 0.4]), t([0.5, 3.0]))),
    lambda L, t: (L.Exponential(t([0.3, 1.0])), L.Exponential(t([2.0, 0.4]))),
    lambda L, t: (L.Poisson(t([0.3, 1.0])), L.Poisson(t([2.0, 0.4]))),
    lambda L, t: (L.Beta(t([0.3, 1.0]), t([1.0, 2.0])), L.Beta(t([2.0, 0.4]), t([0.5, 3.0]))),
    lambda L, t: (L.Dirichlet(t([[0.3, 1.0, 2.0]])), L.Dirichlet(t([[1.3, 0.2, 0.7]]))),
    lambda L, t: (L.Bernoulli(t([0.3, 0.8])), L.Bernoulli(t([0.6, 0.1]))),
    lambda L, t: (L.Chi2(t([0.3, 1.0])), L.Chi2(t([2.0, 0.4]))),
])
def test_the_first_families_are_exponential_families_as_torch(make):
    """Normal, Gamma (and Chi2), Exponential, Poisson, Beta, Dirichlet and Bernoulli are
    ExponentialFamily subclasses, as in PyTorch: their Bregman divergence equals PyTorch's and
    their closed-form KL."""
    from torch.distributions.kl import _kl_expfamily_expfamily as theirs_fn

    from chainrule.distributions.kl_more import _kl_expfamily_expfamily as ours_fn
    p, q = make(D, lambda a: cr.tensor(a, dtype=cr.float64))
    tp, tq = make(T, lambda a: torch.tensor(a, dtype=torch.float64))
    assert isinstance(p, D.ExponentialFamily) and isinstance(tp, T.ExponentialFamily)
    ours = ours_fn(p, q).detach().numpy()
    np.testing.assert_allclose(ours, theirs_fn(tp, tq).detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours, D.kl_divergence(p, q).numpy(), rtol=1e-9)
