r"""The recurrences (Elman RNN, GRU, LSTM) with the array API standard's functions alone: the route
for array libraries other than NumPy (CuPy, array_api_strict). ops/rnn.py's NumPy path — in-place
gate arithmetic on preallocated buffers, ``out=`` arguments, ``errstate`` — stays as it is; this
file computes the same mathematics (see ops/rnn.py's docstrings: equations, BPTT, PyTorch's gate
order) with the same arithmetic in the same order, as new arrays instead of in-place updates:

- the input projections of all T steps are one GEMM before the loop, and after the backward loop
  the weight gradients and ∂L/∂x are single GEMMs over the gate gradients of every step;
- one Python loop over time forward and one backward, each step a GEMM and whole-array gate
  arithmetic on the sequences still running (a prefix of the batch sorted by decreasing length,
  as ops/rnn.py's _Plan orders it: the plan is worked out on the host from the lengths);
- σ(a) = 1/(1 + e^{−a}) with the sign (and for the LSTM's g gate tanh(a) = 2σ(2a) − 1, its
  factor −2) folded into the rows of the weights, exactly as ops/rnn.py does.

Each primitive's output is the same flat array [y | h_T | c_T (LSTM)].
"""
from __future__ import annotations

from .. import backend as B
from ..backend import xp as np  # NumPy, on the host: positions and plans only


class _Order:
    """ops/rnn.py's _Plan (which steps, which sequences run), its batch reordering done by the
    array library's ``take``."""

    def __init__(self, x, lengths, reverse):
        from .rnn import _Plan

        T, N = x.shape[:2]
        self.ns = B.namespace(x)
        self.device = x.device
        host = None if lengths is None else B.to_numpy(lengths)
        self.plan = _Plan(T, N, host, reverse, B.numpy_dtype(x.dtype))
        self.mask = None
        if self.plan.masked:
            self.mask = self.ns.asarray(self.plan.mask, dtype=x.dtype, device=x.device)

    def _take(self, a, order, axis):
        if order is None or a is None:
            return a
        return self.ns.take(a, self.ns.asarray(order, device=self.device), axis=axis)

    def sort(self, a, axis=1):
        return self._take(a, self.plan.perm, axis)

    def unsort(self, a, axis=1):
        return self._take(a, self.plan.inv, axis)


def _rows(ns, top, rest):
    """The new state of the running sequences (``top``, n rows) over the kept state of the others
    (``rest``, the rows from n on): sequences that have ended keep their state."""
    return top if rest.shape[0] == 0 else ns.concat([top, rest], axis=0)


def _padded_rows(ns, d, N):
    """d (n rows) with zero rows up to N (the gate gradients of sequences not running)."""
    n = d.shape[0]
    if n == N:
        return d
    return ns.concat([d, ns.zeros((N - n,) + tuple(d.shape[1:]), dtype=d.dtype,
                                  device=d.device)], axis=0)


def _projection(order, xs, w_ih, bias):
    """x as (T·N × I) (padding zeroed) and the input terms of every step, (T, N, G·H)."""
    T, N, inputs = xs.shape
    x2 = B.reshape(xs if order.mask is None else xs * order.mask, (T * N, inputs))
    a = x2 @ B.matrix_transpose(w_ih)
    if bias is not None:
        a = a + bias
    return x2, B.reshape(a, (T, N, -1))


def _initial(ns, order, h0, N, size, like):
    if h0 is None:
        return ns.zeros((N, size), dtype=like.dtype, device=like.device)
    return order.sort(h0, axis=0)


def _pack(ns, order, states, finals):
    """The flat [y | h_T | c_T] from the states after each step (time order) and final states."""
    y = ns.stack(states, axis=0)
    if order.mask is not None:
        y = y * order.mask
    parts = [order.unsort(y)] + [order.unsort(f, axis=0) for f in finals]
    return ns.concat([B.reshape(p, (-1,)) for p in parts], axis=0)


def _unpack(ns, order, g, P, H=None):
    """(g_y (T, N, P), g_hT (N, P), g_cT (N, H)), in sorted batch order."""
    T, N = order.plan.T, order.plan.N
    n_y, n_h = T * N * P, N * P
    gy = order.sort(B.reshape(g[:n_y], (T, N, P)))
    gh = order.sort(B.reshape(g[n_y:n_y + n_h], (N, P)), axis=0)
    gc = None if H is None else order.sort(B.reshape(g[n_y + n_h:], (N, H)), axis=0)
    return gy, gh, gc


def _states_in_time_order(plan, S):
    """S holds the states indexed as ops/rnn.py's buffers: S[t] before/after step t."""
    return S[:-1] if plan.reverse else S[1:]


def _previous(plan, S):
    return S[1:] if plan.reverse else S[:-1]


