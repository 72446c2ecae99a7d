"""After ``manual_seed(s)`` chainrule's layers hold PyTorch's initial parameters, bit for bit.

``torch.manual_seed(s); t = torch.nn.X(...)`` and ``cr.manual_seed(s); c = cr.nn.X(...)`` give
equal state_dicts (``np.array_equal``, float32 and float64), and the generator is left in the
same place (the next draws agree). The same holds for every ``nn.init`` function and every
in-place sampler of a Tensor on float32 and float64 (and float16) tensors of sizes below and
above 16 (the normal sampler's two paths), contiguous or transposed.

The one exception is ``nn.init.orthogonal_``: its normal draws are PyTorch's, but the QR
factorisation of them is NumPy's LAPACK, whose Householder reflections do not round as PyTorch's
(MKL's) do, so Q agrees with PyTorch's to a few units in the last place (bound below), not bit
for bit.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import random as cr_random
from chainrule.ops.rounding import fused_multiply_add

SEEDS = [0, 1, 7, 2024]


def _both(seed, build):
    """``build(L)`` after ``L.manual_seed(seed)`` in each library, and the next draws of each
    (a float32 normal block, float64 normals through the cache, uniform words)."""
    out = []
    for L in (torch, cr):
        L.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            made = build(L)
        after = (L.randn(17).numpy(), L.randn(3, dtype=L.float64).numpy(), L.rand(5).numpy())
        out.append((made, after))
    return out


def _assert_same_stream(theirs, mine):
    for a, b in zip(theirs, mine):
        assert np.array_equal(a, b), "the random stream is out of step after construction"


def _state(module):
    return {k: np.asarray(v.detach().numpy()) for k, v in module.state_dict().items()}


def _lazy(name, *args, shape):
    def build(L):
        module = getattr(L.nn, name)(*args)
        module(L.ones(*shape))          # lazy modules draw their parameters at the first call
        return module
    return build


LAYERS = {
    "Linear 5→7": lambda L: L.nn.Linear(5, 7),
    "Linear 50→30": lambda L: L.nn.Linear(50, 30),
    "Linear no bias": lambda L: L.nn.Linear(4, 3, bias=False),
    "Linear float64": lambda L: L.nn.Linear(6, 5, dtype=L.float64),
    "Bilinear": lambda L: L.nn.Bilinear(3, 4, 5),
    "Bilinear no bias": lambda L: L.nn.Bilinear(3, 4, 5, bias=False),
    "Conv1d": lambda L: L.nn.Conv1d(3, 8, 3),
    "Conv2d": lambda L: L.nn.Conv2d(3, 8, 3),
    "Conv2d groups": lambda L: L.nn.Conv2d(4, 8, 3, groups=2, bias=False),
    "Conv3d": lambda L: L.nn.Conv3d(2, 4, 3),
    "ConvTranspose1d": lambda L: L.nn.ConvTranspose1d(3, 8, 3),
    "ConvTranspose2d": lambda L: L.nn.ConvTranspose2d(4, 6, 3, groups=2),
    "ConvTranspose3d": lambda L: L.nn.ConvTranspose3d(2, 4, 3),
    "Embedding 3×5 (15 normals)": lambda L: L.nn.Embedding(3, 5),
    "Embedding 10×4 (40 normals)": lambda L: L.nn.Embedding(10, 4),
    "Embedding 64×33 float64": lambda L: L.nn.Embedding(64, 33, dtype=L.float64),
    "Embedding padding_idx": lambda L: L.nn.Embedding(10, 4, padding_idx=2),
    "EmbeddingBag": lambda L: L.nn.EmbeddingBag(10, 4, mode="sum", padding_idx=1),
    "RNN": lambda L: L.nn.RNN(4, 6, 2),
    "RNN relu no bias": lambda L: L.nn.RNN(3, 5, 2, nonlinearity="relu", bias=False),
    "LSTM bidirectional": lambda L: L.nn.LSTM(4, 6, 2, bidirectional=True),
    "LSTM proj_size": lambda L: L.nn.LSTM(4, 6, 1, proj_size=3),
    "GRU": lambda L: L.nn.GRU(3, 5, 2, bidirectional=True, batch_first=True),
    "RNNCell": lambda L: L.nn.RNNCell(4, 6),
    "LSTMCell": lambda L: L.nn.LSTMCell(4, 6),
    "GRUCell": lambda L: L.nn.GRUCell(4, 6),
    "MultiheadAttention": lambda L: L.nn.MultiheadAttention(8, 2),
    "MultiheadAttention no bias": lambda L: L.nn.MultiheadAttention(8, 2, bias=False),
    "MultiheadAttention kdim/vdim, bias_kv": lambda L: L.nn.MultiheadAttention(
        8, 2, kdim=5, vdim=6, add_bias_kv=True),
    "TransformerEncoderLayer": lambda L: L.nn.TransformerEncoderLayer(8, 2, 16),
    "TransformerDecoderLayer": lambda L: L.nn.TransformerDecoderLayer(8, 2, 16),
    "TransformerEncoder": lambda L: L.nn.TransformerEncoder(
        L.nn.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False),
    "TransformerDecoder": lambda L: L.nn.TransformerDecoder(
        L.nn.TransformerDecoderLayer(8, 2, 16), 2),
    "Transformer": lambda L: L.nn.Transformer(8, 2, 1, 1, 16),
    "Transformer batch_first norm_first": lambda L: L.nn.Transformer(
        8, 2, 2, 2, 16, batch_first=True, norm_first=True),
    "PReLU": lambda L: L.nn.PReLU(3),
    "BatchNorm2d": lambda L: L.nn.BatchNorm2d(3),
    "LayerNorm": lambda L: L.nn.LayerNorm(3),
    "GroupNorm": lambda L: L.nn.GroupNorm(2, 4),
    "InstanceNorm2d affine": lambda L: L.nn.InstanceNorm2d(3, affine=True),
    "LazyLinear": _lazy("LazyLinear", 7, shape=(2, 5)),
    "LazyConv1d": _lazy("LazyConv1d", 4, 3, shape=(1, 3, 6)),
    "LazyConv2d": _lazy("LazyConv2d", 4, 3, shape=(1, 3, 6, 6)),
    "LazyConvTranspose2d": _lazy("LazyConvTranspose2d", 4, 3, shape=(1, 3, 6, 6)),
    "LazyBatchNorm1d": _lazy("LazyBatchNorm1d", shape=(2, 3)),
    "AdaptiveLogSoftmaxWithLoss": lambda L: L.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 10]),
    "AdaptiveLogSoftmaxWithLoss head_bias": lambda L: L.nn.AdaptiveLogSoftmaxWithLoss(
        16, 40, [10, 20, 30], div_value=2.0, head_bias=True),
    "a CNN": lambda L: L.nn.Sequential(L.nn.Conv2d(1, 8, 3), L.nn.ReLU(), L.nn.Flatten(),
                                       L.nn.Linear(8 * 26 * 26, 10)),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_parameters_are_pytorchs_bit_for_bit(name, seed):
    (theirs, t_after), (mine, c_after) = _both(seed, LAYERS[name])
    t_state, c_state = _state(theirs), _state(mine)
    assert list(c_state) == list(t_state)
    for key, value in t_state.items():
        assert c_state[key].dtype == value.dtype, key
        assert np.array_equal(c_state[key], value), f"{name}: {key} differs from PyTorch's"
    _assert_same_stream(t_after, c_after)


# ------------------------------------------------------------------------------ nn.init
SHAPES = [(16,), (3, 5), (4, 4), (7, 9), (30, 20), (8, 3, 3, 3), (5, 2, 3)]
MATRICES = [s for s in SHAPES if len(s) >= 2]
DTYPES = ["float32", "float64"]

INITS = {
    "uniform_": (lambda L, t: L.nn.init.uniform_(t, -0.2, 0.9), SHAPES),
    "uniform_ default": (lambda L, t: L.nn.init.uniform_(t), SHAPES),
    "normal_": (lambda L, t: L.nn.init.normal_(t, 0.2, 0.9), SHAPES),
    "xavier_uniform_": (lambda L, t: L.nn.init.xavier_uniform_(t, gain=1.7), MATRICES),
    "xavier_normal_": (lambda L, t: L.nn.init.xavier_normal_(t, gain=0.3), MATRICES),
    "kaiming_uniform_": (lambda L, t: L.nn.init.kaiming_uniform_(t, a=5 ** 0.5), MATRICES),
    "kaiming_uniform_ fan_out relu": (lambda L, t: L.nn.init.kaiming_uniform_(
        t, mode="fan_out", nonlinearity="relu"), MATRICES),
    "kaiming_normal_": (lambda L, t: L.nn.init.kaiming_normal_(t), MATRICES),
    "kaiming_normal_ fan_out tanh": (lambda L, t: L.nn.init.kaiming_normal_(
        t, mode="fan_out", nonlinearity="tanh"), MATRICES),
    "trunc_normal_ (normal redraws)": (lambda L, t: L.nn.init.trunc_normal_(
        t, 0.1, 1.0, -1.5, 1.0), SHAPES),
    "trunc_normal_ (uniform rejection)": (lambda L, t: L.nn.init.trunc_normal_(
        t, 0.0, 1.0, 2.0, 2.5), SHAPES),
    "sparse_": (lambda L, t: L.nn.init.sparse_(t, 0.3, 0.05), [(3, 5), (4, 4), (30, 20)]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(INITS))
def test_init_functions_are_pytorchs_bit_for_bit(name, dtype):
    init, shapes = INITS[name]
    for seed in SEEDS[:3]:
        for shape in shapes:
            (theirs, t_after), (mine, c_after) = _both(
                seed, lambda L, shape=shape: init(L, L.empty(*shape, dtype=getattr(L, dtype))))
            assert np.array_equal(mine.numpy(), theirs.numpy()), (name, dtype, shape, seed)
            _assert_same_stream(t_after, c_after)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(INITS))
def test_init_functions_on_a_transposed_tensor(name, dtype):
    """A transposed view is filled in memory order, and its normals take PyTorch's pair path
    (a non-contiguous tensor): trunc_normal_'s and sparse_'s scratch tensors keep the layout."""
    init, _ = INITS[name]
    for shape in [(7, 9), (4, 4), (20, 3)]:
        out = []
        for L in (torch, cr):
            L.manual_seed(11)
            base = L.zeros(*shape, dtype=getattr(L, dtype))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                init(L, base.T)
            out.append((base.numpy(), L.randn(3, dtype=L.float64).numpy()))
        (theirs, t_next), (mine, c_next) = out
        assert np.array_equal(mine, theirs), (name, shape)
        assert np.array_equal(c_next, t_next)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "kaiming_normal_",
                                  "trunc_normal_", "orthogonal_", "sparse_"])
def test_init_functions_take_a_generator(name, dtype):
    """``generator=`` (PyTorch 2.13's keyword) draws from that generator, not the default."""
    out = []
    for L in (torch, cr):
        L.manual_seed(99)
        g = L.Generator().manual_seed(5)
        t = L.empty(6, 5, dtype=getattr(L, dtype))
        args = (0.3,) if name == "sparse_" else ()
        getattr(L.nn.init, name)(t, *args, generator=g)
        out.append((t.numpy(), L.rand(3).numpy()))
    (theirs, t_next), (mine, c_next) = out
    if name == "orthogonal_":
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=32 * np.finfo(dtype).eps)
    else:
        assert np.array_equal(mine, theirs)
    assert np.array_equal(c_next, t_next)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_matches_pytorch_to_a_few_ulps(dtype, gain):
    """The draws are PyTorch's and the stream stays in step; Q differs from PyTorch's by QR
    rounding only (NumPy's LAPACK vs PyTorch's MKL): here at most 32 units of the dtype's
    epsilon times the gain (the largest seen over these shapes and seeds is about 28)."""
    eps = np.finfo(dtype).eps
    for seed in SEEDS:
        for shape in MATRICES + [(64, 64), (2, 100)]:
            (theirs, t_after), (mine, c_after) = _both(
                seed, lambda L, shape=shape: L.nn.init.orthogonal_(
                    L.empty(*shape, dtype=getattr(L, dtype)), gain=gain))
            np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=0,
                                       atol=32 * eps * gain)
            _assert_same_stream(t_after, c_after)


