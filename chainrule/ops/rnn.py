r"""Recurrences over whole sequences, fused: the Elman RNN (tanh/ReLU), the GRU and the LSTM.

Each primitive runs one layer in one direction over a whole sequence x ∈ ℝ^{T×N×I} (time-major)
and has a hand-derived backpropagation through time (BPTT):

- the input projections of all T steps are one GEMM, (T·N × I)(I × G·H), before the loop;
- one Python loop runs forward over time: per step one (N × H)(H × G·H) GEMM for the recurrent
  term and in-place gate arithmetic on preallocated buffers (no graph node per gate per step);
- one loop runs backward over time, writing the gate gradients δa_t of every step into one
  buffer, so that the weight gradients and ∂L/∂x are again single GEMMs after the loop.

Equations follow PyTorch (``torch.nn.RNN/GRU/LSTM``), with its gate order: LSTM rows of W are
(i, f, g, o), GRU rows (r, z, n). Internally the LSTM works in the order (i, f, o, g) so that
the three sigmoid gates are adjacent; gradients are handed back in PyTorch's order.

Variable lengths. Given ``lengths`` (one per sequence, 1 ≤ lengths[b] ≤ T), step t is applied to
sequence b only while t < lengths[b]; afterwards its state is left unchanged, so padding never
reaches the final state, and outputs past the end are 0 (what PyTorch's pack_padded_sequence /
pad_packed_sequence give). As in a packed sequence, the batch is sorted by decreasing length, so
the sequences still running at step t are a prefix of the sorted batch and each step computes on
that prefix alone. In the reverse direction, sequence b starts at t = lengths[b] − 1 from its
initial state.

Output. A primitive returns a single array, so each packs its results into one flat array:
[y (T·N·H_out) | h_T (N·H_out) | c_T (N·H), LSTM only]. :func:`rnn`, :func:`gru` and :func:`lstm`
unpack it into tensors (slices: their gradients flow back into the packed array).

The backward of these primitives is an in-place loop on arrays, not a composition of
differentiable operations, so they are not twice differentiable (``create_graph=True`` through
them raises).

Where the time goes (LSTM, T = 100, N = 64, I = H = 128, float32, one core): the GEMMs (the
input projection, 2 × 100 recurrent ones, ∂L/∂x, ∂L/∂W_ih, ∂L/∂W_hh: 5 GFLOP) take about three
quarters, at BLAS speed; the rest is the per-step gate arithmetic, about 25 NumPy calls per step
forward and backward, of which exp and tanh (not vectorised in NumPy on AVX2) are half. BLAS uses
every core, the gate arithmetic one, so the share of the latter grows with the cores.
"""
from __future__ import annotations

import math

from .. import kernels
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import is_foreign_array, xp
from ..parallel import parallel_for
from .movement import getitem, reshape

# ------------------------------------------------------------------------------ the time loop


class _Plan:
    """How the time loop visits a batch: order of the steps, and the sequences running at each.

    ``counts[t]`` is the number of (sorted) sequences still running at time t; ``perm`` sorts the
    batch by decreasing length (None when it already is, or when no lengths are given).
    """

    def __init__(self, T: int, N: int, lengths, reverse: bool, dtype):
        self.T, self.N, self.reverse = T, N, bool(reverse)
        self.perm = self.inv = self.mask = None
        self.counts = [N] * T
        self.masked = False
        if lengths is not None:
            lengths = check_lengths(lengths, T, N, "recurrence")
            if (lengths < T).any():
                order = xp.argsort(-lengths, kind="stable")
                if (order != xp.arange(N)).any():
                    self.perm = order
                    self.inv = xp.argsort(order)
                ordered = lengths[order]
                running = ordered[None, :] > xp.arange(T)[:, None]            # (T, N), sorted
                self.counts = running.sum(axis=1).tolist()
                self.mask = running[:, :, None].astype(dtype)
                self.masked = True
        self.times = range(T - 1, -1, -1) if reverse else range(T)
        # State buffers hold T + 1 states in time order: for the forward direction the state
        # before step t is S[t] and after it S[t + 1]; for the reverse direction, S[t + 1] and
        # S[t]. The final state is S[T] (forward) or S[0] (reverse).
        self.final = 0 if reverse else T
        self.first = T if reverse else 0

    def sort(self, a, axis: int = 1):
        """Put the batch axis of ``a`` in decreasing-length order."""
        if self.perm is None or a is None:
            return a
        return xp.take(a, self.perm, axis=axis)

    def unsort(self, a, axis: int = 1, out=None):
        """Undo :meth:`sort`."""
        if self.perm is None:
            if out is not None:
                out[...] = a
                return out
            return a
        return xp.take(a, self.inv, axis=axis, out=out)

    def previous(self, S):
        """The state before each step, in time order: (T, N, ·)."""
        return S[1:] if self.reverse else S[:-1]

    def outputs(self, S):
        """The state after each step, in time order: (T, N, ·)."""
        return S[:-1] if self.reverse else S[1:]


def check_lengths(lengths, T: int, N: int, op: str):
    """``lengths`` as an int64 array of shape (N,) with 1 ≤ lengths[b] ≤ T, or a ValueError."""
    data = getattr(lengths, "_data", lengths)
    if hasattr(data, "detach"):               # a torch tensor
        data = data.detach().cpu().numpy()
    array = xp.asarray(data)
    if array.dtype.kind not in "iu":
        if array.dtype.kind == "f" and array.size and (array == xp.round(array)).all():
            array = array.astype(xp.int64)
        else:
            raise TypeError(f"{op}: lengths must be integers, got dtype {array.dtype}")
    if array.dtype != xp.int64:
        array = array.astype(xp.int64)
    if array.ndim == 0:
        array = array.reshape(-1)
    # (an int64 (N,) array is kept as it is, the same object: a compiled trace then knows it as
    # the value it was computed as, and replays the computation instead of baking this value in)
    if array.shape != (N,):
        raise ValueError(f"{op}: lengths must hold one length per sequence, shape ({N},), got "
                         f"shape {tuple(array.shape)}")
    if N and (array.max() > T or array.min() < 1):
        bad = int(array.max()) if array.max() > T else int(array.min())
        raise ValueError(f"{op}: every length must be between 1 and the sequence length {T}, got "
                         f"{bad} (lengths {array.tolist()})")
    return array


