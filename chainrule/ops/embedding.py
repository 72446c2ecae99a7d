"""Embedding lookup: rows of a weight matrix selected by integer indices."""
from __future__ import annotations

from .. import backend as B
from .. import kernels
from ..autograd.function import Function, primitive
from ..backend import xp
from ..tensor import Tensor
from .movement import ScatterAdd


def _segment_sum_rows(g2, index, num_rows: int):
    """Σ of the rows of ``g2`` that share an index, placed at that index of a (num_rows, D) zero.

    Sort-based: the rows are ordered by index (stable sort), each run of equal indices is summed
    with one ``add.reduceat``, and the sums are written once. Measured on a 2-core machine against
    ``np.add.at`` and a flattened ``np.bincount`` (float32; V embeddings of D dims, M indices):
    V=10000, D=128, M=2048: 2.5 ms (add.at 3.3, bincount 3.4); V=50, D=64, M=4096: 0.7 ms
    (add.at 2.9, bincount 0.6); V=30000, D=300, M=700: 6.6 ms (add.at 6.9, bincount 21);
    V=100000, D=64, M=8192: 8.3 ms (add.at 9.5, bincount 16). At large V the time is mostly the
    zero-filled (V, D) result itself.
    """
    out = xp.zeros((num_rows, g2.shape[1]), dtype=g2.dtype)
    if index.size == 0:
        return out
    order = xp.argsort(index, kind="stable")
    ordered = index[order]
    starts = xp.flatnonzero(xp.concatenate(([True], ordered[1:] != ordered[:-1])))
    out[ordered[starts]] = xp.add.reduceat(g2[order], starts, axis=0)
    return out


@primitive
class Embedding(Function):
    """Embedding lookup: row iₖ of W for each index iₖ (PyTorch's ``F.embedding``).

    Forward:     y_k = W[i_k],  W ∈ ℝ^{V×D}, i ∈ {0, …, V−1}^{shape}
    Derivative:  ∂y_k/∂W_v = 1 if i_k = v (a selection)
    VJP:         ∂L/∂W_v = Σ_{k : i_k = v} g_k  (scatter-add of g's rows; repeated indices add up);
                 the padding row gets zero gradient (it stays a fixed vector, usually 0);
                 with ``scale_grad_by_freq`` each row's sum is divided by n_v = #{k : i_k = v},
                 the number of times v occurs in this call's indices (PyTorch's option)
    Numerics:    the backward is a sort-based segment sum (see :func:`_segment_sum_rows`); the
                 indices themselves are not differentiable. Other array libraries: one ``take``
                 forward, a scatter-add by gathers backward (ops/movement_standard.py:
                 O((M + V)·D) work in as many rounds as the most repeated index occurs).
    """

    name = "embedding"
    array_api = True
    text = ("y_k = W[i_k],  W ∈ ℝ^{V×D}",
            "∂L/∂W_v = Σ_{k : i_k = v} g_k  (0 for the padding row)")
    latex = (r"y_k = W_{i_k},\quad W \in \mathbb{R}^{V\times D}",
             r"\frac{\partial L}{\partial W_v} = \sum_{k:\,i_k = v} g_k")
    explanation = ("Looking up a row is multiplying W by a one-hot vector, so each row's gradient "
                   "is the sum of the output gradients at the positions that selected it.")
    reference = staticmethod(lambda weight, indices, padding_idx=None, scale_grad_by_freq=False:
                             weight[indices])

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None, scale_grad_by_freq=False):
        ctx.indices = indices
        ctx.num_rows = weight.shape[0]
        ctx.padding_idx = padding_idx
        ctx.scale_grad_by_freq = scale_grad_by_freq
        if B.is_foreign_array(weight):      # another array library: the standard's route
            ns = B.namespace(weight)
            flat = ns.asarray(B.reshape(indices, (-1,)), device=weight.device)
            rows = ns.take(weight, flat, axis=0)
            return B.reshape(rows, tuple(indices.shape) + (weight.shape[1],))
        return xp.take(weight, indices, axis=0)

    @staticmethod
    def vjp(ctx, g):
        if B.is_foreign_array(g):
            from .movement_standard import scatter_rows

            gw = scatter_rows(B.reshape(g, (-1, g.shape[-1])),
                              B.to_numpy(B.reshape(ctx.indices, (-1,))), ctx.num_rows)
            if ctx.padding_idx is not None:
                gw[ctx.padding_idx, ...] = 0
            if ctx.scale_grad_by_freq:
                counts = _counts(B.to_numpy(B.reshape(ctx.indices, (-1,))), ctx.num_rows)
                gw = gw / B.asarray_like(counts.astype(B.numpy_dtype(gw.dtype))[:, None], gw)
            return gw
        flat = ctx.indices.reshape(-1)
        shape = (ctx.num_rows, g.shape[-1])
        if isinstance(g, Tensor):
            g2 = g.reshape(-1, g.shape[-1])
            if ctx.padding_idx is not None:
                g2 = g2 * (flat != ctx.padding_idx).astype(g.dtype)[:, None]
            if ctx.scale_grad_by_freq:
                # each occurrence of v carries g_k / n_v; as in PyTorch's double backward
                # (embedding_dense_double_backward), the derivative of this rule with respect to
                # g is the plain gather, not scaled again: the scale enters as a constant shift
                scaled = g2.detach() / _counts(flat, ctx.num_rows)[flat].astype(g.dtype)[:, None]
                g2 = g2 - g2.detach() + scaled
            return ScatterAdd.apply(g2, shape=shape, index=flat)
        g2 = g.reshape(-1, g.shape[-1])
        if kernels.takes(g2) and flat.dtype.kind in "iu":      # one pass (kernels/embedding.py)
            from ..kernels.embedding import scatter_add_rows

            gw = xp.zeros((ctx.num_rows, g2.shape[1]), dtype=g2.dtype)
            scatter_add_rows(g2, flat, gw)
        else:
            gw = _segment_sum_rows(g2, flat, ctx.num_rows)
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        if ctx.scale_grad_by_freq:
            gw /= _counts(flat, ctx.num_rows).astype(gw.dtype)[:, None]
        return gw

    @classmethod
    def explain_error(cls, exc, arrays, params):
        shape = getattr(arrays[0], "shape", ())
        return type(exc)(f"embedding: {exc} (weight of shape {tuple(shape)}, indices of shape "
                         f"{tuple(getattr(params.get('indices'), 'shape', ()))})")


