"""Hidden checks of lesson 10: chainrule's scaled_dot_product_attention, its autograd through
softmax, and nn.MultiheadAttention with the same weights."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import call, compare, rng


def _cr():
    import chainrule as cr
    import chainrule.nn.functional as F

    return cr, F


def check_attention(f) -> None:
    cr, F = _cr()
    g = rng(1001)
    hint = ("scores S = Q Kᵀ/√d (row i: query i against every key), a softmax along each ROW "
            "(the weights of query i sum to 1), then those weights average the rows of V; a "
            "causal mask sets the scores above the diagonal to −∞, so their weights are 0; "
            "subtract each row's maximum before exponentiating")
    cases = [("L = S = 4, d = 3", (4, 4, 3, 3), False, 1.0),
             ("L = 2 queries, S = 5 keys, d = 4, d_v = 2", (2, 5, 4, 2), False, 1.0),
             ("causal, L = S = 5, d = 2", (5, 5, 2, 3), True, 1.0),
             ("large scores (entries of Q and K around ±30)", (3, 3, 4, 2), False, 30.0)]
    for case, (L, S, d, dv), causal, scale in cases:
        Q, K = g.normal(scale=scale, size=(L, d)), g.normal(scale=scale, size=(S, d))
        V = g.normal(size=(S, dv))
        expected = F.scaled_dot_product_attention(cr.tensor(Q), cr.tensor(K), cr.tensor(V),
                                                  is_causal=causal).numpy()
        with np.errstate(all="ignore"):
            received = call(case, hint, f, Q, K, V, causal)
        unscaled = F.scaled_dot_product_attention(cr.tensor(Q), cr.tensor(K), cr.tensor(V),
                                                  is_causal=causal, scale=1.0).numpy()
        compare(case, expected, received, hint=hint, what="the output", rtol=1e-7,
                atol=1e-10, mistakes=[(unscaled, "it is softmax(Q Kᵀ) V: the scores are not "
                                       "divided by √d")])


def check_softmax_vjp(f) -> None:
    cr, F = _cr()
    g = rng(1002)
    hint = ("∂Pᵢⱼ/∂Sᵢₖ = Pᵢⱼ(δⱼₖ − Pᵢₖ) within a row (each row is its own softmax); multiply by "
            "G and sum over j: the result is P times (G minus a per-row weighted average of G)")
    for L, S, scale in ((1, 4, 1.0), (3, 5, 2.0), (4, 4, 10.0)):
        Sm = g.normal(scale=scale, size=(L, S))
        Gm = g.normal(size=(L, S))
        case = f"P of shape {L}×{S}" + (" (peaked rows)" if scale > 5 else "")
        t = cr.tensor(Sm, requires_grad=True)
        P = F.softmax(t, dim=-1)
        (P * cr.tensor(Gm)).sum().backward()
        Pn = P.detach().numpy()
        compare(case, t.grad.numpy(), call(case, hint, f, Pn, Gm), hint=hint, what="∂L/∂S",
                rtol=1e-7, atol=1e-12,
                mistakes=[(Pn * (1 - Pn) * Gm, "it keeps only the diagonal of the Jacobian, "
                           "P ⊙ (1 − P) ⊙ G: every entry of a row affects every other")])


def check_self_attention(f) -> None:
    cr, _ = _cr()
    g = rng(1003)
    hint = ("project once to Q, K, V (rows of in_proj_weight in the order q, k, v); head h uses "
            "columns h·d … h·d + d − 1 of each, with its own softmax(Q_h K_hᵀ/√d) V_h — note the "
            "√d of a head, not of E; concatenate the heads' outputs in order, then the output "
            "projection")
    for L, E, heads in ((3, 4, 1), (5, 8, 2), (4, 6, 3)):
        X = g.normal(size=(L, E))
        W_in, b_in = g.normal(scale=0.5, size=(3 * E, E)), g.normal(size=3 * E)
        W_o, b_o = g.normal(scale=0.5, size=(E, E)), g.normal(size=E)
        case = f"L = {L}, E = {E}, {heads} head{'s' if heads > 1 else ''}"
        mha = cr.nn.MultiheadAttention(E, heads, batch_first=True).double()
        with cr.no_grad():
            for p, a in zip(mha.parameters(), (W_in, b_in, W_o, b_o)):
                p.copy_(cr.tensor(a))
        Xt = cr.tensor(X[None])
        expected = mha(Xt, Xt, Xt, need_weights=False)[0].detach().numpy()[0]
        compare(case, expected, call(case, hint, f, X, W_in, b_in, W_o, b_o, heads), hint=hint,
                what="the output", rtol=1e-7, atol=1e-10, transposable=False)


EXERCISES = (
    Exercise("10.1", "attention", "scaled dot-product attention, with a causal mask",
             check_attention),
    Exercise("10.2", "softmax_vjp", "the backward pass of softmax", check_softmax_vjp),
    Exercise("10.3", "self_attention", "multi-head self-attention", check_self_attention),
)
