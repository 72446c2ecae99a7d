"""Padding, gathers and scatter-adds with the array API standard's functions alone: the route of
pad, getitem, its adjoint scatter_add, embedding and index_put for array libraries other than
NumPy (CuPy, array_api_strict), where NumPy's fancy indexing on several axes, ``np.add.at`` and
``add.reduceat`` are not available.

Pad. y = full(padded shape, c), then the interior assigned x (a basic-slice assignment).

Gather. An index (integer arrays, boolean masks, slices, ints, None, Ellipsis: NumPy's rules) is
turned into *row positions*: the array is seen as R rows (the axes the index touches) of T values
(the trailing axes it leaves whole), and ``arange(R).reshape(leading shape)[index]`` — computed
by NumPy on the host, on positions only, never on the data — says which row each result row
reads. The data then moves by one ``take`` along the row axis:

    y = take(x as (R, T), p)  reshaped to p.shape + trailing shape

Scatter-add (the adjoint, ∂L/∂x of a gather): out[p_k] += g_k for every k, repeated positions
adding up. The standard has no scatter, so the sums are formed by gathers (see
:func:`scatter_rows`): in round r, every position that occurs more than r times gathers its
(r+1)-th occurrence's row of g and adds it; after K rounds (K = the largest multiplicity) one last
gather places the sums in their rows and zeros elsewhere. Each position's terms are added in the
order they occur, as ``np.add.at`` adds them, so the sums are the same; the work is
O((M + R)·T) for M gathered rows, in K + 1 gathers.

The index positions are computed on the host: indices on a device (CuPy) are copied to the host
once per call (a synchronisation; the data stays where it is). CuPy will get its own scatter.
"""
from __future__ import annotations

import math

from .. import backend as B
from ..backend import xp as np  # NumPy, on the host: positions and plans only


def host_index(index):
    """``index`` with every array part (an array of any library, a Tensor's data) as a NumPy
    array, so that NumPy's indexing rules can be applied to positions."""
    if isinstance(index, tuple):
        return tuple(host_index(part) for part in index)
    if isinstance(index, list):
        return np.asarray(index)
    if B.is_foreign_array(index):
        return B.to_numpy(index)
    return index


def is_basic(index) -> bool:
    """Whether ``index`` is basic indexing (ints, slices, None, Ellipsis), which the standard
    supports as it is."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice)) or p is None or p is Ellipsis for p in parts)


def complete(shape, index, keep_none: bool = True):
    """A basic index as the standard wants it: a tuple naming every axis (NumPy leaves the
    remaining ones whole implicitly), slice ends inside the axis, and — for an assignment, where
    the standard has no None — without the None parts (``keep_none=False``)."""
    parts = list(index) if isinstance(index, tuple) else [index]
    if not any(p is Ellipsis for p in parts):
        parts.append(Ellipsis)
    at = next(i for i, p in enumerate(parts) if p is Ellipsis)
    named = sum(p is not None for p in parts) - 1
    parts[at:at + 1] = [slice(None)] * (len(shape) - named)
    out, axis = [], 0
    for p in parts:
        if p is None:
            if keep_none:
                out.append(None)
            continue
        if isinstance(p, slice):
            start, stop, step = p.indices(shape[axis])
            p = slice(start, None if stop < 0 else stop, step)
        out.append(p)
        axis += 1
    return tuple(out)


def _axes_used(part) -> int:
    if part is None:
        return 0
    if isinstance(part, np.ndarray) and part.dtype == np.bool_:
        return max(part.ndim, 1)
    return 1


def row_positions(shape, index):
    """(positions, leading axes k): ``index`` applied to the row numbers of ``shape`` seen as
    (prod(shape[:k]), prod(shape[k:])), k the number of leading axes the index touches (trailing
    whole slices are left out)."""
    parts = list(index) if isinstance(index, tuple) else [index]
    if any(p is Ellipsis for p in parts):
        at = next(i for i, p in enumerate(parts) if p is Ellipsis)
        used = sum(_axes_used(p) for p in parts if p is not Ellipsis)
        parts[at:at + 1] = [slice(None)] * (len(shape) - used)
    while parts and isinstance(parts[-1], slice) and parts[-1] == slice(None):
        parts.pop()
    k = sum(_axes_used(p) for p in parts)
    lead = tuple(shape[:k])
    positions = np.arange(math.prod(lead), dtype=np.int64).reshape(lead)[tuple(parts)]
    return positions, k


def gather(x, index):
    """x[index] (NumPy's indexing rules) for an array ``x`` of another library."""
    index = host_index(index)
    if is_basic(index):
        return x[complete(tuple(x.shape), index)]
    ns = B.namespace(x)
    positions, k = row_positions(tuple(x.shape), index)
    rows = B.reshape(x, (math.prod(x.shape[:k]), math.prod(x.shape[k:])))
    picked = ns.take(rows, ns.asarray(positions.reshape(-1), device=x.device), axis=0)
    return B.reshape(picked, positions.shape + tuple(x.shape[k:]))


def scatter(g, shape, index):
    """zeros(shape) with g added at ``index`` (repeated positions add up): the adjoint of
    :func:`gather`, for an array ``g`` of another library."""
    ns = B.namespace(g)
    shape = tuple(shape)
    index = host_index(index)
    if is_basic(index):            # every position at most once: an assignment
        out = ns.zeros(shape, dtype=g.dtype, device=g.device)
        where = complete(shape, index, keep_none=False)
        out[where] = B.reshape(g, np.broadcast_to(np.empty(()), shape)[where].shape)
        return out
    positions, k = row_positions(shape, index)
    width = math.prod(shape[k:])
    sums = scatter_rows(B.reshape(g, (positions.size, width)), positions.reshape(-1),
                        math.prod(shape[:k]))
    return B.reshape(sums, shape)


def scatter_rows(g2, rows, num_rows: int):
    """(num_rows, D): row v is Σ_{k : rows[k] = v} g2[k] (zero where v never occurs), for g2
    (M, D) of another library and ``rows`` (M,) host integers in [0, num_rows).

    By gathers only (the standard has no scatter): positions are ordered by how often they occur;
    round r adds, for the first n_r of them (those occurring more than r times), their (r+1)-th
    occurrence's row of g2 — a prefix of the running sums, so no scatter is needed — and one
    last gather puts each sum in its row (a zero row for the rest). Each sum adds its terms in
    their order of occurrence, as ``np.add.at`` does. Work O((M + num_rows)·D) in K + 1 gathers,
    K the largest number of times one position occurs (a Python loop over those K rounds)."""
    ns = B.namespace(g2)
    width = g2.shape[1]
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    if rows.size == 0:
        return ns.zeros((num_rows, width), dtype=g2.dtype, device=g2.device)
    order = np.argsort(rows, kind="stable")               # occurrences, grouped by row
    ordered = rows[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, rows.size))
    by_count = np.argsort(-counts, kind="stable")         # slots, most frequent first
    first, counts = starts[by_count], counts[by_count]
    device = g2.device

    def take(where):
        return ns.take(g2, ns.asarray(order[where], device=device), axis=0)

    sums = take(first)
    for r in range(1, int(counts[0])):
        n = int(np.count_nonzero(counts > r))             # a prefix: counts decrease
        sums[:n, ...] = sums[:n, ...] + take(first[:n] + r)
    slot = np.full(num_rows, len(first), dtype=np.int64)   # the zero row past the sums
    slot[ordered[first]] = np.arange(len(first))
    padded = ns.concat([sums, ns.zeros((1, width), dtype=g2.dtype, device=device)], axis=0)
    return ns.take(padded, ns.asarray(slot, device=device), axis=0)


