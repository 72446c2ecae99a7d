"""Lesson 10 — attention and Transformers.

Write each function below, then grade it:   chainrule learn check 10     (or check 10.2, …)
Sequences are matrices with one position per row. The lesson explains the mathematics:
chainrule learn show 10.
"""
import numpy as np  # noqa: F401  (you will need it)


def attention(Q, K, V, causal=False):
    """Exercise 10.1 — scaled dot-product attention.

    Q ∈ ℝ^{L×d} (queries), K ∈ ℝ^{S×d} (keys), V ∈ ℝ^{S×d_v} (values). Return

        softmax(Q Kᵀ / √d) V   ∈ ℝ^{L×d_v},

    the softmax taken along each row (over the S keys). With ``causal=True`` (L = S), query i
    may only look at keys j ≤ i: the scores with j > i are set to −∞ before the softmax. It must
    work for large scores (±1000) too.
    """
    raise NotImplementedError


def softmax_vjp(P, G):
    """Exercise 10.2 — the backward pass of a row-wise softmax.

    P = softmax(S) row by row (P ∈ ℝ^{L×S}, each row sums to 1), and G = ∂L/∂P. Return ∂L/∂S,
    using only P and G (no need to recompute the softmax).
    """
    raise NotImplementedError


def self_attention(X, in_proj_weight, in_proj_bias, out_weight, out_bias, num_heads):
    """Exercise 10.3 — multi-head self-attention (nn.MultiheadAttention, one sequence).

    X ∈ ℝ^{L×E}; in_proj_weight ∈ ℝ^{3E×E} stacks W_q, W_k, W_v (in that order, E rows each),
    in_proj_bias ∈ ℝ^{3E} likewise; out_weight ∈ ℝ^{E×E}, out_bias ∈ ℝ^E; E = num_heads · d.
    Compute Q = X W_qᵀ + b_q (and K, V alike), split their columns into num_heads blocks of d
    (head h takes columns h·d … h·d + d − 1), apply attention (10.1) in each head, concatenate
    the heads' outputs side by side, and return  [head₁ … head_n] W_oᵀ + b_o  ∈ ℝ^{L×E}.
    """
    raise NotImplementedError