def _pack_outputs(plan, S, C=None):
    """The flat output [y | h_T | c_T] from the state buffers (in the caller's batch order)."""
    T, N = plan.T, plan.N
    P = S.shape[-1]
    sizes = [T * N * P, N * P] + ([N * C.shape[-1]] if C is not None else [])
    out = xp.empty(sum(sizes), dtype=S.dtype)
    y = out[:sizes[0]].reshape(T, N, P)
    states = plan.outputs(S)
    if plan.masked:
        if plan.perm is None:
            xp.multiply(states, plan.mask, out=y)
        else:
            plan.unsort(states * plan.mask, out=y)
    else:
        plan.unsort(states, out=y)
    plan.unsort(S[plan.final], axis=0, out=out[sizes[0]:sizes[0] + sizes[1]].reshape(N, P))
    if C is not None:
        plan.unsort(C[plan.final], axis=0, out=out[sizes[0] + sizes[1]:].reshape(N, -1))
    return out


def _unpack_grad(plan, g, P, H=None):
    """Split the flat upstream gradient into (g_y, g_hT, g_cT), each in sorted batch order."""
    T, N = plan.T, plan.N
    n_y, n_h = T * N * P, N * P
    gy = plan.sort(g[:n_y].reshape(T, N, P))
    gh = plan.sort(g[n_y:n_y + n_h].reshape(N, P), axis=0).copy()
    gc = None if H is None else plan.sort(g[n_y + n_h:].reshape(N, H), axis=0).copy()
    return gy, gh, gc


def _initial(buffer, plan, h0):
    """Write the initial state (zeros when not given) into its slot of a state buffer."""
    if h0 is None:
        buffer[plan.first] = 0
    else:
        buffer[plan.first] = plan.sort(h0, axis=0)


def _carry(src, dst, lo, hi, *states):
    """Rows lo … hi − 1 (sequences that have ended) keep their states (S, and C) from src."""
    if lo < hi:
        for S in states:
            S[dst, lo:hi] = S[src, lo:hi]


def _input_projection(x, w_ih, bias, plan):
    """All T steps' input terms at once: (T·N × I)(I × G·H) + b, as one GEMM.

    Also returns x as (T·N × I) for ∂L/∂W_ih, with padding (steps past a sequence's end) zeroed:
    it never reaches a gradient, whatever values (even NaN) it holds.
    """
    T, N, I = x.shape
    x2 = x.reshape(T * N, I)
    if plan.masked:
        x2 = (x * plan.mask).reshape(T * N, I)
    a = x2 @ w_ih.T
    if bias is not None:
        a += bias
    return x2, a.reshape(T, N, -1)


def _bias_sum(b_ih, b_hh):
    if b_ih is None and b_hh is None:
        return None
    if b_ih is None:
        return b_hh.copy()
    return b_ih + b_hh if b_hh is not None else b_ih.copy()


def _x_grads(need, plan, dA2, x2, w_ih, x_shape, w_index):
    """∂L/∂x and ∂L/∂W_ih, one GEMM each over all steps (rows of δA are steps × batch)."""
    gx = plan.unsort((dA2 @ w_ih).reshape(x_shape)) if need[0] else None
    gw = dA2.T @ x2 if need[w_index] else None
    return gx, gw


def _all_slopes(A, slope_g, H3):
    """The four gates' slopes from the gate values A (σ′ = u(1 − u) of i, f, o, by the
    forward's two operations: the same bits) and g's slopes kept by the forward's kernel."""
    D = xp.empty(A.shape, dtype=A.dtype)
    u = A[..., :H3]
    d = xp.subtract(1, u, out=D[..., :H3])
    d *= u
    D[..., H3:] = slope_g
    return D


def _needs(ctx, count: int) -> tuple[bool, ...]:
    """Which inputs need a gradient, padded with False for optional inputs left out."""
    need = tuple(ctx.needs_input_grad)
    return need + (False,) * (count - len(need))


def _dims(shape) -> str:
    return "×".join(str(s) for s in shape)


def _explain(cls, exc, arrays, params, gates):
    x, h0 = arrays[0], arrays[1]
    w_ih = arrays[3] if cls is Lstm else arrays[2]
    w_hh = arrays[4] if cls is Lstm else arrays[3]
    if getattr(x, "ndim", 0) != 3:
        return ValueError(f"{cls.name}: the input must be 3-D (T, N, input_size), got shape "
                          f"({_dims(getattr(x, 'shape', ()))})")
    T, N, I = x.shape
    if w_ih.shape[1] != I:
        return ValueError(f"{cls.name}: input of shape ({_dims(x.shape)}) has {I} features, but "
                          f"W_ih ({_dims(w_ih.shape)}) expects input_size = {w_ih.shape[1]}")
    H = w_ih.shape[0] // gates
    P = w_hh.shape[1]
    if h0 is not None and h0.shape != (N, P):
        return ValueError(f"{cls.name}: the initial state h0 must have shape ({N}×{P}), got "
                          f"({_dims(h0.shape)})")
    if cls is Lstm and arrays[2] is not None and arrays[2].shape != (N, H):
        return ValueError(f"{cls.name}: the initial cell state c0 must have shape ({N}×{H}), got "
                          f"({_dims(arrays[2].shape)})")
    return super(cls, cls).explain_error(exc, arrays, params)


# ------------------------------------------------------------------------------ Elman RNN


