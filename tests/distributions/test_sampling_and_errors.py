"""Sampling (shapes and dtypes as PyTorch, sample statistics), rsample gradients (gradcheck with
the noise fixed by seeding before each call), validation errors, and each class's formula()."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.distributions as D
from tests.distributions.families import BY_NAME, FAMILIES, Family

RSAMPLE = ["Normal", "Laplace", "Uniform", "Exponential", "MultivariateNormal(scale_tril)",
           "MultivariateNormal(covariance)", "MultivariateNormal(precision)",
           "Independent(Normal)"]


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_sample_shapes_and_dtypes_match_torch(family: Family):
    params = family.params(np.random.default_rng(0), (2, 3))
    ours, theirs = family.build(cr, params)[0], family.build(torch, params)[0]
    for shape in [(), (5,), (4, 1)]:
        a, b = ours.sample(shape), theirs.sample(shape)
        assert tuple(a.shape) == tuple(b.shape), (shape, a.shape, b.shape)
        assert a.numpy().dtype == b.numpy().dtype
        assert not a.requires_grad
        assert bool(ours.support.check(a)._data.all()), "a sample outside the support"
    assert ours.has_rsample == theirs.has_rsample


@pytest.mark.parametrize("name", RSAMPLE)
def test_rsample_gradcheck(name):
    """x = g(θ, ε) with ε fixed (the generator re-seeded before every call)."""
    family = BY_NAME[name]
    params = family.params(np.random.default_rng(1), (2,))
    names = list(params)

    def draw(*ts):
        # a covariance or precision matrix enters as (M + Mᵀ)/2: central differences then move
        # it along symmetric directions only, the ones its (symmetric) gradient describes
        # (and a scale_tril as tril(M): its upper triangle is not a parameter)
        ps = {n: (t + t.transpose(-1, -2)) / 2 if n.endswith("_matrix") else
              cr.tril(t) if n == "scale_tril" else t for n, t in zip(names, ts)}
        cr.manual_seed(123)
        return family.cr_cls(**family.kwargs(ps)).rsample((3,))
    assert cr.gradcheck(draw, *[cr.tensor(params[n], dtype=cr.float64) for n in names])


def test_normal_rsample_is_loc_plus_scale_times_noise():
    loc = cr.tensor([0.5, -1.0], dtype=cr.float64, requires_grad=True)
    scale = cr.tensor([2.0, 0.5], dtype=cr.float64, requires_grad=True)
    cr.manual_seed(5)
    x = D.Normal(loc, scale).rsample((4,))
    cr.manual_seed(5)
    eps = cr.randn(4, 2, dtype=cr.float64)
    np.testing.assert_allclose(x.detach().numpy(), (loc + scale * eps).detach().numpy())
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [4.0, 4.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.numpy().sum(0))


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_sample_mean_within_standard_errors(family: Family):
    """The mean of n = 20 000 draws lies within 5 standard errors (σ/√n) of the mean."""
    params = family.params(np.random.default_rng(2), (3,))
    d = family.build(cr, params)[0]
    cr.manual_seed(0)
    n = 20000
    x = d.sample((n,)).numpy().astype(np.float64)
    if family.name.startswith("Categorical"):
        probs = d.probs.numpy()
        counts = np.stack([(x == k).mean(0) for k in range(probs.shape[-1])], -1)
        se = np.sqrt(probs * (1 - probs) / n)
        assert (np.abs(counts - probs) < 5 * se + 1e-12).all()
        return
    mean, var = d.mean.numpy(), d.variance.numpy()
    assert (np.abs(x.mean(0) - mean) < 5 * np.sqrt(var / n)).all()


def test_validate_args_default_and_switch():
    with pytest.raises(ValueError, match=r"parameter scale .* GreaterThan"):
        D.Normal(cr.tensor([0.0, 1.0]), cr.tensor([1.0, -1.0]))
    D.Distribution.set_default_validate_args(False)
    try:
        d = D.Normal(cr.tensor([0.0]), cr.tensor([-1.0]))       # accepted without checks
        assert d.scale.item() == -1.0
    finally:
        D.Distribution.set_default_validate_args(True)
    d = D.Normal(cr.tensor([0.0]), cr.tensor([-1.0]), validate_args=False)
    assert d._validate_args is False


@pytest.mark.parametrize("build, message", [
    (lambda: D.Normal(cr.tensor(0.0), cr.tensor(0.0)), "scale"),
    (lambda: D.Laplace(cr.tensor(0.0), cr.tensor(-2.0)), "scale"),
    (lambda: D.Exponential(cr.tensor([1.0, 0.0])), "rate"),
    (lambda: D.Gamma(cr.tensor(-1.0), cr.tensor(1.0)), "concentration"),
    (lambda: D.Beta(cr.tensor(1.0), cr.tensor(0.0)), "concentration0"),
    (lambda: D.Dirichlet(cr.tensor([1.0, -0.5])), "concentration"),
    (lambda: D.Poisson(cr.tensor(-0.1)), "rate"),
    (lambda: D.Bernoulli(probs=cr.tensor([0.5, 1.2])), "probs"),
    (lambda: D.Bernoulli(probs=cr.tensor(-0.1)), "probs"),
    (lambda: D.Categorical(probs=cr.tensor([0.5, -0.1, 0.6])), "probs"),
    (lambda: D.Uniform(cr.tensor(1.0), cr.tensor(0.0)), "low"),
    (lambda: D.MultivariateNormal(cr.zeros(2), covariance_matrix=cr.tensor([[1.0, 2.0],
                                                                            [2.0, 1.0]])),
     "covariance_matrix"),
    (lambda: D.MultivariateNormal(cr.zeros(2), scale_tril=cr.tensor([[1.0, 0.0], [0.5, -1.0]])),
     "scale_tril"),
])
def test_invalid_parameters_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_mismatched_shapes_and_bad_arguments():
    with pytest.raises(ValueError, match=r"do not broadcast \(loc \(2,\), scale \(3,\)\)"):
        D.Normal(cr.zeros(2), cr.ones(3))
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        D.Bernoulli(probs=cr.tensor(0.3), logits=cr.tensor(0.1))
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix"):
        D.MultivariateNormal(cr.zeros(2))
    with pytest.raises(ValueError, match="loc has 2 coordinates"):
        D.MultivariateNormal(cr.zeros(2), scale_tril=cr.eye(3))
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        D.Independent(D.Normal(cr.zeros(2), cr.ones(2)), 2)


@pytest.mark.parametrize("dist, value, pattern", [
    (lambda: D.Normal(cr.zeros(2), cr.ones(2)), cr.zeros(3), "not broadcastable"),
    (lambda: D.Bernoulli(cr.tensor([0.5, 0.5])), cr.tensor([0.5, 1.0]), "support"),
    (lambda: D.Uniform(0.0, 1.0), cr.tensor(2.0), "support"),
    (lambda: D.Exponential(cr.tensor([2.0])), cr.tensor([-1.0]), "support"),
    (lambda: D.Poisson(cr.tensor([2.0])), cr.tensor([1.5]), "support"),
    (lambda: D.Categorical(cr.tensor([0.2, 0.8])), cr.tensor(2), "support"),
    (lambda: D.Dirichlet(cr.ones(3)), cr.tensor([0.2, 0.2, 0.2]), "support"),   # not a simplex
    (lambda: D.Beta(cr.tensor(2.0), cr.tensor(2.0)), cr.tensor(1.5), "support"),
    (lambda: D.MultivariateNormal(cr.zeros(2), scale_tril=cr.eye(2)), cr.zeros(3),
     "right-most size"),
])
def test_value_outside_support_raises_as_torch(dist, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        dist().log_prob(value)


def test_icdf_outside_unit_interval_raises():
    with pytest.raises(ValueError, match="icdf"):
        D.Normal(0.0, 1.0).icdf(cr.tensor(1.5))


def test_unvalidated_log_prob_outside_support_as_torch():
    v = np.array([2.0, 0.5, 1.0, -0.1])
    ours = D.Uniform(0.0, 1.0, validate_args=False).log_prob(cr.tensor(v))
    theirs = torch.distributions.Uniform(0.0, 1.0, validate_args=False).log_prob(torch.tensor(v))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_numbers_take_the_default_dtype_and_promote_as_torch():
    d = D.Normal(0.0, 1.0)
    assert d.loc.dtype == cr.float32 and tuple(d.batch_shape) == ()
    assert d.sample((2,)).dtype == cr.float32
    lp = D.Normal(cr.tensor(0.0), cr.tensor(1.0)).log_prob(cr.tensor(1.0, dtype=cr.float64))
    assert lp.dtype == cr.float64


@pytest.mark.parametrize("cls", [D.Normal, D.Laplace, D.Uniform, D.Exponential, D.Gamma, D.Beta,
                                 D.Dirichlet, D.Poisson, D.Bernoulli, D.Categorical,
                                 D.MultivariateNormal, D.Independent])
def test_every_class_states_its_mathematics(cls):
    f = cls.formula()
    assert f.equations and f.explanation
    text = str(f) + f.to_latex()
    assert "p(" in text or "P(" in text
    assert "Gradient" in cls.__doc__ or "Gradients" in cls.__doc__
    assert "Reparameterisation" in cls.__doc__


# ------------------------------------------------------------------ implicit reparameterisation
def test_standard_gamma_gradient_is_the_implicit_derivative():
    """∂z/∂α = −(∂F/∂α)(z; α)/p(z; α) against mpmath (40 digits, ∂F/∂α by mpmath.diff)."""
    import mpmath

    from chainrule.distributions._igamma import standard_gamma_grad_array
    mpmath.mp.dps = 40
    alphas = np.array([0.05, 0.3, 1.0, 2.5, 7.0, 40.0])
    zs = np.array([0.002, 0.1, 0.7, 3.1, 5.0, 47.0])
    ours = standard_gamma_grad_array(alphas, zs)
    for a, z, g in zip(alphas, zs, ours):
        dF = mpmath.diff(lambda s, z=z: mpmath.gammainc(s, 0, z, regularized=True), a)
        pdf = mpmath.mpf(z) ** (a - 1) * mpmath.exp(-z) / mpmath.gamma(a)
        assert abs(g - float(-dF / pdf)) <= 1e-10 * abs(float(-dF / pdf))
    # and PyTorch's approximation of the same derivative agrees to its own accuracy (~1e-4)
    theirs = torch._standard_gamma_grad(torch.tensor(alphas), torch.tensor(zs)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-3)


def _mc_gradient(make, params, n, seed):
    """∂(mean of n reparameterised draws)/∂θ for each parameter θ."""
    ts = {k: cr.tensor(v, dtype=cr.float64, requires_grad=True) for k, v in params.items()}
    cr.manual_seed(seed)
    make(**ts).rsample((n,)).mean(0).sum().backward()
    return {k: t.grad.numpy() for k, t in ts.items()}


@pytest.mark.parametrize("name, params, expected", [
    # d E[x]/dα = 1/β, d E[x]/dβ = −α/β² for Gamma(α, β)
    ("Gamma", {"concentration": np.array([0.4, 3.0]), "rate": np.array([2.0, 0.5])},
     lambda p: {"concentration": 1 / p["rate"],
                "rate": -p["concentration"] / p["rate"] ** 2}),
    # d E[x]/dα = β/(α + β)², d E[x]/dβ = −α/(α + β)² for Beta(α, β)
    ("Beta", {"concentration1": np.array([0.5, 4.0]), "concentration0": np.array([2.0, 1.5])},
     lambda p: {"concentration1": p["concentration0"] / (p["concentration1"]
                                                         + p["concentration0"]) ** 2,
                "concentration0": -p["concentration1"] / (p["concentration1"]
                                                          + p["concentration0"]) ** 2}),
])
def test_rsample_gradient_of_the_mean_is_unbiased(name, params, expected):
    """The reparameterised gradient of the sample mean estimates ∂E[x]/∂θ: over 200 000 draws
    it lies within 5 standard errors (estimated from 20 batches) of the exact value."""
    make = BY_NAME[name].cr_cls
    estimates = [_mc_gradient(make, params, n=10000, seed=s) for s in range(20)]
    exact = expected(params)
    for k in params:
        values = np.stack([e[k] for e in estimates])
        se = values.std(0, ddof=1) / np.sqrt(len(values))
        assert (np.abs(values.mean(0) - exact[k]) < 5 * se + 1e-12).all(), (k, values.mean(0),
                                                                           exact[k], se)


def test_dirichlet_rsample_gradient_of_the_mean():
    """∂E[xᵢ]/∂αⱼ = ([i = j] α₀ − αᵢ)/α₀²: summed over i that is 0, so ∂(Σ mean)/∂α = 0 exactly
    (the samples lie on the simplex), and ∂E[x₀]/∂α estimated within 5 standard errors."""
    alpha = np.array([0.7, 2.0, 3.5])
    grads = []
    for s in range(10):
        a = cr.tensor(alpha, dtype=cr.float64, requires_grad=True)
        cr.manual_seed(s)
        x = D.Dirichlet(a).rsample((5000,))
        x[:, 0].mean().backward()
        grads.append(a.grad.numpy())
        a2 = cr.tensor(alpha, dtype=cr.float64, requires_grad=True)
        cr.manual_seed(s)
        D.Dirichlet(a2).rsample((50,)).sum().backward()
        np.testing.assert_allclose(a2.grad.numpy(), 0.0, atol=1e-9)
    grads = np.stack(grads)
    a0 = alpha.sum()
    exact = (np.array([a0, 0, 0]) - alpha[0]) / a0 ** 2
    se = grads.std(0, ddof=1) / np.sqrt(len(grads))
    assert (np.abs(grads.mean(0) - exact) < 5 * se).all(), (grads.mean(0), exact, se)
