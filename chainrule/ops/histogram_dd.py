"""``torch.histogramdd``: the N-dimensional histogram of points, with PyTorch's bin edges (its
linspace, to the bit) and binning rules. Computed on the host with NumPy (counts are not
differentiable) and returned in the input's array library.
"""
from __future__ import annotations

import builtins
import math
from collections.abc import Sequence

from .. import return_types
from ..backend import xp
from ..tensor import Tensor


def histogramdd(input, bins, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """The N-dimensional histogram of the points in the rows of ``input`` (shape (…, N)):
    ``torch.histogramdd``, returning (hist, bin_edges) with one tensor of edges per dimension.

    ``bins``: an int (bins per dimension), N ints, or N 1-d tensors of edges (input's dtype).
    Equal-width edges span ``range`` ([min₀, max₀, min₁, max₁, …]) or each dimension's data
    min and max (±0.5 around a single value) and are PyTorch's linspace to the bit
    (:func:`chainrule.ops.creation.evenly_spaced`). Bin i of a dimension holds eᵢ ≤ v < eᵢ₊₁, its
    last bin also its right edge; a point outside any dimension's edges is not counted.
    ``weight`` (shape input.shape[:-1]): each point counts its weight. ``density``: hist divided
    by its total and by each bin's volume, so that it integrates to 1. Not differentiable.
    """
    from .creation import evenly_spaced
    from .sorting import _arr, _result
    from .utilities_more import _aten_name

    x = _arr(input)
    if x.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogramdd\" not implemented for "
                                  f"'{_aten_name(x.dtype)}'")
    n_dims = x.shape[-1]
    points = x.reshape(-1, n_dims)
    if isinstance(bins, int) and not isinstance(bins, bool):
        bins = [bins] * n_dims
    elif isinstance(bins, Tensor) or not isinstance(bins, Sequence):
        raise TypeError("histogramdd(): bins must be an int, a sequence of ints or a sequence "
                        f"of 1-d tensors, not {type(bins).__name__}")
    bins = list(bins)
    if len(bins) != n_dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    if range is not None and len(range) != 2 * n_dims:
        raise RuntimeError(f"torch.histogramdd: for a {n_dims}-dimensional histogram range "
                           f"should have {2 * n_dims} elements, but got {len(range)}")
    edges = []
    for d, b in enumerate(bins):
        if isinstance(b, Tensor):
            e = _arr(b)
            if e.dtype != x.dtype:
                raise RuntimeError(
                    "torch.histogramdd: input tensor and bins tensors should have the same "
                    f"dtype, but got input with dtype {_torch_name(x.dtype)} and bins for "
                    f"dimension {d} with dtype {_torch_name(e.dtype)}")
            if e.ndim != 1 or e.size < 1:
                raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension "
                                   f"and at least 1 element, but got {e.ndim} dimensions and "
                                   f"{e.size} elements for dimension {d}")
            edges.append(e.copy())
            continue
        if int(b) <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {b} for "
                               f"dimension {d}")
        if range is not None:
            lo, hi = float(range[2 * d]), float(range[2 * d + 1])
        elif points.shape[0]:
            lo, hi = float(points[:, d].min()), float(points[:, d].max())
        else:
            lo, hi = 0.0, 1.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension {d}'s range [{lo:g}, {hi:g}] is "
                               "not finite")
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{lo:g} max {hi:g} for dimension {d}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges.append(evenly_spaced(lo, hi, int(b) + 1, x.dtype))
    w = None
    if weight is not None:
        w = _arr(weight)
        if tuple(w.shape) != tuple(x.shape[:-1]):
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided it should have the same shape "
                "as the input tensor excluding its innermost dimension, but got input with shape "
                f"{list(x.shape)} and weight with shape {list(w.shape)}")
        w = w.reshape(-1).astype(xp.float64)
    sizes = [builtins.max(e.size - 1, 0) for e in edges]
    counted = xp.ones(points.shape[0], dtype=bool)
    where = []
    for d, e in enumerate(edges):
        v = points[:, d]
        counted &= (v >= e[0]) & (v <= e[-1])
        which = xp.searchsorted(e, v, side="right") - 1
        where.append(xp.clip(which, 0, builtins.max(sizes[d] - 1, 0)))
    total = math.prod(sizes)
    if total and counted.any():
        flat = xp.ravel_multi_index(tuple(i[counted] for i in where), sizes)
        hist = xp.bincount(flat, weights=None if w is None else w[counted], minlength=total)
    else:
        hist = xp.zeros(total)
    hist = hist.astype(x.dtype).reshape(sizes)
    if density:
        hist = hist / hist.sum()
        for d, e in enumerate(edges):
            shape = [1] * n_dims
            shape[d] = -1
            hist = hist / xp.diff(e).reshape(shape)
        hist = hist.astype(x.dtype)
    return return_types.histogramdd(_result(hist, input),
                                    tuple(_result(e, input) for e in edges))


def _torch_name(dtype) -> str:
    return {"float32": "float", "float64": "double", "float16": "half"}.get(str(dtype),
                                                                             str(dtype))