def _bias_sum(b_ih, b_hh):
    if b_ih is None and b_hh is None:
        return None
    if b_ih is None:
        return b_hh
    return b_ih + b_hh if b_hh is not None else b_ih


def _cast(g, like):
    return g if g.dtype == like.dtype else B.astype(g, B.numpy_dtype(like.dtype))


# ------------------------------------------------------------------------------ Elman RNN
def rnn_forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, lengths, reverse):
    ns = B.namespace(x)
    T, N, _ = x.shape
    H = w_hh.shape[0]
    order = _Order(x, lengths, reverse)
    plan = order.plan
    x2, A = _projection(order, order.sort(x), w_ih, _bias_sum(b_ih, b_hh))
    S = [None] * (T + 1)
    S[plan.first] = _initial(ns, order, h0, N, H, x)
    whhT = B.matrix_transpose(w_hh)
    rev = plan.reverse
    for t in plan.times:
        n = plan.counts[t]
        src, dst = t + rev, t + 1 - rev
        a = A[t, :n, ...] + S[src][:n, ...] @ whhT
        h = ns.tanh(a) if nonlinearity == "tanh" else ns.maximum(a, ns.zeros_like(a))
        S[dst] = _rows(ns, h, S[src][n:, ...])
    ctx.save(x2, w_ih, w_hh, S, order, nonlinearity, tuple(x.shape))
    return _pack(ns, order, _states_in_time_order(plan, S), [S[plan.final]])


def rnn_backward(ctx, g, need):
    x2, w_ih, w_hh, S, order, nonlinearity, x_shape = ctx.saved
    ns, plan = order.ns, order.plan
    T, N, H = plan.T, plan.N, w_hh.shape[0]
    g = _cast(g, x2)
    gy, dh, _ = _unpack(ns, order, g, H)
    dA = [None] * T
    rev = plan.reverse
    for t in reversed(plan.times):
        n = plan.counts[t]
        dst = t + 1 - rev
        dhn = dh[:n, ...] + gy[t, :n, ...]
        h = S[dst][:n, ...]
        if nonlinearity == "tanh":
            d = dhn * (1 - h * h)
        else:
            d = dhn * B.as_float_mask(h > 0, h)
        dA[t] = _padded_rows(ns, d, N)
        dh = _rows(ns, d @ w_hh, dh[n:, ...])
    dA2 = B.reshape(ns.stack(dA, axis=0), (T * N, H))
    dA2T = B.matrix_transpose(dA2)
    gx = order.unsort(B.reshape(dA2 @ w_ih, x_shape)) if need[0] else None
    gw_ih = dA2T @ x2 if need[2] else None
    gh0 = order.unsort(dh, axis=0) if need[1] else None
    prev = B.reshape(ns.stack(_previous(plan, S), axis=0), (T * N, H))
    gw_hh = dA2T @ prev if need[3] else None
    gb = ns.sum(dA2, axis=0) if (need[4] or need[5]) else None
    return gx, gh0, gw_ih, gw_hh, gb, gb


# ------------------------------------------------------------------------------ GRU
def _negate_rows(ns, w, rows):
    """w with its first ``rows`` rows negated (σ's sign folded into the weights)."""
    return ns.concat([-w[:rows, ...], w[rows:, ...]], axis=0)


def gru_forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
    ns = B.namespace(x)
    T, N, _ = x.shape
    H = w_hh.shape[1]
    H2 = 2 * H
    order = _Order(x, lengths, reverse)
    plan = order.plan
    w_ih_f = _negate_rows(ns, w_ih, H2)
    whhT = B.matrix_transpose(_negate_rows(ns, w_hh, H2))
    bias = None
    if b_ih is not None or b_hh is not None:
        bias = ns.zeros(3 * H, dtype=x.dtype, device=x.device)
        if b_ih is not None:
            bias = bias + b_ih
        if b_hh is not None:
            bias = ns.concat([bias[:H2] + b_hh[:H2], bias[H2:]])
        bias = _negate_rows(ns, bias, H2)
    b_hn = b_hh[H2:] if b_hh is not None else None
    x2, A = _projection(order, order.sort(x), w_ih_f, bias)
    S = [None] * (T + 1)
    S[plan.first] = _initial(ns, order, h0, N, H, x)
    act, HN = [None] * T, [None] * T       # (r, z, n) of each step; W_hn h_{t−1} + b_hn
    rev = plan.reverse
    for t in plan.times:
        n = plan.counts[t]
        src, dst = t + rev, t + 1 - rev
        hp = S[src][:n, ...]
        ghn = hp @ whhT
        a = A[t, :n, ...]
        rz = 1 / (ns.exp(a[:, :H2] + ghn[:, :H2]) + 1)
        hn = ghn[:, H2:] + b_hn if b_hn is not None else ghn[:, H2:]
        an = ns.tanh(a[:, H2:] + rz[:, :H] * hn)
        hnew = (hp - an) * rz[:, H:] + an
        act[t], HN[t] = ns.concat([rz, an], axis=1), hn
        S[dst] = _rows(ns, hnew, S[src][n:, ...])
    ctx.save(x2, w_ih, w_hh, S, act, HN, order, tuple(x.shape))
    return _pack(ns, order, _states_in_time_order(plan, S), [S[plan.final]])


