"""Conformance entries for indexing, movement, selection, sorting, norms and sampling
(chainrule/ops/selection.py, shape.py, sorting.py, norms.py, sampling.py).

Each case is one program run on PyTorch and on chainrule (see harness.py): values, dtypes, shapes,
return types and gradients must agree. Random functions compare shapes and dtypes only.
"""
from __future__ import annotations

import math

from harness import Entry, bools, case, floats, ints, positive, shapes, value

X34 = floats(3, 4)
X234 = floats(2, 3, 4)
DRAWN = floats(drawn=shapes(0, 3, 0, 3))
NONEMPTY = floats(drawn=shapes(1, 3, 1, 4))
I34 = ints(3, 4, low=0, high=3)


def _both(name, cases, method_cases=None):
    """An entry for ``name`` and one for ``Tensor.name``."""
    return [Entry(name, cases), Entry("Tensor." + name, method_cases or [])]


# ------------------------------------------------------------------------------ scatter family
SCATTER = [
    Entry("scatter", [
        case(lambda L, x, s: L.scatter(x, 0, L.tensor([[0, 1, 2, 0]]), s), X34, floats(1, 4),
             grad=[0, 1]),
        case(lambda L, x, s: L.scatter(x, 1, L.tensor([[3], [1], [0]]), s), X34, floats(3, 2),
             grad=[0], label="src larger than index"),
        case(lambda L, x: L.scatter(x, -1, L.tensor([[0, 2], [1, 3], [0, 0]]), 2.5), X34,
             grad=[0], label="value"),
        case(lambda L, x, s: L.scatter(x, 0, L.tensor(0), s), floats(), floats(), grad=[0, 1],
             label="0-d"),
        case(lambda L, x, s: L.scatter(x, 0, L.zeros(0, 4, dtype=L.int64), s), X34, X34,
             grad=[0], label="empty index"),
        case(lambda L, x, s: L.scatter(x, 0, L.tensor([[0, 1, 2, 0]]), s, reduce="add"), X34,
             floats(1, 4), label="reduce add"),
        case(lambda L, x, s: L.scatter(x, 2, L.tensor([[[0, 1]]]), s), X34, floats(1, 1, 2),
             raises=True, label="dim out of range"),
    ]),
    Entry("Tensor.scatter", [
        case(lambda L, x, s: x.scatter(1, L.tensor([[1], [2], [3]]), s), X34, floats(3, 1),
             grad=[0, 1]),
    ]),
    Entry("Tensor.scatter_", [
        case(lambda L, x, s: x.clone().scatter_(0, L.tensor([[2, 1, 0, 1]]), s), X34,
             floats(1, 4), grad=[0, 1]),
    ]),
    Entry("scatter_add", [
        case(lambda L, x, s: L.scatter_add(x, 0, L.tensor([[0, 1, 0, 0], [0, 0, 2, 1]]), s), X34,
             floats(2, 4), grad=[0, 1]),
        case(lambda L, x, s: L.scatter_add(x, -1, L.tensor([[0, 0, 0]]), s), X34, floats(1, 3),
             grad=[0, 1], label="repeats accumulate"),
        case(lambda L, x, s: L.scatter_add(x, 0, L.tensor(0), s), floats(), floats(),
             grad=[0, 1], label="0-d"),
    ]),
    Entry("Tensor.scatter_add", [
        case(lambda L, x, s: x.scatter_add(1, L.tensor([[1, 1], [0, 3], [2, 2]]), s), X34,
             floats(3, 2), grad=[0, 1]),
    ]),
    Entry("Tensor.scatter_add_", [
        case(lambda L, x, s: x.clone().scatter_add_(0, L.tensor([[1, 1, 1, 1]]), s), X34,
             floats(1, 4), grad=[0, 1]),
    ]),
    Entry("scatter_reduce", [
        case(lambda L, x, s, r=r, inc=inc: L.scatter_reduce(
            x, 1, L.tensor([[0, 0, 1], [2, 2, 2], [3, 1, 1]]), s, r, include_self=inc),
             X34, floats(3, 3), grad=[0, 1], label=f"{r} include_self={inc}")
        for r in ("sum", "mean", "amax", "amin", "prod") for inc in (True, False)
    ] + [
        case(lambda L, x, s: L.scatter_reduce(x, 0, L.tensor([[0, 1], [0, 1]]), s, "amax"),
             floats(2, 2), floats(2, 2), label="no grad"),
        case(lambda L: L.scatter_reduce(L.tensor([1, 2, 3]), 0, L.tensor([0, 0, 2]),
                                        L.tensor([5, 7, 9]), "mean"), label="int mean"),
        case(lambda L, x, s: L.scatter_reduce(x, 0, L.tensor([0, 0]), s, "maximum"),
             floats(3), floats(2), raises=True, label="bad reduce"),
    ]),
    Entry("Tensor.scatter_reduce", [
        case(lambda L, x, s: x.scatter_reduce(0, L.tensor([[0, 1, 0, 2]]), s, "sum"), X34,
             floats(1, 4), grad=[0, 1]),
    ]),
]

