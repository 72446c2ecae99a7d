r"""Connectionist temporal classification (Graves et al., 2006): F.ctc_loss as a fused primitive.

For one sequence, log-probabilities x_{t,c} (t < T, c < C) and target l = (l₁ … l_L), the extended
label l′ = (b, l₁, b, l₂, …, b, l_L, b) (b = blank, length S = 2L + 1) lists the states of the
alignments. An alignment π ∈ l′^T advances by 0 or 1 state per step, or by 2 when it skips a
blank between two different labels; p(l|x) = Σ_π Π_t e^{x_{t,π_t}} over the alignments that end
in one of the last two states. In log space:

    α₀(0) = x_{0,b},  α₀(1) = x_{0,l₁},
    α_t(s) = x_{t,l′_s} + logsumexp(α_{t−1}(s), α_{t−1}(s−1), [α_{t−1}(s−2)]),
             the last term only where l′_s ≠ b and l′_s ≠ l′_{s−2} (a skip over a blank),
    β_{T−1}(S−1) = x_{T−1,b},  β_{T−1}(S−2) = x_{T−1,l_L},
    β_t(s) = x_{t,l′_s} + logsumexp(β_{t+1}(s), β_{t+1}(s+1), [β_{t+1}(s+2) if allowed])
    ℓ = −ln p(l|x) = −logsumexp(α_{T−1}(S−1), α_{T−1}(S−2))

(α and β both include the emission at t, as PyTorch's.) For every t,
Σ_s e^{α_t(s)+β_t(s)−x_{t,l′_s}} = p(l|x), so the posterior occupancy of class c at time t is
γ_{t,c} = e^{ℓ − x_{t,c}} Σ_{s: l′_s = c} e^{α_t(s) + β_t(s)}, and ∂ℓ/∂x_{t,c} = −γ_{t,c}.

PyTorch's gradient, which this primitive returns, is e^{x_{t,c}} − γ_{t,c}: the gradient with
respect to the logits z when x = log_softmax(z) (the log-softmax VJP maps it to itself, since
Σ_c γ_{t,c} = 1). It agrees with the true derivative up to the term e^{x}, whose image under the
log-softmax VJP is 0 — so for normalised log-probabilities (the intended input) the gradient with
respect to the logits is exact. Steps t ≥ T_n (beyond a sequence's input length) get 0.

Vectorisation: α and β are (T, N, S_max) arrays; each time step updates all sequences and all
extended positions at once (the only Python loop is over t). Invalid positions (s ≥ 2L_n + 1)
hold −∞. ``zero_infinity`` replaces an infinite loss (no alignment fits in T_n steps) and its
gradient by 0. Other array libraries run the same recursions by the array API standard's
functions (ops/ctc_standard.py).
"""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Function, primitive
from ..backend import is_foreign_array, xp
from . import ctc_standard

_NEG_INF = -xp.inf


