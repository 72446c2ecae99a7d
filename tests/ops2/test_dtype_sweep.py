"""Dtype sweep against PyTorch: every listed elementwise function and reduction, called on
tensors of each dtype (and, for binary functions, with each dtype or Python scalar as the
second operand). Wherever PyTorch returns a result, chainrule must return one of the same dtype,
shape and values; where PyTorch raises, chainrule may raise or (more leniently) compute.

The sweep found: erf of integers in float64, sign/sgn of booleans failing, any/all of uint8
returning bool, repeat_interleave(counts) in int64 for int32 counts, adjoint of a 0-d tensor
raising, windows refusing a 0-d integer length, ldexp with a narrower floating exponent.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
SCALARS = {"pyint": 2, "pyfloat": 1.5, "pybool": True}

UNARY = """abs neg exp log sqrt sin cos tan tanh sigmoid floor ceil round trunc sign sgn
reciprocal rsqrt square expm1 log1p log2 log10 exp2 erf erfc erfinv lgamma digamma relu frac
positive logical_not bitwise_not isnan isinf isfinite signbit asin acos atan sinh cosh asinh
acosh atanh deg2rad rad2deg i0 nan_to_num fix sinc logit isneginf isposinf isreal absolute
negative arccos arcsin arctan sum prod mean cumsum_0 cumprod_0 amax amin max min argmax argmin
all any count_nonzero std var norm nansum nanmean median nanmedian argsort_ flatten clone
trace diag tril triu logcumsumexp_0 ravel t numel nonzero argwhere adjoint""".split()

BINARY = """add sub mul div true_divide floor_divide remainder fmod pow atan2 maximum minimum fmax
fmin eq ne lt le gt ge logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor
bitwise_left_shift bitwise_right_shift hypot copysign nextafter xlogy ldexp heaviside
float_power logaddexp logaddexp2 gcd lcm isclose equal allclose subtract multiply divide rsub
igamma igammac""".split()


def _make(lib, dtype: str, shape, seed: int):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        a = rng.random(shape) > 0.5
    elif dtype.startswith("int"):
        a = rng.integers(-3, 5, shape)
    elif dtype == "uint8":
        a = rng.integers(0, 5, shape)
    else:
        a = rng.normal(size=shape) * 2
    return lib.tensor(np.asarray(a).astype(dtype))


def _call(lib, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return True, fn(lib)
        except Exception as exc:  # noqa: BLE001  (any failure of PyTorch's is a "raises")
            return False, exc


def _same(expected, got, where: str) -> None:
    if not isinstance(expected, torch.Tensor):
        assert expected == got, f"{where}: PyTorch {expected!r}, chainrule {got!r}"
        return
    assert isinstance(got, cr.Tensor), f"{where}: chainrule returned {type(got).__name__}"
    t_dtype = str(expected.dtype).removeprefix("torch.")
    assert t_dtype == str(np.dtype(cr.backend.numpy_dtype(got.dtype))), \
        f"{where}: PyTorch's dtype {t_dtype}, chainrule's {got.dtype}"
    assert tuple(expected.shape) == tuple(got.shape), f"{where}: shapes differ"
    e, g = expected.detach().numpy(), np.asarray(got.detach().numpy())
    if e.dtype.kind == "f":
        tol = {2: 1e-3, 4: 1e-5, 8: 1e-12}[e.dtype.itemsize]
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol, equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(g, e, err_msg=where)


def _check(fn, where: str) -> None:
    ok, expected = _call(torch, fn)
    if not ok:
        return                                   # PyTorch raises: either behaviour is fine
    ok, got = _call(cr, fn)
    assert ok, f"{where}: PyTorch computes, chainrule raises {got!r}"
    if isinstance(expected, tuple):
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            _same(e, g, f"{where} [{i}]")
    else:
        _same(expected, got, where)


def _unary(name: str):
    base, _, dim = name.rstrip("_").partition("_")
    if name.endswith("_") and not dim:
        return lambda lib, x: getattr(lib, base)(x, dim=-1)
    if dim:
        return lambda lib, x: getattr(lib, base)(x, int(dim))
    return lambda lib, x: getattr(lib, base)(x)


@pytest.mark.parametrize("name", UNARY)
def test_unary_dtypes(name):
    fn = _unary(name)
    for dtype, shape in itertools.product(DTYPES, ((), (3,), (2, 3))):
        _check(lambda lib, dtype=dtype, shape=shape: fn(lib, _make(lib, dtype, shape, 0)),
               f"{name}({dtype}{shape})")


@pytest.mark.parametrize("name", BINARY)
def test_binary_dtypes(name):
    for first, second in itertools.product(DTYPES, DTYPES + tuple(SCALARS)):
        def fn(lib, first=first, second=second):
            a = _make(lib, first, (2, 3), 1)
            b = SCALARS[second] if second in SCALARS else _make(lib, second, (3,), 2)
            return getattr(lib, name)(a, b)
        _check(fn, f"{name}({first}, {second})")


def test_windows_take_a_0d_integer_length():
    for name in ("hann_window", "hamming_window", "blackman_window", "bartlett_window"):
        _check(lambda lib, name=name: getattr(lib, name)(lib.tensor(5)), name)


def test_adjoint_of_a_0d_tensor_is_the_tensor():
    x = cr.tensor(2.0, requires_grad=True)
    with pytest.warns(UserWarning, match="deprecated on 0-D"):
        assert x.adjoint() is x


@pytest.mark.parametrize("name", [n for n in UNARY if "_" not in n and hasattr(torch.Tensor, n)])
def test_unary_methods_dtypes(name):
    for dtype, shape in itertools.product(DTYPES, ((), (2, 3))):
        _check(lambda lib, dtype=dtype, shape=shape: getattr(_make(lib, dtype, shape, 0), name)(),
               f"Tensor.{name}({dtype}{shape})")


@pytest.mark.parametrize("name", "sum prod mean nansum cumsum cumprod".split())
def test_reductions_with_dtype(name):
    for dtype, out in itertools.product(DTYPES, ("int64", "float32", "float64")):
        def fn(lib, dtype=dtype, out=out):
            x = _make(lib, dtype, (2, 3), 3)
            return getattr(lib, name)(x, dim=1, dtype=getattr(lib, out))
        _check(fn, f"{name}({dtype}, dtype={out})")


@pytest.mark.parametrize("name", BINARY[:30])
def test_binary_in_place_dtypes(name):
    if not hasattr(torch.Tensor, name + "_"):
        pytest.skip(f"PyTorch has no Tensor.{name}_")
    for first, second in itertools.product(DTYPES, DTYPES + tuple(SCALARS)):
        def fn(lib, first=first, second=second):
            a = _make(lib, first, (2, 3), 1)
            b = SCALARS[second] if second in SCALARS else _make(lib, second, (3,), 2)
            getattr(a, name + "_")(b)
            return a
        _check(fn, f"Tensor.{name}_({first}, {second})")