@primitive
class Rnn(Function):
    r"""Elman recurrent network over a whole sequence (PyTorch's ``nn.RNN``, one layer/direction).

    Forward:     h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh),  φ = tanh or ReLU,  y_t = h_t
    Derivative:  BPTT: δh_t = ∂L/∂y_t + W_hhᵀ δa_{t+1} (δh_T also gets ∂L/∂h_T),
                 δa_t = δh_t ⊙ φ′(a_t) with φ′ = 1 − h_t² (tanh) or 1[h_t > 0] (ReLU);
                 ∂L/∂W_ih = Σ_t δa_t x_tᵀ,  ∂L/∂W_hh = Σ_t δa_t h_{t−1}ᵀ,  ∂L/∂b = Σ_t δa_t,
                 ∂L/∂x_t = W_ihᵀ δa_t,  ∂L/∂h_0 = W_hhᵀ δa_1
    VJP:         one loop backward over time (one GEMM per step), then one GEMM per gradient.
    Numerics:    the input term of every step is one GEMM before the loop; φ′ is taken from the
                 saved outputs h_t.
    Kinks:       ReLU′(0) = 0, as PyTorch.
    """

    name = "rnn"
    array_api = True
    text = ("h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh),  φ ∈ {tanh, ReLU}",
            "δh_t = ∂L/∂y_t + W_hhᵀ δa_{t+1},  δa_t = δh_t ⊙ φ′(a_t),  "
            "∂L/∂W_hh = Σ_t δa_t h_{t−1}ᵀ")
    latex = (r"h_t = \varphi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})",
             r"\delta h_t = \frac{\partial L}{\partial y_t} + W_{hh}^{\top}\delta a_{t+1},\quad "
             r"\delta a_t = \delta h_t \odot \varphi'(a_t),\quad "
             r"\frac{\partial L}{\partial W_{hh}} = \textstyle\sum_t \delta a_t\, h_{t-1}^{\top}")
    explanation = ("The same affine map and nonlinearity are applied at every step to the input "
                   "and the previous state; the gradient flows back through time by the "
                   "transposed recurrent weights, multiplied by the slope of the nonlinearity.")
    twice_differentiable = False

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, nonlinearity="tanh",
                lengths=None, reverse=False):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        if is_foreign_array(x):             # another array library: ops/rnn_standard.py
            from . import rnn_standard

            return rnn_standard.rnn_forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity,
                                            lengths, reverse)
        T, N, _ = x.shape
        H = w_hh.shape[0]
        plan = _Plan(T, N, lengths, reverse, x.dtype)
        xs = plan.sort(x)
        x2, A = _input_projection(xs, w_ih, _bias_sum(b_ih, b_hh), plan)
        S = xp.empty((T + 1, N, H), dtype=x.dtype)
        _initial(S, plan, h0)
        whhT = xp.ascontiguousarray(w_hh.T)            # a little faster in the GEMM
        scratch = xp.empty((N, H), dtype=x.dtype)
        act = xp.tanh if nonlinearity == "tanh" else None
        rev = plan.reverse
        for t in plan.times:
            n = plan.counts[t]
            src, dst = t + rev, t + 1 - rev
            a = A[t, :n]
            a += xp.matmul(S[src, :n], whhT, out=scratch[:n])
            if act is not None:
                act(a, out=S[dst, :n])
            else:
                xp.maximum(a, 0, out=S[dst, :n])
            _carry(src, dst, n, N, S)
        ctx.save(x2, w_ih, w_hh, S, plan, nonlinearity, x.shape)
        return _pack_outputs(plan, S)

    @staticmethod
    def vjp(ctx, g):
        if is_foreign_array(g):
            from . import rnn_standard

            return rnn_standard.rnn_backward(ctx, g, _needs(ctx, 8))
        x2, w_ih, w_hh, S, plan, nonlinearity, x_shape = ctx.saved
        T, N, H = plan.T, plan.N, S.shape[-1]
        g = g.astype(S.dtype, copy=False)
        gy, dh, _ = _unpack_grad(plan, g, H)
        dA = (xp.zeros if plan.masked else xp.empty)((T, N, H), dtype=S.dtype)
        rev = plan.reverse
        tanh = nonlinearity == "tanh"
        scratch = xp.empty((N, H), dtype=S.dtype)
        for t in reversed(plan.times):
            n = plan.counts[t]
            dst = t + 1 - rev
            dhn = dh[:n]
            dhn += gy[t, :n]
            d = dA[t, :n]
            h = S[dst, :n]
            if tanh:
                xp.multiply(h, h, out=scratch[:n])
                xp.subtract(1, scratch[:n], out=scratch[:n])
                xp.multiply(dhn, scratch[:n], out=d)
            else:
                xp.multiply(dhn, h > 0, out=d)
            xp.matmul(d, w_hh, out=dhn)
        dA2 = dA.reshape(T * N, H)
        need = _needs(ctx, 8)
        gx, gw_ih = _x_grads(need, plan, dA2, x2, w_ih, x_shape, 2)
        gh0 = plan.unsort(dh, axis=0) if need[1] else None
        gw_hh = dA2.T @ plan.previous(S).reshape(T * N, H) if need[3] else None
        gb = dA2.sum(axis=0) if (need[4] or need[5]) else None
        return gx, gh0, gw_ih, gw_hh, gb, gb

    @classmethod
    def explain_error(cls, exc, arrays, params):
        return _explain(cls, exc, arrays, params, 1)


# ------------------------------------------------------------------------------ GRU


