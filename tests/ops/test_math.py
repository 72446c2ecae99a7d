"""Elementwise math, arithmetic with PyTorch's type promotion, division and remainders,
comparisons, bitwise and logical operations: chainrule against PyTorch 2.13 in float64 on
Hypothesis-drawn broadcast shapes (0-d, empty and size-1 dims included), integer and bool
dtypes, in-place forms, and gradcheck for the composites (the primitives' own gradients are
checked by tests/test_primitives.py through tests/specs_math.py).
"""
from __future__ import annotations

import numpy as np
import pytest
import strategies as S
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

RTOL = 1e-10


def check(actual, expected, rtol: float = RTOL, atol: float = 1e-12) -> None:
    assert isinstance(actual, cr.Tensor), type(actual)
    a, e = actual.numpy(), expected.detach().numpy()
    assert a.shape == e.shape, (a.shape, e.shape)
    assert a.dtype == e.dtype, (a.dtype, e.dtype)
    if a.dtype.kind == "f":
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, e)


def pair(arrays):
    return [cr.tensor(a) for a in arrays], [torch.from_numpy(np.array(a)) for a in arrays]


@st.composite
def broadcast_arrays(draw, count=2, low=-3.0, high=3.0, dtype=np.float64):
    shapes = draw(S.broadcast_shapes(count, max_side=4, large=False, min_dims=0, max_dims=3))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return [rng.uniform(low, high, s).astype(dtype) for s in shapes]
    return [rng.integers(int(low), int(high), s).astype(dtype) for s in shapes]


def _empty_too(arrays):
    return arrays + [a[..., :0] if a.ndim else a for a in arrays[:1]]


# ------------------------------------------------------------------------------ unary math
UNARY = {  # name: (low, high) of the drawn values
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.99, 0.99),
    "acos": (-0.99, 0.99), "atan": (-5, 5), "sinh": (-3, 3), "cosh": (-3, 3),
    "tanh": (-3, 3), "asinh": (-5, 5), "acosh": (1.01, 5), "atanh": (-0.99, 0.99),
    "arcsin": (-0.99, 0.99), "arccos": (-0.99, 0.99), "arctan": (-5, 5), "arcsinh": (-5, 5),
    "arccosh": (1.01, 5), "arctanh": (-0.99, 0.99), "exp": (-5, 5), "exp2": (-5, 5),
    "expm1": (-1e-3, 1e-3), "log": (0.01, 5), "log2": (0.01, 5), "log10": (0.01, 5),
    "log1p": (-0.5, 1e-3), "sqrt": (0, 5), "rsqrt": (0.01, 5), "reciprocal": (0.1, 5),
    "square": (-3, 3), "floor": (-3, 3), "ceil": (-3, 3), "trunc": (-3, 3), "fix": (-3, 3),
    "round": (-3, 3), "sign": (-3, 3), "sgn": (-3, 3), "frac": (-3, 3), "neg": (-3, 3),
    "negative": (-3, 3), "abs": (-3, 3), "absolute": (-3, 3), "sigmoid": (-5, 5),
    "logit": (0.01, 0.99), "erf": (-3, 3), "erfc": (-3, 6), "erfinv": (-0.999, 0.999),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=15)
@given(data=st.data())
def test_unary_matches_torch(name, data):
    low, high = UNARY[name]
    shape = data.draw(S.shapes(0, 3, max_side=4, large=False) | st.just((2, 0)))
    x = np.random.default_rng(data.draw(st.integers(0, 999))).uniform(low, high, shape)
    out = getattr(cr, name)(cr.tensor(x))
    check(out, getattr(torch, name)(torch.from_numpy(x)), rtol=1e-12 if name != "erfinv" else 1e-9)
    check(getattr(cr.tensor(x), name)(), getattr(torch.from_numpy(x), name)(), rtol=1e-9)