def gru_backward(ctx, g, need):
    x2, w_ih, w_hh, S, act, HN, order, x_shape = ctx.saved
    ns, plan = order.ns, order.plan
    T, N, H = plan.T, plan.N, w_hh.shape[1]
    H2 = 2 * H
    g = _cast(g, x2)
    gy, dh, _ = _unpack(ns, order, g, H)
    dG, dAn = [None] * T, [None] * T      # [δa_r, δa_z, δĥ_n] and δa_n of each step
    rev = plan.reverse
    for t in reversed(plan.times):
        n = plan.counts[t]
        src = t + rev
        dhn = dh[:n, ...] + gy[t, :n, ...]
        a = act[t]
        r, z, rz, nn = a[:, :H], a[:, H:H2], a[:, :H2], a[:, H2:]
        hp = S[src][:n, ...]
        dz = (hp - nn) * dhn                                    # δh ⊙ (h_{t−1} − n)
        dan = (1 - z) * dhn * (1 - nn * nn)                     # δa_n
        drz = ns.concat([dan * HN[t], dz], axis=1) * ((1 - rz) * rz)   # ⊙ σ′ for r and z
        d = ns.concat([drz, dan * r], axis=1)                   # with δĥ_n = δa_n ⊙ r
        dG[t], dAn[t] = _padded_rows(ns, d, N), _padded_rows(ns, dan, N)
        dh = _rows(ns, dhn * z + d @ w_hh, dh[n:, ...])
    dG2 = B.reshape(ns.stack(dG, axis=0), (T * N, 3 * H))
    dAn2 = B.reshape(ns.stack(dAn, axis=0), (T * N, H))
    gx = gw_ih = gb_ih = None
    if need[0]:
        gx = dG2[:, :H2] @ w_ih[:H2, ...] + dAn2 @ w_ih[H2:, ...]
        gx = order.unsort(B.reshape(gx, x_shape))
    if need[2]:
        gw_ih = ns.concat([B.matrix_transpose(dG2[:, :H2]) @ x2,
                           B.matrix_transpose(dAn2) @ x2], axis=0)
    prev = B.reshape(ns.stack(_previous(plan, S), axis=0), (T * N, H))
    gw_hh = B.matrix_transpose(dG2) @ prev if need[3] else None
    gb_hh = ns.sum(dG2, axis=0) if need[5] else None
    if need[4]:
        gb_ih = ns.concat([ns.sum(dG2[:, :H2], axis=0), ns.sum(dAn2, axis=0)])
    gh0 = order.unsort(dh, axis=0) if need[1] else None
    return gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh


# ------------------------------------------------------------------------------ LSTM
def _ifog(ns, a, H):
    """Rows (i, f, g, o) ↔ (i, f, o, g) (its own inverse)."""
    return ns.concat([a[:2 * H, ...], a[3 * H:, ...], a[2 * H:3 * H, ...]], axis=0)


def _column(ns, like, rows, head, tail, split):
    """A (rows, 1) column: ``head`` in the first ``split`` rows, ``tail`` below."""
    values = np.full((rows, 1), head, dtype=B.numpy_dtype(like.dtype))
    values[split:] = tail
    return ns.asarray(values, device=like.device)