def test_xavier_bound_is_computed_in_pytorchs_order():
    """a = √3·(gain·√(2/(fan_in + fan_out))), not gain·√(6/(…)): the two can round apart."""
    for fan_in, fan_out in [(3, 5), (7, 9), (30, 20), (1, 2), (100, 3)]:
        out = []
        for L in (torch, cr):
            L.manual_seed(0)
            out.append(L.nn.init.xavier_uniform_(L.empty(fan_out, fan_in, dtype=L.float64),
                                                 gain=1.3).numpy())
        assert np.array_equal(out[0], out[1])


# ------------------------------------------------------------------------------ Tensor samplers
SAMPLERS = {
    "uniform_": lambda t: t.uniform_(-0.3, 0.7),
    "normal_": lambda t: t.normal_(0.5, 2.0),
    "normal_ far mean": lambda t: t.normal_(1e3, 1e-3),
    "random_": lambda t: t.random_(0, 10),
    "exponential_": lambda t: t.exponential_(1.5),
    "bernoulli_": lambda t: t.bernoulli_(0.3),
    "cauchy_": lambda t: t.cauchy_(0.5, 2.0),
    "log_normal_": lambda t: t.log_normal_(0.5, 0.7),
    "geometric_": lambda t: t.geometric_(0.3),
}
SIZES = [(5,), (15,), (16,), (17,), (33,), (7, 9), (1000,)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SAMPLERS))
def test_tensor_samplers_are_pytorchs_bit_for_bit(name, dtype):
    for seed in SEEDS:
        for shape in SIZES:
            (theirs, t_after), (mine, c_after) = _both(
                seed,
                lambda L, shape=shape: SAMPLERS[name](L.empty(*shape, dtype=getattr(L, dtype))))
            assert np.array_equal(mine.numpy(), theirs.numpy()), (name, dtype, shape, seed)
            _assert_same_stream(t_after, c_after)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["normal_", "cauchy_", "log_normal_", "uniform_"])