@pytest.mark.parametrize("name", ["sin", "exp", "log", "sqrt", "tan", "atan", "log1p", "rsqrt",
                                  "reciprocal", "erfc", "floor", "round", "sign", "abs", "square",
                                  "neg", "expm1", "trunc"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_unary_of_integers_promotes_like_torch(name, dtype):
    if dtype == "bool" and name in ("neg", "abs", "sign", "square", "floor", "round", "trunc"):
        pytest.skip("PyTorch rejects or special-cases these on bool")
    x = np.array([1, 2, 3]).astype(dtype)
    check(getattr(cr, name)(cr.tensor(x)), getattr(torch, name)(torch.from_numpy(x)), rtol=1e-6)


def test_float32_stays_float32():
    x = np.linspace(0.1, 0.9, 7, dtype=np.float32)
    for name in ("tan", "asin", "erfinv", "log2", "expm1", "rsqrt", "erfc", "logit"):
        check(getattr(cr, name)(cr.tensor(x)), getattr(torch, name)(torch.from_numpy(x)),
              rtol=1e-5, atol=1e-6)


def test_round_decimals_and_halves_to_even():
    x = np.array([0.5, 1.5, 2.5, -0.5, 1.2345, -2.675, 12345.6])
    for d in (0, 1, 2, -1):
        check(cr.round(cr.tensor(x), decimals=d), torch.round(torch.from_numpy(x), decimals=d))


def test_erfinv_edges_and_accuracy():
    x = np.array([-1.0, 1.0, 0.0, 1 - 1e-12, -1 + 1e-9, 1e-8, 2.0])
    check(cr.erfinv(cr.tensor(x)), torch.erfinv(torch.from_numpy(x)), rtol=1e-8)


def test_rounding_functions_have_zero_gradient_like_torch():
    for name in ("floor", "ceil", "trunc", "round", "sign", "sgn"):
        x = cr.tensor([-1.5, 0.0, 0.3, 2.0], dtype=cr.float64, requires_grad=True)
        y = getattr(cr, name)(x)
        assert y.requires_grad
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))


def test_abs_gradient_at_zero_is_zero():
    x = cr.tensor([0.0, -2.0, 3.0], dtype=cr.float64, requires_grad=True)
    cr.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, -1.0, 1.0])


# ------------------------------------------------------------------------------ composites
def test_composites_gradcheck():
    rng = np.random.default_rng(0)
    a = cr.tensor(rng.uniform(-2, 2, (3, 4)), requires_grad=True)
    b = cr.tensor(rng.uniform(-2, 2, (4,)), requires_grad=True)
    w = cr.tensor(rng.uniform(0, 1, (3, 1)), requires_grad=True)
    p = cr.tensor(rng.uniform(0.05, 0.95, (5,)), requires_grad=True)
    assert cr.gradcheck(lambda x, y, z: cr.lerp(x, y, z), a, b, w)
    assert cr.gradcheck(lambda x: cr.logit(x), p)
    assert cr.gradcheck(lambda x: cr.logit(x, eps=0.3), p)
    assert cr.gradcheck(lambda x: cr.square(x), a)
    assert cr.gradcheck(lambda x: cr.frac(x * 1.01 + 0.005), a)
    assert cr.gradcheck(lambda x, y: cr.fmax(x, y), a, b)
    assert cr.gradcheck(lambda x, y: cr.fmin(x, y), a, b)
    lo = cr.tensor(rng.uniform(-2, -0.5, (4,)), requires_grad=True)
    hi = cr.tensor(rng.uniform(0.5, 2, (3, 1)), requires_grad=True)
    assert cr.gradcheck(lambda x, m, n: cr.clamp(x, m, n), a, lo, hi)


@settings(max_examples=25)
@given(arrays=broadcast_arrays(3))
def test_clamp_with_tensor_bounds_matches_torch(arrays):
    x, lo, hi = arrays
    hi = lo + np.abs(hi)
    x = np.broadcast_to(x, np.broadcast_shapes(x.shape, lo.shape, hi.shape)).copy()
    (cx, clo, chi), (tx, tlo, thi) = pair([x, lo, hi])
    for t in (cx, clo, chi, tx, tlo, thi):
        t.requires_grad_(True)
    out, ref = cr.clamp(cx, clo, chi), torch.clamp(tx, tlo, thi)
    check(out, ref)
    g = np.random.default_rng(1).standard_normal(ref.shape)
    out.backward(g)
    ref.backward(torch.from_numpy(g))
    for c, t in ((cx, tx), (clo, tlo), (chi, thi)):
        check(c.grad, t.grad)