@primitive
class Gru(Function):
    r"""Gated recurrent unit over a whole sequence (PyTorch's ``nn.GRU``, one layer/direction).

    Forward:     r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
                 z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
                 n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))
                 h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1},   y_t = h_t
    Derivative:  BPTT, with δh_t = ∂L/∂y_t + (∂L/∂h_t through step t+1):
                 δa_n = δh_t ⊙ (1 − z_t) ⊙ (1 − n_t²),
                 δa_z = δh_t ⊙ (h_{t−1} − n_t) ⊙ z_t(1 − z_t),
                 δa_r = δa_n ⊙ (W_hn h_{t−1} + b_hn) ⊙ r_t(1 − r_t),   δĥ_n = δa_n ⊙ r_t,
                 δh_{t−1} = W_hhᵀ [δa_r; δa_z; δĥ_n] + δh_t ⊙ z_t
    VJP:         one loop backward over time (one GEMM per step); then ∂L/∂W_ih = Σ_t δa_t x_tᵀ,
                 ∂L/∂W_hh = Σ_t [δa_r; δa_z; δĥ_n] h_{t−1}ᵀ, ∂L/∂x_t = W_ihᵀ δa_t as GEMMs.
    Numerics:    σ(a) = 1/(1 + e^{−a}), the sign folded into the r, z rows of the weights: an exp,
                 an add and a division, cheaper than NumPy's tanh. e^{−a} = ∞ gives σ = 0.
    """

    name = "gru"
    array_api = True
    text = ("r, z = σ(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t−1} + b_h{r,z}),  "
            "n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn)),  "
            "h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}",
            "δh_{t−1} = W_hhᵀ [δa_r; δa_z; δa_n ⊙ r] + δh_t ⊙ z,  δa_n = δh_t ⊙ (1 − z) ⊙ (1 − n²),"
            "  δa_z = δh_t ⊙ (h_{t−1} − n) ⊙ z(1 − z)")
    latex = (r"\begin{aligned} r_t &= \sigma(W_{ir}x_t + b_{ir} + W_{hr}h_{t-1} + b_{hr}),\ "
             r"z_t = \sigma(W_{iz}x_t + b_{iz} + W_{hz}h_{t-1} + b_{hz}) \\ "
             r"n_t &= \tanh(W_{in}x_t + b_{in} + r_t \odot (W_{hn}h_{t-1} + b_{hn})),\ "
             r"h_t = (1-z_t)\odot n_t + z_t \odot h_{t-1} \end{aligned}",
             r"\delta h_{t-1} = W_{hh}^{\top}[\delta a_r; \delta a_z; \delta a_n \odot r_t] + "
             r"\delta h_t \odot z_t,\quad \delta a_n = \delta h_t \odot (1-z_t)\odot(1-n_t^2)")
    explanation = ("The update gate z interpolates between the previous state and a candidate n; "
                   "the reset gate r decides how much of the previous state the candidate sees. "
                   "The gradient reaches h_{t−1} both through the weights and directly through z.")
    twice_differentiable = False

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, lengths=None, reverse=False):
        if is_foreign_array(x):             # another array library: ops/rnn_standard.py
            from . import rnn_standard

            return rnn_standard.gru_forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        H2 = 2 * H
        plan = _Plan(T, N, lengths, reverse, x.dtype)
        xs = plan.sort(x)
        # σ(a) = 1/(1 + e^{−a}): the r, z rows are negated, so that exp, +1 and 1/· give σ.
        w_ih_f = w_ih.copy()
        w_ih_f[:H2] *= -1
        whhT = w_hh.copy()
        whhT[:H2] *= -1
        whhT = xp.ascontiguousarray(whhT.T)
        bias = None
        if b_ih is not None or b_hh is not None:
            bias = xp.zeros(3 * H, dtype=x.dtype)
            if b_ih is not None:
                bias += b_ih
            if b_hh is not None:
                bias[:H2] += b_hh[:H2]
            bias[:H2] *= -1
        b_hn = b_hh[H2:] if b_hh is not None else None
        x2, A = _input_projection(xs, w_ih_f, bias, plan)  # then the activations (r, z, n)
        S = xp.empty((T + 1, N, H), dtype=x.dtype)
        HN = xp.empty((T, N, H), dtype=x.dtype)           # W_hn h_{t−1} + b_hn
        _initial(S, plan, h0)
        gh = xp.empty((N, 3 * H), dtype=x.dtype)
        tmp = xp.empty((N, H), dtype=x.dtype)
        rev = plan.reverse
        mul, add, tanh, exp, div = xp.multiply, xp.add, xp.tanh, xp.exp, xp.divide
        with xp.errstate(over="ignore"):  # e^{−a} = ∞ for a ≪ 0 gives σ = 1/∞ = 0
            for t in plan.times:
                n = plan.counts[t]
                src, dst = t + rev, t + 1 - rev
                hp = S[src, :n]
                ghn = xp.matmul(hp, whhT, out=gh[:n])
                a = A[t, :n]
                rz = a[:, :H2]
                rz += ghn[:, :H2]
                exp(rz, out=rz)
                rz += 1
                div(1, rz, out=rz)
                hn = HN[t, :n]
                if b_hn is not None:
                    add(ghn[:, H2:], b_hn, out=hn)
                else:
                    hn[...] = ghn[:, H2:]
                an = a[:, H2:]
                an += mul(a[:, :H], hn, out=tmp[:n])
                tanh(an, out=an)
                hnew = xp.subtract(hp, an, out=S[dst, :n])
                hnew *= a[:, H:H2]
                hnew += an
                _carry(src, dst, n, N, S)
        ctx.save(x2, w_ih, w_hh, S, A, HN, plan, x.shape)
        return _pack_outputs(plan, S)

    @staticmethod
    def vjp(ctx, g):
        if is_foreign_array(g):
            from . import rnn_standard

            return rnn_standard.gru_backward(ctx, g, _needs(ctx, 8))
        x2, w_ih, w_hh, S, A, HN, plan, x_shape = ctx.saved
        T, N, H = plan.T, plan.N, S.shape[-1]
        H2 = 2 * H
        g = g.astype(S.dtype, copy=False)
        gy, dh, _ = _unpack_grad(plan, g, H)
        zeros_or_empty = xp.zeros if plan.masked else xp.empty
        # A[t] and HN[t] are read for the last time at step t: when this node is dropped after
        # the backward (ctx.consumable), [δa_r, δa_z, δĥ_n] overwrites A and δa_n overwrites HN
        # (each read below comes before the write to its place), so no (T, N, 4H) is allocated
        consume = ctx.consumable
        dG = A if consume else zeros_or_empty((T, N, 3 * H), dtype=S.dtype)  # [δa_r, δa_z, δĥ_n]
        dAn = HN if consume else zeros_or_empty((T, N, H), dtype=S.dtype)    # δa_n
        b1 = xp.empty((N, H), dtype=S.dtype)
        b2 = xp.empty((N, H2), dtype=S.dtype)
        bh = xp.empty((N, H), dtype=S.dtype)
        bz = xp.empty((N, H), dtype=S.dtype)
        bn = xp.empty((N, H), dtype=S.dtype) if consume else None
        rev = plan.reverse
        mul, sub = xp.multiply, xp.subtract
        for t in reversed(plan.times):
            n = plan.counts[t]
            src = t + rev
            if consume and n < N:
                dG[t, n:] = 0                                   # finished sequences: δ = 0
                dAn[t, n:] = 0
            dhn = dh[:n]
            dhn += gy[t, :n]
            a = A[t, :n]
            r, z, rz, nn = a[:, :H], a[:, H:H2], a[:, :H2], a[:, H2:]
            hp = S[src, :n]
            d = dG[t, :n]
            dan = bn[:n] if consume else dAn[t, :n]
            c1 = mul(nn, nn, out=b1[:n])
            sub(1, c1, out=c1)
            sub(1, z, out=dan)
            dan *= dhn
            dan *= c1                                           # δa_n
            c2 = sub(1, rz, out=b2[:n])
            c2 *= rz                                            # σ′ for r and z
            dz = mul(dhn, z, out=bz[:n])                        # δh ⊙ z (to δh_{t−1})
            sub(hp, nn, out=d[:, H:H2])
            d[:, H:H2] *= dhn                                   # δh ⊙ (h_{t−1} − n)
            mul(dan, r, out=d[:, H2:])                          # δĥ_n
            mul(dan, HN[t, :n], out=d[:, :H])                   # δa_n ⊙ ĥ_n
            d[:, :H2] *= c2                                     # ⊙ σ′ for r and z
            if consume:
                dAn[t, :n] = dan
            xp.add(dz, xp.matmul(d, w_hh, out=bh[:n]), out=dhn)
        need = _needs(ctx, 8)
        dG2 = dG.reshape(T * N, 3 * H)
        dAn2 = dAn.reshape(T * N, H)
        gx = gw_ih = gb_ih = None
        if need[0]:
            gx = dG2[:, :H2] @ w_ih[:H2]
            gx += dAn2 @ w_ih[H2:]
            gx = plan.unsort(gx.reshape(x_shape))
        if need[2]:
            gw_ih = xp.concatenate([dG2[:, :H2].T @ x2, dAn2.T @ x2])
        gw_hh = dG2.T @ plan.previous(S).reshape(T * N, H) if need[3] else None
        gb_hh = dG2.sum(axis=0) if need[5] else None
        if need[4]:
            gb_ih = xp.concatenate([dG2[:, :H2].sum(axis=0), dAn2.sum(axis=0)])
        gh0 = plan.unsort(dh, axis=0) if need[1] else None
        return gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh

    @classmethod
    def explain_error(cls, exc, arrays, params):
        return _explain(cls, exc, arrays, params, 3)


