"""Conformance entries for views: writing into a view writes into its base, as in PyTorch."""
from __future__ import annotations

from harness import Entry, case, floats


def _written(view):
    def program(L, x):
        base = x.clone()
        with L.no_grad():
            view(base).mul_(0).add_(7)
        return base
    return program


ENTRIES = [
    Entry("select", [case(lambda L, x: L.select(x, 1, -1), floats(2, 3, 4), grad=[0]),
                     case(lambda L, x: L.select(x, 0, 5), floats(2, 3), raises=True,
                          label="index out of range"),
                     case(_written(lambda t: t.select(2, 1)), floats(2, 3, 4),
                          label="writes through")]),
    Entry("Tensor.select", [case(lambda L, x: x.select(-1, 0), floats(3, 2), grad=[0]),
                            case(lambda L, x: x.select(0, 1), floats(3), grad=[0],
                                 label="to 0-d")]),
    Entry("Tensor.diagonal", [case(_written(lambda t: t.diagonal(1)), floats(3, 4),
                                   label="writes through"),
                              case(_written(lambda t: t.diagonal(0, 0, 2)), floats(2, 3, 2),
                                   label="dims, writes through")]),
    Entry("Tensor.unfold", [case(_written(lambda t: t.unfold(1, 2, 2)), floats(3, 5),
                                 label="non-overlapping windows write through"),
                            case(lambda L, x: x.unfold(0, 3, 1).sum(), floats(6), grad=[0],
                                 label="overlapping windows: gradient sums")]),
]