def test_clamp_passes_gradient_at_the_bounds_inclusive():
    x = cr.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], dtype=cr.float64, requires_grad=True)
    cr.clamp(x, 0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0])


def test_fmax_ignores_nan_and_gives_ties_to_input():
    x = cr.tensor([np.nan, 1.0, 2.0, np.nan], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([1.0, np.nan, 2.0, np.nan], dtype=cr.float64, requires_grad=True)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    ty = torch.tensor(y.numpy(), requires_grad=True)
    out, ref = cr.fmax(x, y), torch.fmax(tx, ty)
    check(out, ref)
    out.sum().backward()
    ref.sum().backward()
    check(x.grad, tx.grad)
    check(y.grad, ty.grad)


def test_nan_to_num_matches_torch():
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0])
    for kwargs in ({}, {"nan": 2.0}, {"posinf": 9.0, "neginf": -9.0}):
        check(cr.nan_to_num(cr.tensor(x), **kwargs), torch.nan_to_num(torch.from_numpy(x),
                                                                       **kwargs))
    x32 = x.astype(np.float32)
    check(cr.nan_to_num(cr.tensor(x32)), torch.nan_to_num(torch.from_numpy(x32)))


# ------------------------------------------------------------------------------ binary math
BINARY = {"atan2": (-3, 3, -3, 3), "hypot": (-3, 3, -3, 3), "xlogy": (-2, 2, 0.1, 3),
          "fmax": (-3, 3, -3, 3), "fmin": (-3, 3, -3, 3), "remainder": (-5, 5, 0.5, 2),
          "fmod": (-5, 5, 0.5, 2), "floor_divide": (-5, 5, 0.5, 2), "true_divide": (-5, 5, 0.5, 2),
          "arctan2": (-3, 3, -3, 3), "maximum": (-3, 3, -3, 3), "minimum": (-3, 3, -3, 3)}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=15)
@given(data=st.data())
def test_binary_matches_torch(name, data):
    lx, hx, ly, hy = BINARY[name]
    x, y = data.draw(broadcast_arrays(2))
    rng = np.random.default_rng(0)
    x = rng.uniform(lx, hx, x.shape)
    y = rng.uniform(ly, hy, y.shape) * (rng.choice([-1, 1], y.shape) if name in (
        "remainder", "fmod", "floor_divide") else 1)
    (cx, cy), (tx, ty) = pair([x, y])
    check(getattr(cr, name)(cx, cy), getattr(torch, name)(tx, ty))


# ------------------------------------------------------------------------------ promotion
SCALARS = [2, 2.5, True, -3]
DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float32", "float64"]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "remainder", "floor_divide",
                                "maximum", "eq", "lt", "fmod", "atan2", "pow"])
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES + ["scalar", "0-d float64", "0-d int32"])
def test_promotion_matches_torch(op, a, b):
    rng = np.random.default_rng(0)
    x = (rng.integers(1, 4, (3,)) if a != "bool" else rng.random(3) < 0.5).astype(a)
    if b == "scalar":
        pairs = [(s, s) for s in SCALARS]
    elif b.startswith("0-d"):
        dt = b.split()[1]
        pairs = [(cr.tensor(3, dtype=getattr(cr, dt)), torch.tensor(3, dtype=getattr(torch, dt)))]
    else:
        y = (rng.integers(1, 4, (3,)) if b != "bool" else np.ones(3, bool)).astype(b)
        pairs = [(cr.tensor(y), torch.from_numpy(y))]
    for cy, ty in pairs:
        try:
            expected = getattr(torch, op)(torch.from_numpy(x), ty)
        except TypeError:
            if op == "maximum":     # chainrule.maximum also accepts a Python number
                continue
            with pytest.raises(TypeError):
                getattr(cr, op)(cr.tensor(x), cy)
            continue
        except RuntimeError:
            with pytest.raises((RuntimeError, TypeError, ValueError)):
                getattr(cr, op)(cr.tensor(x), cy)
            continue
        check(getattr(cr, op)(cr.tensor(x), cy), expected, rtol=1e-6)