def lstm_forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, lengths, reverse):
    ns = B.namespace(x)
    T, N, _ = x.shape
    H = w_ih.shape[0] // 4
    P = w_hh.shape[1]
    H3 = 3 * H
    order = _Order(x, lengths, reverse)
    plan = order.plan
    w_ih_i, w_hh_i = _ifog(ns, w_ih, H), _ifog(ns, w_hh, H)      # internal order (i, f, o, g)
    scale = _column(ns, x, 4 * H, -1.0, -2.0, H3)               # σ: −1; g = 2σ(2a) − 1: −2
    w_ih_f = w_ih_i * scale
    whhT = B.matrix_transpose(w_hh_i * scale)
    bias = _bias_sum(b_ih, b_hh)
    if bias is not None:
        bias = _ifog(ns, bias, H) * scale[:, 0]
    x2, A = _projection(order, order.sort(x), w_ih_f, bias)
    S, C = [None] * (T + 1), [None] * (T + 1)
    S[plan.first] = _initial(ns, order, h0, N, P, x)
    C[plan.first] = _initial(ns, order, c0, N, H, x)
    act, D, TC = [None] * T, [None] * T, [None] * T   # gates (i, f, o, g); slopes; tanh c_t
    M = [None] * T                                     # o ⊙ tanh c_t, with a projection
    whrT = B.matrix_transpose(w_hr) if w_hr is not None else None
    rev = plan.reverse
    for t in plan.times:
        n = plan.counts[t]
        src, dst = t + rev, t + 1 - rev
        u = 1 / (ns.exp(A[t, :n, ...] + S[src][:n, ...] @ whhT) + 1)   # σ(a), σ(2a) for g
        D[t] = (1 - u) * u                              # σ′ = u(1 − u); tanh′ = 4u(1 − u)
        g = u[:, H3:] * 2 - 1                           # g = tanh(a) = 2u − 1
        a = ns.concat([u[:, :H3], g], axis=1)
        c = a[:, H:2 * H] * C[src][:n, ...] + a[:, :H] * g
        tc = ns.tanh(c)
        m = a[:, 2 * H:H3] * tc
        h = m if w_hr is None else m @ whrT
        act[t], TC[t] = a, tc
        if w_hr is not None:
            M[t] = _padded_rows(ns, m, N)
        S[dst] = _rows(ns, h, S[src][n:, ...])
        C[dst] = _rows(ns, c, C[src][n:, ...])
    ctx.save(x2, w_ih_i, w_hh_i, w_hr, S, C, act, TC, D, M, order, tuple(x.shape))
    return _pack(ns, order, _states_in_time_order(plan, S), [S[plan.final], C[plan.final]])


def lstm_backward(ctx, g, need):
    x2, w_ih_i, w_hh_i, w_hr, S, C, act, TC, D, M, order, x_shape = ctx.saved
    ns, plan = order.ns, order.plan
    T, N, P, H = plan.T, plan.N, w_hh_i.shape[1], w_ih_i.shape[0] // 4
    H2, H3, H4 = 2 * H, 3 * H, 4 * H
    g = _cast(g, x2)
    gy, dh, dc = _unpack(ns, order, g, P, H)
    # the g block of δa is computed divided by 4 (D holds u(1 − u)); the weights it multiplies
    # and the gradients have their g rows multiplied by 4 instead (exact), as in ops/rnn.py
    four = _column(ns, x2, H4, 1.0, 4.0, H3)
    w_hh_4, w_ih_4 = w_hh_i * four, w_ih_i * four
    dA, DH = [None] * T, [None] * T
    rev = plan.reverse
    for t in reversed(plan.times):
        n = plan.counts[t]
        src, dst = t + rev, t + 1 - rev
        dhn = dh[:n, ...] + gy[t, :n, ...]
        if w_hr is None:
            dm = dhn
        else:
            DH[t] = _padded_rows(ns, dhn, N)
            dm = dhn @ w_hr
        a, tc = act[t], TC[t]
        m = S[dst][:n, ...] if w_hr is None else M[t][:n, ...]     # m = o ⊙ tanh c
        dcn = dc[:n, ...] + (a[:, H2:H3] - m * tc) * dm             # δc_t
        d = ns.concat([dcn * a[:, H3:], dcn * C[src][:n, ...], dm * tc, dcn * a[:, :H]],
                      axis=1) * D[t]                                # δa_t (i, f, o, g/4)
        dA[t] = _padded_rows(ns, d, N)
        dc = _rows(ns, dcn * a[:, H:H2], dc[n:, ...])               # δc_{t−1} = f ⊙ δc_t
        dh = _rows(ns, d @ w_hh_4, dh[n:, ...])                     # δh_{t−1}
    dA2 = B.reshape(ns.stack(dA, axis=0), (T * N, H4))
    dA2T = B.matrix_transpose(dA2)
    gx = order.unsort(B.reshape(dA2 @ w_ih_4, x_shape)) if need[0] else None
    gw_ih = _ifog(ns, (dA2T @ x2) * four, H) if need[3] else None
    gw_hh = None
    if need[4]:
        prev = B.reshape(ns.stack(_previous(plan, S), axis=0), (T * N, P))
        gw_hh = _ifog(ns, (dA2T @ prev) * four, H)
    gb = _ifog(ns, ns.sum(dA2, axis=0) * four[:, 0], H) if (need[5] or need[6]) else None
    gw_hr = None
    if w_hr is not None and need[7]:
        DH2 = B.reshape(ns.stack(DH, axis=0), (T * N, P))
        gw_hr = B.matrix_transpose(DH2) @ B.reshape(ns.stack(M, axis=0), (T * N, H))
    gh0 = order.unsort(dh, axis=0) if need[1] else None
    gc0 = order.unsort(dc, axis=0) if need[2] else None
    return gx, gh0, gc0, gw_ih, gw_hh, gb, gb, gw_hr
