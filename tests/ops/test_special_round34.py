"""torch.special's functions added in round 34: the orthogonal polynomials of (x, n)
(ops/special_polynomials.py) and airy_ai, bessel_y0, bessel_y1 (ops/special_airy_bessel_y.py),
all values only in PyTorch.

- The polynomials against PyTorch in float64 on drawn inputs and degrees (each branch: the
  recurrence, the trigonometric forms, the end points), to n·ε of the largest polynomial of
  degree ≤ n at that x (PyTorch's compiled recurrence uses fused multiply-adds and its own
  libm: its roundings differ from NumPy's by that much), and in float32, overflow to inf and NaN
  included; against mpmath where the recurrence is well conditioned.
- PyTorch's values at the special points (±1, 0, ±inf, NaN, huge and non-integer degrees).
- airy_ai, bessel_y0, bessel_y1 against mpmath across their range (where PyTorch is itself less
  accurate, within PyTorch's accuracy) and PyTorch's special values.
- Dtypes, errors, no derivative, array_api_strict.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

mp = pytest.importorskip("mpmath")

S, TS = cr.special, torch.special
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
               "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
               "laguerre_polynomial_l", "legendre_polynomial_p"]
# the x ranges that reach every branch: the interval (trigonometric forms) and beyond it
RANGES = {name: (-1.6, 1.6) for name in POLYNOMIALS}
RANGES.update({name: (-0.3, 1.3) for name in POLYNOMIALS if name.startswith("shifted")})
RANGES.update(hermite_polynomial_h=(-6.0, 6.0), hermite_polynomial_he=(-6.0, 6.0),
              laguerre_polynomial_l=(-3.0, 14.0))


def _both(name, x, n, dtype=np.float64):
    ours = getattr(S, name)(cr.tensor(np.asarray(x, dtype)), cr.tensor(np.asarray(n, dtype)))
    theirs = getattr(TS, name)(torch.tensor(np.asarray(x, dtype)),
                               torch.tensor(np.asarray(n, dtype)))
    return ours.numpy(), theirs.numpy()


def _envelope(name, x, n, dtype=np.float64):
    """max over degrees k ≤ n of |p_k(x)| (PyTorch's values): the scale of the rounding errors
    of a recurrence (or of the trigonometric form) that reaches degree n."""
    fn = getattr(TS, name)
    tx = torch.tensor(np.asarray(x, dtype))
    top = int(np.max(n)) if np.size(n) else 0
    values = [np.abs(fn(tx, torch.tensor(np.minimum(n, k).astype(dtype))).numpy())
              for k in range(top + 1)]
    return np.max(values, axis=0) if values else np.ones_like(x)


def _assert_close(name, got, want, x, n, per_step, dtype=np.float64):
    nan = np.isnan(want)
    assert (np.isnan(got) == nan).all(), f"{name}: NaN at {x[np.isnan(got) != nan]}"
    inf = np.isinf(want)
    assert (got[inf] == want[inf]).all(), f"{name}: infinities differ"
    ok = ~nan & ~inf
    bound = per_step * (np.maximum(n, 0) + 1) * _envelope(name, x, n, dtype)
    with np.errstate(invalid="ignore"):                 # (inf − inf where both are inf)
        err = np.abs(got - want)
    assert (err[ok] <= bound[ok]).all(), (
        f"{name}: worst at x={x[ok][np.argmax(err[ok] / bound[ok])]}, "
        f"n={n[ok][np.argmax(err[ok] / bound[ok])]}")


# ------------------------------------------------------------------ polynomials against PyTorch
@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_are_pytorchs_in_float64(name):
    rng = np.random.default_rng(0)
    low, high = RANGES[name]
    x = rng.uniform(low, high, 3000)
    n = rng.integers(0, 40, 3000).astype(float)
    ours, theirs = _both(name, x, n)
    _assert_close(name, ours, theirs, x, n, 1e-15)
    # most values are identical or differ in the last bits only
    assert np.mean(np.abs(ours - theirs) <= 4e-16 * np.abs(theirs)) > 0.5


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_are_pytorchs_in_float32_including_overflow(name):
    rng = np.random.default_rng(1)
    low, high = RANGES[name]
    x = np.concatenate([rng.uniform(low, high, 2000), [2.0, -2.0, 3.0, -3.0] * 10])
    n = np.concatenate([rng.integers(0, 40, 2000), np.arange(40) * 4]).astype(float)
    ours, theirs = _both(name, x, n, np.float32)
    assert ours.dtype == np.float32
    _assert_close(name, ours, theirs, x.astype(np.float32), n, 5e-7, np.float32)


@settings(max_examples=25, deadline=None)
@given(shape_x=st.lists(st.integers(1, 3), max_size=3), shape_n=st.lists(st.integers(1, 3),
                                                                           max_size=2),
       name=st.sampled_from(POLYNOMIALS), seed=st.integers(0, 2**31))
def test_polynomials_broadcast_as_pytorch(shape_x, shape_n, name, seed):
    rng = np.random.default_rng(seed)
    shape_n = shape_n[: len(shape_x)]
    shape_n = [1 if rng.random() < 0.5 else s for s in shape_x[len(shape_x) - len(shape_n):]]
    low, high = RANGES[name]
    x = rng.uniform(low, high, shape_x)
    n = rng.uniform(-2.0, 30.0, shape_n)
    ours, theirs = _both(name, x, n)
    assert ours.shape == theirs.shape
    xb, nb = np.broadcast_arrays(x, n)
    _assert_close(name, ours.ravel(), theirs.ravel(), xb.ravel(), np.trunc(nb).ravel(), 1e-15)


# ------------------------------------------------------------------ against mpmath
_MP = {
    "chebyshev_polynomial_t": lambda x, n: mp.chebyt(n, x),
    "chebyshev_polynomial_u": lambda x, n: mp.chebyu(n, x),
    "legendre_polynomial_p": lambda x, n: mp.legendre(n, x),
    "hermite_polynomial_h": lambda x, n: mp.hermite(n, x),
    "hermite_polynomial_he": lambda x, n: mp.hermite(n, x / mp.sqrt(2)) / mp.sqrt(2) ** n,
    "laguerre_polynomial_l": lambda x, n: mp.laguerre(n, 0, x),
    "chebyshev_polynomial_v": lambda x, n: (mp.cos((n + 0.5) * mp.acos(x)) / mp.cos(
        mp.acos(x) / 2)),
    "chebyshev_polynomial_w": lambda x, n: (mp.sin((n + 0.5) * mp.acos(x)) / mp.sin(
        mp.acos(x) / 2)),
}


@pytest.mark.parametrize("name", sorted(_MP))
def test_polynomials_are_accurate_against_mpmath(name):
    rng = np.random.default_rng(2)
    x = rng.uniform(-0.99, 0.99, 300)
    if name.startswith("hermite"):
        x = rng.uniform(-4.0, 4.0, 300)
    if name.startswith("laguerre"):
        x = rng.uniform(0.0, 10.0, 300)
    n = rng.integers(0, 60, 300)
    with mp.workdps(40):
        want = np.array([float(_MP[name](mp.mpf(float(u)), int(k))) for u, k in zip(x, n)])
    got = getattr(S, name)(cr.tensor(x), cr.tensor(n.astype(float))).numpy()
    bound = 2e-15 * (n + 1) * _envelope(name, x, n.astype(float))
    assert (np.abs(got - want) <= bound).all()


# ------------------------------------------------------------------ special points and degrees
_XS = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, np.nextafter(1, 0), np.nextafter(-1, 0),
                np.nextafter(1, 2), np.nextafter(-1, -2), 2.0, -2.0, 1e-20, -1e-20, np.inf,
                -np.inf, 1e300, -1e300, 5e-324, 0.9999999, 1.0000001, 0.25, 0.75, 3.0, -3.0])
_NS = np.array([-3.0, -0.5, 0.0, 0.3, 0.99, 1.0, 1.7, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0,
                10.0, 13.0, 50.0, 127.0, 128.0, 129.0, 300.0, 511.0, 512.0, 513.0, 3000.0,
                np.nan, np.inf, -np.inf, 1e19, -1e19])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_at_the_special_points_and_degrees(name, dtype):
    """End points, ±0, ±inf, huge x; degrees that are negative, fractional, NaN, ±inf, beyond
    int64 (0, as PyTorch's cast), beyond Hermite's limit (NaN), in the thousands."""
    x, n = (a.ravel() for a in np.meshgrid(_XS, _NS))
    with np.errstate(over="ignore"):
        x, n = x.astype(dtype), n.astype(dtype)
    ours, theirs = _both(name, x, n, dtype)
    per_step = 1e-15 if dtype == np.float64 else 5e-7
    degree = np.where(np.isfinite(n) & (np.abs(n) < 2.0**63), np.trunc(n), -1.0)
    small = degree <= 40
    _assert_close(name, ours[small], theirs[small], x[small], degree[small], per_step, dtype)
    # high degrees: the same NaNs and infinities, values to n·ε of their size (at least 1)
    big = ~small
    assert (np.isnan(ours[big]) == np.isnan(theirs[big])).all()
    inf = big & np.isinf(theirs)
    assert (ours[inf] == theirs[inf]).all()
    ok = big & np.isfinite(theirs)
    # (near |x| = 1 the recurrence's rounding errors grow faster than n·ε: 8 ε per step)
    bound = 8 * per_step * (degree[ok] + 1) * np.maximum(1.0, np.abs(theirs[ok]))
    assert (np.abs(ours[ok] - theirs[ok]) <= bound).all(), x[ok][np.abs(ours[ok] - theirs[ok])
                                                                 > bound]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_degrees_truncate_toward_zero_and_invalid_degrees_give_zero(name):
    x = cr.tensor([0.3] * 8)
    n = cr.tensor([3.9, 3.0, -0.9, 0.0, np.nan, np.inf, -np.inf, 1e30])
    got = getattr(S, name)(x, n).numpy()
    assert got[0] == got[1] and got[2] == got[3] == 1.0
    assert (got[4:] == 0.0).all()
    theirs = getattr(TS, name)(torch.tensor([0.3] * 8), torch.tensor(n.numpy())).numpy()
    np.testing.assert_array_equal(got, theirs)


def test_nan_x_gives_nan_where_pytorch_reads_an_unset_value():
    """PyTorch's U, V, W, Laguerre and Legendre recurrences return an uninitialised variable
    for x = NaN and n ≥ 2 (its loop stops before the first step): its values there vary
    between calls (NaN, inf); chainrule gives NaN."""
    n = cr.tensor([2.0, 3.0, 10.0])
    for name in POLYNOMIALS:
        got = getattr(S, name)(cr.tensor([np.nan] * 3), n).numpy()
        assert np.isnan(got).all(), name


def test_large_degrees_run_the_recurrence_once_for_all_elements():
    x = np.linspace(-0.99, 0.99, 200)
    n = np.full(200, 20000.0)
    for name in ("legendre_polynomial_p", "laguerre_polynomial_l"):
        ours, theirs = _both(name, x, n)
        assert np.abs(ours - theirs).max() <= 1e-11 * np.abs(theirs).max() + 1e-12
    # |x| > 1: overflow to inf, then NaN, as PyTorch
    ours, theirs = _both("chebyshev_polynomial_t", [1.5, -1.5, 1.0000001], [5000.0] * 3)
    assert np.isnan(ours[:2]).all() and np.isnan(theirs[:2]).all()
    assert abs(ours[2] - theirs[2]) <= 1e-11 * abs(theirs[2])


# ------------------------------------------------------------------ operands, dtypes, errors
@pytest.mark.parametrize("x, n, dtype", [
    (np.array([0.5, 2.0], np.float32), np.array([3, 4]), torch.float32),
    (np.array([0.5, 2.0]), np.array([3, 4]), torch.float64),
    (np.array([1, 2]), np.array([3, 4]), torch.float32),
    (np.array([0.5, 2.0], np.float32), np.array([3.7, -1.5]), torch.float64),
    (np.array([1, 2]), np.array([3.7, 2.0], np.float32), torch.float32),
    (np.array([True, False]), np.array([3, 4]), torch.float32),
    (np.array([0.5, 2.0], np.float32), 3, torch.float32),
    (np.array([0.5, 2.0], np.float32), 3.7, torch.float32),
    (np.array([1, 2]), 3.5, torch.float32),
    (np.array([0.5, 2.0]), True, torch.float64),
    (2.0, np.array([3, 4]), torch.float32),
    (0.5, np.array([3.0, 2.0]), torch.float64),
    (np.array([0.5, 2.0], np.float32), np.array(3.7), torch.float32),
])
def test_promotion_is_pytorchs(x, n, dtype):
    def lib(L, v):
        return L.tensor(v) if isinstance(v, np.ndarray) else v

    for name in ("chebyshev_polynomial_t", "hermite_polynomial_h", "laguerre_polynomial_l"):
        theirs = getattr(TS, name)(lib(torch, x), lib(torch, n))
        ours = getattr(S, name)(lib(cr, x), lib(cr, n))
        assert theirs.dtype == dtype
        assert ours.numpy().dtype == theirs.numpy().dtype
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("program, kind", [
    (lambda L: L.special.chebyshev_polynomial_t(0.5, 3), TypeError),
    (lambda L: L.special.legendre_polynomial_p([0.5], 3), TypeError),
    (lambda L: L.special.hermite_polynomial_h(L.tensor([0.5], dtype=L.float16), 3),
     NotImplementedError),
    (lambda L: L.special.laguerre_polynomial_l(L.tensor([0.5 + 1j]), 3), NotImplementedError),
    (lambda L: L.special.airy_ai(1.5), TypeError),
    (lambda L: L.special.bessel_y0(L.tensor([1.0], dtype=L.float16)), NotImplementedError),
    (lambda L: L.special.bessel_y1(L.tensor([1.0 + 0j])), NotImplementedError),
])
def test_errors_are_pytorchs(program, kind):
    with pytest.raises(kind):
        program(torch)
    with pytest.raises(kind):
        program(cr)


@pytest.mark.parametrize("name", POLYNOMIALS + ["airy_ai", "bessel_y0", "bessel_y1"])
def test_no_derivative_as_pytorch(name):
    for L in (torch, cr):
        x = L.tensor([0.3, 0.7], dtype=L.float64, requires_grad=True)
        args = (x,) if name in ("airy_ai", "bessel_y0", "bessel_y1") else (x, 3)
        out = getattr(L.special, name)(*args)
        assert not out.requires_grad
        with pytest.raises(RuntimeError):
            out.sum().backward()


def test_keyword_names_are_pytorchs():
    x, n = cr.tensor([0.3]), cr.tensor([4.0])
    assert S.chebyshev_polynomial_t(x=x, n=n).item() == S.chebyshev_polynomial_t(x, n).item()
    assert S.airy_ai(x=x).item() == S.airy_ai(x).item()
    assert S.bessel_y0(input=x).item() == S.bessel_y0(x).item()


# ------------------------------------------------------------------ airy_ai, bessel_y0, bessel_y1
def _reference(fn, values, dps=40):
    with mp.workdps(dps):
        return np.array([float(fn(mp.mpf(float(v)))) for v in values])


@pytest.mark.parametrize("name, order", [("bessel_y0", 0), ("bessel_y1", 1)])
def test_bessel_y_has_absolute_accuracy_on_the_scale_of_its_amplitude(name, order):
    x = np.concatenate([np.linspace(1e-3, 60.0, 900), np.geomspace(1e-12, 1e4, 60),
                        [3.999999, 4.0, 24.9999, 25.0]])
    want = _reference(lambda v: mp.bessely(order, v), x)
    got = getattr(S, name)(cr.tensor(x)).numpy()
    amplitude = np.maximum(np.minimum(1.0, np.sqrt(2.0 / (np.pi * x))), np.abs(want))
    assert (np.abs(got - want) / amplitude).max() < 3e-15
    # PyTorch: ~1e-14 within 0 < x ≤ 2 and beyond 25; ~3e-8 for 2 < x ≤ 5, ~2.5e-6 above 5
    theirs = getattr(TS, name)(torch.tensor(x)).numpy()
    good = (x <= 2) | (x >= 25)
    assert (np.abs(got - theirs) / amplitude)[good].max() < 1e-12
    assert (np.abs(got - theirs) / amplitude).max() < 5e-6


def test_airy_ai_is_accurate():
    x = np.concatenate([np.linspace(-60.0, 103.0, 1631), np.geomspace(1e-10, 103.8, 60),
                        -np.geomspace(1e-10, 60.0, 60), [-2.0, 1.35, 1.3499999, -11.2]])
    want = _reference(mp.airyai, x, dps=60)
    got = S.airy_ai(cr.tensor(x)).numpy()
    # oscillating for x < 0 (amplitude |x|^{−1/4}/√π), decaying for x > 0; on both sides the
    # condition number of Ai is ~|x|^{3/2} (an ulp of x moves the phase ζ by ~ζ ulps)
    with np.errstate(divide="ignore"):
        amplitude = np.where(x < 0, np.minimum(1.0, np.abs(x) ** -0.25 / np.sqrt(np.pi)),
                             np.abs(want))
    amplitude = np.maximum(amplitude, np.abs(want)) * np.maximum(1.0, np.abs(x) ** 1.5)
    assert (np.abs(got - want) / amplitude).max() < 4e-15
    theirs = TS.airy_ai(torch.tensor(x)).numpy()
    good = (x > -2.0) | (x < -8.0)
    assert (np.abs(got - theirs) / amplitude)[good].max() < 1e-13
    assert (np.abs(got - theirs) / amplitude).max() < 1e-5


@pytest.mark.parametrize("name", ["airy_ai", "bessel_y0", "bessel_y1"])
def test_special_values_are_pytorchs(name):
    x = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, 1e-308, 103.892, 103.9,
                  200.0, 1e-300, 0.5])
    ours = getattr(S, name)(cr.tensor(x)).numpy()
    theirs = getattr(TS, name)(torch.tensor(x)).numpy()
    assert (np.isnan(ours) == np.isnan(theirs)).all()
    ok = ~np.isnan(theirs)
    np.testing.assert_allclose(ours[ok], theirs[ok], rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", ["airy_ai", "bessel_y0", "bessel_y1"])
def test_unary_dtypes_are_pytorchs(name):
    for values in (np.array([1, 2]), np.array([True, False]), np.array([0.5, 3.0], np.float32)):
        ours = getattr(S, name)(cr.tensor(values))
        theirs = getattr(TS, name)(torch.tensor(values))
        assert ours.numpy().dtype == theirs.numpy().dtype
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-6)


# ------------------------------------------------------------------ array_api_strict
def test_the_new_functions_run_on_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    x = np.array([0.3, 1.7, 4.5, 30.0])
    n = np.array([0.0, 3.0, 9.0, 2.0])

    def strict(v):
        t = cr.tensor(v)
        t._data = xs.asarray(v)
        return t

    for name in ("airy_ai", "bessel_y0", "bessel_y1"):
        out = getattr(S, name)(strict(x))
        assert isinstance(out._data, type(xs.asarray(0.0))), name
        np.testing.assert_array_equal(np.from_dlpack(out._data),
                                      getattr(S, name)(cr.tensor(x)).numpy())
    for name in POLYNOMIALS:
        for args in ((strict(x), strict(n)), (strict(x), 3), (0.5, strict(n))):
            out = getattr(S, name)(*args)
            assert isinstance(out._data, type(xs.asarray(0.0))), name
            plain = [cr.tensor(np.from_dlpack(a._data)) if isinstance(a, cr.Tensor) else a
                     for a in args]
            np.testing.assert_array_equal(np.from_dlpack(out._data),
                                          getattr(S, name)(*plain).numpy())
