"""Conformance entries for nn.init (initialisers), nn.utils (gradient clipping, parameter
vectors) and nn.utils.rnn (padding and packing sequences).

Random initialisers cannot be compared value for value; their programs return what the two
libraries must agree on: shapes and dtypes, that the tensor was filled in place (the same object
comes back), the bounds of uniform draws, the spread of normal draws to within a tolerance far
wider than the sampling error of 60 000 draws, and orthogonality.
"""
from __future__ import annotations

import numpy as np
from harness import Entry, case, floats, ints

W = floats(200, 300)


def _fill(name, *a, **k):
    def run(L, w):
        r = getattr(L.nn.init, name)(w, *a, **k)
        return r is w, w
    return run


def _bounded(name, bound, *a, **k):
    """Filled in place, and every entry within ±bound (and not all inside half of it)."""
    bound = float(bound)

    def run(L, w):
        r = getattr(L.nn.init, name)(w, *a, **k)
        big = float(w.abs().max())
        return r is w, big <= bound, big > bound / 2, w.dtype
    return run


def _spread(name, std, *a, **k):
    """Filled in place, mean ≈ 0 and standard deviation ≈ ``std`` (5%: 20× the sampling error)."""
    std = float(std)

    def run(L, w):
        r = getattr(L.nn.init, name)(w, *a, **k)
        return r is w, abs(float(w.mean())) < 0.05 * std, abs(float(w.std()) / std - 1) < 0.05
    return run


def _orthogonal(L, w):
    L.nn.init.orthogonal_(w, gain=2.0)
    return w @ w.T / 4


FAN_IN, FAN_OUT = 300, 200
INIT = [
    Entry("nn.init.calculate_gain", [
        case(lambda L: L.nn.init.calculate_gain("relu")),
        case(lambda L: L.nn.init.calculate_gain("tanh")),
        case(lambda L: L.nn.init.calculate_gain("leaky_relu", 0.2)),
        case(lambda L: L.nn.init.calculate_gain("leaky_relu")),
        case(lambda L: L.nn.init.calculate_gain("selu")),
        case(lambda L: L.nn.init.calculate_gain("sigmoid")),
        case(lambda L: L.nn.init.calculate_gain("conv2d")),
        case(lambda L: L.nn.init.calculate_gain("bogus"), raises=True)]),
    Entry("nn.init.constant_", [case(_fill("constant_", 0.3), floats(2, 3))]),
    Entry("nn.init.ones_", [case(_fill("ones_"), floats(2, 3))]),
    Entry("nn.init.zeros_", [case(_fill("zeros_"), floats(2, 3)), case(_fill("zeros_"), floats())]),
    Entry("nn.init.uniform_", [case(_bounded("uniform_", 1.0, -1.0, 1.0), W),
                               case(_fill("uniform_", 2.0, 3.0), floats(4), compare="shape")]),
    Entry("nn.init.normal_", [case(_spread("normal_", 0.5, 0.0, 0.5), W)]),
    Entry("nn.init.xavier_uniform_", [
        case(_bounded("xavier_uniform_", 2 * np.sqrt(6 / (FAN_IN + FAN_OUT)), gain=2.0), W)]),
    Entry("nn.init.xavier_normal_", [
        case(_spread("xavier_normal_", np.sqrt(2 / (FAN_IN + FAN_OUT))), W)]),
    Entry("nn.init.kaiming_uniform_", [
        case(_bounded("kaiming_uniform_", np.sqrt(2) * np.sqrt(3 / FAN_IN),
                      nonlinearity="relu"), W),
        case(_bounded("kaiming_uniform_", np.sqrt(2 / (1 + 5)) * np.sqrt(3 / FAN_IN),
                      a=np.sqrt(5)), W, label="Linear's default"),
        case(_bounded("kaiming_uniform_", np.sqrt(2) * np.sqrt(3 / FAN_OUT), mode="fan_out",
                      nonlinearity="relu"), W, label="fan_out")]),
    Entry("nn.init.kaiming_normal_", [
        case(_spread("kaiming_normal_", np.sqrt(2 / FAN_IN), nonlinearity="relu"), W),
        case(_spread("kaiming_normal_", np.sqrt(2 / (25 * 4 * 4)), mode="fan_out",
                     nonlinearity="relu"), floats(25, 30, 4, 4), label="conv fan_out")]),
    Entry("nn.init.orthogonal_", [case(_orthogonal, floats(3, 5)),
                                  case(lambda L, w: _orthogonal(L, w).shape, floats(5, 3))]),
]


# ------------------------------------------------------------------------------ nn.utils
def _grads(L, a, b):
    a.requires_grad_(True)
    b.requires_grad_(True)
    ((a * 3).sum() + (b ** 2).sum()).backward()
    return [a, b]


def _clip_norm(max_norm, norm_type=2.0):
    def run(L, a, b):
        ps = _grads(L, a, b)
        total = L.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        return total, a.grad, b.grad
    return run


def _clip_value(L, a, b):
    ps = _grads(L, a, b)
    r = L.nn.utils.clip_grad_value_(ps, 1.5)
    return r, a.grad, b.grad


