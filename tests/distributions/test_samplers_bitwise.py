"""The gamma, Poisson, binomial and Dirichlet samplers against PyTorch 2.13's CPU kernels, bit for
bit: the same seed gives the same samples (float32 and float64, parameters on both sides of each
algorithm's switch) and leaves the generator in the same state (the next ``rand`` and ``randn``,
whose cached Box–Muller normal the gamma sampler shares, agree too); the numba kernels and the
plain-Python path give the same numbers; every distribution built on them samples PyTorch's
numbers."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels
from chainrule.random import _torch_row_sum

DTYPES = ["float32", "float64"]
GEN = cr.random.default_generator

# parameters on both sides of every switch: α < 1 (boosted), = 1, large; λ = 0, < 10, ≥ 10;
# n·p < 10 (inversion), ≥ 10 (BTRS), p > ½ (symmetry), p = 0 and 1, n = 0
ALPHAS = [0.0, 1e-3, 0.05, 0.3, 0.999, 1.0, 1.5, 2.5, 7.0, 40.0, 1e4]
RATES = [0.0, 1e-4, 0.5, 3.0, 9.99, 10.0, 11.0, 30.0, 1000.0, 1e6]
COUNTS = [0.0, 1.0, 5.0, 12.0, 20.0, 40.0, 100.0, 1000.0, 1e5, 1e7]
PROBS = [0.0, 1e-6, 0.05, 0.25, 0.3, 0.5, 0.6, 0.75, 0.95, 0.9999, 1.0]


def _same(draw_torch, draw_mine, seed):
    """Both libraries' draws after manual_seed(seed), and the draws that follow them."""
    out = []
    for L, draw in ((torch, draw_torch), (cr, draw_mine)):
        L.manual_seed(seed)
        values = draw()
        values = values.numpy() if hasattr(values, "numpy") else values
        out.append((values, L.rand(5, dtype=L.float64).numpy(),
                    L.randn(3, dtype=L.float64).numpy()))
    (theirs, t_next, t_normal), (mine, m_next, m_normal) = out
    assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
    np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(m_next, t_next)       # the stream is left in step
    np.testing.assert_array_equal(m_normal, t_normal)   # and the cached normal with it