# ------------------------------------------------------------------------------ index_* family
INDEX = [
    *_both("index_select", [
        case(lambda L, x: L.index_select(x, 0, L.tensor([2, 0, 2])), X34, grad=[0]),
        case(lambda L, x: L.index_select(x, -1, L.tensor([3, 1])), X234, grad=[0]),
        case(lambda L, x: L.index_select(x, 1, L.tensor([], dtype=L.int64)), X34, grad=[0]),
        case(lambda L, x: L.index_select(x, 0, L.tensor([0])), floats(), grad=[0],
             label="0-d"),
        case(lambda L, x: L.index_select(x, 0, L.tensor([5])), X34, raises=True),
    ], [case(lambda L, x: x.index_select(1, L.tensor([0, 0])), X34, grad=[0])]),
    *_both("index_add", [
        case(lambda L, x, s: L.index_add(x, 0, L.tensor([0, 2, 0]), s), X34, floats(3, 4),
             grad=[0, 1]),
        case(lambda L, x, s: L.index_add(x, 1, L.tensor([3, 1]), s, alpha=2.0), X34,
             floats(3, 2), grad=[0, 1], label="alpha"),
    ], [case(lambda L, x, s: x.index_add(-1, L.tensor([0]), s), X34, floats(3, 1),
             grad=[0, 1])]),
    Entry("Tensor.index_add_", [
        case(lambda L, x, s: x.clone().index_add_(0, L.tensor([1, 1]), s), X34, floats(2, 4),
             grad=[0, 1]),
    ]),
    *_both("index_copy", [
        case(lambda L, x, s: L.index_copy(x, 0, L.tensor([2, 0]), s), X34, floats(2, 4),
             grad=[0, 1]),
    ], [case(lambda L, x, s: x.index_copy(1, L.tensor([3, 0, 1]), s), X34, floats(3, 3),
             grad=[0, 1])]),
    *_both("index_fill", [
        case(lambda L, x: L.index_fill(x, 1, L.tensor([0, 2]), -1.5), X34, grad=[0]),
        case(lambda L, x, v: L.index_fill(x, 0, L.tensor([1]), v), X34, floats(), grad=[0, 1],
             label="0-d tensor value"),
    ], [case(lambda L, x: x.index_fill(0, L.tensor([0, 2]), 3.0), X34, grad=[0])]),
    Entry("Tensor.index_fill_", [
        case(lambda L, x: x.clone().index_fill_(1, L.tensor([1]), 0.0), X34, grad=[0]),
    ]),
    *_both("take", [
        case(lambda L, x: L.take(x, L.tensor([[0, 11], [5, -1]])), X34, grad=[0]),
        case(lambda L, x: L.take(x, L.tensor([0, 0, 3])), X34, grad=[0], label="repeats"),
        case(lambda L, x: L.take(x, L.tensor(0)), floats(), grad=[0], label="0-d"),
        case(lambda L, x: L.take(x, L.tensor([12])), X34, raises=True),
    ], [case(lambda L, x: x.take(L.tensor([1, 2])), X34, grad=[0])]),
    Entry("Tensor.put", [
        case(lambda L, x, s: x.put(L.tensor([0, 5, -1]), s), X34, floats(3), grad=[0, 1]),
        case(lambda L, x, s: x.put(L.tensor([0, 0, 2]), s, accumulate=True), X34, floats(3),
             grad=[0, 1], label="accumulate"),
    ]),
    Entry("put", [
        case(lambda L, x, s: L.put(x, L.tensor([[0, 5], [-1, 2]]), s), X34, floats(2, 2),
             grad=[0, 1]),
        case(lambda L, x, s: L.put(x, L.tensor([1, 1]), s, accumulate=True), floats(), floats(2),
             raises=True, label="index out of range of a 0-d"),
        case(lambda L, x, s: L.put(x, L.tensor([0, 0]), s, accumulate=True), floats(),
             floats(2), grad=[0, 1], label="0-d accumulate"),
    ]),
    Entry("Tensor.index_copy_", [
        case(lambda L, x, s: x.clone().index_copy_(0, L.tensor([2, 0]), s), X34, floats(2, 4),
             grad=[0, 1]),
    ]),
    Entry("Tensor.masked_scatter_", [
        case(lambda L, x, m, s: x.clone().masked_scatter_(m, s), X34, bools(3, 4), floats(12),
             grad=[0, 2]),
    ]),
    Entry("Tensor.scatter_reduce_", [
        case(lambda L, x, s: x.clone().scatter_reduce_(0, L.tensor([[0, 1, 0, 2]]), s, "amax",
                                                       include_self=False),
             X34, floats(1, 4), grad=[0, 1]),
    ]),
    Entry("Tensor.put_", [
        case(lambda L, x, s: x.clone().put_(L.tensor([1, 7]), s), X34, floats(2), grad=[0, 1]),
    ]),
]

# ------------------------------------------------------------------------------ masks
MASKS = [
    *_both("masked_fill", [
        case(lambda L, x, m: L.masked_fill(x, m, -2.0), X34, bools(3, 4), grad=[0]),
        case(lambda L, x, m: L.masked_fill(x, m, 7.0), X34, bools(4), grad=[0],
             label="broadcast mask"),
        case(lambda L, x, m, v: L.masked_fill(x, m, v), X34, bools(3, 4), floats(),
             grad=[0, 2], label="0-d tensor value"),
        case(lambda L, m: L.masked_fill(L.tensor([[1, 2], [3, 4]]), m, 2.7), bools(2, 2),
             label="int input, float value"),
        case(lambda L, x, m: L.masked_fill(x, m, 1.0), floats(4), bools(3, 4), grad=[0],
             label="mask larger: both broadcast"),
        case(lambda L, x: L.masked_fill(x, L.tensor(True), 1.0), DRAWN, grad=[0]),
    ], [case(lambda L, x, m: x.masked_fill(m, 0.5), X34, bools(3, 4), grad=[0])]),
    Entry("Tensor.masked_fill_", [
        case(lambda L, x, m: x.clone().masked_fill_(m, 0.0), X34, bools(3, 4), grad=[0]),
    ]),
    *_both("masked_select", [
        case(lambda L, x, m: L.masked_select(x, m), X34, bools(3, 4), grad=[0]),
        case(lambda L, x, m: L.masked_select(x, m), floats(3, 1), bools(3, 4), grad=[0],
             label="broadcast input"),
        case(lambda L, x: L.masked_select(x, L.tensor(True)), floats(), grad=[0], label="0-d"),
    ], [case(lambda L, x, m: x.masked_select(m), X34, bools(4), grad=[0])]),
    *_both("masked_scatter", [
        case(lambda L, x, m, s: L.masked_scatter(x, m, s), X34, bools(3, 4), floats(12),
             grad=[0, 2]),
        case(lambda L, x, m, s: L.masked_scatter(x, m, s), X34, bools(4), floats(4, 4),
             grad=[0, 2], label="broadcast mask"),
    ], [case(lambda L, x, m, s: x.masked_scatter(m, s), X34, bools(3, 4), floats(3, 4),
             grad=[0, 2])]),
]

