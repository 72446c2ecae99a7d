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
# # Lesson 4 — Activation functions, saturation and vanishing gradients
#
# Lesson 1 showed why a network needs a nonlinearity $\sigma$ between its affine maps; lesson 3
# showed that backpropagation multiplies the gradient by $\sigma'(z)$ at every layer. This lesson
# puts the two together: the *shape* of $\sigma'$ decides whether a gradient survives the trip
# through a deep network.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F

cr.manual_seed(0)

# %% [markdown]
# ## The usual activation functions
#
# | name | $\sigma(z)$ | $\sigma'(z)$ |
# |---|---|---|
# | sigmoid | $\frac{1}{1 + e^{-z}}$ | $\sigma(z)(1 - \sigma(z))$, at most $\frac{1}{4}$ |
# | tanh | $\tanh z$ | $1 - \tanh^2 z$, at most 1 |
# | ReLU | $\max(0, z)$ | 1 for $z > 0$, 0 for $z < 0$ (and 0 at $z = 0$ by convention) |
# | leaky ReLU | $\max(\alpha z, z)$ | 1 for $z > 0$, $\alpha$ for $z < 0$ |
# | GELU | $z\, \Phi(z)$ ($\Phi$ the normal CDF) | smooth, close to ReLU′ away from 0 |
#
# chainrule states each one's formula and derivative beside its code:

# %%
for name in ("sigmoid", "tanh", "relu"):
    print(cr.formula(name), "\n")

# %% [markdown]
# Autograd computes the derivatives for us: differentiate each function on a grid of points and
# draw the function beside its derivative.

# %%
z = np.linspace(-5, 5, 401)
activations = {"sigmoid": cr.sigmoid, "tanh": cr.tanh, "ReLU": cr.relu,
               "leaky ReLU": lambda t: F.leaky_relu(t, 0.1), "GELU": F.gelu}
fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 4))
for name, act in activations.items():
    t = cr.tensor(z, requires_grad=True)
    y = act(t)
    y.sum().backward()
    ax_f.plot(z, y.detach().numpy(), label=name)
    ax_d.plot(z, t.grad.numpy(), label=name)
ax_f.set_title(r"activation $\sigma(z)$")
ax_d.set_title(r"derivative $\sigma'(z)$ (from autograd)")
ax_f.set_ylim(-1.5, 3)
for ax in (ax_f, ax_d):
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_xlabel("$z$")
    ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Saturation
#
# Far from 0 the sigmoid and tanh are flat: they **saturate**. There $\sigma'(z) \approx 0$, and
# by the chain rule every gradient that passes through the unit is multiplied by almost zero —
# whatever the loss says, the weights before it hardly move. For the sigmoid,
# $\sigma'(z) < 10^{-4}$ once $|z| > 9.3$. ReLU does not saturate for $z > 0$ (its slope is 1),
# but for $z < 0$ it passes no gradient at all; a unit whose $z$ is negative for every input is
# **dead**.

# %%
for value in (0.0, 2.0, 5.0, 10.0):
    t = cr.tensor([value], dtype=cr.float64, requires_grad=True)
    cr.sigmoid(t).sum().backward()
    print(f"σ′({value:>4}) = {t.grad.item():.2e}")

# %% [markdown]
# ## Vanishing gradients
#
# In a network of $K$ layers $h_k = \sigma(W_k h_{k-1} + b_k)$, lesson 3's rule
# $\delta_{k-1} = (W_k^\top \delta_k) \odot \sigma'(z_{k-1})$ is applied $K$ times. Each step
# multiplies by a factor $\sigma'(z) \le \frac{1}{4}$ for the sigmoid, so after $K$ layers the
# gradient reaching the first layer can be about $4^{-K}$ times the one at the last: it
# **vanishes**, and the first layers stop learning. With ReLU the factor is 0 or 1, so the
# activation itself does not shrink the gradient; what remains is set by the weights.
#
# `cr.explain.gradient_report` measures this on a real network: one forward and backward pass,
# and the norm of $\partial L / \partial W$ layer by layer.

# %%
def deep_mlp(activation, depth=8, width=32):
    layers, n = [], 16
    for _ in range(depth):
        layers += [cr.nn.Linear(n, width), activation()]
        n = width
    return cr.nn.Sequential(*layers, cr.nn.Linear(n, 3))


X = cr.randn(64, 16)
y = cr.randint(0, 3, (64,))
reports = {name: cr.explain.gradient_report(deep_mlp(act), X, y, cr.nn.CrossEntropyLoss())
           for name, act in (("sigmoid", cr.nn.Sigmoid), ("tanh", cr.nn.Tanh),
                             ("ReLU", cr.nn.ReLU))}
print(reports["sigmoid"])

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, report in reports.items():
    norms = [s.grad_norm for s in report.layers if s.grad_norm is not None]
    ax.semilogy(range(1, len(norms) + 1), norms, "o-", label=name)
ax.set_xlabel("linear layer (1 = nearest the input)")
ax.set_ylabel(r"$\|\partial L / \partial W\|$")
ax.set_title("gradient size by depth, 8 hidden layers")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# With sigmoids the first layer's gradient is about a million times smaller than the last
# one's, a straight line on this logarithmic scale: a constant factor lost per layer. With tanh
# (slope up to 1) or ReLU the gap is one or two orders of magnitude. That is why ReLU-family
# activations, careful initialisation, normalisation layers and residual connections (lessons 7
# and 8) made deep networks trainable.
#
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_04.py`, then grade with
# `chainrule learn check 4`.
#
# - **4.1** `relu_derivative(x)`: ReLU′ entry by entry, with the convention ReLU′(0) = 0.
# - **4.2** `tanh_derivative(x)`: $\tanh'(x)$, finite for $x = \pm 1000$.
# - **4.3** `chain_gradient(weights, a0)`: $\partial a_K / \partial a_0$ for the chain
#   $a_k = \sigma(w_k a_{k-1})$ — and watch it vanish as $K$ grows.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("4.1", relu_derivative))`.
