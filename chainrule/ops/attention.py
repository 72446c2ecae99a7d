r"""Scaled dot-product attention, one fused primitive with a hand-derived backward.

For queries Q ∈ ℝ^{L×E}, keys K ∈ ℝ^{S×E} and values V ∈ ℝ^{S×Eᵥ} (with any leading batch and
head axes, broadcast as in matmul) and an additive mask B ∈ ℝ^{L×S} (0 where a position takes
part, −∞ where it does not, or any learned bias):

    S = s·Q Kᵀ + B,   P = softmax_rows(S),   O = P V,        s = 1/√E by default.

The backward, derived once. With G = ∂L/∂O:

    ∂L/∂V = Pᵀ G,     ∂L/∂P = G Vᵀ,
    ∂L/∂S = P ⊙ (∂L/∂P − rowsum(∂L/∂P ⊙ P))      (the softmax VJP, row by row),
    ∂L/∂Q = s·(∂L/∂S) K,   ∂L/∂K = s·(∂L/∂S)ᵀ Q,   ∂L/∂B = ∂L/∂S.

Dropout on the attention weights (P̃ = P ⊙ M/(1 − p), O = P̃ V) changes two lines:
∂L/∂V = P̃ᵀ G and ∂L/∂P = (G Vᵀ) ⊙ M/(1 − p).

A row whose every position is masked (all −∞) has no softmax; as PyTorch's
``scaled_dot_product_attention`` does, its output row and its gradients are 0.

The fused primitive keeps P (L×S per head; and P̃ under dropout) as its only intermediate, works
in place on it and on ∂L/∂P, and never forms the four-index Jacobian of the softmax; large batches
are split over worker threads (see "the kernels' chunks" below). Its backward has a second path,
written with chainrule's own operations only, which recomputes P from Q, K and B: that path runs
when ``create_graph=True``, so attention is differentiable twice.
"""
from __future__ import annotations

import ctypes
import math
import os
from concurrent.futures import ThreadPoolExecutor

from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import is_foreign_array, namespace, numpy_dtype, xp
from ..tensor import Tensor
from .dropout import _check_p, _scaled_mask
from .elementwise import where


def _t(a):
    """The last two axes swapped (Kᵀ for a batch of matrices); a view for arrays."""
    return namespace(a).swapaxes(a, -1, -2)


def _softmax_rows_(s):
    """softmax over the last axis, in place; rows that are −∞ everywhere become 0 (not nan)."""
    m = s.max(axis=-1, keepdims=True)
    if not xp.isfinite(m).all():
        m[~xp.isfinite(m)] = 0
    s -= m
    xp.exp(s, out=s)
    den = s.sum(axis=-1, keepdims=True)
    with xp.errstate(divide="ignore"):
        inv = 1 / den
    inv[den == 0] = 0
    s *= inv
    return s