def _grid(values, repeat, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.permutation(np.array(values * repeat, dtype=dtype))


@pytest.fixture(params=["fast", "python"])
def path(request):
    """Every test on the numba kernels and on the plain-Python path."""
    if request.param == "fast" and not kernels.available():
        pytest.skip("numba is not installed")
    previous = kernels.enabled(request.param == "fast")
    yield request.param
    kernels.enabled(previous)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", [0, 7])
def test_standard_gamma(dtype, seed, path):
    a = _grid(ALPHAS, 20, dtype, seed)
    _same(lambda: torch._standard_gamma(torch.from_numpy(a)), lambda: GEN.sample_gamma(a), seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", [0, 7])
def test_poisson(dtype, seed, path):
    lam = _grid(RATES, 20, dtype, seed)
    _same(lambda: torch.poisson(torch.from_numpy(lam)), lambda: GEN.sample_poisson(lam), seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", [0, 7])
def test_binomial(dtype, seed, path):
    n, p = np.meshgrid(np.array(COUNTS, dtype=dtype), np.array(PROBS, dtype=dtype))
    n, p = np.tile(n, (3, 1)), np.tile(p, (3, 1))
    _same(lambda: torch.binomial(torch.from_numpy(n), torch.from_numpy(p)),
          lambda: GEN.sample_binomial(n, p), seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 17, 70])
def test_dirichlet(dtype, k, path):
    a = (np.random.default_rng(k).gamma(0.7, size=(9, k)) + 0.02).astype(dtype)
    _same(lambda: torch._sample_dirichlet(torch.from_numpy(a)),
          lambda: GEN.sample_dirichlet(a), 3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_drawn_parameters(dtype):
    """Parameters over many orders of magnitude, 10⁴ of each."""
    rng = np.random.default_rng(5)
    size = 10_000
    alpha = (10 ** rng.uniform(-3, 3, size)).astype(dtype)
    lam = (10 ** rng.uniform(-3, 3, size)).astype(dtype)
    n = np.floor(10 ** rng.uniform(0, 5, size)).astype(dtype)
    p = rng.random(size).astype(dtype)
    _same(lambda: torch._standard_gamma(torch.from_numpy(alpha)),
          lambda: GEN.sample_gamma(alpha), 1)
    _same(lambda: torch.poisson(torch.from_numpy(lam)), lambda: GEN.sample_poisson(lam), 2)
    _same(lambda: torch.binomial(torch.from_numpy(n), torch.from_numpy(p)),
          lambda: GEN.sample_binomial(n, p), 3)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple),
       seed=st.integers(0, 2 ** 32 - 1), dtype=st.sampled_from(DTYPES),
       transposed=st.booleans())
def test_top_level_functions_on_drawn_shapes(shape, seed, dtype, transposed):
    """torch.poisson, torch.binomial, torch._standard_gamma and torch._sample_dirichlet on drawn
    shapes (transposed inputs too: drawn in row-major order of the output)."""
    rng = np.random.default_rng(seed)
    base = np.asarray(rng.gamma(1.0, size=shape) * 5 + 0.01, dtype=dtype)
    counts = np.asarray(np.floor(base * 10), dtype=dtype)
    probs = np.asarray(rng.random(shape), dtype=dtype)
    axes = tuple(reversed(range(base.ndim)))

    def run(L):
        if transposed and base.ndim >= 2:   # base's values, laid out in memory the other way
            t = L.from_numpy(np.ascontiguousarray(base.transpose(axes))).permute(*axes)
        else:
            t = L.from_numpy(base.copy())
        n, p = L.from_numpy(counts.copy()), L.from_numpy(probs.copy())
        out = [L.poisson(t), L.binomial(n, p), L._standard_gamma(t)]
        if t.dim() >= 1 and t.shape[-1] >= 1:
            out.append(L._sample_dirichlet(t))
        return np.concatenate([o.numpy().reshape(-1) for o in out] + [np.zeros(0, dtype)])

    _same(lambda: run(torch), lambda: run(cr), seed % 1000)


def _families(L, dtype):
    def T(v):
        return L.tensor(v, dtype=dtype)
    return {
        "Gamma": L.distributions.Gamma(T([0.3, 1.0, 4.0]), T([2.0, 0.5, 1.0])),
        "Beta": L.distributions.Beta(T([0.3, 1.0, 4.0]), T(2.0)),
        "Dirichlet": L.distributions.Dirichlet(T([[0.3, 1.0, 4.0, 0.7, 2.0, 1.5],
                                                  [1.0] * 6])),
        "Chi2": L.distributions.Chi2(T([0.5, 3.0, 10.0])),
        "StudentT": L.distributions.StudentT(T([0.5, 3.0, 10.0]), T(1.0), T([2.0, 1.0, 0.5])),
        "Poisson": L.distributions.Poisson(T([0.0, 3.0, 12.0, 300.0])),
        "Binomial": L.distributions.Binomial(T([5.0, 40.0, 100.0]), T([0.3, 0.6, 0.95])),
        "Binomial(logits)": L.distributions.Binomial(30, logits=T([0.3, -2.0])),
        "InverseGamma": L.distributions.InverseGamma(T([0.5, 3.0]), T(2.0)),
        "FisherSnedecor": L.distributions.FisherSnedecor(T([0.5, 3.0]), T([4.0, 20.0])),
        "NegativeBinomial": L.distributions.NegativeBinomial(T([3.0, 20.0]), T([0.3, 0.8])),
        "LKJCholesky(2)": L.distributions.LKJCholesky(2, T([0.7, 3.0])),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("family", list(_families(cr, cr.float64)))
@pytest.mark.parametrize("method", ["sample", "rsample"])
def test_distributions(family, method, dtype):
    if method == "rsample" and not _families(cr, cr.float64)[family].has_rsample:
        pytest.skip("no rsample")
    if family.startswith("LKJ") and dtype == "float32":
        pytest.skip("the Beta draws agree; LKJCholesky's float32 normalisation of the "
                    "directions (u / √Σu², PyTorch: u / u.norm()) can differ in the last bit")

    def draw(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d = _families(L, getattr(L, dtype))[family]
            return getattr(d, method)((4, 5)).detach()
    _same(lambda: draw(torch), lambda: draw(cr), 11)


def test_gamma_rsample_gradient_against_pytorch():
    """The samples are PyTorch's, and so are the gradients: its _standard_gamma_grad formulas
    (tests/distributions/test_rsample_grads_vs_pytorch.py tests them branch by branch)."""
    grads = []
    for L in (torch, cr):
        L.manual_seed(2)
        a = L.tensor([0.2, 0.9, 1.0, 3.0, 9.0, 40.0], dtype=L.float64, requires_grad=True)
        x = L.distributions.Gamma(a, 1.5).rsample((50,))
        (x * L.linspace(0.5, 2.0, 300, dtype=L.float64).reshape(50, 6)).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_dirichlet_rsample_gradient_is_pytorchs():
    """∂L/∂α = _dirichlet_grad(x, α, Σα) · (w − Σ x w), PyTorch's Dirichlet backward."""
    cr.manual_seed(4)
    a = cr.tensor([0.4, 1.3, 2.5], dtype=cr.float64, requires_grad=True)
    cr.manual_seed(4)
    x = GEN.sample_dirichlet(a.detach().numpy())
    cr.manual_seed(4)
    y = cr.distributions.Dirichlet(a).rsample()
    np.testing.assert_array_equal(y.detach().numpy(), x)
    w = np.array([1.0, -2.0, 0.5])
    (y * cr.tensor(w)).sum().backward()
    t = torch.tensor(a.detach().numpy())
    expected = torch.distributions.dirichlet._Dirichlet_backward(
        torch.from_numpy(x), t, torch.from_numpy(w)).numpy()
    np.testing.assert_allclose(a.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("k", [1, 3, 4, 5, 7, 8, 9, 31, 64, 65, 257, 1000, 5000])
def test_row_sum_in_pytorchs_order(k):
    values = np.random.default_rng(k).gamma(0.3, size=(50, k)) * \
        10.0 ** np.random.default_rng(k + 1).integers(-6, 6, size=(50, k))
    np.testing.assert_array_equal(_torch_row_sum(values), torch.from_numpy(values).sum(-1))


def test_errors():
    with pytest.raises(RuntimeError, match="Half"):
        GEN.sample_gamma(np.ones(3, dtype=np.float16))
    with pytest.raises(RuntimeError, match="Half"):
        cr.poisson(cr.ones(3, dtype=cr.float16))
    with pytest.raises(RuntimeError, match="non-negative"):
        cr.poisson(cr.tensor([1.0, -1.0]))
    for bad in (-0.5, float("nan"), float("inf")):     # PyTorch's sampler never returns here
        with pytest.raises(ValueError, match="concentration"):
            cr._standard_gamma(cr.tensor([1.0, bad]))
    with pytest.raises(RuntimeError, match="finite"):
        cr.binomial(cr.tensor([float("nan")]), cr.tensor([0.5]))
    with pytest.raises(RuntimeError, match="broadcast"):
        cr.binomial(cr.tensor([3.0]), cr.tensor([0.5, 0.5]))


def test_generator_argument():
    """generator= draws from that generator and leaves the default one alone."""
    outs = []
    for L in (torch, cr):
        L.manual_seed(0)
        g = L.Generator().manual_seed(9)
        lam = L.tensor([2.0, 30.0], dtype=L.float64)
        outs.append((L.poisson(lam, generator=g).numpy(),
                     L._standard_gamma(lam, generator=g).numpy(),
                     L.rand(2, dtype=L.float64).numpy()))
    for mine, theirs in zip(outs[1], outs[0]):
        np.testing.assert_array_equal(mine, theirs)
