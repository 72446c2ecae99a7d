"""Each family of primitives exported on its own (a small module per case) runs in onnxruntime
with chainrule's outputs: activations, elementwise arithmetic and functions, reductions,
movement and indexing, convolutions and pools, normalizations, products, embedding, recurrent
layers with given initial states. Most cases run with a dynamic batch axis, exported at one
batch size and run at another; the ONNX operators each writes are checked too."""
from __future__ import annotations

import numpy as np
import pytest
from export_helpers import Lambda, assert_runs_like_chainrule, exported, op_types

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn


def rand(*shape, seed=0, domain=None):
    """Normal numbers; |x| + ½ for domain 'positive', 0.9·tanh(x) for 'unit'."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    if domain == "positive":
        x = np.abs(x) + 0.5
    elif domain == "unit":
        x = (np.tanh(x) * 0.9).astype(np.float32)
    return cr.tensor(x)


def token_ids(n, seed=0):
    return cr.tensor(np.random.default_rng(seed).integers(0, 30, (n, 5)))


def case(name, fn, shape=(2, 3, 4), ops=(), opsets=(17,), domain=None, batch=True, **modules):
    return pytest.param(fn, shape, set(ops), opsets, domain, batch, modules, id=name)


CASES = [
    # ---------------------------------------------------------------- activations
    case("relu-sigmoid-tanh", lambda m, x: x.relu() + x.sigmoid() * x.tanh(),
         ops=("Relu", "Sigmoid", "Tanh")),
    case("leaky-elu", lambda m, x: F.leaky_relu(x, 0.2) - F.elu(x, 0.7),
         ops=("LeakyRelu", "Elu")),
    case("gelu", lambda m, x: F.gelu(x) + F.gelu(x, approximate="tanh"), opsets=(17, 20)),
    case("silu-softplus-logsigmoid",
         lambda m, x: F.silu(x) + F.softplus(x, beta=2.0, threshold=1.0) + F.logsigmoid(x),
         ops=("Softplus",)),
    case("hard", lambda m, x: F.hardtanh(x, -0.5, 0.5) + F.hardsigmoid(x) + F.hardswish(3 * x),
         opsets=(13, 17), ops=("Clip", "HardSigmoid")),
    case("mish", lambda m, x: F.mish(x), opsets=(17, 18)),
    case("nan_to_num", lambda m, x: cr.nan_to_num(x.log(), nan=0.5)            # NaN below 0
         + cr.nan_to_num(1.0 / (x * 0), posinf=2.0, neginf=-3.0)                # ±∞ by sign
         + cr.nan_to_num(1.0 / (x * 0)) * 1e-38, ops=("IsNaN", "IsInf", "Where")),
    case("logit", lambda m, x: cr.logit(x, eps=0.2) + cr.logit(x.abs() * 0.5 + 0.25),
         domain="unit", ops=("Clip", "Log")),
    case("softmax", lambda m, x: F.softmax(x, dim=1) * F.log_softmax(x, dim=-1),
         ops=("Softmax", "LogSoftmax")),
    case("modules", lambda m, x: m.seq(x), seq=nn.Sequential(
        nn.ReLU(), nn.LeakyReLU(0.1), nn.ELU(), nn.SiLU(), nn.Hardswish(), nn.GELU(),
        nn.Tanh(), nn.Sigmoid(), nn.Dropout(0.5), nn.Softmax(dim=-1))),
    # ---------------------------------------------------------------- elementwise
    case("arithmetic", lambda m, x: (x + 1.5) * x - x / (x.abs() + 1) - 2 ** x + x ** 2,
         ops=("Add", "Mul", "Sub", "Div", "Pow", "Abs")),
    case("broadcast", lambda m, x: x * m.scale + m.shift - x.mean(dim=-1, keepdim=True),
         scale=nn.Parameter(cr.tensor(np.linspace(0.5, 2, 4).astype(np.float32))),
         shift=nn.Parameter(cr.ones(3, 1))),
    case("functions", lambda m, x: x.exp() + x.log() + x.sqrt() + x.sin() * x.cos() - x.rsqrt()
         + cr.log1p(x) + cr.expm1(x) + cr.log2(x) + cr.log10(x) + x.reciprocal(),
         domain="positive"),
    case("inverse-trig", lambda m, x: cr.asin(x) + cr.acos(x) + cr.atan(x) + cr.atanh(x)
         + cr.asinh(x) + cr.sinh(x) + cr.cosh(x) + cr.tan(x) + cr.erf(x) + cr.erfc(x),
         domain="unit", shape=(2, 5)),
    case("rounding", lambda m, x: (3 * x).floor() + (3 * x).ceil() + (3 * x).round()
         + (3 * x).trunc() + x.sign(), ops=("Floor", "Ceil", "Round", "Sign")),
    case("max-min-clamp-where", lambda m, x: cr.maximum(x, -x.tanh()) + cr.minimum(x, 0.3)
         + x.clamp(-0.5, 0.5) + x.clamp(max=0.2) + cr.where(m.mask, x, 2.0),
         mask=cr.tensor(np.array([True, False, True, False])), ops=("Max", "Min", "Clip")),
    case("remainder-floor-divide", lambda m, x: cr.remainder(3 * x, 0.7) + cr.fmod(3 * x, -0.7)
         + cr.floor_divide(3 * x, 0.6) + cr.div(3 * x, 0.6, rounding_mode="trunc")),
    case("integer-input", lambda m, ids: ids * 0.5 + (ids // 3) + ids % 4 - ids.float(),
         shape="ids"),
    # ---------------------------------------------------------------- reductions
    case("reductions", lambda m, x: x.sum(dim=1) + x.mean(dim=(1,)) + x.amax(dim=1)
         + x.amin(dim=1) + x.prod(dim=1) + x.var(dim=1) + x.std(dim=1, correction=0)
         + cr.logsumexp(x, dim=1), ops=("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
                                        "ReduceProd", "ReduceLogSumExp"), opsets=(13, 18)),
    case("reduce-all-and-norms", lambda m, x: x * x.sum() + x.max() + cr.linalg.vector_norm(
        x, dim=-1, keepdim=True) + cr.linalg.vector_norm(x, ord=1, dim=-1, keepdim=True)
        + cr.linalg.vector_norm(x, ord=3, dim=-1, keepdim=True)
        + cr.linalg.vector_norm(x, ord=float("inf"), dim=-1, keepdim=True), batch=False),
    case("cumsum", lambda m, x: x.cumsum(dim=2), ops=("CumSum",)),
    case("nansum", lambda m, x: cr.nansum(cr.where(x > 0.5, float("nan"), x), dim=1)
         + x.nansum(), ops=("IsNaN", "ReduceSum"), opsets=(13, 18)),
    # ---------------------------------------------------------------- movement, indexing
    case("reshape-permute", lambda m, x: x.view(x.shape[0], -1).reshape(-1, 2, 6)
         .permute(2, 0, 1).transpose(0, 1).flatten(1), ops=("Reshape", "Transpose")),
    case("squeeze-unsqueeze-expand", lambda m, x: x.unsqueeze(1).squeeze(1)[:, :1].expand(
        -1, 5, 4).unsqueeze(-1).squeeze(), ops=("Unsqueeze", "Squeeze", "Expand")),
    case("cat-stack-split", lambda m, x: cr.cat([*cr.split(x, [1, 3], dim=2), x], dim=2).sum(
        -1) + cr.stack([x, -x], dim=1).sum(1).mean(-1), ops=("Concat", "Slice")),
    case("pad", lambda m, x: F.pad(x, (1, 2), value=0.5) * 2, ops=("Pad",)),
    case("getitem", lambda m, x: x[:, 1:3, ::2].sum(-1) + x[..., -1][:, None, 1:] .squeeze(1)
         + x[:, [0, 2, 2]].mean(-1)[:, :2] + x[-1, :, 0][None, :2], ops=("Slice", "Gather")),
    case("flip", lambda m, x: x.flip(-1) * x.flip(1)),
    # ---------------------------------------------------------------- products, lookups
    case("linear-3d-matmul-einsum", lambda m, x: m.fc(x) @ m.fc.weight
         + cr.einsum("nij,kj->nik", x, m.fc.weight[:, :4]), fc=nn.Linear(4, 4),
         ops=("MatMul", "Einsum")),
    case("embedding", lambda m, ids: m.table(ids % 10).sum(1), shape="ids",
         table=nn.Embedding(10, 6), ops=("Gather",)),
]


@pytest.mark.parametrize(("fn", "shape", "ops", "opsets", "domain", "batch", "modules"), CASES)
def test_primitive_family_runs_in_onnxruntime(fn, shape, ops, opsets, domain, batch, modules):
    cr.manual_seed(0)
    model = Lambda(fn, **modules)
    if shape == "ids":
        make = token_ids
    else:
        def make(n, seed):
            return rand(n, *shape[1:], seed=seed, domain=domain)
    first = make(2, 0)
    for opset in opsets:
        proto = exported(model, first, opset=opset,
                         dynamic_axes={"input": {0: "batch"}} if batch else None)
        assert ops <= set(op_types(proto)), ops - set(op_types(proto))
        assert_runs_like_chainrule(proto, model, first)
        if batch:
            assert_runs_like_chainrule(proto, model, make(5, 1))


# ------------------------------------------------------------------ convolutions and pools
class Convs(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 4, 3, padding="same", dilation=2)
        self.c2 = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
        self.depthwise = nn.Conv2d(6, 6, (3, 2), padding="same", groups=6, bias=False)
        self.up = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.c3 = nn.Conv3d(1, 2, 2)

    def forward(self, seq, x, volume):
        a = self.c1(seq).sum()
        y = self.up(self.depthwise(self.c2(x)))
        return a + y, self.c3(volume)


def test_convolutions_run_in_onnxruntime():
    cr.manual_seed(1)
    model = Convs()
    inputs = (rand(2, 3, 9), rand(2, 4, 8, 8, seed=1), rand(2, 1, 3, 4, 4, seed=2))
    axes = {"seq": {0: "batch"}, "x": {0: "batch"}, "volume": {0: "batch"}}
    proto = exported(model, inputs, dynamic_axes=axes)
    assert {"Conv", "ConvTranspose"} <= set(op_types(proto))
    assert_runs_like_chainrule(proto, model, inputs)
    assert_runs_like_chainrule(proto, model, (rand(3, 3, 9, seed=3), rand(3, 4, 8, 8, seed=4),
                                              rand(3, 1, 3, 4, 4, seed=5)))


class Pools(nn.Module):
    def __init__(self):
        super().__init__()
        self.max = nn.MaxPool2d(3, stride=2, padding=1, dilation=1)
        self.max_ceil = nn.MaxPool2d(2, ceil_mode=True)
        self.max_dilated = nn.MaxPool2d(2, stride=1, dilation=2)
        self.avg = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.avg_pad = nn.AvgPool2d(2, padding=1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.max1d = nn.MaxPool1d(2)

    def forward(self, x):
        parts = [self.max(x), self.max_ceil(x), self.max_dilated(x), self.avg(x),
                 self.avg_pad(x)]
        pooled = sum(p.mean(dim=(2, 3)) for p in parts)
        return pooled + self.gap(x).flatten(1) + self.max1d(x.flatten(2)).amax(-1)


def test_pools_run_in_onnxruntime_and_global_pooling_follows_the_image_size():
    model = Pools()
    proto = exported(model, rand(2, 3, 7, 7), dynamic_axes={"x": {0: "batch"}})
    ops = set(op_types(proto))
    assert {"MaxPool", "AveragePool", "GlobalAveragePool"} <= ops
    assert_runs_like_chainrule(proto, model, rand(4, 3, 7, 7, seed=1))
    # AdaptiveAvgPool2d(1) is GlobalAveragePool: the spatial axes may be dynamic too
    head = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 2))
    proto = exported(head, rand(2, 3, 8, 8), dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}})
    assert "GlobalAveragePool" in op_types(proto)
    for shape in ((2, 3, 8, 8), (3, 3, 11, 6)):
        assert_runs_like_chainrule(proto, head, rand(*shape, seed=2))


# ------------------------------------------------------------------ normalizations
class Norms(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn1 = nn.BatchNorm1d(4)
        self.bn2 = nn.BatchNorm2d(4, affine=False)
        self.ln = nn.LayerNorm((3, 5))
        self.ln_plain = nn.LayerNorm(5, elementwise_affine=False)
        self.gn = nn.GroupNorm(2, 4)
        for bn in (self.bn1, self.bn2):
            bn.running_mean._data[:] = [0.1, -0.2, 0.3, 0.0]
            bn.running_var._data[:] = [0.5, 1.5, 2.0, 1.0]
        self.ln.weight._data[:] = np.linspace(0.5, 1.5, 15).reshape(3, 5)

    def forward(self, x):
        a = self.bn2(x) + self.gn(x)
        b = self.bn1(x.flatten(2)).sum(-1)
        return self.ln(a) + self.ln_plain(a), b


@pytest.mark.parametrize("opset", [13, 17])
def test_normalizations_run_in_onnxruntime(opset):
    cr.manual_seed(2)
    model = Norms()
    proto = exported(model, rand(2, 4, 3, 5), opset=opset, dynamic_axes={"x": {0: "batch"}})
    assert "BatchNormalization" in op_types(proto)
    assert ("LayerNormalization" in op_types(proto)) == (opset >= 17)
    assert_runs_like_chainrule(proto, model, rand(3, 4, 3, 5, seed=1))


# ------------------------------------------------------------------ recurrent layers
class Recurrent(nn.Module):
    """An LSTM and a GRU given initial states (graph inputs), time-major, and a ReLU RNN."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
        self.gru = nn.GRU(10, 4)
        self.rnn = nn.RNN(4, 3, nonlinearity="relu", bias=False)

    def forward(self, x, h0, c0):
        y, (h, c) = self.lstm(x, (h0, c0))
        z, hz = self.gru(y)
        w, hw = self.rnn(z)
        return w, h, c, hz, hw