def _reference(q, k, v, bias=None, scale=None, keep=None):
    """softmax(s·Q Kᵀ + B) V in plain NumPy (the registry's forward reference)."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = scale * (q @ xp.swapaxes(k, -1, -2))
    if bias is not None:
        s = s + bias
    e = xp.exp(s - s.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    if keep is not None:
        p = p * keep
    return p @ v


@primitive
class ScaledDotProductAttention(Function):
    r"""Attention: O = softmax(s·Q Kᵀ + B) V, fused (forward and backward on arrays).

    Forward:     S = s·Q Kᵀ + B,  P = softmax(S) along the keys,  O = P V  (s = 1/√E unless
                 given; B an additive mask: 0 where a key takes part, −∞ where it does not)
    Derivative:  ∂Pᵢⱼ/∂Sᵢₖ = Pᵢⱼ(δⱼₖ − Pᵢₖ) within a row; O is bilinear in P and V
    VJP:         ∂L/∂V = Pᵀ G,  ∂L/∂P = G Vᵀ,  ∂L/∂S = P ⊙ (∂L/∂P − rowsum(∂L/∂P ⊙ P)),
                 ∂L/∂Q = s·(∂L/∂S) K,  ∂L/∂K = s·(∂L/∂S)ᵀ Q,  ∂L/∂B = ∂L/∂S
                 (with dropout mask M: P̃ = P ⊙ M/(1 − p) replaces P in O and in ∂L/∂V, and
                 ∂L/∂P = (G Vᵀ) ⊙ M/(1 − p))
    Numerics:    the row maximum is subtracted before exponentiating; a row masked everywhere
                 gives output 0 and gradient 0 (PyTorch's convention), not nan. The scale is
                 applied to Q (L×E numbers) rather than to the L×S scores.
    """

    name = "scaled_dot_product_attention"
    array_api = True
    text = ("O = softmax(s·Q Kᵀ + B) V,  s = 1/√E",
            "∂L/∂S = P ⊙ (G Vᵀ − rowsum(G Vᵀ ⊙ P)),  ∂L/∂Q = s·(∂L/∂S) K,  "
            "∂L/∂K = s·(∂L/∂S)ᵀ Q,  ∂L/∂V = Pᵀ G",
            "∂L/∂B = ∂L/∂S")
    latex = (r"O = \operatorname{softmax}\!\left(\frac{Q K^{\top}}{\sqrt{E}} + B\right) V",
             r"\frac{\partial L}{\partial S} = P \odot \left(G V^{\top} - "
             r"\operatorname{rowsum}(G V^{\top} \odot P)\right),\quad "
             r"\frac{\partial L}{\partial Q} = \frac{1}{\sqrt{E}}\frac{\partial L}{\partial S} K,"
             r"\quad \frac{\partial L}{\partial K} = \frac{1}{\sqrt{E}}"
             r"\left(\frac{\partial L}{\partial S}\right)^{\top} Q,\quad "
             r"\frac{\partial L}{\partial V} = P^{\top} G",
             r"\frac{\partial L}{\partial B} = \frac{\partial L}{\partial S}")
    explanation = ("Each query takes a weighted average of the values, weighted by a softmax of "
                   "its similarity to each key; the gradient of a score is the softmax VJP of the "
                   "gradient of the weights, which flows to Q through K and to K through Q.")
    reference = staticmethod(_reference)

    @staticmethod
    def forward(ctx, q, k, v, bias=None, *, scale=None, keep=None):
        scale = 1 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
        if is_foreign_array(q):             # another array library: ops/attention_standard.py
            from . import attention_standard

            return attention_standard.forward(ctx, q, k, v, bias, scale, keep)
        qs = q * q.dtype.type(scale)
        batch = xp.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2],
                                    () if bias is None else bias.shape[:-2],
                                    () if keep is None else keep.shape[:-2])
        dtype = xp.result_type(q, k, v)
        p = xp.empty(batch + (q.shape[-2], k.shape[-2]), dtype)
        pk = p if keep is None else xp.empty_like(p)          # P̃, the weights after dropout
        o = xp.empty(batch + (q.shape[-2], v.shape[-1]), dtype)

        def chunk(at):
            s = at.full(p)
            xp.matmul(at.of(qs), _t(at.of(k)), out=s)
            if bias is not None:
                s += at.of(bias)
            _softmax_rows_(s)
            if keep is not None:
                xp.multiply(s, at.of(keep), out=at.full(pk))
            xp.matmul(at.full(pk), at.of(v), out=at.full(o))

        _run_in_chunks(chunk, p.shape)
        ctx.save(q, k, v, bias, qs, p, pk)
        ctx.scale, ctx.keep = scale, keep
        return o

    @staticmethod
    def vjp(ctx, g):
        q, k, v, bias, qs, p, pk = ctx.saved
        keep, scale = ctx.keep, ctx.scale
        need = ctx.needs_input_grad + (False,)
        if is_foreign_array(g):
            from . import attention_standard

            return attention_standard.backward(ctx, g, need)
        if isinstance(g, Tensor):
            return _compact_vjp(q, k, v, bias, p, g, scale, keep)
        batch, (L, S) = p.shape[:-2], p.shape[-2:]
        gv = xp.empty(batch + (S, v.shape[-1]), g.dtype) if need[2] else None
        scores = need[0] or need[1] or need[3]
        ds = xp.empty(p.shape, g.dtype) if scores else None
        gq = xp.empty(batch + (L, q.shape[-1]), g.dtype) if need[0] else None
        gk = xp.empty(batch + (S, k.shape[-1]), g.dtype) if need[1] else None

        def chunk(at):
            gc = at.full(g)
            if gv is not None:
                xp.matmul(_t(at.full(pk)), gc, out=at.full(gv))      # ∂L/∂V = P̃ᵀ G
            if not scores:
                return
            d = at.full(ds)
            xp.matmul(gc, _t(at.of(v)), out=d)                  # ∂L/∂P̃ = G Vᵀ
            if keep is not None:
                d *= at.of(keep)                                 # ∂L/∂P
            pc = at.full(p)
            d -= xp.einsum("...j,...j->...", d, pc)[..., None]   # − rowsum(∂L/∂P ⊙ P)
            d *= pc                                              # ∂L/∂S
            if gq is not None:                                   # ∂L/∂Q = s·(∂L/∂S) K
                gqc = at.full(gq)
                xp.matmul(d, at.of(k), out=gqc)
                gqc *= g.dtype.type(scale)
            if gk is not None:                                   # ∂L/∂K = (∂L/∂S)ᵀ (sQ)
                xp.matmul(_t(d), at.of(qs), out=at.full(gk))

        _run_in_chunks(chunk, p.shape)
        return gq, gk, gv, (ds if need[3] else None)

    @classmethod
    def explain_error(cls, exc, arrays, params):
        shapes = [getattr(a, "shape", None) for a in arrays]
        return type(exc)(f"scaled_dot_product_attention: {exc} (query, key, value, mask shapes: "
                         f"{', '.join(str(s) for s in shapes)})")


# --------------------------------------------------------------------------- the kernels' chunks
# The products of attention are many small matrix products (one L×E by E×S per batch element and
# head). A multi-threaded BLAS splits each small product across its threads and synchronises
# them every time, which costs more than it gains at these sizes, and much more when another
# process holds a core (measured on the 2-core development machine: forward + backward of
# (32, 4, 128, 32) took 66-96 ms with OpenBLAS's 2 threads, 27-37 ms with 1). So the kernels run
# single-threaded BLAS and split the batch instead: each worker thread takes a contiguous block of
# the first batch axis and does all of its work (products, softmax, its gradient), NumPy releasing
# the GIL meanwhile. Results do not depend on the split (every row is computed the same way).
_MIN_PARALLEL = 1 << 18          # score elements below which one thread does everything
_pool = None                     # (pid, ThreadPoolExecutor): a forked child makes its own
_blas_threads = None             # (set, get) of the loaded OpenBLAS's thread count, or ()


def _openblas_controls():
    """The set/get thread-count functions of the OpenBLAS that NumPy loaded (Linux), or ()."""
    global _blas_threads
    if _blas_threads is None:
        _blas_threads = ()
        try:
            with open("/proc/self/maps") as f:
                paths = sorted({line.split()[-1] for line in f
                                if "openblas" in line.lower() and "/" in line})
        except OSError:
            paths = []
        for path in paths:
            try:
                lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0))
            except OSError:
                continue
            for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""),
                                   ("openblas", "64_"), ("openblas", "")):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    _blas_threads = (setter, getter)
                    return _blas_threads
    return _blas_threads


class _Block:
    """One block of the first split batch axis (or everything): ``block.full(x)`` for an array of
    the full batch shape, ``block.of(x)`` for an operand that may broadcast (its slice where it
    has that axis, the whole of it where it broadcasts)."""

    def __init__(self, ndim: int, axis: int | None = None, start: int = 0, stop: int = 0):
        self.ndim, self.axis = ndim, axis
        self.index = () if axis is None else (slice(None),) * axis + (slice(start, stop),)

    def of(self, x):
        if self.axis is None:
            return x
        ax = self.axis - (self.ndim - x.ndim)
        if ax < 0 or x.shape[ax] == 1:
            return x
        return x[(slice(None),) * ax + (self.index[-1],)]

    def full(self, x):
        return x[self.index]


def _run_in_chunks(chunk, shape) -> None:
    """``chunk(block)`` over the whole of ``shape`` (…, L, S): in one call, or in blocks of the
    first batch axis spread over worker threads with single-threaded BLAS."""
    global _pool
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    workers = min(len(cores) if cores else (os.cpu_count() or 1), 8)
    axis = next((i for i, n in enumerate(shape[:-2]) if n >= workers), None)
    controls = _openblas_controls() if workers > 1 else ()
    if axis is None or not controls or math.prod(shape) < _MIN_PARALLEL:
        chunk(_Block(len(shape)))
        return
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(workers, thread_name_prefix="chainrule-attention"))
    n = shape[axis]
    bounds = [n * i // workers for i in range(workers + 1)]
    blocks = [_Block(len(shape), axis, a, b) for a, b in zip(bounds, bounds[1:])]
    setter, getter = controls
    before = getter()
    setter(1)
    try:
        for future in [_pool[1].submit(chunk, b) for b in blocks]:
            future.result()
    finally:
        setter(before)


def _compact_vjp(q, k, v, bias, p_forward, g, scale, keep):
    """The backward with chainrule operations only (Tensors in, Tensors out): create_graph.

    P is recomputed from Q, K and B so that its dependence on them is recorded; rows that the
    forward found masked everywhere are held at 0, as there.
    """
    ns = namespace(g)
    s = ns.matmul(q * scale, _t(k))
    if bias is not None:
        s = s + bias
    dead = xp.broadcast_to(~_data(p_forward).any(axis=-1, keepdims=True), s.shape)
    if dead.any():
        s = ns.where(dead, 0.0, s)
    p = ns.softmax(s, axis=-1)
    if dead.any():
        p = ns.where(dead, 0.0, p)
    pk = p if keep is None else p * keep
    gv = ns.matmul(_t(pk), g)
    dp = ns.matmul(g, _t(v))
    if keep is not None:
        dp = dp * keep
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    gq = ns.matmul(ds, k) * scale
    gk = ns.matmul(_t(ds), q) * scale
    return gq, gk, gv, (ds if bias is not None else None)


# --------------------------------------------------------------------------- the functional form
def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def mask_to_bias(mask, dtype, take_part_when: bool = True, op: str = "attention"):
    """An additive mask: a boolean mask becomes 0 where a position takes part and −∞ elsewhere
    (``take_part_when`` is the boolean value that means "takes part": True for
    scaled_dot_product_attention, False for MultiheadAttention's masks); a float mask is returned
    as it is (a Tensor stays a Tensor, so a learned bias gets its gradient)."""
    if mask is None:
        return None
    data = _data(mask)
    batched = hasattr(mask, "_level")           # a per-example mask inside chainrule.func.vmap
    if isinstance(mask, Tensor) and (type(data) is xp.ndarray or batched) and \
            data.dtype == xp.bool_:
        # by the where primitive, so that a compiled step recomputes it from each call's mask
        host = numpy_dtype(dtype)
        zero, minus = xp.zeros((), host), xp.array(-xp.inf, host)
        return where(mask, zero, minus) if take_part_when else where(mask, minus, zero)
    if batched and data.dtype.kind == "f":
        return mask if mask.dtype == dtype else mask.astype(dtype)
    data = xp.asarray(data)
    if data.dtype == xp.bool_:
        allowed = data if take_part_when else ~data
        host = numpy_dtype(dtype)       # a NumPy bias (the primitive moves it to q's library)
        return xp.where(allowed, xp.zeros((), host), xp.array(-xp.inf, host))
    if data.dtype.kind != "f":
        raise TypeError(f"{op}: a mask must be boolean or floating point, got dtype {data.dtype}")
    if isinstance(mask, Tensor):
        return mask if mask.dtype == dtype else mask.astype(dtype)
    return data.astype(dtype, copy=False)


def causal_bias(L: int, S: int, dtype):
    """0 on and below the diagonal, −∞ above it: query i sees keys 0…i (top-left aligned, as
    PyTorch's ``is_causal``)."""
    allowed = xp.tri(L, S, dtype=bool)
    host = numpy_dtype(dtype)           # a NumPy bias (the primitive moves it to q's library)
    return xp.where(allowed, xp.zeros((), host), xp.array(-xp.inf, host))


@autocast_op("scaled_dot_product_attention")
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False):
    r"""softmax(Q Kᵀ/√E + B) V (PyTorch's ``F.scaled_dot_product_attention``).

    query (…, L, E), key (…, S, E), value (…, S, Eᵥ); the leading axes (batch, heads) broadcast.
    ``attn_mask`` broadcastable to (…, L, S): boolean, True where a query may attend to a key, or
    float, added to the scores. ``is_causal``: query i attends to keys 0…i only (no attn_mask
    then). ``dropout_p`` > 0 drops attention weights (always: this function has no training flag;
    pass 0 in evaluation). Returns (…, L, Eᵥ). See :class:`ScaledDotProductAttention` for the
    derivative.

    >>> import chainrule as cr
    >>> q = k = v = cr.randn(2, 4, 5, 8)           # batch 2, 4 heads, 5 positions, 8 features
    >>> scaled_dot_product_attention(q, k, v, is_causal=True).shape
    (2, 4, 5, 8)
    """
    op = "scaled_dot_product_attention"
    if enable_gqa:
        raise NotImplementedError(f"{op}: enable_gqa (grouped-query attention) is not supported; "
                                  "repeat the key and value heads to the query's head count")
    q, k, v = (_data(t) for t in (query, key, value))
    for name, t in (("query", q), ("key", k), ("value", v)):
        if getattr(t, "ndim", 0) < 2:
            raise ValueError(f"{op}: {name} must have at least 2 dimensions (…, length, "
                             f"features), got shape {_shape_text(getattr(t, 'shape', ()))}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{op}: query has {q.shape[-1]} features and key {k.shape[-1]}; they "
                         f"must be equal (query {_shape_text(q.shape)}, key "
                         f"{_shape_text(k.shape)})")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{op}: key has {k.shape[-2]} positions and value {v.shape[-2]}; they "
                         f"must be equal (key {_shape_text(k.shape)}, value "
                         f"{_shape_text(v.shape)})")
    try:
        batch = xp.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{op}: the leading (batch, head) axes of query {_shape_text(q.shape)}, "
                         f"key {_shape_text(k.shape)} and value {_shape_text(v.shape)} do not "
                         "broadcast") from None
    L, S = q.shape[-2], k.shape[-2]
    scores = batch + (L, S)
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: give either attn_mask or is_causal=True, not both (PyTorch's "
                         "rule: the causal mask would be ignored otherwise)")
    bias = None
    if attn_mask is not None:
        mshape = tuple(attn_mask.shape)
        try:
            ok = xp.broadcast_shapes(mshape, scores) == scores
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{op}: attn_mask has shape {_shape_text(mshape)}, but it must "
                             f"broadcast to the attention scores' shape {_shape_text(scores)} "
                             f"(…, L, S) = (…, query length {L}, key length {S}); e.g. "
                             f"({L}, {S})")
        bias = mask_to_bias(attn_mask, q.dtype, True, op)
    elif is_causal:
        bias = causal_bias(L, S, q.dtype)
    return attention(query, key, value, bias, dropout_p, scale)


def attention(query, key, value, bias=None, dropout_p: float = 0.0, scale: float | None = None):
    """softmax(s·Q Kᵀ + B) V with B already an additive mask broadcastable to (…, L, S) (an array,
    or a Tensor that may require grad), or None; dropout on the weights when dropout_p > 0.
    The form that layers call once their masks are merged; no checks beyond the primitive's."""
    p = _check_p("attention", dropout_p)
    keep = None
    if p > 0:
        q, k = _data(query), _data(key)
        scores = xp.broadcast_shapes(q.shape[:-1] + (k.shape[-2],),
                                     () if bias is None else tuple(bias.shape))
        keep = _scaled_mask(scores, p, q.dtype)
    args = (query, key, value) if bias is None else (query, key, value, bias)
    return ScaledDotProductAttention.apply(*args, scale=scale, keep=keep)
