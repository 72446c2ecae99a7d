"""repr/str/print of tensors: the same text as PyTorch's, character for character.

Every test builds the same values in both libraries and compares ``repr``; the only differences
allowed are the library's own names: the dtype (``dtype=torch.float64`` is ``dtype=float64``,
``str(x.dtype)`` in each library) and the primitive named by ``grad_fn``. Print options are set
the same way in both and restored to the defaults after each test.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import tensor_format

FLOAT_DTYPES = ["float16", "float32", "float64"]
INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8"]
COMPLEX_DTYPES = ["complex64", "complex128"]
ALL_DTYPES = FLOAT_DTYPES + INT_DTYPES + COMPLEX_DTYPES + ["bool"]


@pytest.fixture(autouse=True)
def _default_printoptions():
    torch.set_printoptions(profile="default")
    cr.set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    cr.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)
    cr.set_default_dtype(cr.float32)


def torch_text(t: torch.Tensor) -> str:
    """PyTorch's repr with its library name in the dtype taken away (chainrule's dtypes print
    as NumPy's: ``float64``)."""
    return repr(t).replace("dtype=torch.", "dtype=")


def both(array: np.ndarray, requires_grad: bool = False):
    array = np.asarray(array)
    t = torch.from_numpy(array.copy())
    c = cr.tensor(array.copy(), dtype=getattr(cr, array.dtype.name))
    if requires_grad:
        t.requires_grad_(True)
        c.requires_grad_(True)
    return t, c


def check(array: np.ndarray, requires_grad: bool = False) -> None:
    t, c = both(array, requires_grad)
    expected = torch_text(t)
    assert repr(c) == expected, f"\nchainrule:\n{c!r}\nPyTorch:\n{expected}"
    assert str(c) == expected


def set_both(**options) -> None:
    torch.set_printoptions(**options)
    cr.set_printoptions(**options)


# ------------------------------------------------------------------------------ strategies
SPECIAL = [np.nan, np.inf, -np.inf, -0.0, 0.0]


@st.composite
def shapes(draw, max_dims: int = 4):
    ndim = draw(st.integers(0, max_dims))
    return tuple(draw(st.lists(st.integers(0, 5), min_size=ndim, max_size=ndim)))