def test_tensor_samplers_on_a_transposed_tensor(name, dtype):
    """A non-contiguous tensor: drawn in memory order (normal_: the one-pair-at-a-time path)."""
    for shape in [(7, 9), (4, 4), (20, 3)]:
        (theirs, t_after), (mine, c_after) = _both(
            3, lambda L, shape=shape: SAMPLERS[name](L.empty(*shape, dtype=getattr(L, dtype)).T))
        assert np.array_equal(mine.numpy(), theirs.numpy())
        _assert_same_stream(t_after, c_after)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_geometric_fills_integer_tensors(dtype):
    (theirs, _), (mine, _) = _both(4, lambda L: L.empty(40, dtype=getattr(L, dtype))
                                   .geometric_(0.2))
    assert mine.dtype == cr.__dict__[dtype] and np.array_equal(mine.numpy(), theirs.numpy())


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2 ** 32 - 1),
       mean=st.floats(-10, 10), std=st.floats(1e-3, 10))
def test_float32_normals_of_any_size_are_pytorchs(n, seed, mean, std):
    """The 16-block fill (PyTorch's AVX2/AVX-512 float32 log, sin, cos) and the pair path."""
    (theirs, t_after), (mine, c_after) = _both(
        seed, lambda L: L.empty(n).normal_(mean, std))
    assert np.array_equal(mine.numpy(), theirs.numpy())
    _assert_same_stream(t_after, c_after)