# ------------------------------------------------------------------------------ LSTM


def _ifog(a, H: int):
    """Rows (i, f, g, o) ↔ (i, f, o, g): swaps the last two blocks (its own inverse)."""
    return xp.concatenate([a[:2 * H], a[3 * H:], a[2 * H:3 * H]])


@primitive
class Lstm(Function):
    r"""Long short-term memory over a whole sequence (PyTorch's ``nn.LSTM``, one layer/direction).

    Forward:     (i, f, g, o) = (σ, σ, tanh, σ)(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
                 c_t = f ⊙ c_{t−1} + i ⊙ g,   m_t = o ⊙ tanh(c_t),
                 h_t = m_t (or W_hr m_t with proj_size > 0),   y_t = h_t
    Derivative:  BPTT, with δh_t = ∂L/∂y_t + W_hhᵀ δa_{t+1} and δm_t = δh_t (or W_hrᵀ δh_t):
                 δc_t = δm_t ⊙ o ⊙ (1 − tanh²c_t) + f_{t+1} ⊙ δc_{t+1},
                 δa_o = δm_t ⊙ tanh(c_t) ⊙ o(1 − o),   δa_i = δc_t ⊙ g ⊙ i(1 − i),
                 δa_f = δc_t ⊙ c_{t−1} ⊙ f(1 − f),   δa_g = δc_t ⊙ i ⊙ (1 − g²);
                 ∂L/∂W_ih = Σ_t δa_t x_tᵀ,  ∂L/∂W_hh = Σ_t δa_t h_{t−1}ᵀ,  ∂L/∂b = Σ_t δa_t,
                 ∂L/∂W_hr = Σ_t δh_t m_tᵀ,  ∂L/∂x_t = W_ihᵀ δa_t,  ∂L/∂c_0 = f_1 ⊙ δc_1
    VJP:         one loop backward over time (one GEMM per step, two with a projection), then one
                 GEMM per weight gradient and one for ∂L/∂x. Each sequence's recurrence is its
                 own, so both time loops split the batch's rows over the threads (each part with
                 its own per-step GEMMs, BLAS at one thread; the same bits as one part): batch
                 64, T = 100, H = 128 on 2 cores, forward and backward 52–59 → 43–47 ms (the
                 parts' many short NumPy calls contend for Python's lock, so not 2x).
    Numerics:    σ(a) = 1/(1 + e^{−a}) and tanh(a) = 2σ(2a) − 1, the factors −1 and −2 folded
                 (exactly) into the rows of the weights, so one exp, one add and one division give
                 all four gates (NumPy's exp and division are vectorised, its tanh much slower);
                 e^{−a} = ∞ gives σ = 0. The forward saves tanh(c_t) and the slopes u(1 − u)
                 (σ′, and tanh′/4 for g: the 4 is folded into the g rows of the weights and
                 gradients in the backward): a backward step is eleven array operations and a
                 GEMM. With the ``fast`` extra, numba kernels (kernels/lstm.py) make the
                 forward's steps from e^{−a} to c_t, and the backward's eleven operations, one
                 pass each, with the same operations in the same order (bit-identical); they
                 save only g's slopes and recompute σ′ = u(1 − u) of i, f, o from the gates.
    """

    name = "lstm"
    array_api = True
    text = ("(i, f, g, o) = (σ, σ, tanh, σ)(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh),  "
            "c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)",
            "δh_t = ∂L/∂y_t + W_hhᵀ δa_{t+1},  δc_t = δh_t ⊙ o ⊙ (1 − tanh² c_t) + f_{t+1} ⊙ "
            "δc_{t+1},  δa_i = δc_t ⊙ g ⊙ i(1−i), δa_f = δc_t ⊙ c_{t−1} ⊙ f(1−f), "
            "δa_g = δc_t ⊙ i ⊙ (1−g²), δa_o = δh_t ⊙ tanh(c_t) ⊙ o(1−o)")
    latex = (r"\begin{aligned} (i_t, f_t, g_t, o_t) &= (\sigma,\sigma,\tanh,\sigma)"
             r"(W_{ih}x_t + b_{ih} + W_{hh}h_{t-1} + b_{hh}) \\ "
             r"c_t &= f_t \odot c_{t-1} + i_t \odot g_t,\quad h_t = o_t \odot \tanh(c_t)"
             r"\end{aligned}",
             r"\begin{aligned} \delta h_t &= \frac{\partial L}{\partial y_t} + "
             r"W_{hh}^{\top}\delta a_{t+1},\quad \delta c_t = \delta h_t \odot o_t \odot "
             r"(1-\tanh^2 c_t) + f_{t+1}\odot\delta c_{t+1} \\ "
             r"\delta a_i &= \delta c_t \odot g_t \odot i_t(1-i_t),\ "
             r"\delta a_f = \delta c_t \odot c_{t-1} \odot f_t(1-f_t),\ "
             r"\delta a_g = \delta c_t \odot i_t \odot (1-g_t^2),\ "
             r"\delta a_o = \delta h_t \odot \tanh(c_t) \odot o_t(1-o_t) \end{aligned}")
    explanation = ("The cell state c is carried forward additively, scaled only by the forget "
                   "gate, so its gradient δc_t = f_{t+1} δc_{t+1} + … can survive many steps; the "
                   "input, forget and output gates decide what is written, kept and shown.")
    twice_differentiable = False

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, *, lengths=None,
                reverse=False):
        if is_foreign_array(x):             # another array library: ops/rnn_standard.py
            from . import rnn_standard

            return rnn_standard.lstm_forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr,
                                             lengths, reverse)
        T, N, _ = x.shape
        H = w_ih.shape[0] // 4
        P = w_hh.shape[1]
        H3 = 3 * H
        dt = x.dtype
        plan = _Plan(T, N, lengths, reverse, dt)
        xs = plan.sort(x)
        w_ih_i = _ifog(w_ih, H)                       # internal order (i, f, o, g)
        w_hh_i = _ifog(w_hh, H)
        # σ(a) = 1/(1 + e^{−a}) and tanh(a) = 2σ(2a) − 1: the rows of the sigmoid gates are
        # scaled by −1 and those of g by −2 (exact in floating point), so one exp, one +1 and one
        # division give all four gates.
        scale = xp.full((4 * H, 1), -1.0, dtype=dt)
        scale[H3:] = -2.0
        w_ih_f = w_ih_i * scale
        whhT = xp.ascontiguousarray((w_hh_i * scale).T)
        bias = _bias_sum(b_ih, b_hh)
        if bias is not None:
            bias = _ifog(bias, H) * scale[:, 0]
        x2, A = _input_projection(xs, w_ih_f, bias, plan)   # then the gate values (i, f, o, g)
        S = xp.empty((T + 1, N, P), dtype=dt)
        C = xp.empty((T + 1, N, H), dtype=dt)
        TC = xp.empty((T, N, H), dtype=dt)             # tanh(c_t)
        M = None                                        # o ⊙ tanh(c_t), with a projection
        if w_hr is not None:
            M = (xp.zeros if plan.masked else xp.empty)((T, N, H), dtype=dt)
        whrT = w_hr.T if w_hr is not None else None
        _initial(S, plan, h0)
        _initial(C, plan, c0)
        scratch = xp.empty((N, 4 * H), dtype=dt)
        tmp = xp.empty((N, H), dtype=dt)
        rev = plan.reverse
        mul, tanh, matmul, exp, div = xp.multiply, xp.tanh, xp.matmul, xp.exp, xp.divide
        cell = None
        if kernels.takes(A, C):             # the steps between exp and tanh in one pass
            from ..kernels.lstm import lstm_cell_forward as cell
            one, two = dt.type(1), dt.type(2)
        # the gates' slopes σ′, tanh′/4: the kernel keeps only g's (the backward recomputes
        # the sigmoid gates' from their values), the NumPy rule all four
        D = xp.empty((T, N, H if cell is not None else 4 * H), dtype=dt)

        def rows(lo, hi):
            """The time loop for the (sorted) sequences lo … hi − 1: each row's recurrence is
            its own, so the batch's rows split over threads, each part with its own GEMMs."""
            with xp.errstate(over="ignore"):  # e^{−a} = ∞ for a ≪ 0 gives σ = 1/∞ = 0
                for t in plan.times:
                    src, dst = t + rev, t + 1 - rev
                    n = min(plan.counts[t], hi) - lo         # this part's running rows
                    if n < hi - lo:                         # ended sequences keep their state
                        _carry(src, dst, lo + max(n, 0), hi, S, C)
                    if n <= 0:
                        continue
                    end = lo + n
                    a = A[t, lo:end]
                    a += matmul(S[src, lo:end], whhT, out=scratch[lo:end])
                    exp(a, out=a)
                    if cell is not None:                    # the steps below, one pass
                        cell(A[t, lo:hi], C[src, lo:hi], C[dst, lo:hi], D[t, lo:hi], n, H,
                             one, two)
                        c = C[dst, lo:end]
                    else:
                        a += 1
                        div(1, a, out=a)                    # u = σ(a) (σ(2a) for g)
                        d = xp.subtract(1, a, out=D[t, lo:end])
                        d *= a                              # σ′ = u(1 − u); tanh′ = 4u(1 − u)
                        g = a[:, H3:]
                        g *= 2
                        g -= 1                              # g = tanh(a) = 2u − 1
                        c = mul(a[:, H:2 * H], C[src, lo:end], out=C[dst, lo:end])
                        c += mul(a[:, :H], g, out=tmp[lo:end])
                    tc = tanh(c, out=TC[t, lo:end])
                    if M is None:
                        mul(a[:, 2 * H:H3], tc, out=S[dst, lo:end])
                    else:
                        m = mul(a[:, 2 * H:H3], tc, out=M[t, lo:end])
                        matmul(m, whrT, out=S[dst, lo:end])

        parallel_for(N, rows, A.nbytes + S.nbytes + C.nbytes + TC.nbytes + D.nbytes,
                     blas=True)
        ctx.save(x2, w_ih_i, w_hh_i, w_hr, S, C, A, TC, D, M, plan, x.shape)
        return _pack_outputs(plan, S, C)

    @staticmethod
    def vjp(ctx, g):
        if is_foreign_array(g):
            from . import rnn_standard

            return rnn_standard.lstm_backward(ctx, g, _needs(ctx, 8))
        x2, w_ih_i, w_hh_i, w_hr, S, C, A, TC, D, M, plan, x_shape = ctx.saved
        T, N, P, H = plan.T, plan.N, S.shape[-1], C.shape[-1]
        H2, H3, H4 = 2 * H, 3 * H, 4 * H
        dt = S.dtype
        g = g.astype(dt, copy=False)
        gy, dh, dc = _unpack_grad(plan, g, P, H)
        # D holds u(1 − u) (for g at least: see the forward), but tanh′ = 4u(1 − u) for g: the
        # loop computes δa with its g block divided by 4, and the weights it multiplies have
        # their g rows (and the gradients their g rows) multiplied by 4 instead (exact).
        four = xp.ones((H4, 1), dtype=dt)
        four[H3:] = 4
        w_hh_4, w_ih_4 = w_hh_i * four, w_ih_i * four
        zeros_or_empty = xp.zeros if plan.masked else xp.empty
        cell = None
        if M is None and kernels.takes(S, A, TC, D, C, dh, dc, gy):
            from ..kernels.lstm import lstm_cell_backward as cell  # one pass, same bits
        elif D.shape[-1] == H:          # the forward's kernel kept g's slopes only
            D = _all_slopes(A, D, H3)
        # δa_t is read from A[t] (the kernel) or D[t] (the NumPy rule) for the last time when
        # it is made: when this node is dropped after the backward (ctx.consumable), δa
        # overwrites that array in place and the backward allocates no (T, N, 4H) array
        # (LSTM benchmark: 13 MB of the step's peak)
        consume = ctx.consumable
        dA = (A if cell is not None else D) if consume else zeros_or_empty((T, N, H4), dtype=dt)
        DH = zeros_or_empty((T, N, P), dtype=dt) if w_hr is not None else None
        b1 = xp.empty((N, H), dtype=dt)
        bm = xp.empty((N, H), dtype=dt)
        e = xp.empty((N, H4), dtype=dt)
        rev = plan.reverse
        mul, sub, matmul = xp.multiply, xp.subtract, xp.matmul
        one = dt.type(1)

        def rows(lo, hi):
            """BPTT for the (sorted) sequences lo … hi − 1 (rows split over threads, as in the
            forward; each row's δh, δc are its own until the weight gradients below)."""
            for t in reversed(plan.times):
                n = min(plan.counts[t], hi) - lo         # this part's running rows
                src, dst = t + rev, t + 1 - rev
                if consume and n < hi - lo:
                    dA[t, lo + max(n, 0):hi] = 0                # finished sequences: δa = 0
                if n <= 0:
                    continue
                end = lo + n
                if cell is not None:
                    cell(dh[lo:hi], gy[t, lo:hi], A[t, lo:hi], TC[t, lo:hi], S[dst, lo:hi],
                         C[src, lo:hi], D[t, lo:hi], dA[t, lo:hi], dc[lo:hi], n, H, one)
                    matmul(dA[t, lo:end], w_hh_4, out=dh[lo:end])   # δh_{t−1}
                    continue
                dhn = dh[lo:end]
                dhn += gy[t, lo:end]
                if DH is None:
                    dm = dhn
                else:
                    DH[t, lo:end] = dhn
                    dm = matmul(dhn, w_hr, out=bm[lo:end])
                a = A[t, lo:end]
                tc = TC[t, lo:end]
                d = dA[t, lo:end]
                f = e[lo:end]                   # the factors of δa_t (d may be D[t] itself)
                dcn = dc[lo:end]
                mul(dm, tc, out=f[:, H2:H3])                        # δm ⊙ tanh c  (o gate)
                m = S[dst, lo:end] if M is None else M[t, lo:end]   # m = o ⊙ tanh c
                c1 = mul(m, tc, out=b1[lo:end])
                sub(a[:, H2:H3], c1, out=c1)                        # o ⊙ (1 − tanh² c)
                c1 *= dm
                dcn += c1                                           # δc_t
                mul(dcn, a[:, H3:], out=f[:, :H])                   # δc ⊙ g       (i gate)
                mul(dcn, C[src, lo:end], out=f[:, H:H2])            # δc ⊙ c_{t−1} (f gate)
                mul(dcn, a[:, :H], out=f[:, H3:])                   # δc ⊙ i       (g gate)
                mul(f, D[t, lo:end], out=d)                         # ⊙ σ′, tanh′/4: δa_t
                dcn *= a[:, H:H2]                                   # δc_{t−1} = f ⊙ δc_t
                matmul(d, w_hh_4, out=dhn)                          # δh_{t−1}

        parallel_for(N, rows, dA.nbytes, blas=True)
        need = _needs(ctx, 8)
        dA2 = dA.reshape(T * N, H4)
        gx, gw_ih = _x_grads(need, plan, dA2, x2, w_ih_4, x_shape, 3)
        gw_ih = _ifog(gw_ih * four, H) if need[3] else None
        gw_hh = None
        if need[4]:
            gw_hh = _ifog((dA2.T @ plan.previous(S).reshape(T * N, P)) * four, H)
        gb = None
        if need[5] or need[6]:
            gb = _ifog(dA2.sum(axis=0) * four[:, 0], H)
        gw_hr = None
        if w_hr is not None and need[7]:
            gw_hr = DH.reshape(T * N, P).T @ M.reshape(T * N, H)
        gh0 = plan.unsort(dh, axis=0) if need[1] else None
        gc0 = plan.unsort(dc, axis=0) if need[2] else None
        return gx, gh0, gc0, gw_ih, gw_hh, gb, gb, gw_hr

    @classmethod
    def explain_error(cls, exc, arrays, params):
        return _explain(cls, exc, arrays, params, 4)


