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
# # Lesson 1 — Vectors, matrices and the notation of neural networks
#
# A neural network is built from one small piece, repeated: a **layer**, which multiplies its
# input by a matrix, adds a vector and bends the result with a nonlinear function. This lesson
# fixes the notation used in every later lesson, and shows the same mathematics three times:
# on paper, in NumPy, and with chainrule's layers.
#
# | symbol | meaning | shape |
# |---|---|---|
# | $x$ | one input sample, a column vector | $x \in \mathbb{R}^n$ |
# | $W$ | a layer's weight matrix | $W \in \mathbb{R}^{m \times n}$ |
# | $b$ | a layer's bias vector | $b \in \mathbb{R}^m$ |
# | $z = W x + b$ | the pre-activation | $z \in \mathbb{R}^m$ |
# | $\sigma(z)$ | a nonlinearity applied entry by entry | same shape as $z$ |
# | $h = \sigma(z)$ | a hidden layer's activations | $h \in \mathbb{R}^m$ |
# | $\hat{y}$ | the network's output, its prediction | |
# | $L$ | the loss, one number saying how wrong $\hat{y}$ is | $L \in \mathbb{R}$ |
# | $\delta = \partial L / \partial z$ | the error signal of a layer (lesson 3) | shape of $z$ |

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F

