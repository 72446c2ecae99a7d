"""Conformance entries for seeded draws compared value for value: the in-place samplers
``Tensor.cauchy_``, ``log_normal_`` and ``geometric_``, and ``nn.init``'s random initialisers
after ``manual_seed`` (chainrule draws as PyTorch's CPU generator does, so the same seed gives
the same numbers; tests/nn/test_init_stream.py checks them bit for bit).
"""
from __future__ import annotations

from harness import Entry, case


def _seeded(seed, draw):
    def fn(L):
        L.manual_seed(seed)
        return draw(L), L.rand(3)          # the value, and the stream left in step
    return fn


def _filled(shape, method, *args, dtype="float64", **kwargs):
    return lambda L: getattr(L.empty(*shape, dtype=getattr(L, dtype)), method)(*args, **kwargs)


def _init(name, shape, *args, dtype="float32", **kwargs):
    return lambda L: getattr(L.nn.init, name)(L.empty(*shape, dtype=getattr(L, dtype)), *args,
                                              **kwargs)


def _with_generator(draw):
    def fn(L):
        g = L.Generator().manual_seed(2024)
        return draw(L, g), L.Generator().manual_seed(1).initial_seed()
    return fn


INIT_STREAM = [
    Entry("Tensor.cauchy_", [
        case(_seeded(0, _filled((3, 4), "cauchy_")), label="standard, float64"),
        case(_seeded(1, _filled((20,), "cauchy_", 0.5, 2.0, dtype="float32")),
             label="median 0.5, sigma 2, float32"),
        case(_seeded(2, lambda L: L.empty(4, 5, dtype=L.float64).t().cauchy_()),
             label="a transposed tensor, memory order"),
        case(_with_generator(lambda L, g: L.empty(6, dtype=L.float64).cauchy_(generator=g)),
             label="generator="),
        case(lambda L: L.empty(3).cauchy_(0.0, 0.0), raises=True, label="sigma 0"),
    ]),
    Entry("Tensor.log_normal_", [
        case(_seeded(3, _filled((5,), "log_normal_")), label="defaults (1, 2), float64"),
        case(_seeded(4, _filled((7, 3), "log_normal_", 0.5, 0.25, dtype="float32")),
             label="float32, an odd count leaves a cached normal"),
        case(_with_generator(lambda L, g: L.empty(4, dtype=L.float64).log_normal_(
            0.0, 1.0, generator=g)), label="generator="),
        case(lambda L: L.empty(3).log_normal_(1.0, -1.0), raises=True, label="std < 0"),
    ]),
    Entry("Tensor.geometric_", [
        case(_seeded(5, _filled((10,), "geometric_", 0.3)), label="float64"),
        case(_seeded(6, _filled((4, 4), "geometric_", 0.05, dtype="int64")), label="int64"),
        case(_with_generator(lambda L, g: L.empty(5, dtype=L.float32).geometric_(
            0.5, generator=g)), label="generator="),
        case(lambda L: L.empty(3).geometric_(1.0), raises=True, label="p = 1"),
    ]),
    Entry("nn.init.kaiming_uniform_", [
        case(_seeded(7, _init("kaiming_uniform_", (6, 5), a=5 ** 0.5)),
             label="seeded: a Linear layer's weight, float32"),
    ]),
    Entry("nn.init.kaiming_normal_", [
        case(_seeded(8, _init("kaiming_normal_", (8, 3, 3), mode="fan_out",
                              nonlinearity="relu")), label="seeded: 72 normals, float32"),
    ]),
    Entry("nn.init.xavier_uniform_", [
        case(_seeded(9, _init("xavier_uniform_", (24, 8), dtype="float64")),
             label="seeded: float64"),
    ]),
    Entry("nn.init.xavier_normal_", [
        case(_seeded(10, _init("xavier_normal_", (3, 4), gain=2.0)),
             label="seeded: 12 normals, the pair path"),
    ]),
    Entry("nn.init.normal_", [
        case(_seeded(11, _init("normal_", (40,), 0.0, 0.02)), label="seeded: float32 block"),
    ]),
    Entry("nn.init.uniform_", [
        case(_seeded(12, _init("uniform_", (3, 7), -0.5, 0.5)), label="seeded: float32"),
    ]),
    Entry("nn.init.orthogonal_", [
        case(_seeded(13, _init("orthogonal_", (4, 6), dtype="float64")),
             label="seeded: the same draws, NumPy's QR"),
    ]),
    Entry("nn.Linear", [
        case(_seeded(14, lambda L: tuple(L.nn.Linear(5, 3).state_dict().values())),
             label="seeded: PyTorch's initial weights"),
    ]),
    Entry("nn.Embedding", [
        case(_seeded(15, lambda L: L.nn.Embedding(10, 4).weight.detach()),
             label="seeded: PyTorch's initial weights"),
    ]),
    Entry("nn.LSTM", [
        case(_seeded(16, lambda L: tuple(L.nn.LSTM(3, 4).state_dict().values())),
             label="seeded: PyTorch's initial weights"),
    ]),
]

ENTRIES = INIT_STREAM
