"""The reparameterisation gradients of the Gamma family and the Dirichlet are PyTorch's numbers.

PyTorch does not differentiate a Gamma(α, 1) draw z exactly (∂z/∂α = −(∂F/∂α)(z; α)/p(z; α)):
its ``_standard_gamma_grad`` approximates that derivative by a Taylor series (z < 0.8), Rice's
saddle-point expansion (α > 8; its polynomial limit for 0.9α ≤ z ≤ 1.1α) or a fitted rational
function; its ``_dirichlet_grad`` approximates each coordinate's Beta-marginal derivative by
series near x = 0 and x = 1, a saddle-point expansion (α, α₀ − α > 6) or a rational correction.
chainrule evaluates the same formulas (chainrule/distributions/_gamma_grads.py), so:

- ``_standard_gamma_grad`` and ``_dirichlet_grad`` equal PyTorch's on points drawn on both sides
  of every switch, tiny and huge α, float32 and float64, broadcast shapes: float64 to 1e-12
  relative (NumPy's exp/log/pow are taken in long double and rounded once, as glibc's are
  nearly always correctly rounded; the remaining differences are glibc's rare misroundings,
  magnified only where a formula subtracts nearly equal digammas — tested separately with that
  conditioning as the bound); float32 to a unit or two in the last place where the formula is
  well conditioned (PyTorch's series run in float arithmetic there, as chainrule's);
- the rsample gradients of Gamma, Chi2, StudentT, InverseGamma, FisherSnedecor, Beta and
  Dirichlet, after the same seed, equal PyTorch's;
- a finite-difference check of the derivative itself (the cdf differentiated in α by mpmath at
  the drawn point) holds only to the approximation's own accuracy (PyTorch's tests ask 5e-4
  relative): these gradients are approximations of the exact derivative, so the comparison that
  matters is with PyTorch.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.distributions._gamma_grads import digamma_one

F32 = float(np.float32(0.8))         # the series/expansion switch 0.8f, as a double
EPS64 = np.finfo(np.float64).eps
BATCH = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


def _log_uniform(rng, low, high, shape):
    return np.exp(rng.uniform(np.log(low), np.log(high), shape))


# ------------------------------------------------------------------ _standard_gamma_grad
def _gamma_points(region: str, rng, shape):
    """(α, x) in one region of standard_gamma_grad_one's branches."""
    if region == "series":                       # x < 0.8f
        a = _log_uniform(rng, 1e-3, 1e3, shape)
        x = _log_uniform(rng, 1e-300, 0.79, shape)
    elif region == "series edge":                # x just either side of 0.8f
        a = _log_uniform(rng, 0.05, 7.0, shape)
        x = F32 + rng.choice([-1.0, 1.0], shape) * rng.uniform(0, 1e-9, shape)
    elif region == "rice near mode":             # α > 8, 0.9α ≤ x ≤ 1.1α
        a = _log_uniform(rng, 8.0001, 1e6, shape)
        x = a * rng.uniform(0.9, 1.1, shape)
    elif region == "rice tails":                 # α > 8, x outside [0.9α, 1.1α]
        a = _log_uniform(rng, 8.0001, 1e5, shape)
        x = a * np.where(rng.random(shape) < 0.5, rng.uniform(0.3, 0.899, shape),
                         rng.uniform(1.101, 3.0, shape))
        x = np.maximum(x, 0.81)
    elif region == "alpha near 8":               # either side of the α > 8 switch
        a = 8.0 + rng.choice([-1.0, 1.0], shape) * rng.uniform(0, 1e-6, shape)
        x = rng.uniform(0.85, 20.0, shape)
    elif region == "rational":                   # α ≤ 8, x ≥ 0.8
        a = _log_uniform(rng, 1e-4, 8.0, shape)
        x = a * _log_uniform(rng, 0.05, 20.0, shape)
        x = np.where(x < 0.81, 0.81 + rng.uniform(0, 5, shape), x)
    elif region == "tiny alpha":
        a = _log_uniform(rng, 1e-6, 1e-3, shape)
        x = _log_uniform(rng, 1e-300, 5.0, shape)
    else:                                        # huge alpha
        a = _log_uniform(rng, 1e5, 1e9, shape)
        x = a * (1.0 + rng.normal(0, 3.0, shape) / np.sqrt(a))
    return a, x


GAMMA_REGIONS = ["series", "series edge", "rice near mode", "rice tails", "alpha near 8",
                 "rational", "tiny alpha", "huge alpha"]