# ------------------------------------------------------------------------------ nonzero, where
NONZERO = [
    *_both("nonzero", [
        case(lambda L, m: L.nonzero(m), bools(3, 4)),
        case(lambda L, m: L.nonzero(m, as_tuple=True), bools(2, 3, 2)),
        case(lambda L, x: L.nonzero(x), ints(5, low=-1, high=2)),
        case(lambda L: L.nonzero(L.tensor(5.0))),
        case(lambda L: L.nonzero(L.tensor(0.0), as_tuple=True)),
        case(lambda L: L.nonzero(L.zeros(0, 3))),
    ], [case(lambda L, m: m.nonzero(), bools(4, 2))]),
    *_both("argwhere", [case(lambda L, m: L.argwhere(m), bools(3, 4)),
                        case(lambda L: L.argwhere(L.tensor(1)))],
           [case(lambda L, m: m.argwhere(), bools(2, 2))]),
    Entry("where", [
        case(lambda L, c, x, y: L.where(c, x, y), bools(3, 4), X34, floats(4), grad=[1, 2]),
        case(lambda L, c: L.where(c), bools(3, 4), label="1-arg"),
        case(lambda L, c, x: L.where(c, x, 0.0), bools(3, 4), X34, grad=[1],
             label="python scalar"),
        case(lambda L, c: L.where(c, 1.0, 0.0), bools(3), label="two floats"),
        case(lambda L, c: L.where(c, 1, 0), bools(3), label="two ints"),
        case(lambda L, c: L.where(c, L.tensor([1, 2, 3]), 2.5), bools(3), label="int, float"),
        case(lambda L, c: L.where(c, L.tensor([True, False, True]), 2), bools(3),
             label="bool, int"),
    ]),
    Entry("Tensor.where", [
        case(lambda L, c, x: x.where(c, -1.0), bools(3, 4), X34, grad=[1]),
    ]),
    *_both("count_nonzero", [
        case(lambda L, x: L.count_nonzero(x), ints(3, 4, low=-1, high=2)),
        case(lambda L, x: L.count_nonzero(x, dim=-1), ints(3, 4, low=-1, high=2)),
        case(lambda L, x: L.count_nonzero(x, dim=(0, 1)), ints(3, 4, 2, low=0, high=2)),
        case(lambda L: L.count_nonzero(L.tensor(3.0))),
    ], [case(lambda L, x: x.count_nonzero(0), ints(3, 4, low=0, high=2))]),
]

# ------------------------------------------------------------------------------ repetition, views
REPEAT = [
    Entry("Tensor.repeat", [
        case(lambda L, x: x.repeat(2, 3), X34, grad=[0]),
        case(lambda L, x: x.repeat(2, 1, 2), X34, grad=[0], label="more dims"),
        case(lambda L, x: x.repeat((1, 0)), X34, grad=[0], label="zero"),
        case(lambda L, x: x.repeat(3), floats(), grad=[0], label="0-d"),
        case(lambda L, x: x.repeat(2), X34, raises=True, label="too few sizes"),
    ]),
    *_both("tile", [
        case(lambda L, x: L.tile(x, (2,)), X34, grad=[0]),
        case(lambda L, x: L.tile(x, (2, 1, 2)), X34, grad=[0]),
        case(lambda L, x: L.tile(x, (2, 2)), floats(), grad=[0]),
    ], [case(lambda L, x: x.tile((3, 1)), floats(4), grad=[0])]),
    *_both("repeat_interleave", [
        case(lambda L, x: L.repeat_interleave(x, 2), X34, grad=[0]),
        case(lambda L, x: L.repeat_interleave(x, 2, dim=0), X34, grad=[0]),
        case(lambda L, x: L.repeat_interleave(x, L.tensor([1, 0, 3, 2]), dim=-1), X34,
             grad=[0], label="tensor repeats"),
        case(lambda L: L.repeat_interleave(L.tensor([2, 0, 1])), label="1-arg"),
        case(lambda L, x: L.repeat_interleave(x, 3), floats(), grad=[0], label="0-d"),
    ], [case(lambda L, x: x.repeat_interleave(2, 1), X34, grad=[0])]),
    Entry("Tensor.view_as", [case(lambda L, x, y: x.view_as(y), X34, floats(2, 6), grad=[0])]),
    Entry("Tensor.reshape_as", [case(lambda L, x, y: x.reshape_as(y), X34, floats(12),
                                     grad=[0])]),
    *_both("narrow", [
        case(lambda L, x: L.narrow(x, 1, 1, 2), X34, grad=[0]),
        case(lambda L, x: L.narrow(x, -1, -3, 3), X34, grad=[0], label="negative start"),
        case(lambda L, x: L.narrow(x, 0, 3, 0), X34, grad=[0], label="empty"),
        case(lambda L, x: L.narrow(x, 0, 2, 2), X34, raises=True),
    ], [case(lambda L, x: x.narrow(0, 0, 2), X34, grad=[0])]),
    *_both("t", [
        case(lambda L, x: L.t(x), X34, grad=[0]),
        case(lambda L, x: L.t(x), floats(4), grad=[0]),
        case(lambda L, x: L.t(x), floats(), grad=[0]),
        case(lambda L, x: L.t(x), X234, raises=True),
    ], [case(lambda L, x: x.t(), X34, grad=[0])]),
    Entry("Tensor.unfold", [
        case(lambda L, x: x.unfold(1, 2, 1), X34, grad=[0]),
        case(lambda L, x: x.unfold(-1, 2, 2), X234, grad=[0]),
        case(lambda L, x: x.unfold(0, 3, 2), floats(8), grad=[0]),
        case(lambda L, x: x.unfold(0, 5, 1), floats(4), raises=True),
    ]),
]

