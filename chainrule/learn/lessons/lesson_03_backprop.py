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
# # Lesson 3 — Backpropagation by hand, then with chainrule's trace
#
# Backpropagation is the chain rule of lesson 2, applied from the loss back to every parameter,
# reusing each intermediate result once. This lesson does it completely, with numbers, on the
# smallest network that has a hidden layer — two inputs, two hidden units, one output (a 2-2-1
# network) — and then lets chainrule do the same, step by step, with its `trace` tool.
#
# The network, for one sample $x \in \mathbb{R}^2$ with target $y$:
#
# $$z_1 = W_1 x + b_1, \qquad h = \sigma(z_1), \qquad \hat{y} = W_2 h + b_2,
# \qquad L = (\hat{y} - y)^2,$$
#
# with $W_1 \in \mathbb{R}^{2 \times 2}$, $b_1 \in \mathbb{R}^2$, $W_2 \in \mathbb{R}^{1 \times 2}$,
# $b_2 \in \mathbb{R}$ and $\sigma$ the sigmoid: 9 parameters. (`chainrule.explain` calls the
# hidden layer $h_1$; here it is just $h$.)

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr

np.set_printoptions(precision=4, suppress=True)

x = np.array([0.5, -1.0])
y = np.array([1.0])
W1 = np.array([[0.1, -0.2],
               [0.4, 0.3]])
b1 = np.array([0.0, 0.1])
W2 = np.array([[0.5, -0.6]])
b2 = np.array([0.2])

# %% [markdown]
# ## Forward pass
#
# Compute and keep every intermediate value: the backward pass needs them.

# %%
z1 = W1 @ x + b1
h = 1 / (1 + np.exp(-z1))
y_hat = W2 @ h + b2
L = float(((y_hat - y) ** 2).sum())
print("z1 =", z1, "  h =", h, "  ŷ =", y_hat, "  L =", round(L, 4))

# %% [markdown]
# ## Backward pass
#
# Work from $L$ backwards. At each step one link of the chain is added. Write
# $\delta_2 = \partial L / \partial \hat{y}$ and $\delta_1 = \partial L / \partial z_1$ — the
# **error signals** of the two layers.
#
# 1. The loss: $L = (\hat{y} - y)^2$ gives $\delta_2 = 2(\hat{y} - y)$.
# 2. The output layer $\hat{y} = W_2 h + b_2$: each weight $(W_2)_{j}$ multiplies $h_j$, so
#    $\frac{\partial L}{\partial W_2} = \delta_2\, h^\top$ and
#    $\frac{\partial L}{\partial b_2} = \delta_2$.
# 3. Into the hidden layer: $h_j$ reaches $L$ through $\hat{y}$ with weight $(W_2)_j$, so
#    $\frac{\partial L}{\partial h} = W_2^\top \delta_2$.
# 4. Through the sigmoid, entry by entry, with $\sigma'(z_1) = h \odot (1 - h)$:
#    $\delta_1 = (W_2^\top \delta_2) \odot h \odot (1 - h)$.
# 5. The first layer, exactly as the second: $\frac{\partial L}{\partial W_1} = \delta_1\, x^\top$
#    and $\frac{\partial L}{\partial b_1} = \delta_1$.
#
# The pattern of every affine layer $z = W a + b$: the weight gradient is the outer product
# $\delta\, a^\top$ of the layer's error signal and its input, and the signal passed down is
# $W^\top \delta$.

# %%
delta2 = 2 * (y_hat - y)
dW2 = np.outer(delta2, h)
db2 = delta2
dh = W2.T @ delta2
delta1 = dh * h * (1 - h)
dW1 = np.outer(delta1, x)
db1 = delta1
for name, value in [("δ₂", delta2), ("∂L/∂W₂", dW2), ("∂L/∂b₂", db2), ("∂L/∂h", dh),
                    ("δ₁", delta1), ("∂L/∂W₁", dW1), ("∂L/∂b₁", db1)]:
    print(f"{name:8} = {value.tolist()}")

# %% [markdown]
# ## The same network in chainrule
#
# `nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1))` with `nn.MSELoss()` computes the
# same $L$ for one sample. Load our numbers into its parameters, call `backward()`, and compare.

