"""Conformance entries for spatial sampling: ``F.affine_grid`` and ``F.grid_sample``
(chainrule/ops/grid_sample.py), alone and chained as in a spatial transformer.

Grid points are drawn in [−1.3, 1.3], so some fall outside the input and exercise each padding
mode; every case differentiates with respect to both the input and the grid.
"""
from __future__ import annotations

from harness import Entry, case, floats, ints, value

X = floats(2, 3, 4, 5)
GRID = floats(2, 3, 6, 2, low=-1.3, high=1.3)
X5 = floats(2, 2, 3, 4, 5)
GRID5 = floats(2, 2, 3, 2, 3, low=-1.3, high=1.3)
THETA = floats(2, 2, 3)
THETA3 = floats(2, 3, 4)


def _F(L):
    return L.nn.functional


def _sample(mode: str, padding: str, align_corners: bool):
    return lambda L, x, g: _F(L).grid_sample(x, g, mode=mode, padding_mode=padding,
                                             align_corners=align_corners)


def _every(x, grid, modes, dims: str) -> list:
    return [case(_sample(m, p, a), x, grid, grad=[0, 1], label=f"{dims} {m} {p} ac={a}")
            for m in modes for p in ("zeros", "border", "reflection") for a in (False, True)]


def _transform(L, x, theta):
    grid = _F(L).affine_grid(theta, list(x.shape), align_corners=False)
    return _F(L).grid_sample(x, grid, align_corners=False)


GRID_SAMPLE = [Entry("nn.functional.grid_sample", [
    *_every(X, GRID, ("bilinear", "nearest", "bicubic"), "4-d"),
    *_every(X5, GRID5, ("bilinear", "nearest"), "5-d"),
    case(lambda L, x, g: _F(L).grid_sample(x, g, align_corners=False), floats(1, 1, 1, 1),
         floats(1, 2, 2, 2, low=-1.5, high=1.5), grad=[0, 1], label="a 1×1 input"),
    case(_sample("bilinear", "zeros", False), floats(0, 2, 3, 4), floats(0, 2, 2, 2),
         grad=[0, 1], label="empty batch"),
    case(_sample("bicubic", "border", False), floats(2, 0, 3, 4), GRID, grad=[0, 1],
         label="no channels"),
    case(_sample("bilinear", "reflection", True), floats(2, 3, 4, 5, dtype="float32"),
         floats(2, 3, 6, 2, low=-1.3, high=1.3, dtype="float32"), grad=[0, 1],
         label="float32"),
    case(_sample("bilinear", "zeros", False), floats(2, 3, 4, 5, dtype="float32"), GRID,
         raises=True, label="input and grid of different dtypes"),
    case(lambda L, x, g: _F(L).grid_sample(x, g, mode="bicubic", align_corners=False), X5,
         GRID5, raises=True, label="bicubic on 5-d"),
    case(lambda L, x, g: _F(L).grid_sample(x, g, mode="area", align_corners=False), X, GRID,
         raises=True, label="unknown mode"),
    case(lambda L, x, g: _F(L).grid_sample(x, g, padding_mode="circular", align_corners=False),
         X, GRID, raises=True, label="unknown padding"),
    case(lambda L, x, g: _F(L).grid_sample(x, g, align_corners=False), X,
         floats(2, 3, 6, 3), raises=True, label="grid of 3 coordinates for a 4-d input"),
    case(lambda L, x, g: _F(L).grid_sample(x, g, align_corners=False), X,
         floats(1, 3, 6, 2), raises=True, label="batch sizes differ"),
    case(lambda L, x, g: _F(L).grid_sample(x, g, align_corners=False), floats(2, 3, 4),
         floats(2, 3, 2), raises=True, label="3-d input"),
    case(lambda L, x, g: _F(L).grid_sample(x, g, align_corners=False), floats(2, 3, 0, 5),
         GRID, raises=True, label="empty spatial axis"),
])]

AFFINE_GRID = [Entry("nn.functional.affine_grid", [
    case(lambda L, t: _F(L).affine_grid(t, [2, 3, 4, 5], align_corners=False), THETA,
         grad=[0], label="2-d"),
    case(lambda L, t: _F(L).affine_grid(t, (2, 1, 5, 3), align_corners=True), THETA,
         grad=[0], label="2-d align_corners"),
    case(lambda L, t: _F(L).affine_grid(t, [2, 1, 1, 4], align_corners=False), THETA,
         grad=[0], label="2-d unit axis"),
    case(lambda L, t: _F(L).affine_grid(t, [2, 3, 2, 4, 3], align_corners=False), THETA3,
         grad=[0], label="3-d"),
    case(lambda L, t: _F(L).affine_grid(t, [2, 3, 3, 2, 4], align_corners=True), THETA3,
         grad=[0], label="3-d align_corners"),
    case(lambda L, t: _F(L).affine_grid(t, [2, 3, 4, 5], align_corners=False), THETA3,
         raises=True, label="3-d theta for a 4-d size"),
    case(lambda L, t: _F(L).affine_grid(t, [2, 3, 4], align_corners=False), THETA,
         raises=True, label="3-entry size"),
    case(lambda L, t: _F(L).affine_grid(t, [2, 3, 0, 5], align_corners=False), THETA,
         raises=True, label="empty size"),
    case(lambda L, t: _F(L).affine_grid(t, [2, 3, 4, 5], align_corners=False),
         ints(2, 2, 3), raises=True, label="integer theta"),
    case(lambda L, t: _F(L).affine_grid(t, [3, 1, 4, 5], align_corners=False), THETA,
         raises=True, label="batch sizes differ"),
    case(lambda L, t, s: _F(L).affine_grid(t, s, align_corners=False), THETA,
         value([2, 3, 4, 5]), grad=[0], label="size as a list value"),
    case(_transform, X, floats(2, 2, 3, low=-1.2, high=1.2), grad=[0, 1],
         label="spatial transformer: affine_grid then grid_sample"),
])]

ENTRIES = GRID_SAMPLE + AFFINE_GRID