# ------------------------------------------------------------------------------ flips, diagonals
FLIPS = [
    *_both("flip", [
        case(lambda L, x: L.flip(x, (0,)), X34, grad=[0]),
        case(lambda L, x: L.flip(x, (-1, 0)), X234, grad=[0]),
        case(lambda L, x: L.flip(x, [0]), floats(), grad=[0], label="0-d"),
        case(lambda L, x: L.flip(x, (0,)), floats(0, 3), grad=[0], label="empty"),
    ], [case(lambda L, x: x.flip(1), X34, grad=[0])]),
    *_both("fliplr", [case(lambda L, x: L.fliplr(x), X34, grad=[0]),
                      case(lambda L, x: L.fliplr(x), floats(3), raises=True)],
           [case(lambda L, x: x.fliplr(), X234, grad=[0])]),
    *_both("flipud", [case(lambda L, x: L.flipud(x), X34, grad=[0]),
                      case(lambda L, x: L.flipud(x), floats(), raises=True)],
           [case(lambda L, x: x.flipud(), floats(5), grad=[0])]),
    *_both("roll", [
        case(lambda L, x: L.roll(x, 1), X34, grad=[0]),
        case(lambda L, x: L.roll(x, -2, 1), X34, grad=[0]),
        case(lambda L, x: L.roll(x, (1, 5), (0, -1)), X234, grad=[0]),
        case(lambda L, x: L.roll(x, 2, 0), floats(0, 3), grad=[0], label="empty"),
    ], [case(lambda L, x: x.roll(1, 0), X34, grad=[0])]),
    *_both("rot90", [
        case(lambda L, x, k=k: L.rot90(x, k), X34, grad=[0], label=f"k={k}")
        for k in (-1, 0, 1, 2, 3, 5)
    ] + [case(lambda L, x: L.rot90(x, 1, (2, 0)), X234, grad=[0])],
        [case(lambda L, x: x.rot90(1, (-1, -2)), X234, grad=[0])]),
    *_both("diagonal", [
        case(lambda L, x: L.diagonal(x), X34, grad=[0]),
        case(lambda L, x: L.diagonal(x, 1), X34, grad=[0]),
        case(lambda L, x: L.diagonal(x, -2), X34, grad=[0]),
        case(lambda L, x: L.diagonal(x, 5), X34, grad=[0], label="empty"),
        case(lambda L, x: L.diagonal(x, 1, -1, 0), X234, grad=[0]),
    ], [case(lambda L, x: x.diagonal(0, 1, 2), X234, grad=[0])]),
    *_both("diag", [
        case(lambda L, x: L.diag(x), floats(3), grad=[0]),
        case(lambda L, x: L.diag(x, -1), floats(3), grad=[0]),
        case(lambda L, x: L.diag(x, 1), X34, grad=[0]),
        case(lambda L, x: L.diag(x), X234, raises=True),
    ], [case(lambda L, x: x.diag(), X34, grad=[0])]),
    *_both("diag_embed", [
        case(lambda L, x: L.diag_embed(x), X34, grad=[0]),
        case(lambda L, x: L.diag_embed(x, 1), X34, grad=[0]),
        case(lambda L, x: L.diag_embed(x, -1, 0, 2), X34, grad=[0]),
        case(lambda L, x: L.diag_embed(x, 0, 2, 0), X34, grad=[0]),
    ], [case(lambda L, x: x.diag_embed(), floats(3), grad=[0])]),
    *_both("tril", [
        case(lambda L, x: L.tril(x), X34, grad=[0]),
        case(lambda L, x: L.tril(x, 1), X234, grad=[0]),
        case(lambda L, x: L.tril(x, -5), X34, grad=[0]),
        case(lambda L: L.tril(L.ones(3, 3, dtype=L.int64))),
        case(lambda L, x: L.tril(x), floats(3), raises=True),
    ], [case(lambda L, x: x.tril(-1), X34, grad=[0])]),
    *_both("triu", [
        case(lambda L, x: L.triu(x), X34, grad=[0]),
        case(lambda L, x: L.triu(x, -1), X234, grad=[0]),
        case(lambda L, x: L.triu(x, 2), floats(0, 3), grad=[0]),
    ], [case(lambda L, x: x.triu(1), X34, grad=[0])]),
    Entry("Tensor.tril_", [case(lambda L, x: x.clone().tril_(), X34, grad=[0])]),
    Entry("Tensor.triu_", [case(lambda L, x: x.clone().triu_(1), X34, grad=[0])]),
]

# ------------------------------------------------------------------------------ moving dims
MOVING = [
    *_both("movedim", [
        case(lambda L, x: L.movedim(x, 0, -1), X234, grad=[0]),
        case(lambda L, x: L.movedim(x, (0, 1), (2, 0)), X234, grad=[0]),
        case(lambda L, x: L.movedim(x, 0, 0), floats(), grad=[0]),
        case(lambda L, x: L.movedim(x, (0, 0), (1, 2)), X234, raises=True),
    ], [case(lambda L, x: x.movedim(-1, 0), X234, grad=[0])]),
    *_both("moveaxis", [case(lambda L, x: L.moveaxis(x, (1, 2), (0, 1)), X234, grad=[0])],
           [case(lambda L, x: x.moveaxis(1, 2), X234, grad=[0])]),
    *_both("swapdims", [case(lambda L, x: L.swapdims(x, 0, -1), X234, grad=[0])],
           [case(lambda L, x: x.swapdims(1, 0), X34, grad=[0])]),
    Entry("swapaxes", [case(lambda L, x: L.swapaxes(x, 2, 0), X234, grad=[0])]),
    *_both("unflatten", [
        case(lambda L, x: L.unflatten(x, 1, (2, 2)), X34, grad=[0]),
        case(lambda L, x: L.unflatten(x, -1, (-1, 2)), X234, grad=[0]),
    ], [case(lambda L, x: x.unflatten(0, (1, 3)), X34, grad=[0])]),
    Entry("squeeze", [
        case(lambda L, x: L.squeeze(x), floats(1, 3, 1), grad=[0]),
        case(lambda L, x: L.squeeze(x, 0), floats(1, 3, 1), grad=[0]),
        case(lambda L, x: L.squeeze(x, (0, 2)), floats(1, 3, 1), grad=[0]),
        case(lambda L, x: L.squeeze(x, dim=-1), floats(1, 3, 1), grad=[0]),
        case(lambda L, x: L.squeeze(x, 1), floats(1, 3, 1), grad=[0], label="not size 1"),
        case(lambda L, x: L.squeeze(x, 0), floats(), grad=[0]),
    ]),
]