def _series_conditioning(a, x):
    """How much the x < 0.8 branch magnifies an error of one unit in the last place of its
    logarithm: −(∂F/∂α) is (log x − ψ(α))·P − xᵅ·Σ₂, whose terms cancel for tiny α."""
    with np.errstate(all="ignore"):
        s1 = sum((-x) ** n / (np.prod(np.arange(1, n + 1)) * (a + n)) for n in range(6))
        s2 = sum((-x) ** n / (np.prod(np.arange(1, n + 1)) * (a + n) ** 2) for n in range(6))
        psi = digamma_one(a)
        lx = np.log(x)
        terms = np.abs(lx * s1) + np.abs(psi * s1) + np.abs(s2)
        value = np.abs((lx - psi) * s1 - s2)
        k = np.where(x < F32, terms / value, 1.0)
    return np.where(np.isfinite(k), k, 1.0)


@settings(max_examples=40)
@given(region=st.sampled_from(GAMMA_REGIONS), shape=BATCH, seed=st.integers(0, 2**31 - 1),
       dtype=st.sampled_from(["float64", "float32"]))
def test_standard_gamma_grad_equals_pytorchs(region, shape, seed, dtype):
    rng = np.random.default_rng(seed)
    a, x = _gamma_points(region, rng, shape)
    a, x = np.asarray(a, dtype), np.asarray(np.maximum(x, np.finfo(dtype).tiny), dtype)
    theirs = torch._standard_gamma_grad(torch.from_numpy(a), torch.from_numpy(x)).numpy()
    ours = cr._standard_gamma_grad(cr.tensor(a), cr.tensor(x)).numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if dtype == "float32":          # computed in double, rounded: a unit in the last place
        np.testing.assert_allclose(ours, theirs, rtol=2 ** -23, atol=0)
    else:
        rtol = 1e-12 * np.maximum(1.0, _series_conditioning(a.astype(np.float64), x) * 1e-3)
        assert np.all(np.abs(ours - theirs) <= rtol * np.abs(theirs)), \
            f"{region}: largest relative difference {np.max(np.abs(ours / theirs - 1))}"


def test_standard_gamma_grad_mostly_bitwise():
    """On 40000 points over every branch, nearly all float64 results are PyTorch's bits and
    all float32 ones are."""
    rng = np.random.default_rng(0)
    for dtype in ("float64", "float32"):
        a, x = zip(*(_gamma_points(r, rng, 5000) for r in GAMMA_REGIONS))
        a = np.concatenate(a).astype(dtype)
        x = np.maximum(np.concatenate(x), np.finfo(dtype).tiny).astype(dtype)
        theirs = torch._standard_gamma_grad(torch.from_numpy(a), torch.from_numpy(x)).numpy()
        ours = cr._standard_gamma_grad(cr.tensor(a), cr.tensor(x)).numpy()
        same = np.mean(ours == theirs)
        assert same >= (0.99 if dtype == "float64" else 0.9999), f"{dtype}: {same:.5f} equal"
        assert np.all(np.isfinite(ours) == np.isfinite(theirs))


def test_standard_gamma_grad_special_values():
    a = torch.tensor([0.5, 2.0, 30.0, 1e-8, 1e12, 3.0], dtype=torch.float64)
    x = torch.tensor([2.2250738585072014e-308, 0.0, 30.0, 1e-300, 1e12, 1e300],
                     dtype=torch.float64)
    theirs = torch._standard_gamma_grad(a, x).numpy()
    ours = cr._standard_gamma_grad(cr.tensor(a.numpy()), cr.tensor(x.numpy())).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("a, x", [(0.3, 0.02), (0.7, 0.5), (2.5, 0.6), (1.5, 2.0), (5.0, 7.5),
                                  (0.2, 1.3), (12.0, 12.5), (12.0, 6.0), (50.0, 70.0)])
def test_standard_gamma_grad_approximates_the_implicit_derivative(a, x):
    """The gradcheck that applies: −(∂F/∂α)/p with ∂F/∂α by mpmath at the point — PyTorch's
    formulas (and so chainrule's) are within 5e-4 of it, the accuracy PyTorch's own tests ask;
    no tighter, since they are approximations."""
    import mpmath
    mpmath.mp.dps = 30
    dF = mpmath.diff(lambda s: mpmath.gammainc(s, 0, x, regularized=True), a)
    pdf = mpmath.mpf(x) ** (a - 1) * mpmath.exp(-x) / mpmath.gamma(a)
    exact = float(-dF / pdf)
    ours = cr._standard_gamma_grad(cr.tensor([a], dtype=cr.float64),
                                   cr.tensor([x], dtype=cr.float64)).item()
    assert abs(ours - exact) <= 5e-4 * abs(exact)