@pytest.mark.parametrize(("call", "message"), [
    (lambda t: t.cauchy_(0.0, 0.0), "sigma > 0.0"),
    (lambda t: t.log_normal_(1.0, 0.0), "std > 0.0"),
    (lambda t: t.geometric_(1.0), r"p to be in \(0, 1\)"),
    (lambda t: t.geometric_(0.0), r"p to be in \(0, 1\)"),
    (lambda t: t.exponential_(0.0), "lambda > 0.0"),
    (lambda t: t.uniform_(1.0, 0.0), r"\[from, to\) range"),
])
def test_sampler_argument_errors(call, message):
    for L in (torch, cr):
        with pytest.raises(RuntimeError, match=message):
            call(L.empty(3))


def test_cauchy_and_log_normal_need_a_floating_tensor():
    for name in ("cauchy_", "log_normal_"):
        with pytest.raises((RuntimeError, NotImplementedError)):
            getattr(cr.empty(3, dtype=cr.int64), name)()


# ------------------------------------------------------------------------------ the float32 FMA
def test_fast_float32_fma_rounds_once():
    """random.py's float32 a·b + c (double sum, then the rare halfway cases exactly) equals
    ops/rounding.py's exact fused multiply–add, ties and tiny results included."""
    rng = np.random.default_rng(0)
    for _ in range(5):
        size = 100_000
        a = (rng.standard_normal(size) * 10.0 ** rng.integers(-20, 20, size)).astype(np.float32)
        b = rng.standard_normal(size).astype(np.float32)
        c = (rng.standard_normal(size) * 10.0 ** rng.integers(-20, 20, size)).astype(np.float32)
        assert np.array_equal(cr_random._fma32(a, b, c),
                              fused_multiply_add(a, b, c, np.float32).astype(np.float32))
    one_ulp = np.float32(1 + 2 ** -23)
    a = np.full(3, one_ulp)         # (1 + 2⁻²³)² = 1 + 2⁻²² + 2⁻⁴⁶: just above a halfway point
    c = np.array([0.0, -1e-38, 2 ** -24], dtype=np.float32)
    assert np.array_equal(cr_random._fma32(a, a, c),
                          fused_multiply_add(a, a, c, np.float32).astype(np.float32))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p_dtype", DTYPES)