# ------------------------------------------------------------------------------ splitting, joining
SPLITS = [
    *_both("unbind", [
        case(lambda L, x: L.unbind(x), X34, grad=[0]),
        case(lambda L, x: L.unbind(x, -1), X234, grad=[0]),
        case(lambda L, x: L.unbind(x, 0), floats(0, 2), grad=[0]),
    ], [case(lambda L, x: x.unbind(1), X34, grad=[0])]),
    *_both("split", [
        case(lambda L, x: L.split(x, 2), floats(5, 2), grad=[0]),
        case(lambda L, x: L.split(x, [1, 3], dim=1), X34, grad=[0]),
    ], [case(lambda L, x: x.split(3, -1), X34, grad=[0])]),
    *_both("chunk", [
        case(lambda L, x: L.chunk(x, 2), floats(5, 2), grad=[0]),
        case(lambda L, x: L.chunk(x, 3, 1), X34, grad=[0]),
    ], [case(lambda L, x: x.chunk(4, 0), X34, grad=[0])]),
    *_both("tensor_split", [
        case(lambda L, x: L.tensor_split(x, 3), floats(7, 2), grad=[0]),
        case(lambda L, x: L.tensor_split(x, (1, 3), dim=1), X34, grad=[0]),
        case(lambda L, x: L.tensor_split(x, [3, 1, 9]), floats(5), grad=[0], label="unordered"),
        case(lambda L, x: L.tensor_split(x, 5), floats(3), grad=[0], label="more than size"),
    ], [case(lambda L, x: x.tensor_split(2, -1), X34, grad=[0])]),
    *_both("hsplit", [case(lambda L, x: L.hsplit(x, 2), X34, grad=[0]),
                      case(lambda L, x: L.hsplit(x, [1]), floats(4), grad=[0]),
                      case(lambda L, x: L.hsplit(x, 3), X34, raises=True)],
           [case(lambda L, x: x.hsplit([1, 2]), X34, grad=[0])]),
    *_both("vsplit", [case(lambda L, x: L.vsplit(x, 3), X34, grad=[0]),
                      case(lambda L, x: L.vsplit(x, 2), floats(4), raises=True)],
           [case(lambda L, x: x.vsplit([2]), X34, grad=[0])]),
    *_both("dsplit", [case(lambda L, x: L.dsplit(x, 2), X234, grad=[0])],
           [case(lambda L, x: x.dsplit([1]), X234, grad=[0])]),
]

JOINS = [
    Entry(name, [
        case(lambda L, x, y, name=name: getattr(L, name)([x, y]), floats(3), floats(3),
             grad=[0, 1], label="1-d"),
        case(lambda L, x, y, name=name: getattr(L, name)((x, y)), floats(2, 3), floats(2, 3),
             grad=[0, 1], label="2-d"),
        case(lambda L, x, y, name=name: getattr(L, name)([x, y]), floats(), floats(),
             grad=[0, 1], label="0-d"),
    ])
    for name in ("hstack", "vstack", "row_stack", "dstack", "column_stack")
] + [
    Entry("stack", [
        case(lambda L, x, y: L.stack([x, y], dim=-1), X34, X34, grad=[0, 1]),
        case(lambda L, x, y: L.stack((x, y)), floats(), floats(), grad=[0, 1]),
    ]),
    *[Entry(name, [
        case(lambda L, x, y, name=name: getattr(L, name)([x, y], 1), X34, floats(3, 2),
             grad=[0, 1]),
        case(lambda L, x, y, name=name: getattr(L, name)((x, y), dim=-2), X34, floats(1, 4),
             grad=[0, 1]),
    ]) for name in ("cat", "concat", "concatenate")],
    *[Entry(name, [
        case(lambda L, x, name=name: getattr(L, name)(x), floats(), grad=[0]),
        case(lambda L, x, name=name: getattr(L, name)(x), floats(3), grad=[0]),
        case(lambda L, x, name=name: getattr(L, name)(x), X34, grad=[0]),
        case(lambda L, x, name=name: getattr(L, name)(x), X234, grad=[0]),
        case(lambda L, x, y, name=name: getattr(L, name)(x, y), floats(), floats(2),
             grad=[0, 1]),
        case(lambda L, x, y, name=name: getattr(L, name)([x, y]), floats(), floats(2),
             grad=[0, 1]),
    ]) for name in ("atleast_1d", "atleast_2d", "atleast_3d")],
]

GRIDS = [
    Entry("meshgrid", [
        case(lambda L, x, y: L.meshgrid(x, y, indexing="ij"), floats(3), floats(2),
             grad=[0, 1]),
        case(lambda L, x, y: L.meshgrid(x, y, indexing="xy"), floats(3), floats(2),
             grad=[0, 1]),
        case(lambda L, x, y, z: L.meshgrid([x, y, z], indexing="xy"), floats(3), floats(2),
             floats(4), grad=[0, 1, 2]),
        case(lambda L, x: L.meshgrid(x, indexing="ij"), floats(3), grad=[0]),
        case(lambda L, x, y: L.meshgrid(x, y, indexing="ij"), floats(), floats(2),
             grad=[0, 1], label="0-d"),
    ]),
    Entry("broadcast_tensors", [
        case(lambda L, x, y: L.broadcast_tensors(x, y), floats(3, 1), floats(4), grad=[0, 1]),
        case(lambda L, x, y: L.broadcast_tensors(x, y), floats(), floats(0, 2), grad=[0, 1]),
        case(lambda L, x, y: L.broadcast_tensors(x, y), floats(3), floats(4), raises=True),
    ]),
    Entry("broadcast_shapes", [
        case(lambda L: tuple(L.broadcast_shapes((3, 1), (4,), ()))),
        case(lambda L: tuple(L.broadcast_shapes(2, (3, 1)))),
        case(lambda L: type(L.broadcast_shapes(2, (3, 1))).__name__),
        case(lambda L: L.broadcast_shapes((3,), (4,)), raises=True),
    ]),
    Entry("numel", [case(lambda L, x: L.numel(x), X34), case(lambda L, x: L.numel(x), floats()),
                    case(lambda L, x: L.numel(x), floats(0, 3))]),
    Entry("clone", [case(lambda L, x: L.clone(x), X34, grad=[0]),
                    case(lambda L, x: L.clone(x), DRAWN, grad=[0])]),
]