def test_operators_and_reflected_forms():
    i = np.array([-7, -3, 0, 4, 9])
    ci, ti = cr.tensor(i), torch.from_numpy(i)
    for f in (lambda t: t % 3, lambda t: t // 2, lambda t: 7 % (t + 10), lambda t: 50 // (t + 10),
              lambda t: t / 2, lambda t: t << 1, lambda t: t >> 1, lambda t: 3 << (t + 7),
              lambda t: 5 ^ t, lambda t: t % -4, lambda t: t // -3, lambda t: t ** 2):
        check(f(ci), f(ti))
    x = np.array([-2.5, -0.5, 0.0, 1.5, 3.25])
    for f in (lambda t: t % 1.5, lambda t: t // 0.7, lambda t: 2.0 % (t + 3),
              lambda t: 4.0 // (t + 3), lambda t: t % -1.5):
        check(f(cr.tensor(x)), f(torch.from_numpy(x)))


def test_in_place_operators_and_methods():
    i = np.array([-7, -3, 0, 4, 9])
    for f in (lambda t: t.__imod__(3), lambda t: t.__ifloordiv__(2), lambda t: t.__ilshift__(1),
              lambda t: t.__irshift__(1), lambda t: t.__iand__(6), lambda t: t.__ior__(6),
              lambda t: t.__ixor__(6), lambda t: t.add_(2, alpha=3), lambda t: t.sub_(1),
              lambda t: t.mul_(3), lambda t: t.remainder_(4), lambda t: t.bitwise_not_(),
              lambda t: t.clamp_(-2, 3), lambda t: t.abs_(), lambda t: t.neg_(),
              lambda t: t.square_(), lambda t: t.floor_divide_(2)):
        ct, tt = cr.tensor(i.copy()), torch.from_numpy(i.copy())
        r = f(ct)
        f(tt)
        assert r is ct
        check(ct, tt)
    with pytest.raises(RuntimeError):
        cr.tensor(i.copy()).div_(2)                    # float result into an int tensor
    x = np.array([0.2, 0.5, 1.5])
    for name in ("exp", "log", "sin", "floor", "ceil", "trunc", "round", "sigmoid", "tan",
                 "atan", "sqrt", "reciprocal", "rsqrt", "expm1", "log1p", "frac", "sign"):
        ct, tt = cr.tensor(x.copy()), torch.from_numpy(x.copy())
        getattr(ct, name + "_")()
        getattr(tt, name + "_")()
        check(ct, tt)


def test_in_place_records_gradient():
    a = cr.tensor([0.5, 1.0, 2.0], dtype=cr.float64, requires_grad=True)
    ta = torch.tensor(a.numpy(), requires_grad=True)
    for x in (a, ta):
        y = x * 1.0
        y.sin_().mul_(x).add_(x, alpha=2).clamp_(max=2.0)
        y.sum().backward()
    check(a.grad, ta.grad)


def test_division_semantics():
    ci = cr.tensor([7, -7, 7, -7])
    cj = cr.tensor([2, 2, -2, -2])
    ti, tj = torch.tensor([7, -7, 7, -7]), torch.tensor([2, 2, -2, -2])
    for mode in (None, "trunc", "floor"):
        check(cr.div(ci, cj, rounding_mode=mode), torch.div(ti, tj, rounding_mode=mode))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        cr.tensor([1, 2]) // 0
    with pytest.raises(ValueError, match="rounding_mode"):
        cr.div(ci, cj, rounding_mode="round")
    x = cr.tensor([1.0, -1.0, 0.0])
    check(x / 0, torch.tensor([1.0, -1.0, 0.0]) / 0)
    check(cr.remainder(cr.tensor([5.0]), 0.0), torch.remainder(torch.tensor([5.0]), 0.0))


def test_remainder_and_fmod_gradients():
    rng = np.random.default_rng(3)
    y = rng.uniform(0.5, 2, (4,)) * rng.choice([-1, 1], 4)
    x = (rng.integers(-3, 3, (3, 4)) + rng.uniform(0.1, 0.9, (3, 4))) * y
    cx, cy = cr.tensor(x, requires_grad=True), cr.tensor(y, requires_grad=True)
    assert cr.gradcheck(cr.remainder, cx, cy)
    assert cr.gradcheck(cr.fmod, cx, cy)


# ------------------------------------------------------------------------------ comparisons
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal",
                                  "less", "less_equal", "not_equal"])