def test_bernoulli_with_a_tensor_of_probabilities(dtype, p_dtype):
    """u in double for double probabilities, else in float (PyTorch's bernoulli_(p tensor))."""
    probs = np.random.default_rng(0).random((4, 7)).astype(p_dtype)
    for seed in SEEDS:
        (theirs, _), (mine, _) = _both(seed, lambda L: L.empty(4, 7, dtype=getattr(L, dtype))
                                       .bernoulli_(L.tensor(probs)))
        assert np.array_equal(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "float32", "float64"])
@pytest.mark.parametrize("args", [(), (7,), (-3, 1000)])
def test_random_over_the_dtypes_range_and_bounds(dtype, args):
    for seed in SEEDS:
        (theirs, t_after), (mine, c_after) = _both(
            seed, lambda L: L.empty(20, dtype=getattr(L, dtype)).random_(*args))
        assert np.array_equal(mine.numpy(), theirs.numpy())
        _assert_same_stream(t_after, c_after)


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_float16_samplers_are_pytorchs_bit_for_bit(name):
    """float16: normals of 16 or more as float32 blocks (uniforms for the whole blocks only,
    then the last 16 redrawn) rounded to half; the others as for float32, rounded."""
    for seed in SEEDS[:2]:
        for shape in SIZES:
            (theirs, t_after), (mine, c_after) = _both(
                seed, lambda L, shape=shape: SAMPLERS[name](L.empty(*shape, dtype=L.float16)))
            assert np.array_equal(mine.numpy(), theirs.numpy()), (name, shape, seed)
            _assert_same_stream(t_after, c_after)