# ------------------------------------------------------------------------------ sorting
SORTING = [
    *_both("sort", [
        case(lambda L, x: L.sort(x), X34, grad=[0]),
        case(lambda L, x: L.sort(x, 0, descending=True), X34, grad=[0]),
        case(lambda L, x: L.sort(x, dim=-2, stable=True), ints(4, 3, low=0, high=3),
             label="stable ties"),
        case(lambda L, x: L.sort(x, descending=True, stable=True), ints(3, 6, low=0, high=3),
             label="stable descending ties"),
        case(lambda L, x: L.sort(x), floats(), grad=[0], label="0-d"),
        case(lambda L, x: L.sort(x), floats(3, 0), grad=[0], label="empty"),
        case(lambda L: L.sort(L.tensor([2.0, float("nan"), 1.0, float("nan")]),
                              descending=True, stable=True), label="nan first"),
        case(lambda L: L.sort(L.tensor([2.0, float("nan"), 1.0]), stable=True), label="nan"),
    ], [case(lambda L, x: x.sort(1), X34, grad=[0])]),
    *_both("argsort", [
        case(lambda L, x: L.argsort(x), X34),
        case(lambda L, x: L.argsort(x, 0, descending=True), X34),
        case(lambda L, x: L.argsort(x, stable=True), ints(9, low=0, high=3)),
    ], [case(lambda L, x: x.argsort(dim=0), X34)]),
    *_both("msort", [case(lambda L, x: L.msort(x), X34, grad=[0])],
           [case(lambda L, x: x.msort(), floats(5), grad=[0])]),
    *_both("topk", [
        case(lambda L, x: L.topk(x, 2), X34, grad=[0]),
        case(lambda L, x: L.topk(x, 3, dim=0, largest=False), X34, grad=[0]),
        case(lambda L, x: L.topk(x, 0), X34, grad=[0]),
        case(lambda L, x: L.topk(x, 1), floats(), grad=[0]),
        case(lambda L, x: L.topk(x, 5), X34, raises=True),
    ], [case(lambda L, x: x.topk(2, 0), X34, grad=[0])]),
    *_both("kthvalue", [
        case(lambda L, x: L.kthvalue(x, 2), X34, grad=[0]),
        case(lambda L, x: L.kthvalue(x, 3, 0, keepdim=True), X34, grad=[0]),
        case(lambda L, x: L.kthvalue(x, 1), floats(), grad=[0]),
        case(lambda L, x: L.kthvalue(x, 5), X34, raises=True),
    ], [case(lambda L, x: x.kthvalue(1, -1), X34, grad=[0])]),
    *_both("median", [
        case(lambda L, x: L.median(x), X34, grad=[0]),
        case(lambda L, x: L.median(x), floats(5), grad=[0], label="odd"),
        case(lambda L, x: L.median(x, 1), X34, grad=[0], label="lower median of even"),
        case(lambda L, x: L.median(x, 0, keepdim=True), X34, grad=[0]),
        case(lambda L, x: L.median(x, 0), floats(), grad=[0]),
        case(lambda L: L.median(L.tensor([[1.0, float("nan"), 3.0, float("nan")]]), 1)),
        case(lambda L: L.median(L.tensor([1.0, float("nan"), 3.0]))),
        case(lambda L: L.median(L.tensor([]))),
    ], [case(lambda L, x: x.median(-1), X34, grad=[0]),
        case(lambda L, x: x.median(), X234, grad=[0])]),
    *_both("nanmedian", [
        case(lambda L, x: L.nanmedian(x), X34, grad=[0]),
        case(lambda L: L.nanmedian(L.tensor([[1.0, float("nan"), 3.0, 2.0],
                                              [float("nan")] * 3 + [2.0]]), 1)),
        case(lambda L: L.nanmedian(L.tensor([1.0, float("nan"), 3.0, 0.5]))),
    ], [case(lambda L, x: x.nanmedian(0), X34, grad=[0])]),
    *_both("mode", [
        case(lambda L, x: L.mode(x), ints(4, 7, low=0, high=3)),
        case(lambda L, x: L.mode(x, 0, keepdim=True), ints(6, 3, low=0, high=2)),
        case(lambda L: L.mode(L.tensor([1.0, 2.0, 2.0, 3.0, 3.0, 1.0])), label="tie"),
        case(lambda L, x: L.mode(x), X34, grad=[0], label="all distinct"),
        case(lambda L, x: L.mode(x), floats(), grad=[0]),
    ], [case(lambda L, x: x.mode(1), ints(3, 5, low=0, high=2))]),
    *[entry for name in ("quantile", "nanquantile") for entry in _both(name, [
        case(lambda L, x, name=name, m=m: getattr(L, name)(x, 0.3, dim=1, interpolation=m),
             X34, grad=[0], label=m)
        for m in ("linear", "lower", "higher", "midpoint", "nearest")
    ] + [
        case(lambda L, x, name=name: getattr(L, name)(x, 0.5), X34, grad=[0], label="all"),
        case(lambda L, x, name=name: getattr(L, name)(x, 0.5, keepdim=True), X34, grad=[0],
             label="all keepdim"),
        case(lambda L, x, q, name=name: getattr(L, name)(x, q, dim=0, keepdim=True), X34,
             floats(3, low=0, high=1), grad=[0], label="q vector"),
        case(lambda L, x, name=name: getattr(L, name)(x, 0.25), floats(), grad=[0]),
        case(lambda L, name=name: getattr(L, name)(
            L.tensor([[1.0, float("nan"), 3.0, 2.0], [float("nan")] * 4]), 0.4, dim=1),
             label="nan"),
        case(lambda L, x, name=name: getattr(L, name)(x, 1.5), X34, raises=True),
    ], [case(lambda L, x, name=name: getattr(x, name)(0.75, 0), X34, grad=[0])])],
]

