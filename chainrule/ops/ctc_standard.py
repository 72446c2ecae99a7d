"""CTC's recursions with the array API standard's functions, for array libraries other than NumPy.

The same α/β recursions and the same arithmetic as :mod:`chainrule.ops.ctc` (so the same values),
written without what the standard lacks:

- no item assignment into α and β: each time step's row is computed whole and the rows are
  stacked at the end; shifting a row along the states is a ``concat`` with −∞;
- no integer-array indexing on several axes: the end of each sequence (state 2Lₙ at step
  Tₙ − 1) is gathered with ``take_along_axis``, and the initial rows of β are masks
  (s = 2Lₙ, or s = 2Lₙ − 1 when Lₙ > 0) chosen with ``where``;
- no ``bincount``: the posterior occupancy sums e^{α+β} over the states of one class as a
  batched matrix product with the one-hot matrix of the extended labels, (T, S)·(S, C) per
  sequence — O(T·N·S·C) work, where NumPy's bincount is O(T·N·S). The sum runs in another order
  than bincount's, which changes the gradient by roundings.

The loop over time steps t is the recursion itself (each step depends on the one before), as on
the NumPy path; each step is whole-array over sequences and states.
"""
from __future__ import annotations

from .. import backend as B
from ..backend import array_namespace

_NEG_INF = float("-inf")


def _logsumexp3(ns, a, b, c):
    """ln(eᵃ + eᵇ + eᶜ), shifted by the maximum (0 where it is −∞), as ctc._logsumexp3."""
    m = ns.maximum(ns.maximum(a, b), c)
    m = ns.where(m == _NEG_INF, 0.0, m)
    return ns.log(ns.exp(a - m) + ns.exp(b - m) + ns.exp(c - m)) + m


def _shift(ns, a, k: int):
    """``a`` moved k places right along the last axis, −∞ shifted in (k < 0: left)."""
    n = a.shape[-1]
    fill = ns.full(a.shape[:-1] + (min(abs(k), n),), _NEG_INF, dtype=a.dtype, device=a.device)
    if k > 0:
        return ns.concat([fill, a[..., :n - min(k, n)]], axis=-1)
    return ns.concat([a[..., min(-k, n):], fill], axis=-1)


def _here(ns, a, device):
    """The integer metadata (targets, lengths: NumPy arrays from F.ctc_loss) on lp's device."""
    return a if B.is_foreign_array(a) else ns.asarray(a, device=device)


def alpha_beta(lp, targets, in_len, tg_len, blank):
    """ctc._alpha_beta on any array API library: α, β (T, N, S), the extended labels (N, S), the
    valid states (N, S) and the losses (N,)."""
    ns = array_namespace(lp)
    dev = lp.device
    targets, in_len, tg_len = (_here(ns, a, dev) for a in (targets, in_len, tg_len))
    T, N, _ = lp.shape
    width = targets.shape[1] if targets.ndim == 2 else 0
    S = 2 * width + 1
    s_idx = ns.arange(S, device=dev)
    odd = (s_idx % 2) == 1
    if width:
        labels = ns.take(targets, ns.clip((s_idx - 1) // 2, 0, width - 1), axis=1)
        ext = ns.where(odd[None, :], ns.astype(labels, ns.int64), blank)
    else:
        ext = ns.full((N, S), blank, dtype=ns.int64, device=dev)
    valid = s_idx[None, :] < (2 * tg_len + 1)[:, None]                      # (N, S)
    if S > 2:
        allowed = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        skip = ns.concat([ns.zeros((N, 2), dtype=ns.bool, device=dev), allowed], axis=1)
    else:
        skip = ns.zeros((N, S), dtype=ns.bool, device=dev)
    emit = ns.take_along_axis(lp, ns.broadcast_to(ext[None, ...], (T, N, S)), axis=2)
    emit = ns.where(valid[None, ...], emit, _NEG_INF)                       # (T, N, S)

    first = (s_idx == 0)[None, :] | ((s_idx == 1)[None, :] & (tg_len > 0)[:, None])
    rows = [ns.where(first, emit[0, ...], _NEG_INF)]
    for t in range(1, T):
        prev = rows[-1]
        two = ns.where(skip, _shift(ns, prev, 2), _NEG_INF)
        rows.append(_logsumexp3(ns, prev, _shift(ns, prev, 1), two) + emit[t, ...])
    alpha = ns.stack(rows, axis=0)

    last = 2 * tg_len                                                       # final state (blank)
    skip_next = _shift(ns, B.astype(skip, lp.dtype), -2) > 0
    ending = (s_idx[None, :] == last[:, None]) | (
        (s_idx[None, :] == (last - 1)[:, None]) & (tg_len > 0)[:, None])    # (N, S)
    rows = [None] * T
    for t in range(T - 1, -1, -1):
        if t + 1 < T:
            nxt = rows[t + 1]
            two = ns.where(skip_next, _shift(ns, nxt, -2), _NEG_INF)
            rec = _logsumexp3(ns, nxt, _shift(ns, nxt, -1), two) + emit[t, ...]
        else:
            rec = ns.full((N, S), _NEG_INF, dtype=lp.dtype, device=dev)
        init = ns.where(ending, emit[t, ...], _NEG_INF)
        rows[t] = ns.where((in_len - 1 == t)[:, None], init, rec)
    beta = ns.stack(rows, axis=0)

    t_end = ns.maximum(in_len - 1, 0)
    at_end = ns.take_along_axis(alpha, ns.broadcast_to(B.reshape(t_end, (1, N, 1)), (1, N, S)),
                                axis=0)[0, ...]                             # (N, S)
    l1 = ns.take_along_axis(at_end, last[:, None], axis=1)[:, 0]
    l2 = ns.take_along_axis(at_end, ns.maximum(last - 1, 0)[:, None], axis=1)[:, 0]
    l2 = ns.where(tg_len > 0, l2, _NEG_INF)
    nll = -_logsumexp3(ns, l1, l2, ns.full_like(l1, _NEG_INF))
    return alpha, beta, ext, valid, nll


def gradient(lp, alpha, beta, ext, nll, in_len, zero_infinity):
    """ctc.CTCLoss's gradient e^{x} − γ (T, N, C) on any array API library (before g)."""
    ns = array_namespace(lp)
    dev = lp.device
    in_len = _here(ns, in_len, dev)
    T, N, C = lp.shape
    ab = alpha + beta                                                       # (T, N, S)
    m = ns.max(ab, axis=2, keepdims=True)
    m = ns.where(ns.isfinite(m), m, 0.0)
    one_hot = B.astype(ext[:, :, None] == ns.arange(C, device=dev)[None, None, :], lp.dtype)
    weights = ns.permute_dims(ns.exp(ab - m), (1, 0, 2))                    # (N, T, S)
    summed = ns.permute_dims(ns.matmul(weights, one_hot), (1, 0, 2))        # (T, N, C)
    lcab = ns.log(summed) + m
    grad = ns.exp(lp) - ns.exp(lcab + nll[None, :, None] - lp)
    live = ns.arange(T, device=dev)[:, None] < in_len[None, :]             # (T, N)
    if zero_infinity:
        live = live & ~ns.isinf(nll)[None, :]
    return ns.where(live[:, :, None], grad, 0.0)