@settings(max_examples=15)
@given(arrays=broadcast_arrays(2, low=0, high=3, dtype=np.int64))
def test_comparisons_match_torch(name, arrays):
    (cx, cy), (tx, ty) = pair(arrays)
    check(getattr(cr, name)(cx, cy), getattr(torch, name)(tx, ty))
    check(getattr(cx, name)(cy), getattr(tx, name)(ty))
    check(getattr(cr, name)(cx, 1.5), getattr(torch, name)(tx, 1.5))


def test_isclose_allclose_equal():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 1e-9, 2.0])
    b = np.array([1.0 + 1e-6, np.nan, np.inf, np.inf, 0.0, 2.1])
    (ca, cb), (ta, tb) = pair([a, b])
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.1, "atol": 0.0}):
        check(cr.isclose(ca, cb, **kw), torch.isclose(ta, tb, **kw))
        assert cr.allclose(ca, cb, **kw) == torch.allclose(ta, tb, **kw)
    assert cr.allclose(ca[:1], cb[:1]) is True
    assert cr.equal(cb, cb.clone()) is False                     # NaN ≠ NaN
    assert cr.equal(ca[2:3], ca[2:3]) is True
    assert cr.equal(ca, ca[:2]) is False
    with pytest.raises(RuntimeError):
        cr.isclose(ca, cr.tensor([1, 2, 3, 4, 5, 6]))


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf"])
def test_classification(name):
    a = np.array([1.0, np.nan, np.inf, -np.inf, 0.0], dtype=np.float32)
    check(getattr(cr, name)(cr.tensor(a)), getattr(torch, name)(torch.from_numpy(a)))
    i = np.array([1, 2])
    check(getattr(cr, name)(cr.tensor(i)), getattr(torch, name)(torch.from_numpy(i)))


# ------------------------------------------------------------------------------ bitwise, logical
@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "logical_and",
                                  "logical_or", "logical_xor", "bitwise_left_shift",
                                  "bitwise_right_shift"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@settings(max_examples=10)
@given(data=st.data())
def test_bitwise_and_logical_match_torch(name, dtype, data):
    if "shift" in name and dtype == np.bool_:
        return
    arrays = data.draw(broadcast_arrays(2, low=0, high=4 if "shift" in name else 100,
                                        dtype=np.int64))
    arrays = [a.astype(dtype) for a in arrays]
    (cx, cy), (tx, ty) = pair(arrays)
    check(getattr(cr, name)(cx, cy), getattr(torch, name)(tx, ty))


def test_bitwise_not_logical_not_and_errors():
    i = np.array([-3, 0, 5])
    b = np.array([True, False])
    check(cr.bitwise_not(cr.tensor(i)), torch.bitwise_not(torch.from_numpy(i)))
    check(cr.bitwise_not(cr.tensor(b)), torch.bitwise_not(torch.from_numpy(b)))
    check(~cr.tensor(b), ~torch.from_numpy(b))
    check(cr.logical_not(cr.tensor(i)), torch.logical_not(torch.from_numpy(i)))
    check(cr.logical_and(cr.tensor([0.0, 2.5]), cr.tensor([1, 1])),
          torch.logical_and(torch.tensor([0.0, 2.5]), torch.tensor([1, 1])))
    with pytest.raises(RuntimeError, match="bitwise_and"):
        cr.bitwise_and(cr.tensor([1.5]), cr.tensor([1.0]))