cr.manual_seed(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Vectors and matrices
#
# A vector $x \in \mathbb{R}^n$ is a list of $n$ numbers; a matrix $W \in \mathbb{R}^{m \times n}$
# has $m$ rows and $n$ columns. The product $W x$ is a vector of $\mathbb{R}^m$, and it can be
# read in two ways that are both worth keeping in mind:
#
# - **row by row**: entry $i$ is the dot product of row $i$ of $W$ with $x$,
#   $(W x)_i = \sum_j W_{ij} x_j$ — each output measures how much $x$ looks like one row;
# - **column by column**: $W x = x_1 w_1 + \dots + x_n w_n$, where $w_j$ is column $j$ of $W$ —
#   a mix of the columns of $W$, in the amounts given by $x$.
#
# chainrule tensors multiply with `@`, as NumPy arrays and PyTorch tensors do.

# %%
W = cr.tensor([[1.0, 2.0, 0.0],
               [0.0, -1.0, 3.0]])          # W ∈ ℝ^{2×3}
x = cr.tensor([0.5, 1.0, -1.0])          # x ∈ ℝ^3
print("W x            =", (W @ x).numpy())
print("row by row     =", [float((W[i] * x).sum()) for i in range(2)])
print("column by col. =", (0.5 * W[:, 0] + 1.0 * W[:, 1] - 1.0 * W[:, 2]).numpy())

# %% [markdown]
# ## A layer: an affine map, then a nonlinearity
#
# A fully connected layer computes
#
# $$z = W x + b, \qquad h = \sigma(z),$$
#
# where $\sigma$ acts on each entry separately. With the **sigmoid**
# $\sigma(z) = \frac{1}{1 + e^{-z}}$ every activation lies between 0 and 1. Without the
# nonlinearity, two layers would collapse into one: $W_2 (W_1 x + b_1) + b_2$ is again an affine
# map of $x$, so depth would add nothing.
#
# `nn.Linear(n, m)` is the affine map. It stores $W$ with shape `(m, n)` — outputs first — and
# $b$ with shape `(m,)`, exactly as PyTorch does. Its `formula()` states what it computes:

# %%
layer = cr.nn.Linear(3, 2)
print(layer.formula())
print("weight:", tuple(layer.weight.shape), " bias:", tuple(layer.bias.shape))

# %% [markdown]
# Computed by hand, the layer gives the same numbers:

# %%
z_by_hand = layer.weight @ x + layer.bias
print("W x + b          :", z_by_hand.detach().numpy())
print("layer(x)         :", layer(x).detach().numpy())
print("σ(W x + b)       :", cr.sigmoid(layer(x)).detach().numpy())

# %% [markdown]
# ## Seeing what a layer does
#
# A layer from $\mathbb{R}^2$ to $\mathbb{R}^2$ can be drawn. Take a grid of points in the plane;
# the affine map $W x + b$ sends straight lines to straight lines (it rotates, stretches, shears
# and shifts the grid), and the sigmoid then bends the whole plane into the unit square. Bending
# is what lets later layers separate classes that no straight line could.

# %%
W2 = np.array([[1.5, 1.0], [-0.5, 2.0]])
b2 = np.array([0.5, -0.5])
t = np.linspace(-2, 2, 9)
fine = np.linspace(-2, 2, 100)
lines = [np.stack([np.full_like(fine, c), fine], 1) for c in t] + \
        [np.stack([fine, np.full_like(fine, c)], 1) for c in t]

fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
titles = ["input grid  $x$", "affine  $z = Wx + b$", r"after the sigmoid  $h = \sigma(z)$"]
for ax, title in zip(axes, titles):
    ax.set_title(title)
    ax.set_aspect("equal")
for k, pts in enumerate(lines):
    z = F.linear(cr.tensor(pts), cr.tensor(W2), cr.tensor(b2))
    h = cr.sigmoid(z)
    colour = "tab:blue" if k < len(t) else "tab:orange"
    for ax, p in zip(axes, (pts, z.numpy(), h.numpy())):
        ax.plot(p[:, 0], p[:, 1], color=colour, lw=0.8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Batches: samples as rows
#
# Networks process many samples at once. Stacking $N$ samples gives a matrix, and the convention
# of PyTorch and chainrule is one sample **per row**: $X \in \mathbb{R}^{N \times n}$, row $n$
# being $x_n^\top$. Transposing $z_n = W x_n + b$ gives
# $z_n^\top = x_n^\top W^\top + b^\top$, so for the whole batch
#
# $$Z = X W^\top + b \in \mathbb{R}^{N \times m},$$
#
# where $b$ is added to every row. That is why `Linear.formula()` above reads $y = x W^\top + b$:
# it is written for a batch of rows. The textbook column form $W x + b$ and the batch form
# $X W^\top + b$ are the same computation.

# %%
X = cr.randn(4, 3)                                     # N = 4 samples, n = 3 features
print("X Wᵀ + b :", (X @ layer.weight.T + layer.bias).shape)
print("layer(X) :", layer(X).shape)
print("equal    :", np.allclose((X @ layer.weight.T + layer.bias).detach().numpy(),
                                layer(X).detach().numpy()))

# %% [markdown]
# ## Broadcasting
#
# How can a vector $b \in \mathbb{R}^m$ be added to a matrix of shape $N \times m$? By
# **broadcasting**, the rule NumPy, PyTorch and chainrule share:
#
# 1. line the two shapes up on the **right**;
# 2. where one shape is shorter, pretend it has leading dimensions of size 1;
# 3. two sizes are compatible when they are equal or one of them is 1, and a size 1 is stretched
#    (repeated) to match the other.
#
# So `(4, 2) + (2,)` is `(4, 2)`, `(3, 1) + (1, 4)` is `(3, 4)`, and `(4, 2) + (4,)` is an error.
# Broadcasting is convenient and also a classic source of silent bugs: a column `(3, 1)` plus a
# row `(3,)` is a `(3, 3)` matrix, not a vector.

# %%
print((cr.zeros(4, 2) + cr.ones(2)).shape)
print((cr.zeros(3, 1) + cr.ones(1, 4)).shape)
print((cr.zeros(3, 1) + cr.ones(3)).shape, "← a silent (3, 3): probably not what was meant")
try:
    cr.zeros(4, 2) + cr.ones(4)
except (ValueError, RuntimeError) as err:
    print("error:", type(err).__name__)

# %% [markdown]
# ## How many numbers does a network learn?
#
# A layer $\mathbb{R}^{n} \to \mathbb{R}^{m}$ has $m n$ weights and $m$ biases. chainrule counts
# them for you, and `chainrule.explain` lists them layer by layer:

# %%
mlp = cr.nn.Sequential(cr.nn.Linear(784, 256), cr.nn.ReLU(), cr.nn.Linear(256, 10))
print(sum(p.numel() for p in mlp.parameters()), "parameters")
print(cr.explain(mlp, (784,)))

# %% [markdown]
# ## Exercises
#
# Create your workspace once with `chainrule learn start` (in a terminal), then open
# `chainrule-learn/lesson_01.py`, write each function, and grade your work with
# `chainrule learn check 1` (or one exercise: `chainrule learn check 1.2`).
#
# - **1.1** `affine(W, b, x)`: the affine map $z = W x + b$ for one sample.
# - **1.2** `dense_layer(X, W, b)`: a whole layer on a batch of rows, $H = \sigma(X W^\top + b)$.
#   Make it work for large pre-activations too ($\pm 1000$).
# - **1.3** `count_parameters(sizes)`: the number of parameters of a multilayer perceptron with
#   the widths `sizes`.
# - **1.4** `broadcast_shape(shape_a, shape_b)`: the broadcasting rule, written yourself.
#
# The grader compares your functions with chainrule's own layers on random inputs and on edge
# cases, and tells you which case failed and why.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("1.1", affine))`.