def pad(x, widths, value):
    """x surrounded by ``value``: widths (before, after) per axis."""
    ns = B.namespace(x)
    widths = [(int(a), int(b)) for a, b in widths]
    shape = tuple(n + a + b for n, (a, b) in zip(x.shape, widths))
    out = ns.full(shape, value, dtype=x.dtype, device=x.device)
    out[tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, widths))] = x
    return out


def _index_positions(shape, index):
    """(row positions, leading axes k) of an index, as :func:`row_positions`; a two-step index
    (ops/indexing.py's TwoStepIndex: integers first, then array indices, PyTorch's rule) is
    resolved on the element positions."""
    first = getattr(index, "first", None)
    if first is None:
        return row_positions(shape, index)
    flat = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)
    return flat[host_index(first)][host_index(index.second)], len(shape)


def put(x, v, index):
    """x with x[index] = v (v broadcast to the indexed shape) as a new array, for an array of
    another library: a basic index by one assignment into a copy; array indices by one gather
    from [v's rows; x's rows], each row of the result reading the value written last into it
    (worked out on the host by NumPy's own assignment of the positions) or its own old row."""
    ns = B.namespace(x)
    shape = tuple(x.shape)
    if not B.is_foreign_array(v):
        v = ns.asarray(v, dtype=x.dtype, device=x.device)
    host = index if hasattr(index, "first") else host_index(index)
    if not hasattr(host, "first") and is_basic(host):
        indexed = np.broadcast_to(np.empty(()), shape)
        where = complete(shape, host, keep_none=False)
        out = ns.asarray(x, copy=True)
        out[where] = B.reshape(ns.broadcast_to(v, indexed[host].shape), indexed[where].shape)
        return out
    positions, k = _index_positions(shape, host)
    rows, width, count = math.prod(shape[:k]), math.prod(shape[k:]), positions.size
    values = B.reshape(ns.broadcast_to(v, positions.shape + shape[k:]), (count, width))
    source = np.arange(rows, dtype=np.int64) + count      # each row's own old value
    source[positions.reshape(-1)] = np.arange(count)         # … or the value written last
    both = ns.concat([values, B.reshape(x, (rows, width))], axis=0)
    return B.reshape(ns.take(both, ns.asarray(source, device=x.device), axis=0), shape)


def taken(g, index):
    """g[index] for an index_put index (a two-step index: its two steps in turn)."""
    if hasattr(index, "first"):
        return gather(gather(g, index.first), index.second)
    return gather(g, index)


def strided_gradient(g, positions, shape):
    """∂L/∂x of a strided view that read x's element positions[k] into y[k]: the sum of g over
    the places each element was read (in float64, as ops/indexing.py's bincount, then cast
    back), by :func:`scatter_rows`."""
    wide = B.reshape(B.astype(g, np.float64), (-1, 1))
    sums = scatter_rows(wide, positions.reshape(-1), math.prod(shape))
    return B.reshape(B.astype(sums, B.numpy_dtype(g.dtype)), tuple(shape))


def strided_view(x, positions):
    """A strided view's values, y[k] = x[positions[k]], as one gather: the standard has no
    strided views, so on other libraries this is a copy (writing into it does not reach x)."""
    ns = B.namespace(x)
    flat = ns.take(B.reshape(x, (-1,)), ns.asarray(positions.reshape(-1), device=x.device),
                   axis=0)
    return B.reshape(flat, positions.shape)
