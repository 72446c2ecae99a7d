"""LKJCholesky and Wishart against PyTorch 2.13's ``torch.distributions`` (float64).

log_prob, its gradients in the parameters and the value, mean, mode, variance, entropy, the three
scale matrices and KL(Wishart ‖ Wishart): relative 1e-12 on Hypothesis-drawn parameters and batch
shapes (gradients that go through PyTorch's trigamma, whose error reaches ~3e-10, to 1e-7 and by
gradcheck). Sampling: shapes, support, the exact algorithm (with the Beta / χ² draws fixed, the
standard normal draws of chainrule's generator reproduce PyTorch's samples to rounding), and the
law: moments of 20 000 draws within 5 standard errors (computed from the sample size) of their
closed forms. Argument validation raises as PyTorch.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.distributions as T
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.distributions as D

# small df (p − 1 < ν < p) is part of the drawn parameters: PyTorch's warning about it is expected
pytestmark = pytest.mark.filterwarnings("ignore:Low df values detected")

N_DRAWS = 20_000
Z = 5.0             # standard errors allowed to a sample moment


@pytest.fixture(autouse=True)
def _float64_default():
    """Both libraries' default dtype float64 (Python-number parameters take it)."""
    previous, previous_cr = torch.get_default_dtype(), cr.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    cr.set_default_dtype(cr.float64)
    yield
    torch.set_default_dtype(previous)
    cr.set_default_dtype(previous_cr)


def _close(a, b, rtol=1e-12, atol=1e-12, **kw):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, **kw)


def _sym(g):
    return (g + np.swapaxes(g, -1, -2)) / 2


def _spd(rng, batch, p):
    a = rng.standard_normal(tuple(batch) + (p, p))
    return a @ np.swapaxes(a, -1, -2) + p * np.eye(p)