# ------------------------------------------------------------------------------ references


def _sig(a):
    return 1 / (1 + xp.exp(-a))


def _reference_loop(x, h0, c0, lengths, reverse, step):
    """The definition, one sequence and one step at a time (slow; for the tests)."""
    T, N, _ = x.shape
    lengths = [T] * N if lengths is None else [int(v) for v in lengths]
    ys, hs, cs = xp.zeros((T, N, h0.shape[1])), [], []
    for b in range(N):
        h, c = h0[b], (c0[b] if c0 is not None else None)
        order = range(lengths[b] - 1, -1, -1) if reverse else range(lengths[b])
        for t in order:
            h, c = step(x[t, b], h, c)
            ys[t, b] = h
        hs.append(h)
        cs.append(c)
    parts = [ys.ravel(), xp.stack(hs).ravel()] + ([xp.stack(cs).ravel()] if c0 is not None else [])
    return xp.concatenate(parts).astype(x.dtype)


def _zero_state(h0, N, size, dtype):
    return xp.zeros((N, size), dtype=dtype) if h0 is None else h0


def _b(b, n, dtype):
    return xp.zeros(n, dtype=dtype) if b is None else b


def rnn_reference(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, nonlinearity="tanh",
                  lengths=None, reverse=False):
    H = w_hh.shape[0]
    h0 = _zero_state(h0, x.shape[1], H, x.dtype)
    b = _b(b_ih, H, x.dtype) + _b(b_hh, H, x.dtype)
    phi = xp.tanh if nonlinearity == "tanh" else (lambda v: xp.maximum(v, 0))
    return _reference_loop(x, h0, None, lengths, reverse,
                           lambda xt, h, c: (phi(w_ih @ xt + w_hh @ h + b), None))