def test_recurrent_layers_with_initial_states_run_in_onnxruntime():
    cr.manual_seed(3)
    model = Recurrent()
    inputs = (rand(6, 2, 3), rand(4, 2, 5, seed=1), rand(4, 2, 5, seed=2))
    axes = {"x": {0: "time", 1: "batch"}, "h0": {1: "batch"}, "c0": {1: "batch"}}
    proto = exported(model, inputs, dynamic_axes=axes)
    assert {"LSTM", "GRU", "RNN"} <= set(op_types(proto))
    assert_runs_like_chainrule(proto, model, inputs)
    assert_runs_like_chainrule(proto, model, (rand(9, 3, 3, seed=3), rand(4, 3, 5, seed=4),
                                              rand(4, 3, 5, seed=5)))


def test_float64_models_and_integer_and_boolean_inputs():
    """A float64 model exports float64 (onnxruntime runs its Gemm and Relu; it has no float64
    Conv or LSTM kernels), and integer and boolean inputs keep their types, promoted as chainrule
    does (int // int stays int, int · 0.5 is float)."""
    cr.manual_seed(4)
    from chainrule import models

    model = models.MLP(8, (6,), 3).double()
    x = cr.tensor(np.random.default_rng(0).random((2, 8)))
    proto = exported(model, x, dynamic_axes={"x": [0]})
    assert proto.graph.input[0].type.tensor_type.elem_type == 11          # DOUBLE
    assert_runs_like_chainrule(proto, model, cr.tensor(np.random.default_rng(1).random((3, 8))),
                               rtol=1e-12, atol=1e-14)
    mixed = Lambda(lambda m, a, b, mask: cr.where(mask, a * b + 1, a // 2) + a * 0.5)
    inputs = (cr.tensor(np.arange(6).reshape(2, 3)), cr.tensor(np.arange(6).reshape(2, 3) + 1),
              cr.tensor(np.array([[True, False, True]] * 2)))
    proto = exported(mixed, inputs)
    assert [i.type.tensor_type.elem_type for i in proto.graph.input] == [7, 7, 9]   # INT64, BOOL
    assert_runs_like_chainrule(proto, mixed, inputs)