COUNTING = [
    *_both("unique", [
        case(lambda L, x: L.unique(x), ints(3, 4, low=0, high=4)),
        case(lambda L, x: L.unique(x, return_inverse=True, return_counts=True),
             ints(3, 4, low=0, high=4)),
        case(lambda L, x: L.unique(x, return_counts=True), floats(6)),
        case(lambda L: L.unique(L.tensor([[1, 2], [1, 2], [0, 5]]), dim=0,
                                return_inverse=True, return_counts=True)),
        case(lambda L: L.unique(L.tensor(3))),
    ], [case(lambda L, x: x.unique(return_inverse=True), ints(5, low=0, high=3))]),
    *_both("unique_consecutive", [
        case(lambda L: L.unique_consecutive(L.tensor([1, 1, 2, 2, 3, 1, 1, 2]),
                                            return_inverse=True, return_counts=True)),
        case(lambda L, x: L.unique_consecutive(x), ints(3, 4, low=0, high=2)),
        case(lambda L: L.unique_consecutive(L.tensor([[1, 2], [1, 2], [0, 5], [1, 2]]), dim=0,
                                            return_inverse=True, return_counts=True)),
    ], [case(lambda L, x: x.unique_consecutive(return_counts=True), ints(8, low=0, high=2))]),
    *_both("bincount", [
        case(lambda L, x: L.bincount(x), ints(10, low=0, high=5)),
        case(lambda L, x, w: L.bincount(x, w), ints(10, low=0, high=5), floats(10)),
        case(lambda L, x: L.bincount(x, minlength=8), ints(6, low=0, high=5)),
        case(lambda L: L.bincount(L.tensor([], dtype=L.int64))),
        case(lambda L: L.bincount(L.tensor([0, 1]), L.tensor([1, 2])), label="int weights"),
        case(lambda L: L.bincount(L.tensor([-1, 1])), raises=True),
    ], [case(lambda L, x: x.bincount(), ints(5, low=0, high=3))]),
    *_both("histc", [
        case(lambda L, x: L.histc(x, bins=5), X34),
        case(lambda L, x: L.histc(x, 4, -1, 1), X34),
        case(lambda L: L.histc(L.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)),
        case(lambda L: L.histc(L.tensor([2.0, 2.0]), bins=3)),
    ], [case(lambda L, x: x.histc(3), floats(10))]),
    Entry("searchsorted", [
        case(lambda L, v: L.searchsorted(L.tensor([-1.0, 0.0, 0.5, 1.5]), v), X34),
        case(lambda L, v: L.searchsorted(L.tensor([-1.0, 0.0, 0.0, 1.5]), v, right=True),
             floats(5, low=-2, high=2)),
        case(lambda L: L.searchsorted(L.tensor([1, 3, 5, 7]), L.tensor([3, 6, 9]), side="right")),
        case(lambda L: L.searchsorted(L.tensor([1, 3, 5, 7]), 4), label="scalar"),
        case(lambda L: L.searchsorted(L.tensor([[1, 3, 5], [2, 4, 6]]),
                                      L.tensor([[3, 6], [1, 5]])), label="batched"),
        case(lambda L: L.searchsorted(L.tensor([1, 3]), L.tensor([2]), out_int32=True)),
    ]),
    Entry("bucketize", [
        case(lambda L, x: L.bucketize(x, L.tensor([-1.0, 0.0, 1.0])), X34),
        case(lambda L: L.bucketize(L.tensor([1, 3, 5]), L.tensor([1, 3, 5]), right=True)),
        case(lambda L: L.bucketize(3, L.tensor([1, 3, 5])), label="scalar"),
    ]),
    *_both("aminmax", [
        case(lambda L, x: L.aminmax(x), X34, grad=[0]),
        case(lambda L, x: L.aminmax(x, dim=1, keepdim=True), X34, grad=[0]),
        case(lambda L, x: L.aminmax(x, dim=0), floats(), grad=[0]),
    ], [case(lambda L, x: x.aminmax(dim=-1), X34, grad=[0])]),
    Entry("var_mean", [
        case(lambda L, x: L.var_mean(x), X34, grad=[0]),
        case(lambda L, x: L.var_mean(x, 1), X34, grad=[0]),
        case(lambda L, x: L.var_mean(x, (0, 1), correction=0, keepdim=True), X234, grad=[0]),
        case(lambda L, x: L.var_mean(x, dim=0, unbiased=False), X34, grad=[0]),
    ]),
    Entry("std_mean", [
        case(lambda L, x: L.std_mean(x), X34, grad=[0]),
        case(lambda L, x: L.std_mean(x, -1, keepdim=True), X34, grad=[0]),
        case(lambda L, x: L.std_mean(x, dim=0, correction=2), X34, grad=[0]),
    ]),
    Entry("logsumexp", [
        case(lambda L, x: L.logsumexp(x, 1), X34, grad=[0]),
        case(lambda L, x: L.logsumexp(x, dim=(0, 1), keepdim=True), X234, grad=[0]),
    ]),
]

# ------------------------------------------------------------------------------ norms
NORMS = [
    *_both("norm", [
        case(lambda L, x: L.norm(x), X34, grad=[0]),
        case(lambda L, x: L.norm(x, dim=1), X34, grad=[0]),
        case(lambda L, x: L.norm(x, 1, dim=0, keepdim=True), X34, grad=[0]),
        case(lambda L, x: L.norm(x, 3), X34, grad=[0]),
        case(lambda L, x: L.norm(x, math.inf, dim=-1), X34, grad=[0]),
        case(lambda L, x: L.norm(x, -math.inf), X34, grad=[0]),
        case(lambda L, x: L.norm(x, 0), X34, grad=[0]),
        case(lambda L: L.norm(L.zeros(3, dtype=L.float64, requires_grad=True)),
             label="zero vector"),
        case(lambda L, x: L.norm(x), floats(), grad=[0]),
        case(lambda L, x: L.norm(x, p="fro", dim=(0, 1)), X234, grad=[0]),
    ], [case(lambda L, x: x.norm(2, 1), X34, grad=[0]),
        case(lambda L, x: x.norm(), DRAWN, grad=[0])]),
    Entry("linalg.vector_norm", [
        case(lambda L, x: L.linalg.vector_norm(x), X34, grad=[0]),
        case(lambda L, x: L.linalg.vector_norm(x, 1.5, dim=(0, 2)), X234, grad=[0]),
        case(lambda L, x: L.linalg.vector_norm(x, math.inf, keepdim=True), X34, grad=[0]),
        case(lambda L, x: L.linalg.vector_norm(x, 2), floats(0, 3), grad=[0]),
        case(lambda L, x: L.linalg.vector_norm(x, 0.5, -1), positive(3, 4), grad=[0]),
        case(lambda L, x: L.linalg.vector_norm(x), DRAWN, grad=[0]),
    ]),
    Entry("linalg.matrix_norm", [
        case(lambda L, x, o=o: L.linalg.matrix_norm(x, o), X234, grad=[0], label=str(o))
        for o in ("fro", 1, -1, math.inf, -math.inf, "nuc", 2, -2)
    ] + [case(lambda L, x: L.linalg.matrix_norm(x, dim=(0, 2), keepdim=True), X234,
              grad=[0]),
         case(lambda L, x: L.linalg.matrix_norm(x, 2, dim=(2, 0), keepdim=True), X234,
              grad=[0], label="2, dims (2, 0), keepdim"),
         case(lambda L, x: L.linalg.matrix_norm(x), floats(4), raises=True)]),
    Entry("linalg.norm", [
        case(lambda L, x: L.linalg.norm(x), X234, grad=[0]),
        case(lambda L, x: L.linalg.norm(x, 1), floats(5), grad=[0]),
        case(lambda L, x: L.linalg.norm(x, math.inf), X34, grad=[0]),
        case(lambda L, x: L.linalg.norm(x, dim=1), X34, grad=[0]),
        case(lambda L, x: L.linalg.norm(x, -1, dim=(1, 0)), X34, grad=[0]),
        case(lambda L, x: L.linalg.norm(x, 2), X234, raises=True),
    ]),
]