# ------------------------------------------------------------------ _dirichlet_grad
def _beta_points(region: str, rng, shape):
    """(x, α, α₀) in one region of dirichlet_grad_one's branches."""
    if region == "near 0":               # x ≤ ½, α₀ x (1 − x) < 2.5
        a, b = _log_uniform(rng, 1e-3, 50, shape), _log_uniform(rng, 1e-3, 50, shape)
        x = np.minimum(rng.uniform(0, 2.4, shape) / (a + b), 0.5) * rng.uniform(0.01, 1, shape)
    elif region == "near 1":             # x ≥ ½, α₀ x (1 − x) < 0.75
        a, b = _log_uniform(rng, 1e-3, 50, shape), _log_uniform(rng, 1e-3, 50, shape)
        x = 1 - np.minimum(rng.uniform(0, 0.74, shape) / (a + b), 0.5) * rng.uniform(0, 1, shape)
    elif region == "saddle point":       # α, β > 6, x away from the ends
        a, b = _log_uniform(rng, 6.01, 1e4, shape), _log_uniform(rng, 6.01, 1e4, shape)
        m, s = a / (a + b), np.sqrt(a * b / (a + b + 1)) / (a + b)
        x = np.clip(m + s * rng.normal(0, 2, shape), 1e-6, 1 - 1e-6)
    elif region == "saddle point mode":  # within 0.1 standard deviations of the mean
        a, b = _log_uniform(rng, 6.01, 1e4, shape), _log_uniform(rng, 6.01, 1e4, shape)
        m, s = a / (a + b), np.sqrt(a * b / (a + b + 1)) / (a + b)
        x = m + s * rng.uniform(-0.1, 0.1, shape)
    elif region == "rational":           # the rest: one of α, β ≤ 6, x in the middle
        a, b = _log_uniform(rng, 0.05, 6.0, shape), _log_uniform(rng, 0.05, 40, shape)
        a, b = (a, b) if rng.random() < 0.5 else (b, a)
        x = rng.uniform(0.05, 0.95, shape)
    else:                                # the ½ switch: x = ½ ± tiny, small α₀
        a, b = _log_uniform(rng, 0.05, 4, shape), _log_uniform(rng, 0.05, 4, shape)
        x = 0.5 + rng.choice([-1.0, 0.0, 1.0], shape) * rng.uniform(0, 1e-9, shape)
    return x, a, a + b


BETA_REGIONS = ["near 0", "near 1", "saddle point", "saddle point mode", "rational",
                "switch at one half"]


def _digamma_conditioning(x, a, total):
    """How much a formula magnifies one unit in the last place of a digamma: the differences
    ψ(α₀) − ψ(α) (near 1, rational) and ψ(α) − ψ(α₀) − log x (near 0) cancel when α₀ − α ≪ α;
    the saddle-point expansion's two singular terms cancel near the mean."""
    with np.errstate(all="ignore"):
        pa, pt = digamma_one(a), digamma_one(total)
        near0 = np.abs(pa) + np.abs(pt) + np.abs(np.log(x))
        k0 = near0 / np.abs(pa - pt - np.log(x))
        k1 = (np.abs(pa) + np.abs(pt)) / np.abs(pt - pa)
        b = total - a
        m, s = a / total, np.sqrt(a * b / (total + 1)) / total
        ks = np.where((a > 6) & (b > 6), np.abs(s / (x - m)) ** 2, 1.0)
        k = np.maximum(np.maximum(np.where(x <= 0.5, k0, k1), ks), 1.0)
    return np.where(np.isfinite(k), k, 1e30)


@settings(max_examples=40)
@given(region=st.sampled_from(BETA_REGIONS), shape=BATCH, seed=st.integers(0, 2**31 - 1),
       dtype=st.sampled_from(["float64", "float32"]))