def _both(*arrays, grad=True):
    mine = [cr.tensor(a, dtype=cr.float64, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]
    return mine, theirs


def _assert_moment(samples, expected, stderr, what):
    """|sample mean − expected| ≤ Z standard errors, elementwise."""
    err = np.abs(samples - expected)
    assert (err <= Z * stderr + 1e-12).all(), f"{what}: {samples} vs {expected} (se {stderr})"


# ====================================================================== LKJCholesky
def _lkj_value(rng, batch, dim):
    """A valid Cholesky factor of a correlation matrix: L of a random SPD matrix, rows
    normalised."""
    lower = np.linalg.cholesky(_spd(rng, batch, dim))
    return lower / np.linalg.norm(lower, axis=-1, keepdims=True)


@given(dim=st.integers(2, 6), batch=st.sampled_from([(), (3,), (2, 2)]),
       value_batch=st.sampled_from([(), (4,)]), seed=st.integers(0, 2 ** 31 - 1))
@settings(max_examples=25, deadline=None)
def test_lkj_log_prob_and_gradients_match_torch(dim, batch, value_batch, seed):
    rng = np.random.default_rng(seed)
    conc = np.exp(rng.uniform(np.log(0.2), np.log(5.0), batch))
    value = _lkj_value(rng, value_batch + batch, dim)
    (c, v), (tc, tv) = _both(conc, value)
    ours, theirs = D.LKJCholesky(dim, c), T.LKJCholesky(dim, tc)
    assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
    a, b = ours.log_prob(v), theirs.log_prob(tv)
    _close(a, b)
    w = rng.uniform(0.5, 1.5, a.shape)
    (a * cr.tensor(w)).sum().backward()
    (b * torch.tensor(w)).sum().backward()
    _close(c.grad, tc.grad, err_msg="∂/∂concentration")
    _close(v.grad, tv.grad, err_msg="∂/∂value")


def test_lkj_gradcheck():
    rng = np.random.default_rng(0)
    value = cr.tensor(_lkj_value(rng, (2,), 4))
    conc = cr.tensor([0.7, 3.0], dtype=cr.float64)
    assert cr.gradcheck(lambda c: D.LKJCholesky(4, c).log_prob(value), conc)
    assert cr.gradcheck(lambda v: D.LKJCholesky(4, conc, validate_args=False).log_prob(v),
                        value)


def test_lkj_python_number_and_defaults():
    ours, theirs = D.LKJCholesky(3), T.LKJCholesky(3)
    assert ours.concentration.shape == () and float(ours.concentration) == 1.0
    value = _lkj_value(np.random.default_rng(1), (), 3)
    _close(ours.log_prob(cr.tensor(value)), theirs.log_prob(torch.tensor(value)))
    _close(D.LKJCholesky(3, 2.5).log_prob(cr.tensor(value)),
           T.LKJCholesky(3, 2.5).log_prob(torch.tensor(value)))


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("batch", [(), (3,)])
def test_lkj_sample_shape_and_support(sample_shape, batch):
    conc = np.linspace(0.3, 3.0, int(np.prod(batch))).reshape(batch)
    ours = D.LKJCholesky(4, cr.tensor(conc))
    theirs = T.LKJCholesky(4, torch.tensor(conc))
    s = ours.sample(sample_shape)
    assert tuple(s.shape) == tuple(theirs.sample(sample_shape).shape)
    assert not s.requires_grad
    assert bool(T.constraints.corr_cholesky.check(torch.from_numpy(s.numpy())).all())
    assert bool(D.constraints.corr_cholesky.check(s)._data.all())
    assert np.isfinite(ours.log_prob(s).numpy()).all()


def test_lkj_sampler_is_pytorchs_algorithm():
    """With the onion method's Beta draws fixed, the rest (the standard normal directions)
    reproduces PyTorch's samples for the same seed."""
    rng = np.random.default_rng(0)
    conc = np.array([0.5, 2.0])
    ours, theirs = D.LKJCholesky(5, cr.tensor(conc)), T.LKJCholesky(5, torch.tensor(conc))
    y = rng.uniform(0.05, 0.95, (6, 2, 5))
    ours._beta.sample = lambda shape=(): cr.tensor(y)
    theirs._beta.sample = lambda shape=(): torch.tensor(y)
    cr.manual_seed(3)
    torch.manual_seed(3)
    _close(ours.sample((6,)), theirs.sample((6,)), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("dim, eta", [(2, 1.0), (3, 0.5), (4, 2.0), (6, 5.0)])
def test_lkj_samples_have_the_marginal_law(dim, eta):
    """Each correlation Mᵢⱼ (i ≠ j) of LKJ(D, η) has (Mᵢⱼ + 1)/2 ~ Beta(a, a),
    a = η − 1 + D/2: mean 0, variance 1/(2a + 1), fourth moment 3/((2a + 1)(2a + 3))."""
    cr.manual_seed(0)
    s = D.LKJCholesky(dim, eta).sample((N_DRAWS,)).numpy()
    m = s @ np.swapaxes(s, -1, -2)
    np.testing.assert_allclose(np.diagonal(m, axis1=-2, axis2=-1), 1.0, rtol=1e-12)
    rows, cols = np.tril_indices(dim, -1)
    r = m[:, rows, cols]
    a = eta - 1 + dim / 2
    var, m4 = 1 / (2 * a + 1), 3 / ((2 * a + 1) * (2 * a + 3))
    _assert_moment(r.mean(0), 0.0, math.sqrt(var / N_DRAWS), "mean of Mᵢⱼ")
    _assert_moment((r ** 2).mean(0), var, math.sqrt((m4 - var ** 2) / N_DRAWS), "E[Mᵢⱼ²]")
    # the last diagonal entry: L_DD² = 1 − y ~ Beta(η + (D − 2)/2 − (D − 2)/2, (D − 1)/2)
    b0, b1 = eta, (dim - 1) / 2
    d2 = s[:, -1, -1] ** 2
    mean = b0 / (b0 + b1)
    sd = math.sqrt(b0 * b1 / ((b0 + b1) ** 2 * (b0 + b1 + 1)))
    _assert_moment(d2.mean(), mean, sd / math.sqrt(N_DRAWS), "E[L_DD²]")


def test_lkj_expand():
    ours = D.LKJCholesky(3, cr.tensor(2.0, dtype=cr.float64)).expand((4, 2))
    theirs = T.LKJCholesky(3, torch.tensor(2.0)).expand((4, 2))
    assert ours.batch_shape == theirs.batch_shape == (4, 2)
    value = _lkj_value(np.random.default_rng(2), (4, 2), 3)
    _close(ours.log_prob(cr.tensor(value)), theirs.log_prob(torch.tensor(value)))
    assert tuple(ours.sample((3,)).shape) == (3, 4, 2, 3, 3)


def test_lkj_errors_as_pytorch():
    for lib in (D, T):
        with pytest.raises(ValueError, match="greater than or equal to 2"):
            lib.LKJCholesky(1, 1.0)
        with pytest.raises(ValueError):
            lib.LKJCholesky(3, -1.0)
        with pytest.raises(ValueError, match="support"):
            lib.LKJCholesky(2, 1.0).log_prob((cr if lib is D else torch).tensor(
                [[1.0, 0.0], [0.5, 0.5]], dtype=(cr if lib is D else torch).float64))
        with pytest.raises(ValueError):
            lib.LKJCholesky(2, 1.0).log_prob((cr if lib is D else torch).eye(3))
        dist = lib.LKJCholesky(3, 1.0)
        for name in ("mean", "variance", "mode"):
            with pytest.raises(NotImplementedError):
                getattr(dist, name)
        with pytest.raises(NotImplementedError):
            dist.entropy()
        with pytest.raises(NotImplementedError):
            dist.rsample()
        with pytest.raises(NotImplementedError):
            lib.kl_divergence(dist, dist)
    assert not D.LKJCholesky.has_rsample and not T.LKJCholesky.has_rsample


# ====================================================================== Wishart
KINDS = ["covariance_matrix", "precision_matrix", "scale_tril"]


def _wishart_params(rng, kind, p, batch, df_batch):
    s = _spd(rng, batch, p)
    matrix = np.linalg.cholesky(s) if kind == "scale_tril" else s
    df = p - 1 + np.exp(rng.uniform(np.log(0.3), np.log(6.0), df_batch))
    return df, matrix


@given(kind=st.sampled_from(KINDS), p=st.integers(1, 4),
       shapes=st.sampled_from([((), ()), ((2,), (2,)), ((2, 3), (3,)), ((3,), ()),
                               ((2, 1), (4,))]),
       seed=st.integers(0, 2 ** 31 - 1))
@settings(max_examples=40, deadline=None)
def test_wishart_matches_torch(kind, p, shapes, seed):
    matrix_batch, df_batch = shapes
    rng = np.random.default_rng(seed)
    df, matrix = _wishart_params(rng, kind, p, matrix_batch, df_batch)
    batch = np.broadcast_shapes(matrix_batch, df_batch)
    value = _spd(rng, (2,) + batch, p)
    (d, m, v), (td, tm, tv) = _both(df, matrix, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                  # "Low df values detected."
        ours, theirs = D.Wishart(d, **{kind: m}), T.Wishart(td, **{kind: tm})
    assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
    for name in ("mean", "mode", "variance", "covariance_matrix", "precision_matrix",
                 "scale_tril"):
        _close(getattr(ours, name), getattr(theirs, name), err_msg=name)
    _close(ours.entropy(), theirs.entropy(), err_msg="entropy")
    a, b = ours.log_prob(v), theirs.log_prob(tv)
    _close(a, b, err_msg="log_prob")
    w = rng.uniform(0.5, 1.5, a.shape)
    (a * cr.tensor(w)).sum().backward()
    (b * torch.tensor(w)).sum().backward()
    _close(d.grad, td.grad, err_msg="∂log p/∂df")
    sym = _sym if kind != "scale_tril" else (lambda g: g)
    _close(sym(m.grad.numpy()), sym(tm.grad.numpy()), err_msg=f"∂log p/∂{kind}")
    _close(v.grad, tv.grad, err_msg="∂log p/∂value")


@pytest.mark.parametrize("kind", KINDS)
def test_wishart_entropy_gradients(kind):
    """∂H/∂ν holds ψ′ (trigamma): PyTorch's is accurate to ~3e-10, so 1e-7 here; ours is
    checked by central differences."""
    rng = np.random.default_rng(4)
    df, matrix = _wishart_params(rng, kind, 3, (2,), (2,))
    (d, m), (td, tm) = _both(df, matrix)
    D.Wishart(d, **{kind: m}).entropy().sum().backward()
    T.Wishart(td, **{kind: tm}).entropy().sum().backward()
    _close(d.grad, td.grad, rtol=1e-7, atol=1e-9)
    sym = _sym if kind != "scale_tril" else (lambda g: g)
    _close(sym(m.grad.numpy()), sym(tm.grad.numpy()))
    assert cr.gradcheck(lambda x: D.Wishart(x, **{kind: cr.tensor(matrix)}).entropy(),
                        cr.tensor(df))


def test_wishart_gradcheck_log_prob():
    rng = np.random.default_rng(5)
    df, tril = _wishart_params(rng, "scale_tril", 3, (2,), (2,))
    value = cr.tensor(_spd(rng, (2,), 3))
    assert cr.gradcheck(lambda x, lo: D.Wishart(x, scale_tril=lo, validate_args=False)
                        .log_prob(value), cr.tensor(df), cr.tensor(tril))


def test_wishart_entropy_is_the_exponential_familys():
    """The closed-form entropy equals F(θ) − ⟨θ, ∇F(θ)⟩ from the log-normaliser."""
    rng = np.random.default_rng(6)
    df, cov = _wishart_params(rng, "covariance_matrix", 3, (2,), (2,))
    dist = D.Wishart(cr.tensor(df), covariance_matrix=cr.tensor(cov))
    _close(D.ExponentialFamily.entropy(dist), dist.entropy(), rtol=1e-10)


def test_wishart_number_df_takes_the_matrix_dtype():
    ours = D.Wishart(5, covariance_matrix=cr.eye(3, dtype=cr.float64))
    theirs = T.Wishart(5, covariance_matrix=torch.eye(3, dtype=torch.float64))
    assert ours.df.dtype == cr.float64 and ours.batch_shape == theirs.batch_shape == ()
    _close(ours.entropy(), theirs.entropy())


# ---------------------------------------------------------------------- sampling
@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 3)])
@pytest.mark.parametrize("kind", KINDS)
def test_wishart_rsample_shape_support_and_gradient(sample_shape, kind):
    rng = np.random.default_rng(7)
    df, matrix = _wishart_params(rng, kind, 3, (2,), (2,))
    df = df + 1.0
    (d, m), (td, tm) = _both(df, matrix)
    ours, theirs = D.Wishart(d, **{kind: m}), T.Wishart(td, **{kind: tm})
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # no "Singular sample detected." for good draws
        s = ours.rsample(sample_shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tuple(s.shape) == tuple(theirs.rsample(sample_shape).shape)
    assert bool(T.constraints.positive_definite.check(torch.from_numpy(s.detach().numpy()))
                .all())
    s.sum().backward()
    assert d.grad is not None and np.isfinite(d.grad.numpy()).all() and d.grad.numpy().all()
    assert m.grad is not None and np.isfinite(m.grad.numpy()).all()
    assert not ours.sample(sample_shape).requires_grad


def test_wishart_sampler_is_pytorchs_algorithm():
    """With the χ² draws fixed, the Bartlett factor's normal entries (drawn by chainrule's
    generator as PyTorch's randn draws them) give PyTorch's samples."""
    rng = np.random.default_rng(8)
    df, cov = _wishart_params(rng, "covariance_matrix", 3, (2,), (2,))
    ours = D.Wishart(cr.tensor(df + 1), covariance_matrix=cr.tensor(cov))
    theirs = T.Wishart(torch.tensor(df + 1), covariance_matrix=torch.tensor(cov))
    chi = rng.uniform(0.5, 5.0, (7, 2, 3))
    ours._dist_chi2.rsample = lambda shape=(): cr.tensor(chi)
    theirs._dist_chi2.rsample = lambda shape=(): torch.tensor(chi)
    cr.manual_seed(5)
    torch.manual_seed(5)
    _close(ours.rsample((7,)), theirs._bartlett_sampling((7,)), rtol=1e-13, atol=1e-14)


@pytest.mark.filterwarnings("ignore:Singular sample detected")   # ν = 2.5: χ²(0.5) ≈ 0 at times
@pytest.mark.parametrize("df", [2.5, 4.0, 9.3])
def test_wishart_samples_have_its_moments(df):
    """Mean νΣ and Var Xᵢⱼ = ν(Σᵢⱼ² + ΣᵢᵢΣⱼⱼ); the standard errors from the closed-form variance
    (mean) and from the sample's fourth central moments (variance)."""
    cov = np.array([[2.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.5]])
    dist = D.Wishart(df, covariance_matrix=cr.tensor(cov))
    cr.manual_seed(2)       # (seed 1 draws a χ²(½) below eps, log|X| = −inf, for ν = 2.5)
    x = dist.sample((N_DRAWS,)).numpy()
    mean, var = df * cov, df * (cov ** 2 + np.outer(np.diag(cov), np.diag(cov)))
    _close(dist.mean, mean)
    _close(dist.variance, var)
    _assert_moment(x.mean(0), mean, np.sqrt(var / N_DRAWS), "mean")
    centred = x - x.mean(0)
    m4 = (centred ** 4).mean(0)
    _assert_moment((centred ** 2).mean(0), var, np.sqrt((m4 - var ** 2) / N_DRAWS), "variance")
    # E[log|X|] = ψ_p(ν/2) + p log 2 + log|Σ|
    logdet = np.linalg.slogdet(x)[1]
    expected = float(D.wishart._mvdigamma(cr.tensor(df / 2), 3)) + 3 * math.log(2) + \
        np.linalg.slogdet(cov)[1]
    _assert_moment(logdet.mean(), expected, logdet.std() / math.sqrt(N_DRAWS), "E[log|X|]")


def test_wishart_redraws_only_singular_samples():
    """A singular draw is redrawn with PyTorch's warning (PyTorch 2.13 warns on every call, see
    the class docstring)."""
    dist = D.Wishart(cr.tensor([3.0, 4.0], dtype=cr.float64),
                     covariance_matrix=cr.eye(2, dtype=cr.float64))
    real = dist._bartlett_sampling
    calls = []

    def first_singular(shape=()):
        out = real(shape)
        if not calls:
            data = out._data.copy()
            data[1, 0] = 0.0                        # draw 1, batch 0: singular
            out = cr.tensor(data)
        calls.append(shape)
        return out

    dist._bartlett_sampling = first_singular
    with pytest.warns(UserWarning, match="Singular sample detected"):
        s = dist.rsample((3,))
    assert len(calls) == 2
    assert bool(D.constraints.positive_definite.check(s)._data.all())


# ---------------------------------------------------------------------- KL
@pytest.mark.parametrize("kinds", [("covariance_matrix", "precision_matrix"),
                                   ("scale_tril", "covariance_matrix")])
def test_wishart_kl_matches_torch(kinds):
    rng = np.random.default_rng(9)
    (dp, mp), (dq, mq) = [_wishart_params(rng, k, 3, (), ()) for k in kinds]
    (a, b, c, e), (ta, tb, tc, te) = _both(dp, mp, dq, mq)
    ours = D.kl_divergence(D.Wishart(a, **{kinds[0]: b}), D.Wishart(c, **{kinds[1]: e}))
    theirs = T.kl_divergence(T.Wishart(ta, **{kinds[0]: tb}), T.Wishart(tc, **{kinds[1]: te}))
    _close(ours, theirs, rtol=1e-11)
    ours.backward()
    theirs.backward()
    # PyTorch's Bregman form detaches p's natural parameters: it has gradients in q only (ours,
    # in p too, are checked by central differences in test_wishart_kl_gradcheck)
    assert ta.grad is None and tb.grad is None and a.grad is not None and b.grad is not None
    for k, (x, y) in enumerate(((c, tc), (e, te))):
        g, h = x.grad.numpy(), y.grad.numpy()
        if g.ndim == 2 and kinds[1] != "scale_tril":
            g, h = _sym(g), _sym(h)
        _close(g, h, rtol=1e-7, atol=1e-9, err_msg=f"gradient in q's parameter {k}")


def test_wishart_kl_batched_is_elementwise():
    """A batch of pairs: each entry equals PyTorch's KL of that single pair (PyTorch's own
    batched result mixes the batch entries, see the class docstring)."""
    rng = np.random.default_rng(10)
    dp, mp = _wishart_params(rng, "covariance_matrix", 2, (3,), (3,))
    dq, mq = _wishart_params(rng, "scale_tril", 2, (3,), ())
    ours = D.kl_divergence(D.Wishart(cr.tensor(dp), covariance_matrix=cr.tensor(mp)),
                           D.Wishart(cr.tensor(dq), scale_tril=cr.tensor(mq)))
    each = [T.kl_divergence(T.Wishart(torch.tensor(dp[i]), covariance_matrix=torch.tensor(mp[i])),
                            T.Wishart(torch.tensor(dq), scale_tril=torch.tensor(mq[i])))
            for i in range(3)]
    _close(ours, torch.stack(each).detach(), rtol=1e-11)
    assert (ours.numpy() >= 0).all()
    same = D.Wishart(cr.tensor(dp), covariance_matrix=cr.tensor(mp))
    _close(D.kl_divergence(same, same), np.zeros(3), atol=1e-12)
    with pytest.raises(ValueError, match="one size"):
        D.kl_divergence(same, D.Wishart(5.0, covariance_matrix=cr.eye(3, dtype=cr.float64)))


def test_wishart_kl_gradcheck():
    rng = np.random.default_rng(11)
    dp, lp = _wishart_params(rng, "scale_tril", 2, (2,), (2,))
    dq, lq = _wishart_params(rng, "scale_tril", 2, (2,), (2,))

    def kl(a, b, c, e):
        return D.kl_divergence(D.Wishart(a, scale_tril=b, validate_args=False),
                               D.Wishart(c, scale_tril=e, validate_args=False))
    assert cr.gradcheck(kl, *(cr.tensor(x) for x in (dp, lp, dq, lq)))


# ---------------------------------------------------------------------- expand and errors
def test_wishart_expand():
    cov = _spd(np.random.default_rng(12), (), 2)
    ours = D.Wishart(cr.tensor(3.5, dtype=cr.float64), covariance_matrix=cr.tensor(cov))
    theirs = T.Wishart(torch.tensor(3.5), covariance_matrix=torch.tensor(cov))
    ours, theirs = ours.expand((4, 2)), theirs.expand((4, 2))
    assert ours.batch_shape == theirs.batch_shape == (4, 2)
    value = _spd(np.random.default_rng(13), (4, 2), 2)
    _close(ours.log_prob(cr.tensor(value)), theirs.log_prob(torch.tensor(value)))
    _close(ours.covariance_matrix, theirs.covariance_matrix)
    _close(ours.entropy(), theirs.entropy())
    assert tuple(ours.rsample((3,)).shape) == (3, 4, 2, 2, 2)


def test_wishart_errors_as_pytorch():
    eye = {D: cr.eye(2, dtype=cr.float64), T: torch.eye(2)}
    for lib in (D, T):
        L = cr if lib is D else torch
        with pytest.raises(AssertionError, match="Exactly one"):
            lib.Wishart(3.0)
        with pytest.raises(AssertionError, match="Exactly one"):
            lib.Wishart(3.0, covariance_matrix=eye[lib], scale_tril=eye[lib])
        with pytest.raises(ValueError, match="at least two-dimensional"):
            lib.Wishart(3.0, covariance_matrix=L.ones(2, dtype=L.float64))
        with pytest.raises(ValueError, match="expected to be greater than ndim - 1 = 1"):
            lib.Wishart(1.0, covariance_matrix=eye[lib])
        with pytest.raises(ValueError, match="expected to be greater than ndim - 1"):
            lib.Wishart(L.tensor([3.0, 0.5], dtype=L.float64), covariance_matrix=eye[lib])
        with pytest.warns(UserWarning, match="Low df values"):
            lib.Wishart(1.5, covariance_matrix=eye[lib])
        with pytest.raises(ValueError):
            lib.Wishart(3.0, covariance_matrix=L.tensor([[1.0, 2.0], [2.0, 1.0]],
                                                        dtype=L.float64))
        with pytest.raises(ValueError):
            lib.Wishart(3.0, scale_tril=L.tensor([[1.0, 0.0], [0.5, -1.0]], dtype=L.float64))
        with pytest.raises(ValueError, match="support"):
            lib.Wishart(3.0, covariance_matrix=eye[lib]).log_prob(
                L.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=L.float64))
    with pytest.raises(ValueError, match="Exactly one"):     # chainrule's is a ValueError too
        D.Wishart(3.0)
    with pytest.raises(ValueError, match="square"):
        D.Wishart(3.0, covariance_matrix=cr.ones(2, 3, dtype=cr.float64))


def test_formulas():
    for cls in (D.LKJCholesky, D.Wishart):
        f = cls.formula()
        assert f.equations and f.explanation and f.to_latex()