def gru_reference(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, lengths=None, reverse=False):
    H = w_hh.shape[1]
    h0 = _zero_state(h0, x.shape[1], H, x.dtype)
    bi, bh = _b(b_ih, 3 * H, x.dtype), _b(b_hh, 3 * H, x.dtype)

    def step(xt, h, c):
        gi, gh = w_ih @ xt + bi, w_hh @ h + bh
        r = _sig(gi[:H] + gh[:H])
        z = _sig(gi[H:2 * H] + gh[H:2 * H])
        n = xp.tanh(gi[2 * H:] + r * gh[2 * H:])
        return (1 - z) * n + z * h, None

    return _reference_loop(x, h0, None, lengths, reverse, step)


def lstm_reference(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, *, lengths=None,
                   reverse=False):
    H = w_ih.shape[0] // 4
    P = w_hh.shape[1]
    h0 = _zero_state(h0, x.shape[1], P, x.dtype)
    c0 = _zero_state(c0, x.shape[1], H, x.dtype)
    b = _b(b_ih, 4 * H, x.dtype) + _b(b_hh, 4 * H, x.dtype)

    def step(xt, h, c):
        a = w_ih @ xt + w_hh @ h + b
        i, f, g, o = _sig(a[:H]), _sig(a[H:2 * H]), xp.tanh(a[2 * H:3 * H]), _sig(a[3 * H:])
        c = f * c + i * g
        m = o * xp.tanh(c)
        return (m if w_hr is None else w_hr @ m), c

    return _reference_loop(x, h0, c0, lengths, reverse, step)