def _counts(flat, num_rows: int):
    """How often each row index occurs in ``flat`` (at least 1, so rows never looked up, whose
    gradient is 0, are divided by 1)."""
    return xp.maximum(xp.bincount(flat, minlength=num_rows), 1)


def _renorm_rows(weight, indices, max_norm: float, norm_type: float) -> None:
    """PyTorch's ``embedding_renorm_``: each distinct looked-up row whose ``norm_type``-norm
    exceeds ``max_norm`` is scaled in place by max_norm / (norm + 1e-7), unrecorded (it changes
    the table itself, as under ``no_grad``; the lookup that follows reads the new rows)."""
    from ..autograd.versions import bump

    data = weight._data if isinstance(weight, Tensor) else weight
    host = B.to_numpy(B.reshape(indices, (-1,)))
    if host.size == 0:
        return
    rows = xp.unique(host)
    values = B.to_numpy(data)[rows]
    norms = xp.linalg.norm(values, ord=norm_type, axis=1)
    over = norms > max_norm
    if not over.any():
        return
    rows, scale = rows[over], (max_norm / (norms[over] + 1e-7)).astype(values.dtype)
    scaled = values[over] * scale[:, None]
    if B.is_foreign_array(data):        # the standard has no fancy __setitem__: the whole table
        table = B.to_numpy(data).copy()
        table[rows] = scaled
        data[...] = B.asarray_like(table, data)
    else:
        data[rows] = scaled
    bump(data)


def _padding(padding_idx, num_embeddings: int):
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"embedding: padding_idx={padding_idx} must be within "
                         f"[-{num_embeddings}, {num_embeddings}) for {num_embeddings} embeddings")
    return padding_idx % num_embeddings