def test_dirichlet_grad_equals_pytorchs(region, shape, seed, dtype):
    rng = np.random.default_rng(seed)
    x, a, total = (np.asarray(v, dtype) for v in _beta_points(region, rng, shape))
    x = np.asarray(np.clip(x, np.finfo(dtype).tiny, np.nextafter(np.array(1, dtype), 0)), dtype)
    theirs = torch._dirichlet_grad(*(torch.from_numpy(v) for v in (x, a, total))).numpy()
    ours = cr._dirichlet_grad(*(cr.tensor(v) for v in (x, a, total))).numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    k = _digamma_conditioning(*(v.astype(np.float64) for v in (x, a, total)))
    if dtype == "float32":          # the series and the digammas in float arithmetic
        bound = 4 * 2.0 ** -23 * k
    else:
        bound = np.maximum(1e-12, 2 * EPS64 * k)
    diff = np.abs(ours.astype(np.float64) - theirs)
    assert np.all(diff <= bound * np.abs(theirs) + 1e-300), \
        f"{region}: largest relative difference {np.max(diff / np.abs(theirs))}"


def test_dirichlet_grad_mostly_bitwise():
    rng = np.random.default_rng(1)
    for dtype in ("float64", "float32"):
        pts = [_beta_points(r, rng, 5000) for r in BETA_REGIONS]
        x, a, total = (np.concatenate(v).astype(dtype) for v in zip(*pts))
        x = np.clip(x, np.finfo(dtype).tiny, np.nextafter(np.array(1, dtype), 0))
        theirs = torch._dirichlet_grad(*(torch.from_numpy(v) for v in (x, a, total))).numpy()
        ours = cr._dirichlet_grad(*(cr.tensor(v) for v in (x, a, total))).numpy()
        same = np.mean(ours == theirs)
        assert same >= 0.99, f"{dtype}: {same:.5f} equal"
        assert np.all(np.isnan(ours) == np.isnan(theirs))


@pytest.mark.parametrize("x, a, b", [(0.05, 0.5, 2.0), (0.3, 1.0, 3.0), (0.6, 2.0, 1.5),
                                     (0.95, 3.0, 0.4), (0.45, 20.0, 25.0), (0.7, 30.0, 12.0)])
def test_dirichlet_grad_approximates_the_beta_marginal_derivative(x, a, b):
    """−(∂I_x(α, β)/∂α) / (p(x)(1 − x)) by mpmath; PyTorch's approximation is within 5e-4."""
    import mpmath
    mpmath.mp.dps = 30
    dI = mpmath.diff(lambda s: mpmath.betainc(s, b, 0, x, regularized=True), a)
    pdf = mpmath.mpf(x) ** (a - 1) * (1 - mpmath.mpf(x)) ** (b - 1) / mpmath.beta(a, b)
    exact = float(-dI / pdf / (1 - x))
    ours = cr._dirichlet_grad(*(cr.tensor([v], dtype=cr.float64) for v in (x, a, a + b))).item()
    assert abs(ours - exact) <= 5e-4 * abs(exact)


def test_functions_raise_as_pytorch():
    for L in (torch, cr):
        with pytest.raises(RuntimeError):          # dtypes differ
            L._standard_gamma_grad(L.tensor([1.5]), L.tensor([0.3], dtype=L.float64))
        with pytest.raises(RuntimeError):
            L._dirichlet_grad(L.tensor([0.3]), L.tensor([1.0]), L.tensor([3.0],
                                                                        dtype=L.float64))
        with pytest.raises(NotImplementedError, match="Half"):
            L._standard_gamma_grad(L.ones(2, dtype=L.float16), L.ones(2, dtype=L.float16))
        with pytest.raises(NotImplementedError, match="Long"):
            L._standard_gamma_grad(L.tensor([1, 2]), L.tensor([1, 2]))
        a = L.tensor([1.5], requires_grad=True)
        g = L._standard_gamma_grad(a, L.tensor([0.3]))
        assert g.requires_grad
        with pytest.raises(RuntimeError, match="not implemented"):
            g.sum().backward()
        x = L.tensor([0.3], requires_grad=True)
        assert not L._standard_gamma_grad(L.tensor([1.5]), x).requires_grad
        d = L._sample_dirichlet(L.tensor([1.0, 2.0], requires_grad=True))
        with pytest.raises(RuntimeError, match="not implemented"):
            d.sum().backward()


# ------------------------------------------------------------------ rsample gradients
def _params(draw, names, shape, dtype, magnitude):
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    lo, hi = {"tiny": (1e-3, 0.5), "moderate": (0.3, 12.0), "huge": (50.0, 5e4)}[magnitude]
    values = {}
    for n in names:
        if n in ("loc",):
            values[n] = rng.normal(0, 2, shape)
        elif n in ("scale", "rate"):
            values[n] = _log_uniform(rng, 0.2, 5.0, shape)
        else:
            values[n] = _log_uniform(rng, lo, hi, shape)
    return {k: np.asarray(v, dtype) for k, v in values.items()}