# %%
model = cr.nn.Sequential(cr.nn.Linear(2, 2), cr.nn.Sigmoid(), cr.nn.Linear(2, 1)).double()
with cr.no_grad():
    for p, value in zip(model.parameters(), (W1, b1, W2, b2)):
        p.copy_(cr.tensor(value))
loss = cr.nn.MSELoss()(model(cr.tensor(x[None, :])), cr.tensor(y[None, :]))
print("L =", round(loss.item(), 4))

# %% [markdown]
# Before calling `backward()`, ask chainrule to narrate it. `cr.explain.trace` visits the nodes
# of the graph in the order backpropagation does and prints, at each one, the incoming gradient,
# the local derivative (the Jacobian of lesson 2) and their product. Find $\delta_2$ (the
# gradient arriving at the last `linear`), $\delta_1$ (arriving at the first) and the four
# parameter gradients in it.

# %%
print(cr.explain.trace(loss, model))

# %% [markdown]
# Two things to notice in the trace. First, the loss is computed as `mean((ŷ − y)·(ŷ − y))`, so
# $\hat{y} - y$ is used twice and its gradient is the **sum** of two contributions — the chain
# rule's "summed over every use". Second, `Linear`'s formula writes the weight gradient as
# $G^\top x$: it is written for a batch of rows (lesson 1), and for one sample $G^\top x$ is
# our $\delta\, x^\top$. With $N$ samples it is $\sum_n \delta_n x_n^\top$ (exercise 3.4).

# %%
loss.backward()
params = dict(model.named_parameters())
print("∂L/∂W₁ equal:", np.allclose(params["0.weight"].grad.numpy(), dW1))
print("∂L/∂b₁ equal:", np.allclose(params["0.bias"].grad.numpy(), db1))
print("∂L/∂W₂ equal:", np.allclose(params["2.weight"].grad.numpy(), dW2))
print("∂L/∂b₂ equal:", np.allclose(params["2.bias"].grad.numpy(), db2))

# %% [markdown]
# ## What a gradient means: the slope of the loss
#
# $\partial L / \partial (W_2)_{1}$ is the slope of $L$ when only that one weight changes. Plot
# $L$ as that weight moves and draw the line with the slope backpropagation found: it touches the
# curve at the current value. Gradient descent steps against that slope.

# %%
def loss_at(w):
    W2_moved = W2.copy()
    W2_moved[0, 0] = w
    out = W2_moved @ h + b2
    return float(((out - y) ** 2).sum())


w0 = W2[0, 0]
ws = np.linspace(w0 - 2, w0 + 2, 100)
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(ws, [loss_at(w) for w in ws], label=r"$L$ as $(W_2)_1$ varies")
ax.plot(ws, L + dW2[0, 0] * (ws - w0), "--",
        label=rf"tangent, slope $\partial L/\partial (W_2)_1 = {dW2[0, 0]:.3f}$")
ax.plot([w0], [L], "o", color="black")
ax.annotate("current weight", (w0, L), textcoords="offset points", xytext=(10, 10))
ax.set_xlabel(r"$(W_2)_1$")
ax.set_ylabel("$L$")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The whole network as mathematics
#
# `chainrule.explain` writes these equations from the layers' own formulas — compare its
# backpropagation section with the five steps above.

# %%
print(cr.explain(model, (2,), loss=cr.nn.MSELoss()))

# %% [markdown]
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_03.py`, then grade with
# `chainrule learn check 3`.
#
# - **3.1** `linear_backward(x, W, delta)`: $\partial L/\partial W$, $\partial L/\partial b$ and
#   $\partial L/\partial x$ of $z = W x + b$, given $\delta = \partial L / \partial z$.
# - **3.2** `hidden_delta(W2, delta2, h)`: $\delta_1$ from $\delta_2$, through $W_2$ and the
#   sigmoid.
# - **3.3** `backprop_221(x, y, W1, b1, W2, b2)`: all four gradients of this lesson's network, for
#   any numbers.
# - **3.4** `batch_linear_backward(X, W, G)`: the same for `nn.Linear` on a batch of rows,
#   $Y = X W^\top + b$: $\partial L/\partial X$, $\partial L/\partial W$, $\partial L/\partial b$.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("3.1", linear_backward))`.