Rnn.reference = staticmethod(rnn_reference)
Gru.reference = staticmethod(gru_reference)
Lstm.reference = staticmethod(lstm_reference)


# ------------------------------------------------------------------------------ functions


def _split(packed, shapes):
    out, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append(reshape(getitem(packed, slice(start, start + size)), shape))
        start += size
    return out


def _lengths_param(lengths, T, N, op):
    return None if lengths is None else check_lengths(lengths, T, N, op)


@autocast_op("rnn")
def rnn(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, nonlinearity: str = "tanh", lengths=None,
        reverse: bool = False):
    """One layer, one direction of an Elman RNN over x (T, N, I): returns (y, h_T).

    ``h0`` (N, H) may be None (zeros); ``lengths`` (N,) gives each sequence's length (outputs past
    it are 0 and h_T is the state at its last step); ``reverse`` runs from the end.
    """
    T, N = x.shape[0], x.shape[1]
    H = w_hh.shape[0]
    packed = Rnn.apply(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity,
                       lengths=_lengths_param(lengths, T, N, "rnn"), reverse=reverse)
    return tuple(_split(packed, [(T, N, H), (N, H)]))


def gru(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, lengths=None, reverse: bool = False):
    """One layer, one direction of a GRU over x (T, N, I): returns (y, h_T) (see :func:`rnn`)."""
    T, N = x.shape[0], x.shape[1]
    H = w_hh.shape[1]
    packed = Gru.apply(x, h0, w_ih, w_hh, b_ih, b_hh,
                       lengths=_lengths_param(lengths, T, N, "gru"), reverse=reverse)
    return tuple(_split(packed, [(T, N, H), (N, H)]))


@autocast_op("lstm")
def lstm(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, *, lengths=None,
         reverse: bool = False):
    """One layer, one direction of an LSTM over x (T, N, I): returns (y, h_T, c_T).

    With ``w_hr`` (P, H) the state is projected, h_t = W_hr (o ⊙ tanh c_t) (PyTorch's proj_size).
    """
    T, N = x.shape[0], x.shape[1]
    H = w_ih.shape[0] // 4
    P = w_hh.shape[1]
    packed = Lstm.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr,
                        lengths=_lengths_param(lengths, T, N, "lstm"), reverse=reverse)
    return tuple(_split(packed, [(T, N, P), (N, P), (N, H)]))