# ------------------------------------------------------------------------------ creation, sampling
CREATION = [
    Entry("arange", [
        case(lambda L: L.arange(0, 1, 0.1)), case(lambda L: L.arange(1, 2.5, 0.3)),
        case(lambda L: L.arange(5.0)), case(lambda L: L.arange(10, 0, -3)),
        case(lambda L: L.arange(0, 1, 1 / 3, dtype=L.float64)),
        case(lambda L: L.arange(-1.5, 2)), case(lambda L: L.arange(0, 1, -1), raises=True),
    ]),
    Entry("logspace", [
        case(lambda L: L.logspace(0, 2, 5)), case(lambda L: L.logspace(-1, 1, 4, base=2.0)),
        case(lambda L: L.logspace(0, 3, 4, dtype=L.float64)),
        case(lambda L: L.logspace(0, 2, 3, dtype=L.int64)),
    ]),
    Entry("empty_like", [case(lambda L, x: L.empty_like(x), X34, compare="shape"),
                         case(lambda L, x: L.empty_like(x, dtype=L.int64), X34,
                              compare="shape")]),
    Entry("full_like", [case(lambda L, x: L.full_like(x, 2.5), X34),
                        case(lambda L, x: L.full_like(x, 2.5), ints(3))]),
    Entry("zeros_like", [case(lambda L, x: L.zeros_like(x), ints(3)),
                         case(lambda L, x: L.zeros_like(x), bools(2))]),
    Entry("ones_like", [case(lambda L, x: L.ones_like(x, dtype=L.float32), ints(3))]),
    Entry("rand_like", [case(lambda L, x: L.rand_like(x), X34, compare="shape")]),
    Entry("randn_like", [case(lambda L, x: L.randn_like(x), X34, compare="shape")]),
    Entry("randint_like", [case(lambda L, x: L.randint_like(x, 5), X34, compare="shape"),
                           case(lambda L, x: L.randint_like(x, 2, 5), ints(3),
                                compare="shape")]),
    Entry("normal", [
        case(lambda L: L.normal(0.0, 1.0, (3, 4)), compare="shape"),
        case(lambda L, m, s: L.normal(m, s), X34, positive(3, 4), compare="shape"),
        case(lambda L, m: L.normal(m, 2.0), X34, compare="shape"),
        case(lambda L, s: L.normal(1.0, s), positive(4), compare="shape"),
    ]),
    Entry("randperm", [case(lambda L: L.randperm(6), compare="shape"),
                       case(lambda L: L.randperm(0), compare="shape"),
                       case(lambda L: L.sort(L.randperm(7)).values)]),
    *_both("multinomial", [
        case(lambda L, p: L.multinomial(p, 3), positive(5), compare="shape"),
        case(lambda L, p: L.multinomial(p, 8, replacement=True), positive(2, 4),
             compare="shape"),
        case(lambda L, p: L.multinomial(p, 6), positive(5), raises=True),
        case(lambda L, p: L.sort(L.multinomial(p, 4)).values, positive(4),
             label="without replacement: a permutation"),
    ], [case(lambda L, p: p.multinomial(2), positive(3, 5), compare="shape")]),
    *_both("bernoulli", [case(lambda L, p: L.bernoulli(p), floats(3, 4, low=0, high=1),
                              compare="shape")],
           [case(lambda L, p: p.bernoulli(), floats(5, low=0, high=1), compare="shape")]),
    Entry("poisson", [case(lambda L, r: L.poisson(r), positive(3, 4), compare="shape")]),
    Entry("Tensor.new_zeros", [case(lambda L, x: x.new_zeros(2, 3), ints(2)),
                               case(lambda L, x: x.new_zeros((2,)), X34)]),
    Entry("Tensor.new_ones", [case(lambda L, x: x.new_ones((2, 3)), X34),
                              case(lambda L, x: x.new_ones(2, dtype=L.float32), ints(2))]),
    Entry("Tensor.new_full", [case(lambda L, x: x.new_full((2, 2), 3.5), X34),
                              case(lambda L, x: x.new_full((2,), 3.5), ints(2))]),
    Entry("Tensor.new_empty", [case(lambda L, x: x.new_empty((2, 3)), X34, compare="shape")]),
    Entry("Tensor.new_tensor", [case(lambda L, x: x.new_tensor([1, 2]), X34),
                                case(lambda L, x: x.new_tensor([1.5]), ints(2)),
                                case(lambda L, x: x.new_tensor(2), X34)]),
    Entry("Tensor.tolist", [case(lambda L, x: x.tolist() == x.tolist(), X34)]),
    Entry("Tensor.item", [case(lambda L, x: x.item(), floats())]),
]

ENTRIES = [*SCATTER, *INDEX, *MASKS, *NONZERO, *REPEAT, *FLIPS, *MOVING, *SPLITS, *JOINS,
           *GRIDS, *SORTING, *COUNTING, *NORMS, *CREATION]
_ = (value, NONEMPTY)
