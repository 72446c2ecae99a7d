"""Reference solutions of lesson 10 (attention)."""
import numpy as np


def _softmax_rows(S):
    e = np.exp(S - S.max(axis=-1, keepdims=True))     # exp(−∞) = 0 for masked scores
    return e / e.sum(axis=-1, keepdims=True)


def attention(Q, K, V, causal=False):
    S = Q @ K.T / np.sqrt(Q.shape[-1])                # similarities, scaled by √d
    if causal:
        S = np.where(np.tri(*S.shape, dtype=bool), S, -np.inf)   # keys j ≤ i only
    return _softmax_rows(S) @ V                       # weighted averages of the values


def softmax_vjp(P, G):
    # ∂Pᵢⱼ/∂Sᵢₖ = Pᵢⱼ(δⱼₖ − Pᵢₖ) ⇒ ∂L/∂Sᵢₖ = Pᵢₖ (Gᵢₖ − Σⱼ Gᵢⱼ Pᵢⱼ)
    return P * (G - (G * P).sum(axis=-1, keepdims=True))


def self_attention(X, in_proj_weight, in_proj_bias, out_weight, out_bias, num_heads):
    E = X.shape[1]
    d = E // num_heads
    QKV = X @ in_proj_weight.T + in_proj_bias
    Q, K, V = QKV[:, :E], QKV[:, E:2 * E], QKV[:, 2 * E:]
    heads = [attention(Q[:, h * d:(h + 1) * d], K[:, h * d:(h + 1) * d],
                       V[:, h * d:(h + 1) * d]) for h in range(num_heads)]
    return np.concatenate(heads, axis=1) @ out_weight.T + out_bias
