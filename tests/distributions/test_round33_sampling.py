"""Sampling of the round-33 families: shapes, dtypes and support as PyTorch; sample means within
standard errors of the mean and a Kolmogorov–Smirnov check against the (PyTorch-verified) cdf, at
a fixed seed; the reparameterisation gradient d sample/d parameter against its closed form; and,
for the families that draw their noise as PyTorch draws it, the samples and their gradients equal
to PyTorch's at the same seed."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.distributions as D
from tests.distributions.round33_families import BY_NAME, FAMILIES, SAME_STREAM, Family

IDS = [f.name for f in FAMILIES]


def _build32(family: Family, lib, params):
    """The family with float32 parameters (the default dtype's samples)."""
    ps = {k: lib.tensor(np.asarray(v, dtype=np.float32)) for k, v in params.items()}
    return (family.cr_cls if lib is cr else family.torch_cls)(**family.kwargs(ps))


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_sample_shapes_dtypes_and_support_match_torch(family: Family):
    params = family.params(np.random.default_rng(0), (2, 3))
    for build in (lambda lib: family.build(lib, params)[0], lambda lib: _build32(family, lib,
                                                                                  params)):
        ours, theirs = build(cr), build(torch)
        for shape in [(), (5,), (4, 1)]:
            a, b = ours.sample(shape), theirs.sample(shape)
            assert tuple(a.shape) == tuple(b.shape), (shape, a.shape, b.shape)
            assert a.numpy().dtype == b.numpy().dtype
            assert not a.requires_grad
            assert bool(ours.support.check(a)._data.all()), "a sample outside the support"
            if theirs.has_rsample:
                r = ours.rsample(shape)
                assert tuple(r.shape) == tuple(b.shape) and r.numpy().dtype == b.numpy().dtype
        assert ours.has_rsample == theirs.has_rsample


def _finite_moments(d) -> bool:
    try:
        mean, var = d.mean.detach().numpy(), d.variance.detach().numpy()
    except NotImplementedError:
        return False
    return bool(np.isfinite(mean).all() and np.isfinite(var).all())


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_sample_mean_within_standard_errors(family: Family):
    """The mean of n = 20 000 draws lies within 5 standard errors (σ/√n) of the mean (circular
    moments for the von Mises)."""
    params = family.params(np.random.default_rng(2), (3,))
    d = family.build(cr, params)[0]
    cr.manual_seed(0)
    n = 20000
    x = d.sample((n,)).numpy().astype(np.float64)
    if family.name == "VonMises":
        z = np.exp(1j * (x - d.loc.numpy()))
        r = 1 - d.variance.numpy()                       # E cos(x − μ) = I₁(κ)/I₀(κ)
        assert (np.abs(z.mean(0).real - r) < 5 * np.sqrt(0.5 / n)).all()
        assert (np.abs(z.mean(0).imag) < 5 * np.sqrt(0.5 / n)).all()
        return
    if not _finite_moments(d):
        pytest.skip(f"{family.name}: no finite mean or variance to compare with")
    mean, var = d.mean.detach().numpy(), d.variance.detach().numpy()
    assert (np.abs(x.mean(0) - mean) <= 5 * np.sqrt(var / n) + 1e-12).all(), \
        (x.mean(0), mean)


def _ks_statistic(x: np.ndarray, cdf: np.ndarray) -> float:
    """sup |F_n − F| for sorted draws x with F(x) = cdf (columns independent)."""
    n = x.shape[0]
    upper = np.arange(1, n + 1)[:, None] / n - cdf
    lower = cdf - np.arange(0, n)[:, None] / n
    return float(max(upper.max(), lower.max()))


@pytest.mark.parametrize("family", [f for f in FAMILIES if f.event == 0 and f.continuous_value],
                         ids=lambda f: f.name)
def test_samples_follow_the_cdf(family: Family):
    """Kolmogorov–Smirnov: with n = 4000 draws, sup |F_n − F| < 1.95/√n (the 0.1% level)."""
    params = family.params(np.random.default_rng(3), (2,))
    d = family.build(cr, params)[0]
    cr.manual_seed(1)
    n = 4000
    x = np.sort(d.sample((n,)).numpy(), axis=0)
    try:
        cdf = d.cdf(cr.tensor(x, dtype=cr.float64)).numpy()
    except NotImplementedError:
        pytest.skip(f"{family.name} has no cdf")
    assert _ks_statistic(x, cdf) < 1.95 / math.sqrt(n)


# ------------------------------------------------------------------ the same stream as PyTorch
@pytest.mark.parametrize("name", SAME_STREAM)
def test_rsample_and_its_gradient_equal_torchs_at_the_same_seed(name):
    family = BY_NAME[name]
    params = family.params(np.random.default_rng(4), (2, 3))
    out = {}
    for lib in (cr, torch):
        d, ps = family.build(lib, params, requires_grad=True)
        lib.manual_seed(2024)
        x = d.rsample((5,))
        w = lib.tensor(np.linspace(0.5, 1.5, x.numel()).reshape(tuple(x.shape)),
                       dtype=lib.float64)
        (x * w).sum().backward()
        out[lib] = (x.detach().numpy(), {k: t.grad.numpy() for k, t in ps.items()})
    np.testing.assert_allclose(out[cr][0], out[torch][0], rtol=1e-12, atol=1e-14)
    for k, g in out[torch][1].items():
        np.testing.assert_allclose(out[cr][1][k], g, rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("name", ["Cauchy", "HalfCauchy", "Geometric(probs)", "Multinomial(probs)",
                                  "OneHotCategorical(probs)", "VonMises",
                                  "MixtureSameFamily(Normal)"])
def test_samples_equal_torchs_at_the_same_seed(name):
    family = BY_NAME[name]
    params = family.params(np.random.default_rng(5), (2, 3))
    ours, theirs = family.build(cr, params)[0], family.build(torch, params)[0]
    cr.manual_seed(77)
    torch.manual_seed(77)
    np.testing.assert_allclose(ours.sample((4,)).numpy(), theirs.sample((4,)).numpy(),
                               rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ d sample / d parameter
def _rsample_grads(d_builder, names, values, shape=(6,)):
    """The draw x (a constant array) and ∂(Σ x)/∂θ per parameter; parameters broadcast to the
    sample, so each element's gradient is its own ∂xᵢ/∂θᵢ when the parameters are expanded."""
    ps = {k: cr.tensor(np.broadcast_to(v, shape).copy(), dtype=cr.float64, requires_grad=True)
          for k, v in zip(names, values)}
    cr.manual_seed(9)
    x = d_builder(**ps).rsample()
    x.sum().backward()
    return x.detach().numpy(), {k: t.grad.numpy() for k, t in ps.items()}


@pytest.mark.parametrize("case", [
    ("LogNormal", ["loc", "scale"], [0.3, 1.4],
     lambda x, p: {"loc": x, "scale": x * (np.log(x) - p["loc"]) / p["scale"]}),
    ("HalfNormal", ["scale"], [1.7], lambda x, p: {"scale": x / p["scale"]}),
    ("HalfCauchy", ["scale"], [0.6], lambda x, p: {"scale": x / p["scale"]}),
    ("Cauchy", ["loc", "scale"], [-1.0, 2.0],
     lambda x, p: {"loc": np.ones_like(x), "scale": (x - p["loc"]) / p["scale"]}),
    ("Gumbel", ["loc", "scale"], [0.5, 1.5],
     lambda x, p: {"loc": np.ones_like(x), "scale": (x - p["loc"]) / p["scale"]}),
    ("Weibull", ["scale", "concentration"], [2.0, 1.7],
     lambda x, p: {"scale": x / p["scale"],
                   "concentration": -x * np.log(x / p["scale"]) / p["concentration"]}),
    ("Pareto", ["scale", "alpha"], [1.5, 2.5],
     lambda x, p: {"scale": x / p["scale"], "alpha": -x * np.log(x / p["scale"]) / p["alpha"]}),
    ("Kumaraswamy", ["concentration1", "concentration0"], [2.0, 3.0],
     lambda x, p: {"concentration1": -x * np.log(x) / p["concentration1"],
                   # u = (1 − xᵃ)ᵇ fixed: ∂x/∂b = (1 − xᵃ) log(1 − xᵃ) / (a b x^{a−1})
                   "concentration0": (1 - x ** p["concentration1"])
                   * np.log(1 - x ** p["concentration1"])
                   / (p["concentration1"] * p["concentration0"]
                      * x ** (p["concentration1"] - 1))}),
    ("StudentT", ["df", "loc", "scale"], [5.0, 0.5, 2.0],
     lambda x, p: {"loc": np.ones_like(x), "scale": (x - p["loc"]) / p["scale"]}),
    ("InverseGamma", ["concentration", "rate"], [3.0, 2.0],
     lambda x, p: {"rate": x / p["rate"]}),
    ("Chi2", ["df"], [3.5],
     # PyTorch's approximation of ∂z/∂α (z = x/2), the one rsample uses
     lambda x, p: {"df": torch._standard_gamma_grad(torch.full(x.shape, p["df"] / 2,
                                                               dtype=torch.float64),
                                                    torch.from_numpy(x / 2)).numpy()}),
    ("GeneralizedPareto", ["loc", "scale", "concentration"], [0.2, 1.3, 0.3],
     lambda x, p: {"loc": np.ones_like(x), "scale": (x - p["loc"]) / p["scale"]}),
    ("ContinuousBernoulli(probs)", ["probs"], [0.8], None),
], ids=lambda c: c[0])
def test_rsample_gradient_is_the_closed_form(case):
    """x = g(θ, ε) with the noise ε fixed: ∂x/∂θ as the formula of each reparameterisation."""
    name, names, values, expected = case
    family = BY_NAME[name]
    x, grads = _rsample_grads(family.cr_cls, names, values)
    p = dict(zip(names, values))
    if expected is None:          # ContinuousBernoulli: ∂x/∂λ = −(∂F/∂λ)/(∂F/∂x) at fixed u
        lam = p["probs"]
        num = lam ** x * (1 - lam) ** (1 - x)
        dF_dx = num * (np.log(lam) - np.log1p(-lam)) / (2 * lam - 1)
        dnum = num * (x / lam - (1 - x) / (1 - lam))
        F = (num + lam - 1) / (2 * lam - 1)
        dF_dlam = (dnum + 1) / (2 * lam - 1) - 2 * F / (2 * lam - 1)
        want = {"probs": -dF_dlam / dF_dx}
    else:
        want = expected(x, p)
    for k, g in want.items():
        np.testing.assert_allclose(grads[k], g, rtol=1e-7, atol=1e-10, err_msg=f"∂x/∂{k}")


@pytest.mark.parametrize("case", [
    # (name, parameters, the parameter, d E[x] / d θ)
    ("FisherSnedecor", {"df1": 5.0, "df2": 9.0}, "df2", -2 / (9.0 - 2) ** 2),
    ("FisherSnedecor", {"df1": 5.0, "df2": 9.0}, "df1", 0.0),
    ("InverseGamma", {"concentration": 4.0, "rate": 2.0}, "concentration", -2.0 / 3.0 ** 2),
    ("StudentT", {"df": 9.0, "loc": 0.0, "scale": 1.0}, "df", None),
], ids=lambda c: f"{c[0]}-{c[2]}" if isinstance(c, tuple) else str(c))
def test_implicit_rsample_gradient_is_unbiased(case):
    """Where ∂x/∂θ has no closed form (the Gamma's implicit gradient), the mean of the
    per-draw gradients estimates ∂E[f(x)]/∂θ: within 5 standard errors of the closed form
    (f(x) = x, or (x − μ)² for the StudentT, whose variance νσ²/(ν − 2) depends on ν)."""
    name, values, which, want = case
    n = 40000
    ps = {k: cr.tensor(np.full(n, v), dtype=cr.float64, requires_grad=True)
          for k, v in values.items()}
    cr.manual_seed(13)
    x = BY_NAME[name].cr_cls(**ps).rsample()
    if name == "StudentT":
        ((x - ps["loc"]) ** 2).sum().backward()
        nu = values["df"]
        want = -2 / (nu - 2) ** 2                      # d/dν of ν/(ν − 2)
    else:
        x.sum().backward()
    g = ps[which].grad.numpy()
    assert abs(g.mean() - want) < 5 * g.std() / math.sqrt(n) + 1e-9, (g.mean(), want)


def test_straight_through_gradient_is_the_probabilities():
    """rsample = one-hot draw + (p − sg(p)): ∂(w·x)/∂l = p ⊙ (w − w·p) (the softmax Jacobian)."""
    logits = cr.tensor([0.3, -1.0, 0.8, 0.1], dtype=cr.float64, requires_grad=True)
    w = np.array([1.0, -2.0, 0.5, 3.0])
    d = D.OneHotCategoricalStraightThrough(logits=logits)
    x = d.rsample()
    assert set(np.unique(x.detach().numpy())) <= {0.0, 1.0} and x.detach().numpy().sum() == 1
    (x * cr.tensor(w, dtype=cr.float64)).sum().backward()
    p = d.probs.detach().numpy()
    np.testing.assert_allclose(logits.grad.numpy(), p * (w - (w * p).sum()), rtol=1e-12)


@pytest.mark.parametrize("case", [
    ("StudentT", {"df": [0.8, 3.0, 12.0], "loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 3.0]},
     lambda p: [__import__("scipy").stats.t(df, loc, s).cdf
                for df, loc, s in zip(p["df"], p["loc"], p["scale"])]),
    ("FisherSnedecor", {"df1": [0.7, 3.0, 10.0], "df2": [1.5, 6.0, 20.0]},
     lambda p: [__import__("scipy").stats.f(a, b).cdf for a, b in zip(p["df1"], p["df2"])]),
    ("VonMises", {"loc": [0.5, -2.0, 3.0], "concentration": [0.3, 2.0, 9.0]},
     lambda p: [__import__("scipy").stats.vonmises(k, loc=m).cdf
                for m, k in zip(p["loc"], p["concentration"])]),
    ("RelaxedBernoulli(logits)", {"temperature": [0.3, 1.0, 2.5], "logits": [0.4, -1.2, 2.0]},
     lambda p: [(lambda y, t=t, lg=lg: __import__("scipy").stats.logistic(lg / t, 1 / t).cdf(
         np.log(y) - np.log1p(-y))) for t, lg in zip(p["temperature"], p["logits"])]),
], ids=lambda c: c[0] if isinstance(c, tuple) else "")
def test_samples_follow_scipys_cdf(case):
    """Kolmogorov–Smirnov against SciPy's cdf for the families PyTorch gives no cdf
    (n = 4000, sup |F_n − F| < 1.95/√n); the von Mises's draws, in [−π, π), are compared on the
    circle wrapped at loc − π."""
    name, values, cdfs = case
    ps = {k: cr.tensor(v, dtype=cr.float64) for k, v in values.items()}
    d = BY_NAME[name].cr_cls(**ps)
    cr.manual_seed(21)
    n = 4000
    x = d.sample((n,)).numpy()
    for j, cdf in enumerate(cdfs(values)):
        col = x[:, j]
        if name == "VonMises":       # SciPy's support is [loc − π, loc + π)
            m = values["loc"][j]
            col = np.mod(col - m + np.pi, 2 * np.pi) + m - np.pi
        col = np.sort(col)
        assert _ks_statistic(col[:, None], cdf(col)[:, None]) < 1.95 / math.sqrt(n), name


@pytest.mark.parametrize("name, values", [
    ("StudentT", {"df": [5.0, 9.0], "loc": [0.5, -1.0], "scale": [1.0, 2.0]}),
    ("FisherSnedecor", {"df1": [3.0, 8.0], "df2": [9.0, 14.0]}),
    ("InverseGamma", {"concentration": [3.5, 6.0], "rate": [1.0, 4.0]}),
    ("GeneralizedPareto", {"loc": [0.0, 1.0], "scale": [1.0, 0.5],
                           "concentration": [-0.4, 0.2]}),
    ("Pareto", {"scale": [1.0, 2.0], "alpha": [3.5, 5.0]}),
    ("LogisticNormal", {"loc": [0.3, -0.5, 1.0], "scale": [0.5, 1.0, 0.3]}),
])
def test_moments_of_families_with_heavy_tails(name, values):
    """The sample mean of 40 000 draws against a parameter choice with a finite variance (the
    mean of the logistic-normal, which has no closed form, against PyTorch's own draws)."""
    ps = {k: cr.tensor(v, dtype=cr.float64) for k, v in values.items()}
    d = BY_NAME[name].cr_cls(**ps)
    cr.manual_seed(3)
    n = 40000
    x = d.sample((n,)).numpy()
    if name == "LogisticNormal":
        torch.manual_seed(3)
        tps = {k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()}
        y = BY_NAME[name].torch_cls(**tps).sample((n,)).numpy()
        assert np.abs(x.mean(0) - y.mean(0)).max() < 5 * np.sqrt(2 * y.var(0) / n).max()
        return
    mean, var = d.mean.numpy(), d.variance.numpy()
    assert (np.abs(x.mean(0) - mean) < 5 * np.sqrt(var / n)).all(), (x.mean(0), mean)