def embedding(input, weight, padding_idx: int | None = None, max_norm=None,  # noqa: A002
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False):
    """Rows of ``weight`` (V, D) at the integer ``input`` indices: output shape input.shape + (D,).

    ``padding_idx``: that row receives no gradient. ``max_norm``: first, each distinct row
    looked up whose ``norm_type``-norm exceeds max_norm is rescaled in place to norm max_norm (a
    change to ``weight`` itself, not recorded, as in PyTorch). ``scale_grad_by_freq``: each
    row's gradient is divided by how often its index occurs in ``input``. ``sparse`` (sparse
    gradients) is not supported and raises if set.
    """
    if sparse:
        raise NotImplementedError("embedding: sparse=True (sparse gradients) is not supported; "
                                  "leave it at its default, False")
    if hasattr(input, "_level"):            # batched indices inside chainrule.func.vmap
        from ..func.composite import embedding as batched_embedding

        return batched_embedding(embedding, input, weight, padding_idx, max_norm=max_norm,
                                 norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq)
    indices = input._data if isinstance(input, Tensor) else input
    if not B.is_foreign_array(indices):
        indices = xp.asarray(indices)
    if B.dtype_kind(indices.dtype) not in "iu":
        raise TypeError(f"embedding: indices must be integers (e.g. int64), got dtype "
                        f"{indices.dtype}; use .long() on the index tensor")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {tuple(weight.shape)}")
    v = weight.shape[0]
    host = B.to_numpy(indices)      # the bounds check reads the indices (on the host)
    if host.size:
        low, high = int(host.min()), int(host.max())
        if low < 0 or high >= v:
            bad = low if low < 0 else high
            raise IndexError(f"embedding: index {bad} is out of range for {v} embeddings "
                             f"(valid indices: 0 … {v - 1})")
    if max_norm is not None:
        _renorm_rows(weight, indices, float(max_norm), float(norm_type))
    return Embedding.apply(weight, indices=indices, padding_idx=_padding(padding_idx, v),
                           scale_grad_by_freq=bool(scale_grad_by_freq))


_BAG_MODES = ("sum", "mean", "max")


def _bags(indices, offsets, include_last_offset: bool, op: str):
    """The flat indices and, for each, the number of its bag; and the number of bags. A 2-D
    input is one bag per row; a 1-D input is cut into bags at ``offsets`` (each bag's start;
    with ``include_last_offset`` the last entry closes the list, and, as PyTorch, the last bag
    still runs to the end of the input)."""
    if indices.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: offsets has to be None if input is 2D, got an input of shape "
                             f"{indices.shape} with offsets")
        n, per_bag = indices.shape
        return indices.reshape(-1), xp.repeat(xp.arange(n), per_bag), n
    if indices.ndim != 1:
        raise ValueError(f"{op}: input has to be 1D or 2D, got shape {indices.shape}")
    if offsets is None:
        raise ValueError(f"{op}: offsets has to be a 1D tensor but got None (a 1-D input is cut "
                         "into bags at the offsets; pass a 2-D input for bags of equal length)")
    starts = B.to_numpy(offsets._data if isinstance(offsets, Tensor) else xp.asarray(offsets))
    if starts.ndim != 1 or B.dtype_kind(starts.dtype) not in "iu":
        raise ValueError(f"{op}: offsets must be a 1-D tensor of integers, got shape "
                         f"{starts.shape} and dtype {starts.dtype}")
    if include_last_offset:
        if starts.size == 0:
            raise ValueError(f"{op}: with include_last_offset=True, offsets needs at least one "
                             "element (the end of the last bag)")
        starts = starts[:-1]
    if starts.size and starts[0] != 0:
        raise ValueError(f"{op}: offsets[0] has to be 0, i.e., the first sequence in the "
                         f"mini-batch has to start from position 0. However, got {starts[0]}")
    if starts.size and ((xp.diff(starts) < 0).any() or starts[-1] > indices.size):
        raise ValueError(f"{op}: offsets must be non-decreasing and at most the input's length "
                         f"{indices.size}, got {starts.tolist()}")
    bag = xp.searchsorted(starts, xp.arange(indices.size), side="right") - 1
    return indices, bag, starts.size


