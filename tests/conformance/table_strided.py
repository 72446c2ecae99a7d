"""Conformance entries for the as_strided family (chainrule/ops/as_strided.py): views by explicit
geometry and their gradients (overlapping windows), ``storage_offset`` of views, the strided
constructors (compared by shape, stride and dtype: their values are uninitialised), ``resize_``
and ``resize_as_``, and PyTorch's errors."""
from __future__ import annotations

from harness import Entry, case, floats


def _geometry(t):
    return tuple(t.shape), tuple(t.stride()), t.storage_offset(), t.dtype


def _resized(L, x, *size):
    y = x.detach().clone()
    y.resize_(*size)
    return y, _geometry(y)


def _as_strided_in_place(L, x):
    y = x * 1
    y.as_strided_((2, 3), (2, 1), 1)
    return y, y.stride(), y.storage_offset()


def _write_through(L, x):
    x = x.detach().clone()
    x.as_strided((2, 2), (2, 1), 1).mul_(10)
    x.as_strided((2,), (4,)).fill_(7)
    return x


STRIDED = [
    Entry("as_strided", [
        case(lambda L, x: L.as_strided(x, (3, 3), (1, 1)), floats(6), grad=[0],
             label="overlapping windows"),
        case(lambda L, x: L.as_strided(x, (2, 2), (1, 2), 1), floats(3, 2), grad=[0],
             label="with an offset"),
        case(lambda L, x: L.as_strided(x.t(), (2, 2), (3, 1)), floats(2, 3), grad=[0],
             label="of a transposed view"),
        case(lambda L, x: L.as_strided(x.expand(2, 3), (2, 2), (1, 1)), floats(3), grad=[0],
             label="of an expanded tensor"),
        case(lambda L, x: L.as_strided(x, (5, 3), (1, 1)), floats(6), raises=True,
             label="out of the storage's bounds"),
        case(lambda L, x: L.as_strided(x, (2,), (-1,), 3), floats(6), raises=True,
             label="negative stride"),
        case(lambda L, x: L.as_strided(x, (2, 2), (1,)), floats(6), raises=True,
             label="size and stride of different lengths"),
    ]),
    Entry("Tensor.as_strided", [
        case(lambda L, x: x[1:].as_strided((2, 2), (2, 1)), floats(7), grad=[0],
             label="of a slice: its offset is the default"),
        case(lambda L, x: x.as_strided((2, 3), (0, 1), 2), floats(6), grad=[0],
             label="stride 0"),
        case(_write_through, floats(6), label="writes reach the base"),
    ]),
    Entry("Tensor.as_strided_", [
        case(_as_strided_in_place, floats(6), grad=[0]),
        case(lambda L, x: x.as_strided_((2,), (1,)), floats(4), grad=[0], raises=True,
             label="a leaf that requires grad"),
    ]),
    Entry("as_strided_", [
        case(lambda L, x: (lambda y: (L.as_strided_(y, (2, 2), (1, 2), 1), y.stride()))(x * 1),
             floats(6), grad=[0]),
        case(lambda L: L.as_strided_([1.0], (1,), (1,)), raises=True, label="not a tensor"),
    ]),
    Entry("as_strided_scatter", [
        case(lambda L, x, s: L.as_strided_scatter(x, s, (2, 2), (2, 1), 1), floats(6),
             floats(2, 2), grad=[1], label="gradient of src"),
        case(lambda L, x, s: L.as_strided_scatter(x, s, (3,), (2,)), floats(2, 3), floats(3)),
        case(lambda L, x, s: L.as_strided_scatter(x, s, (2, 2), (1, 1)), floats(6), floats(4),
             raises=True, label="src of the wrong size"),
    ]),
    Entry("Tensor.as_strided_scatter", [
        case(lambda L, x, s: x.as_strided_scatter(s, (2,), (3,)), floats(2, 3), floats(2),
             grad=[1]),
    ]),
    Entry("Tensor.storage_offset", [
        case(lambda L, x: [v.storage_offset() for v in (
            x[1:, 2:], x.t(), x.narrow(1, 1, 2), x.select(0, 2), x.diagonal(1), x.unfold(1, 2, 1),
            x[:, 3], x.reshape(-1)[3:].view(3, 3), x.chunk(2, 1)[1], x.unbind(1)[2])],
             floats(3, 4), label="views"),
    ]),
    Entry("empty_strided", [
        case(lambda L: _geometry(L.empty_strided((2, 3), (1, 2))), label="column-major"),
        case(lambda L: _geometry(L.empty_strided((2, 3), (0, 1), dtype=L.float64))),
        case(lambda L: L.empty_strided((2, 3), (-1, 2)), raises=True, label="negative stride"),
    ]),
    Entry("Tensor.new_empty_strided", [
        case(lambda L, x: _geometry(x.new_empty_strided((3, 2), (1, 3))), floats(2)),
    ]),
    Entry("Tensor.resize_", [
        case(lambda L, x: _resized(L, x, 2, 2), floats(6), label="smaller"),
        case(lambda L, x: _resized(L, x.t(), 3, 2), floats(2, 3), label="the same size: kept"),
        case(lambda L, x: _resized(L, x.t(), 6), floats(2, 3), label="storage order"),
        case(lambda L, x: _resized(L, x[2:], 2, 2), floats(6), label="at the storage offset"),
        case(lambda L, x: _resized(L, x, 3, 3)[1][:3], floats(6),
             label="larger (new values uninitialised)"),
        case(lambda L, x: x.resize_(2), floats(4), grad=[0], raises=True,
             label="requires grad"),
    ]),
    Entry("resize_as_", [
        case(lambda L, x, y: L.resize_as_(x.detach().clone(), y), floats(6), floats(2, 2)),
        case(lambda L, y: L.resize_as_([1.0], y), floats(2), raises=True, label="not a tensor"),
    ]),
    Entry("Tensor.resize_as_", [
        case(lambda L, x, y: x.detach().clone().resize_as_(y), floats(6), floats(3, 2)),
        case(lambda L, x, y: x.resize_as_(y), floats(6), floats(2), grad=[0], raises=True,
             label="requires grad"),
    ]),
]

ENTRIES = STRIDED