def _logsumexp3(a, b, c):
    """ln(eᵃ + eᵇ + eᶜ) elementwise, as PyTorch's CTC kernel: shifted by the maximum (0 if −∞)."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(m == _NEG_INF, 0.0, m)
    with xp.errstate(divide="ignore"):
        return xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m)) + m


def _shift(a, k: int):
    """a moved k places right along the last axis, −∞ shifted in (k < 0: left)."""
    out = xp.full_like(a, _NEG_INF)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _alpha_beta(lp, targets, in_len, tg_len, blank):
    """Forward and backward variables (T, N, S), the extended labels and the losses (N,)."""
    T, N, _ = lp.shape
    S = 2 * (targets.shape[1] if targets.ndim == 2 else 0) + 1
    ext = xp.full((N, S), blank, dtype=xp.int64)
    ext[:, 1::2] = targets
    s_idx = xp.arange(S)
    valid = s_idx[None, :] < (2 * tg_len + 1)[:, None]                     # (N, S)
    skip = xp.zeros((N, S), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    emit = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (T, N, S)), axis=2)
    emit = xp.where(valid[None], emit, _NEG_INF)                           # (T, N, S)

    alpha = xp.full((T, N, S), _NEG_INF, dtype=lp.dtype)
    if T:
        alpha[0, :, 0] = emit[0, :, 0]
        if S > 1:
            alpha[0, :, 1] = xp.where(tg_len > 0, emit[0, :, 1], _NEG_INF)
    for t in range(1, T):
        prev = alpha[t - 1]
        two = xp.where(skip, _shift(prev, 2), _NEG_INF)
        alpha[t] = _logsumexp3(prev, _shift(prev, 1), two) + emit[t]

    beta = xp.full((T, N, S), _NEG_INF, dtype=lp.dtype)
    rows = xp.arange(N)
    last = 2 * tg_len                                                      # final state (blank)
    skip_next = _shift(skip.astype(lp.dtype), -2) > 0                      # skip allowed s+2 → s
    init = xp.full((N, S), _NEG_INF, dtype=lp.dtype)
    for t in range(T - 1, -1, -1):
        if t + 1 < T:
            nxt = beta[t + 1]
            two = xp.where(skip_next, _shift(nxt, -2), _NEG_INF)
            rec = _logsumexp3(nxt, _shift(nxt, -1), two) + emit[t]
        else:
            rec = xp.full((N, S), _NEG_INF, dtype=lp.dtype)
        ends = in_len - 1 == t
        if ends.any():
            init[...] = _NEG_INF
            init[rows, last] = emit[t, rows, last]
            init[rows, xp.maximum(last - 1, 0)] = xp.where(
                tg_len > 0, emit[t, rows, xp.maximum(last - 1, 0)], init[rows, 0])
            rec = xp.where(ends[:, None], init, rec)
        beta[t] = rec

    t_end = xp.maximum(in_len - 1, 0)
    l1 = alpha[t_end, rows, last]
    l2 = xp.where(tg_len > 0, alpha[t_end, rows, xp.maximum(last - 1, 0)], _NEG_INF)
    nll = -_logsumexp3(l1, l2, xp.full_like(l1, _NEG_INF))
    return alpha, beta, ext, valid, nll


def _reference(log_probs, targets=None, input_lengths=None, target_lengths=None, blank=0,
               zero_infinity=False):
    """−ln p(l|x) by the textbook recursion in probability space, one sequence and one state at a
    time (independent of the vectorised log-space code; for small tests only)."""
    out = []
    for n in range(log_probs.shape[1]):
        length, steps = int(target_lengths[n]), int(input_lengths[n])
        ext = [blank]
        for label in targets[n][:length]:
            ext += [int(label), blank]
        y = xp.exp(log_probs[:steps, n])
        a = [0.0] * len(ext)
        a[0] = y[0, ext[0]]
        if len(ext) > 1:
            a[1] = y[0, ext[1]]
        for t in range(1, steps):
            new = [0.0] * len(ext)
            for s, c in enumerate(ext):
                total = a[s] + (a[s - 1] if s >= 1 else 0.0)
                if s >= 2 and c != blank and c != ext[s - 2]:
                    total += a[s - 2]
                new[s] = total * y[t, c]
            a = new
        p = a[-1] + (a[-2] if len(ext) > 1 else 0.0)
        with xp.errstate(divide="ignore"):
            loss = -xp.log(p)
        out.append(0.0 if zero_infinity and xp.isinf(loss) else loss)
    return xp.asarray(out, dtype=log_probs.dtype)


@primitive
class CTCLoss(Function):
    r"""CTC loss of each sequence, −ln p(l|x) (F.ctc_loss with reduction='none'); see the module.

    Forward:     ℓₙ = −logsumexp(α_{Tₙ−1}(2Lₙ), α_{Tₙ−1}(2Lₙ − 1)), α by the forward recursion
    Derivative:  ∂ℓ/∂x_{t,c} = −γ_{t,c},
                 γ_{t,c} = e^{ℓ − x_{t,c}} Σ_{s: l′_s = c} e^{α_t(s)+β_t(s)}
    VJP:         ∂L/∂x_{t,n,c} = gₙ·(e^{x_{t,n,c}} − γ_{t,n,c}) for t < Tₙ, else 0 — PyTorch's
                 gradient, exact with respect to the logits when x = log_softmax(z)
    Numerics:    all recursions in log space with max-shifted log-sum-exp; γ's sum over the
                 positions of one class is shifted by the per-(t, n) maximum of α + β.
                 zero_infinity: ℓ = ∞ (no feasible alignment) becomes 0 with gradient 0.
    """

    name = "ctc_loss"
    array_api = True
    text = ("ℓ = −ln Σ_π Π_t p_t(π_t),  α_t(s) = x_{t,l′_s} + logsumexp(α_{t−1}(s), α_{t−1}(s−1), "
            "α_{t−1}(s−2))",
            "∂ℓ/∂x_{t,c} = e^{x_{t,c}} − e^{ℓ − x_{t,c}} Σ_{s: l′_s = c} e^{α_t(s) + β_t(s)}")
    latex = (r"\ell = -\ln \sum_{\pi \in \mathcal{B}^{-1}(l)} \prod_t y^t_{\pi_t}",
             r"\frac{\partial \ell}{\partial x_{t,c}} = e^{x_{t,c}} - \frac{1}{p(l|x)\,y^t_c}"
             r"\sum_{s:\,l'_s = c} \alpha_t(s)\,\beta_t(s)")
    explanation = ("Sums the probabilities of every alignment of the label sequence to the "
                   "input frames (blanks and repeats allowed) by dynamic programming; the "
                   "gradient is the predicted minus the posterior occupancy of each class.")
    domain = "real"
    reference = staticmethod(_reference)

    @staticmethod
    def forward(ctx, log_probs, targets=None, input_lengths=None, target_lengths=None, blank=0,
                zero_infinity=False):
        lp = log_probs
        route = ctc_standard.alpha_beta if is_foreign_array(lp) else _alpha_beta
        alpha, beta, ext, valid, nll = route(lp, targets, input_lengths, target_lengths, blank)
        ctx.save_data = (lp, alpha, beta, ext, valid, nll, input_lengths, zero_infinity)
        if is_foreign_array(lp):
            ns = lp.__array_namespace__()
            return ns.where(ns.isinf(nll), 0.0, nll) if zero_infinity else nll
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0.0, nll)
        return nll.astype(lp.dtype)

    @staticmethod
    def vjp(ctx, g):
        lp, alpha, beta, ext, valid, nll, in_len, zero_infinity = ctx.save_data
        if is_foreign_array(lp):
            grad = ctc_standard.gradient(lp, alpha, beta, ext, nll, in_len, zero_infinity)
            return B.reshape(g, (1, lp.shape[1], 1)) * grad
        T, N, C = lp.shape
        S = ext.shape[1]
        ab = alpha + beta                                                  # (T, N, S)
        m = ab.max(axis=2, keepdims=True) if S else xp.zeros((T, N, 1))
        m = xp.where(xp.isfinite(m), m, 0.0)
        index = ((xp.arange(T)[:, None, None] * N + xp.arange(N)[None, :, None]) * C
                 + ext[None]).reshape(-1)
        summed = xp.bincount(index, weights=xp.exp(ab - m).reshape(-1), minlength=T * N * C)
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lcab = xp.log(summed.reshape(T, N, C)) + m
            grad = xp.exp(lp) - xp.exp(lcab + nll[None, :, None] - lp)
        live = xp.arange(T)[:, None] < in_len[None, :]                     # (T, N)
        if zero_infinity:
            live = live & ~xp.isinf(nll)[None, :]
        grad = xp.where(live[:, :, None], grad, 0.0).astype(lp.dtype)
        gn = g.reshape((1, N, 1)) if hasattr(g, "reshape") else g
        return gn * grad
