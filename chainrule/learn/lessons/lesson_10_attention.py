# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 10 — Attention and Transformers
#
# A recurrent network passes information along a sequence one step at a time (lesson 9).
# **Attention** lets every position look at every other position directly, in one step, with
# weights it computes from the data. Stacked with small MLPs, residual connections and layer
# normalization, it is the Transformer. This lesson builds attention from a soft dictionary
# lookup, explains the $\sqrt{d}$, masks the future, and splits attention into heads.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F

cr.manual_seed(0)
rng = np.random.default_rng(0)
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## A soft lookup
#
# A dictionary returns the value whose key matches the query. Attention returns a *weighted
# average* of all the values, weighted by how well each key matches the query. With queries
# $Q \in \mathbb{R}^{L \times d}$, keys $K \in \mathbb{R}^{S \times d}$ and values
# $V \in \mathbb{R}^{S \times d_v}$ (one per row):
#
# $$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(\frac{Q K^\top}{\sqrt{d}}\right) V.$$
#
# Row $i$ of $Q K^\top$ holds the dot products of query $i$ with every key; the softmax (lesson 5)
# turns each row into weights that sum to 1; multiplying by $V$ averages the values with them.

# %%
keys = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
values = np.array([[10.0], [20.0], [30.0]])
query = np.array([[4.0, 0.5]])                       # most like key 0, a little like key 1
weights = F.softmax(cr.tensor(query @ keys.T / np.sqrt(2)), dim=-1).numpy()
print("weights:", weights, "  output:",
      F.scaled_dot_product_attention(cr.tensor(query), cr.tensor(keys),
                                     cr.tensor(values)).numpy())

# %% [markdown]
# ## Why divide by $\sqrt{d}$?
#
# If the entries of a query and a key are independent with mean 0 and variance 1, their dot
# product $\sum_{k=1}^d q_k k_k$ has variance $d$. With $d = 64$, scores of size ±8 or more are
# common, the softmax saturates to nearly one-hot, and its gradient (exercise 10.2) nearly
# vanishes — lesson 4's saturation again. Dividing by $\sqrt{d}$ brings the variance back to 1.

# %%
for d in (4, 64, 512):
    q, k = rng.normal(size=(10_000, d)), rng.normal(size=(10_000, d))
    dots = (q * k).sum(axis=1)
    print(f"d = {d:>3}: variance of q·k = {dots.var():7.1f},   of q·k/√d = "
          f"{(dots / np.sqrt(d)).var():.2f}")

# %% [markdown]
# ## Self-attention and the causal mask
#
# In **self-attention** the queries, keys and values all come from the same sequence
# $X \in \mathbb{R}^{L \times E}$, through three learned projections: $Q = X W_q^\top$,
# $K = X W_k^\top$, $V = X W_v^\top$. Each position builds its new representation from all the
# others. A model that generates text must not look ahead: the **causal mask** sets the scores
# of future positions ($j > i$) to $-\infty$, so their weights are $e^{-\infty} = 0$.

# %%
L, E = 6, 8
X = cr.randn(L, E, dtype=cr.float64)
Wq = cr.randn(E, E, dtype=cr.float64) / np.sqrt(E)
Wk = cr.randn(E, E, dtype=cr.float64) / np.sqrt(E)
scores = (X @ Wq.T) @ (X @ Wk.T).T / np.sqrt(E)
full = F.softmax(scores, dim=-1).numpy()
mask = np.tri(L, dtype=bool)
causal = F.softmax(cr.tensor(np.where(mask, scores.numpy(), -np.inf)), dim=-1).numpy()
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, w, title in ((axes[0], full, "attention weights"),
                     (axes[1], causal, "with the causal mask")):
    image = ax.imshow(w, cmap="viridis", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xlabel("key position j")
    ax.set_ylabel("query position i")
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()

# %% [markdown]
# ## Attention does not know the order
#
# Permute the rows of $X$ and self-attention's output rows are permuted the same way: it treats
# its input as a set. Word order must therefore be added to the input — a **positional encoding**
# (fixed sinusoids in the original Transformer, learned vectors in many later ones).

# %%
perm = np.array([3, 0, 5, 1, 4, 2])
Xn = X.numpy()


def self_attend(x):
    t = cr.tensor(x)
    return F.scaled_dot_product_attention(t @ Wq.T, t @ Wk.T, t).numpy()


print("attention(X[perm]) == attention(X)[perm]:",
      np.allclose(self_attend(Xn[perm]), self_attend(Xn)[perm]))

# %% [markdown]
# ## Multiple heads, and the Transformer block
#
# One softmax gives one way of weighting. **Multi-head attention** splits the $E$ columns of
# $Q$, $K$, $V$ into $n$ heads of $d = E/n$ columns, attends in each head separately (each with its
# own pattern), concatenates the heads and mixes them with an output projection $W_o$.
# `nn.MultiheadAttention` states it:

# %%
print(cr.nn.MultiheadAttention(8, 2).formula().forward.text)

# %% [markdown]
# A Transformer encoder layer wraps attention and a two-layer MLP, each in a residual connection
# with layer normalization: $h = \mathrm{LayerNorm}(x + \mathrm{Attention}(x))$, then
# $y = \mathrm{LayerNorm}(h + \mathrm{MLP}(h))$. The residual paths keep gradients flowing through
# deep stacks (lessons 4 and 9); the MLP processes each position on its own.

# %%
layer = cr.nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, dropout=0.0,
                                      batch_first=True)
tokens = cr.randn(2, 10, 16)                         # 2 sequences of 10 positions
print("output:", tuple(layer(tokens).shape), "  parameters:",
      sum(p.numel() for p in layer.parameters()))

# %% [markdown]
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_10.py`, then grade with
# `chainrule learn check 10`.
#
# - **10.1** `attention(Q, K, V, causal)`: scaled dot-product attention, with the causal mask.
# - **10.2** `softmax_vjp(P, G)`: $\partial L / \partial S$ from $P = \mathrm{softmax}(S)$ and
#   $G = \partial L / \partial P$ — the derivative of softmax, row by row.
# - **10.3** `self_attention(X, in_proj_weight, in_proj_bias, out_weight, out_bias, num_heads)`:
#   multi-head self-attention, as `nn.MultiheadAttention` computes it.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("10.1", attention))`.
