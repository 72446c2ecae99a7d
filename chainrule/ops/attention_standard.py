r"""Scaled dot-product attention with the array API standard's functions alone: the route for array
libraries other than NumPy (CuPy, array_api_strict). ops/attention.py's NumPy path (``out=``
products into preallocated buffers, in-place softmax, batch chunks on worker threads with
single-threaded BLAS) stays as it is; this computes the same mathematics (see its docstring) as
whole-array operations, broadcasting over the batch and head axes:

    S = (s·Q) Kᵀ + B,   P = softmax_rows(S),   P̃ = P ⊙ M (dropout),   O = P̃ V
    ∂L/∂V = P̃ᵀ G,   ∂L/∂P = (G Vᵀ) ⊙ M,   ∂L/∂S = P ⊙ (∂L/∂P − rowsum(∂L/∂P ⊙ P)),
    ∂L/∂Q = s·(∂L/∂S) K,   ∂L/∂K = (∂L/∂S)ᵀ (s·Q),   ∂L/∂B = ∂L/∂S

with the same numerics: the row maximum subtracted (0 where it is not finite), and a row masked
everywhere (a zero denominator) giving weights, output and gradients 0, as PyTorch does.
"""
from __future__ import annotations

from .. import backend as B


def _softmax_rows(ns, s):
    m = ns.max(s, axis=-1, keepdims=True)
    m = ns.where(ns.isfinite(m), m, ns.zeros_like(m))
    e = ns.exp(s - m)
    den = ns.sum(e, axis=-1, keepdims=True)
    inv = ns.where(den == 0, ns.zeros_like(den), 1 / den)
    return e * inv


def forward(ctx, q, k, v, bias, scale, keep):
    """O = softmax((s·Q) Kᵀ + B) [⊙ M] V; saves what :func:`backward` needs on ``ctx``."""
    ns = B.namespace(q)
    if keep is not None and not B.is_foreign_array(keep):
        keep = ns.asarray(keep, device=q.device)
    if bias is not None and not B.is_foreign_array(bias):
        bias = ns.asarray(bias, device=q.device)
    qs = q * scale
    s = qs @ B.matrix_transpose(k)
    if bias is not None:
        s = s + bias
    p = _softmax_rows(ns, s)
    pk = p if keep is None else p * keep
    ctx.save(q, k, v, bias, qs, p, pk)
    ctx.scale, ctx.keep = scale, keep
    return pk @ v


def backward(ctx, g, need):
    """(∂L/∂Q, ∂L/∂K, ∂L/∂V, ∂L/∂B) given G = ∂L/∂O."""
    ns = B.namespace(g)
    q, k, v, bias, qs, p, pk = ctx.saved
    keep, scale = ctx.keep, ctx.scale
    gv = B.matrix_transpose(pk) @ g if need[2] else None
    if not (need[0] or need[1] or need[3]):
        return None, None, gv, None
    d = g @ B.matrix_transpose(v)                               # ∂L/∂P̃ = G Vᵀ
    if keep is not None:
        d = d * keep                                            # ∂L/∂P
    d = (d - ns.sum(d * p, axis=-1, keepdims=True)) * p         # ∂L/∂S
    gq = (d @ k) * scale if need[0] else None
    gk = B.matrix_transpose(d) @ qs if need[1] else None
    return gq, gk, gv, (d if need[3] else None)