FAMILIES = {
    "Gamma": ("concentration", "rate"),
    "Chi2": ("df",),
    "StudentT": ("df", "loc", "scale"),
    "InverseGamma": ("concentration", "rate"),
    "FisherSnedecor": ("df1", "df2"),
    "Beta": ("concentration1", "concentration0"),
    "Dirichlet": ("concentration",),
}


def _rsample_grads(L, family, values, sample_shape, weights):
    ps = {k: L.tensor(v, requires_grad=True) for k, v in values.items()}
    L.manual_seed(21)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = getattr(L.distributions, family)(*ps.values(), validate_args=False)
        x = x.rsample(sample_shape)
    (x * L.tensor(np.asarray(weights, values[next(iter(values))].dtype))).sum().backward()
    return x.detach().numpy(), {k: t.grad.numpy() for k, t in ps.items()}


@settings(max_examples=30)
@given(data=st.data(), family=st.sampled_from(list(FAMILIES)), batch=BATCH,
       sample=st.sampled_from([(), (3,), (2, 2)]), dtype=st.sampled_from(["float64", "float32"]),
       magnitude=st.sampled_from(["tiny", "moderate", "huge"]))
def test_rsample_gradients_equal_pytorchs(data, family, batch, sample, dtype, magnitude):
    shape = batch + (data.draw(st.integers(1, 4)),) if family == "Dirichlet" else batch
    values = _params(data.draw, FAMILIES[family], shape, dtype, magnitude)
    rng = np.random.default_rng(3)
    out_shape = sample + shape
    weights = rng.uniform(0.5, 2.0, out_shape)          # positive: no cancelling sums
    x_t, g_t = _rsample_grads(torch, family, values, sample, weights)
    x_c, g_c = _rsample_grads(cr, family, values, sample, weights)
    # the draws are PyTorch's (bit for bit: test_samplers_bitwise.py; here within a unit in
    # the last place, which the transforms after the Gamma draw may round differently)
    np.testing.assert_allclose(x_c, x_t, rtol=4 * np.finfo(dtype).eps, atol=0)
    for k in g_t:
        if dtype == "float64":
            rtol = 1e-10 if family in ("Dirichlet", "Beta") else 1e-12
        else:
            rtol = 1e-5
        if family in ("Dirichlet", "Beta"):
            # (ḡ − Σ x ḡ) cancels: compare on the scale of the gradient's terms
            scale = np.abs(g_t[k]).max(initial=0.0) + 1e-30
            np.testing.assert_allclose(g_c[k], g_t[k], rtol=rtol, atol=rtol * scale,
                                       equal_nan=True, err_msg=f"{family} ∂/∂{k}")
        else:
            np.testing.assert_allclose(g_c[k], g_t[k], rtol=rtol, atol=0, equal_nan=True,
                                       err_msg=f"{family} ∂/∂{k}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dirichlet_rsample_gradient_is_the_beta_marginal_formula(dtype):
    """∂L/∂αⱼ = _dirichlet_grad(x, α, α₀)ⱼ (ḡⱼ − Σᵢ ḡᵢ xᵢ), PyTorch's backward, elementwise."""
    rng = np.random.default_rng(5)
    alpha = _log_uniform(rng, 0.05, 30, (4, 5)).astype(dtype)
    g = rng.normal(size=(4, 5)).astype(dtype)
    cr.manual_seed(8)
    a = cr.tensor(alpha, requires_grad=True)
    x = cr.distributions.Dirichlet(a).rsample()
    (x * cr.tensor(g)).sum().backward()
    expected = torch.distributions.dirichlet._Dirichlet_backward(
        torch.from_numpy(x.detach().numpy()), torch.from_numpy(alpha), torch.from_numpy(g))
    if dtype == "float64":          # the row sums in PyTorch's order: its bits
        np.testing.assert_array_equal(a.grad.numpy(), expected.numpy())
    else:                           # float32 row sums in NumPy's order; ḡ − Σ x ḡ cancels
        scale = np.abs(expected.numpy()).max()
        np.testing.assert_allclose(a.grad.numpy(), expected.numpy(), rtol=1e-5,
                                   atol=1e-5 * scale)