@st.composite
def float_values(draw, shape, dtype: str) -> np.ndarray:
    """Values of one magnitude class: integral, of one scale (tiny to huge), mixed scales, with
    or without nan/inf/±0 sprinkled in."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["integral", "scaled", "mixed", "special"]))
    if kind == "integral":
        values = rng.integers(-1000, 1000, shape).astype(np.float64)
        values *= 10.0 ** draw(st.integers(0, 9))
    elif kind == "scaled":
        values = rng.standard_normal(shape) * 10.0 ** draw(st.integers(-12, 12))
    elif kind == "mixed":
        values = rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 9, shape)
    else:
        values = rng.standard_normal(shape) * 10.0 ** draw(st.integers(-3, 3))
    if draw(st.booleans()) and values.size:
        mask = rng.random(shape) < 0.3
        values = np.where(mask, rng.choice(SPECIAL, shape), values)
    with np.errstate(over="ignore"):
        return values.astype(dtype)


@st.composite
def arrays(draw, dtype: str, shape) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        span = draw(st.sampled_from([10, 1000, None]))
        low, high = int(info.min), int(info.max)         # the whole range, or ±span
        if span is not None:
            low, high = max(low, -span), min(high, span)
        return rng.integers(low, high, shape, endpoint=True, dtype=dtype)
    if dtype in COMPLEX_DTYPES:
        part = "float32" if dtype == "complex64" else "float64"
        real = draw(float_values(shape, part))
        imag = draw(float_values(shape, part))
        out = np.empty(real.shape, dtype=dtype)
        out.real, out.imag = real, imag
        return out
    return draw(float_values(shape, dtype))


OPTIONS = st.fixed_dictionaries({}, optional={
    "precision": st.integers(0, 8),
    "threshold": st.integers(1, 60),
    "edgeitems": st.integers(0, 4),
    "linewidth": st.integers(10, 150),
    "sci_mode": st.sampled_from([True, False]),
    "profile": st.sampled_from(["default", "short", "full"]),
})


# ------------------------------------------------------------------------------ the sweeps
@settings(max_examples=300)
@given(st.data(), st.sampled_from(ALL_DTYPES), shapes())
def test_repr_matches_pytorch(data, dtype, shape):
    check(data.draw(arrays(dtype, shape)))


@settings(max_examples=200)
@given(st.data(), st.sampled_from(ALL_DTYPES), shapes(), OPTIONS)
def test_repr_with_printoptions_matches_pytorch(data, dtype, shape, options):
    set_both(**options)
    try:
        check(data.draw(arrays(dtype, shape)))
    finally:
        set_both(profile="default")


@settings(max_examples=60)
@given(st.data(), st.sampled_from(["float32", "float64"]), shapes(),
       st.one_of(st.just({}), OPTIONS))
def test_requires_grad_suffix_matches_pytorch(data, dtype, shape, options):
    set_both(**options)
    try:
        check(data.draw(arrays(dtype, shape)), requires_grad=True)
    finally:
        set_both(profile="default")


LARGE = [(1001,), (2000,), (40, 30), (3, 400), (400, 3), (2, 3, 200), (7, 8, 9, 3), (12, 1, 90)]


@settings(max_examples=40)
@given(st.data(), st.sampled_from(ALL_DTYPES), st.sampled_from(LARGE))
def test_summarised_repr_matches_pytorch(data, dtype, shape):
    check(data.draw(arrays(dtype, shape)))


# ------------------------------------------------------------------------------ fixed cases
@pytest.mark.parametrize("values", [
    [[3.0, 4.2469], [6.0, 8.0]], [1.0, 2.0], [0.0, -0.0], [-0.0, 1.0], [np.nan, 1.0],
    [np.inf, -np.inf, np.nan], [1e-5, 1.0], [1e8, 1.0], [1e9], [123456.0], [0.1, 1000.0],
    [0.1, 100.0], [1.5, np.nan, -np.inf], [1e-300, 1e300], [5e-324], 3.5, -0.0, np.nan, 7.0,
    [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.5, 8.0]]], [[[[1.0]]]],
])
def test_float_cases(values):
    check(np.asarray(values, dtype=np.float32))
    check(np.asarray(values, dtype=np.float64))


@pytest.mark.parametrize("values", [
    [1 + 2j, 3 - 0.5j], [0j], [complex(0, -0.0)], [complex(np.nan, np.inf)], [1e-6 + 1e6j],
    2 - 3j, [[1j, 2], [3, 4 + 1e-3j]],
])
def test_complex_cases(values):
    check(np.asarray(values, dtype=np.complex64))
    check(np.asarray(values, dtype=np.complex128))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 4), (3, 0)])
def test_empty(dtype, shape):
    check(np.zeros(shape, dtype=dtype))


def test_examples_from_the_brief():
    assert repr(cr.tensor([[3.0, 4.2469], [6.0, 8.0]])) == (
        "tensor([[3.0000, 4.2469],\n        [6.0000, 8.0000]])")
    assert repr(cr.arange(2000.0)) == (
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])")
    assert repr(cr.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(cr.tensor(True)) == "tensor(True)"


def test_grad_fn_suffix():
    x = cr.tensor([1.5, -2.0], requires_grad=True)
    y = x * 2
    assert repr(y) == "tensor([ 3., -4.], grad_fn=<multiply>)"
    assert str(y) == repr(y)
    assert repr(y.detach()) == "tensor([ 3., -4.])"


@pytest.mark.parametrize("rows", [1, 3, 30])
def test_suffix_wrapping_matches_pytorch(rows):
    """The suffix rule, with PyTorch's own grad_fn name passed in: a suffix that would pass the
    line width starts a new line, indented as ``tensor(``."""
    t = torch.linspace(-3, 3, rows * 7, dtype=torch.float64).reshape(rows, 7).requires_grad_()
    y = t * 2
    c = cr.tensor(y.detach().numpy())
    body = tensor_format.values_text(c._data)
    suffixes = ["dtype=torch.float64", f"grad_fn=<{type(y.grad_fn).__name__}>"]
    assert tensor_format.with_suffixes("tensor(" + body, suffixes, 7) == repr(y)


def test_parameter_and_buffer():
    p_t = torch.nn.Parameter(torch.tensor([[1.0, 2.5], [3.0, 4.0]]))
    p_c = cr.nn.Parameter(cr.tensor([[1.0, 2.5], [3.0, 4.0]]))
    assert repr(p_c) == repr(p_t) == str(p_c)
    assert repr(cr.nn.Parameter(cr.ones(3), requires_grad=False)) == repr(
        torch.nn.Parameter(torch.ones(3), requires_grad=False))
    assert repr(cr.nn.Buffer(cr.arange(3))) == repr(torch.nn.Buffer(torch.arange(3)))


def test_default_dtype_float64():
    torch.set_default_dtype(torch.float64)
    cr.set_default_dtype(cr.float64)
    for dtype in ["float32", "float64", "complex64", "complex128", "int64", "int32", "bool"]:
        check(np.arange(4).astype(dtype))
        check(np.zeros((0,), dtype=dtype))


def test_printoptions_and_profiles():
    set_both(precision=2)
    assert repr(cr.tensor([1.12345])) == "tensor([1.12])"
    set_both(threshold=5)
    assert repr(cr.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])" == repr(torch.arange(10))
    set_both(profile="default")
    assert repr(cr.tensor([1.12345])) == "tensor([1.1235])"
    set_both(profile="full")
    check(np.arange(3000.0))
    set_both(profile="short")
    check(np.linspace(0, 1, 2000))
    set_both(profile="no such profile")      # ignored, as PyTorch ignores it
    check(np.linspace(0, 1, 2000))
    set_both(sci_mode=True)
    check(np.array([1.0, 2.5]))
    set_both(sci_mode=False)
    check(np.array([1e-9, 2.5e9]))
    set_both(edgeitems=0, threshold=3)
    check(np.arange(10.0).reshape(2, 5))
    check(np.arange(10.0))


def test_printoptions_context_manager_restores():
    before = tensor_format.get_printoptions()
    with tensor_format.printoptions(precision=1, linewidth=20):
        assert repr(cr.tensor([1.25])) == "tensor([1.2])"
    assert tensor_format.get_printoptions() == before


def test_summarised_tensor_is_not_converted_whole(monkeypatch):
    """Only the shown entries are formatted: a summarised tensor's strings number 2·edgeitems
    per cut dimension."""
    seen = []
    original = tensor_format._Format.__init__

    def spy(self, values, *args):
        seen.append(values.size)
        original(self, values, *args)

    monkeypatch.setattr(tensor_format._Format, "__init__", spy)
    repr(cr.zeros(1000, 1000))
    assert seen == [36]


@pytest.mark.parametrize("shape", [(30, 100), (2, 3), (0, 2), (), (5, 10, 100)])
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool", "complex128"])
def test_array_of_another_library(shape, dtype):
    """A tensor holding another library's array (array_api_strict, standing in for CuPy) prints
    as PyTorch prints the same values; a summarised one is cut on that library's array."""
    xs = pytest.importorskip("array_api_strict")
    array = np.asarray((np.arange(int(np.prod(shape))).reshape(shape) % 7).astype(dtype))
    c = cr.tensor(array.copy())
    c._data = xs.asarray(array)
    assert repr(c) == torch_text(torch.from_numpy(array))


def test_device_suffix(monkeypatch):
    """Off the CPU the device comes first among the suffixes, as PyTorch writes
    ``tensor([1., 1.], device='cuda:0', dtype=torch.float64, requires_grad=True)``."""
    monkeypatch.setattr(cr.Tensor, "device", property(lambda self: cr.device("cuda:0")))
    x = cr.ones(2, dtype=cr.float64, requires_grad=True)
    assert repr(x) == "tensor([1., 1.], device='cuda:0', dtype=float64, requires_grad=True)"
    assert repr(cr.zeros(0, 2)) == "tensor([], device='cuda:0', size=(0, 2))"