def _total_norm(L, a, b):
    _grads(L, a, b)
    return (L.nn.utils.get_total_norm([a.grad, b.grad]),
            L.nn.utils.get_total_norm([a.grad, b.grad], norm_type=1.0))


def _clip_with_norm(L, a, b):
    ps = _grads(L, a, b)
    total = L.nn.utils.get_total_norm([a.grad, b.grad])
    L.nn.utils.clip_grads_with_norm_(ps, 0.5, total)
    return a.grad, b.grad


def _to_vector(L, a, b):
    v = L.nn.utils.parameters_to_vector([a, b])
    return v


def _from_vector(L, a, b, v):
    L.nn.utils.vector_to_parameters(v, [a, b])
    return a, b


A, B = floats(2, 3), floats(4)
UTILS = [
    Entry("nn.utils.clip_grad_norm_", [case(_clip_norm(0.5), A, B), case(_clip_norm(100.0), A, B),
                                       case(_clip_norm(1.0, "inf"), A, B, label="inf"),
                                       case(_clip_norm(1.0, 1.0), A, B, label="l1")]),
    Entry("nn.utils.clip_grad_value_", [case(_clip_value, A, B)]),
    Entry("nn.utils.get_total_norm", [case(_total_norm, A, B)]),
    Entry("nn.utils.clip_grads_with_norm_", [case(_clip_with_norm, A, B)]),
    Entry("nn.utils.parameters_to_vector", [case(_to_vector, A, B)]),
    Entry("nn.utils.vector_to_parameters", [case(_from_vector, A, B, floats(10))]),
]


# ------------------------------------------------------------------------------ nn.utils.rnn
def _pad(L, a, b, c, **k):
    return L.nn.utils.rnn.pad_sequence([a, b, c], **k)


def _pack_roundtrip(batch_first: bool, enforce_sorted: bool):
    def run(L, x):
        lengths = [4, 2, 3] if not enforce_sorted else [4, 3, 1]
        data = x if not batch_first else x.transpose(0, 1)
        packed = L.nn.utils.rnn.pack_padded_sequence(data, lengths, batch_first=batch_first,
                                                     enforce_sorted=enforce_sorted)
        out, lens = L.nn.utils.rnn.pad_packed_sequence(packed, batch_first=batch_first)
        return packed, out, lens
    return run


def _pack_sequence(L, a, b, c):
    packed = L.nn.utils.rnn.pack_sequence([a, b, c], enforce_sorted=False)
    return packed, type(packed).__name__


def _packed_rnn(L, x):
    rnn = L.nn.GRU(2, 3).double()
    rng = np.random.default_rng(3)
    with L.no_grad():
        for _, p in rnn.named_parameters():
            p.copy_(L.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape))))
    packed = L.nn.utils.rnn.pack_padded_sequence(x, [4, 2, 3], enforce_sorted=False)
    out, h = rnn(packed)
    padded, lens = L.nn.utils.rnn.pad_packed_sequence(out)
    return padded, h, lens


S1, S2, S3 = floats(3, 2), floats(1, 2), floats(4, 2)
RNN_UTILS = [
    Entry("nn.utils.rnn.pad_sequence", [
        case(_pad, S1, S2, S3, grad=[0, 1, 2]),
        case(lambda L, a, b, c: _pad(L, a, b, c, batch_first=True, padding_value=-1.0),
             S1, S2, S3, grad=[0, 1, 2]),
        case(lambda L, a, b, c: _pad(L, a, b, c, padding_side="left"), S1, S2, S3,
             grad=[0, 1, 2], label="left"),
        case(lambda L, a, b, c: _pad(L, a, b, c), ints(2), ints(3), ints(1), label="int")]),
    Entry("nn.utils.rnn.pack_padded_sequence", [
        case(_pack_roundtrip(False, True), floats(4, 3, 2), grad=[0]),
        case(_pack_roundtrip(True, False), floats(4, 3, 2), grad=[0], label="unsorted"),
        case(lambda L, x: L.nn.utils.rnn.pack_padded_sequence(x, [2, 3]), floats(3, 2),
             raises=True, label="unsorted with enforce_sorted")]),
    Entry("nn.utils.rnn.pad_packed_sequence", [
        case(_pack_roundtrip(False, False), floats(4, 3, 2), grad=[0]),
        case(_packed_rnn, floats(4, 3, 2), grad=[0], label="through a GRU")]),
    Entry("nn.utils.rnn.pack_sequence", [case(_pack_sequence, S1, S2, S3, grad=[0, 1, 2]),
                                         case(lambda L, a, b, c: L.nn.utils.rnn.pad_packed_sequence(
                                             L.nn.utils.rnn.pack_sequence([a, b, c], False)),
                                             S1, S2, S3, grad=[0, 1, 2], label="round trip")]),
    Entry("nn.utils.rnn.PackedSequence", [case(_pack_sequence, S1, S2, S3),
                                          case(_packed_rnn, floats(4, 3, 2))]),
]

ENTRIES = INIT + UTILS + RNN_UTILS