def _bag_max_choice(v, bag, n_bags: int):
    """For each bag and dimension, the entry (row of the (K, D) values ``v``) whose value the
    bag's max takes, as PyTorch's kernel walks a bag: the first entry, replaced by each later
    one strictly greater. So a NaN first entry stays (the max is NaN), a later NaN is passed
    over, and of equal maxima the first wins. Empty bags get K (one past the entries). The
    entries of a bag are contiguous, bags in increasing order."""
    K, D = v.shape
    chosen = xp.full((n_bags, D), K, dtype=xp.int64)
    if K == 0:
        return chosen
    starts = xp.flatnonzero(xp.concatenate(([True], bag[1:] != bag[:-1])))
    filled = xp.where(xp.isnan(v), -xp.inf, v)
    best = xp.maximum.reduceat(filled, starts, axis=0)                    # (bags with entries, D)
    segment = xp.repeat(xp.arange(starts.size), xp.diff(xp.append(starts, K)))
    positions = xp.broadcast_to(xp.arange(K)[:, None], (K, D))
    first_best = xp.minimum.reduceat(xp.where(filled == best[segment], positions, K), starts,
                                     axis=0)
    chosen[bag[starts]] = xp.where(xp.isnan(v[starts]), starts[:, None], first_best)
    return chosen


def embedding_bag(input, weight, offsets=None, max_norm=None,  # noqa: A002
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of embeddings, without forming the (bag, entry, D) lookup
    (PyTorch's ``F.embedding_bag``):

        y_b = Σ_{k ∈ bag b} w_k W[i_k]   (mode='sum'; w_k = per_sample_weights, else 1)
        y_b = (1/|bag b|) Σ_{k ∈ bag b} W[i_k]   (mode='mean')
        y_b = max_{k ∈ bag b} W[i_k]   (mode='max', per dimension)

    Entries equal to ``padding_idx`` are left out of their bags (not counted in a mean); an empty
    bag gives zeros. The max is PyTorch's walk through the bag (a NaN counts only as its first
    entry; of equal maxima the first takes the gradient). The gradient of W adds each entry's
    share to its row; of ``per_sample_weights``, g_b · W[i_k]. ``max_norm``,
    ``scale_grad_by_freq`` and ``sparse`` raise, as in :func:`embedding`.
    """
    op = "embedding_bag"
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(f"{op}: max_norm, scale_grad_by_freq and sparse are not "
                                  "supported; leave them at their defaults")
    if mode not in _BAG_MODES:
        raise ValueError(f"{op}: mode has to be one of {_BAG_MODES}, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"{op}: per_sample_weights was not None. per_sample_weights is "
                                  f"only supported for mode='sum' (got mode={mode!r})")
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                         f"{tuple(weight.shape)}")
    indices = B.to_numpy(input._data if isinstance(input, Tensor) else xp.asarray(input))
    flat, bag, n_bags = _bags(indices, offsets, include_last_offset, op)
    psw = per_sample_weights
    if psw is not None:
        if tuple(psw.shape) != indices.shape:
            raise ValueError(f"{op}: per_sample_weights must have the input's shape "
                             f"{indices.shape}, got {tuple(psw.shape)}")
        psw = psw.reshape(-1)
    pad = _padding(padding_idx, weight.shape[0])
    if pad is not None:                      # padding entries leave their bags
        keep = flat != pad
        flat, bag = flat[keep], bag[keep]
        psw = psw[keep] if psw is not None else None
    d = weight.shape[1]
    rows = embedding(flat, weight)                                        # (K, D)
    if mode == "max":
        from .indexing import gather
        from .shape import concatenate

        # each (bag, dimension) takes one entry's value, as PyTorch's kernel chooses it; the
        # extra zero row (index K) is what an empty bag takes
        chosen = _bag_max_choice(B.to_numpy(rows._data), bag, n_bags)
        zero = Tensor._from_op(B.asarray_like(
            xp.zeros((1, d), dtype=B.numpy_dtype(weight.dtype)), weight._data), None)
        return gather(concatenate([rows, zero], 0), 0,
                      Tensor._from_op(B.asarray_like(chosen, weight._data), None))
    if psw is not None:
        rows = rows * psw.reshape(-1, 1)
    out = ScatterAdd.apply(rows, shape=(n_bags, d), index=bag)
    if mode == "mean":
        count = xp.maximum(xp.bincount(bag, minlength=n_bags), 1)
        out = out / B.asarray_like(count.astype(B.numpy_dtype(weight.dtype))[:, None],
                                   weight._data)
    return out
