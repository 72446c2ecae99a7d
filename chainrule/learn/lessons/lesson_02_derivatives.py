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
# # Lesson 2 — Derivatives, gradients, Jacobians and the chain rule
#
# Learning means changing the parameters so that the loss $L$ goes down, and the derivative is
# what says which way is down. This lesson builds the three objects of differential calculus a
# network needs — the derivative, the gradient, the Jacobian — then the chain rule that joins
# them, and finally the two ways a computer finds them: numerically, by trying small steps, and
# automatically, by applying the chain rule exactly (chainrule's autograd).

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr

np.set_printoptions(precision=6, suppress=True)

# %% [markdown]
# ## The derivative
#
# For a function of one number, the derivative is the slope of the tangent line:
#
# $$f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}.$$
#
# Near $x$, the function is almost a straight line: $f(x + h) \approx f(x) + f'(x)\, h$. That
# linear approximation is all that gradient descent uses.
#
# The **sigmoid** $\sigma(x) = \frac{1}{1 + e^{-x}}$ has the derivative
# $\sigma'(x) = \sigma(x)\,(1 - \sigma(x))$, which chainrule states beside its code:

# %%
print(cr.formula("sigmoid"))

# %% [markdown]
# ## Numerical differentiation, and why it is only approximate
#
# Replacing the limit by a small $h$ gives a **finite difference**. Taylor's theorem says how
# wrong it is: $f(x + h) = f(x) + f'(x) h + \tfrac{1}{2} f''(x) h^2 + O(h^3)$, so
#
# - the one-sided (forward) difference $\frac{f(x+h) - f(x)}{h}$ has an error of order $h$;
# - the **central difference** $\frac{f(x+h) - f(x-h)}{2h}$ cancels the $h^2$ terms and has an
#   error of order $h^2$.
#
# A smaller $h$ is not always better: the computer stores numbers with about 16 significant
# digits (float64), and subtracting two nearly equal values $f(x+h) - f(x)$ loses digits — a
# **round-off** error that grows like $\varepsilon / h$. The picture shows both effects.

# %%
def sigma(x):
    return 1.0 / (1.0 + np.exp(-x))


x0 = 0.7
exact = sigma(x0) * (1 - sigma(x0))
hs = np.logspace(-14, -1, 60)
forward = np.abs((sigma(x0 + hs) - sigma(x0)) / hs - exact)
central = np.abs((sigma(x0 + hs) - sigma(x0 - hs)) / (2 * hs) - exact)

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(hs, np.maximum(forward, 1e-17), label="forward difference")
ax.loglog(hs, np.maximum(central, 1e-17), label="central difference")
ax.set_xlabel("step h")
ax.set_ylabel(r"error in $\sigma'(0.7)$")
ax.set_title("truncation error (right) against round-off (left)")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The best central difference (around $h \approx 10^{-5}$) is good to about ten digits — enough
# to *check* a derivative, far too slow to *compute* gradients of millions of parameters, which
# would need two evaluations of the network per parameter.

# %% [markdown]
# ## Gradients and Jacobians
#
# For a function of many numbers returning one, $f: \mathbb{R}^n \to \mathbb{R}$ (a loss), the
# **gradient** collects the partial derivatives:
#
# $$\nabla f(x) = \left( \frac{\partial f}{\partial x_1}, \dots, \frac{\partial f}{\partial x_n}
# \right),$$
#
# and it points in the direction in which $f$ grows fastest — so $-\nabla f$ is the way down.
# For a function returning a vector, $y = f(x)$ with $f: \mathbb{R}^n \to \mathbb{R}^m$ (a
# layer), the derivatives form a matrix, the **Jacobian**:
#
# $$J_{ij} = \frac{\partial y_i}{\partial x_j}, \qquad J \in \mathbb{R}^{m \times n}.$$
#
# Row $i$ of $J$ is the gradient of output $y_i$. For the affine map $y = W x + b$ the Jacobian
# is $W$ itself; for an entrywise function like $\sigma$ it is diagonal, with $\sigma'(x_i)$ on
# the diagonal. chainrule computes Jacobians with `cr.autograd.functional.jacobian`:

# %%
W = cr.tensor([[1.0, -2.0, 0.5],
               [0.0, 3.0, 1.0]], dtype=cr.float64)
x = cr.tensor([0.2, -0.1, 0.4], dtype=cr.float64)
J_affine = cr.autograd.functional.jacobian(lambda v: W @ v, x)
J_sigmoid = cr.autograd.functional.jacobian(cr.sigmoid, x)
print("Jacobian of W x:\n", J_affine.numpy())
print("Jacobian of σ(x) (diagonal, σ′ on it):\n", J_sigmoid.numpy())

# %% [markdown]
# ## The chain rule
#
# A network is a composition of simple functions, and the **chain rule** says the derivative of a
# composition is the product of the derivatives. For $y = f(u)$ and $u = g(x)$:
#
# $$\frac{\partial y}{\partial x} = \frac{\partial y}{\partial u}\,\frac{\partial u}{\partial x},
# \qquad J_{f \circ g}(x) = J_f(g(x))\, J_g(x).$$
#
# For example, $y = \sigma(W x)$ has the Jacobian $\mathrm{diag}(\sigma'(W x))\, W$: the
# diagonal Jacobian of $\sigma$ times the Jacobian $W$ of the product.

# %%
J_composed = cr.autograd.functional.jacobian(lambda v: cr.sigmoid(W @ v), x)
z = (W @ x).numpy()
J_chain = np.diag(sigma(z) * (1 - sigma(z))) @ W.numpy()
print("autograd   :\n", J_composed.numpy())
print("chain rule :\n", J_chain)

# %% [markdown]
# ## Backward: vector-Jacobian products
#
# A loss is one number, so in the end we want gradients, not whole Jacobians. If $L$ depends on
# $x$ through $y = f(x)$, the chain rule gives
#
# $$\frac{\partial L}{\partial x} = J^\top \frac{\partial L}{\partial y},$$
#
# a **vector-Jacobian product**: the gradient arriving at $y$ is multiplied by the transposed
# Jacobian. Reverse-mode automatic differentiation (backpropagation) applies exactly this, node
# by node, from $L$ back to the parameters, and never builds $J$: each primitive of chainrule
# carries a rule for $J^\top g$. For $C = A B$ the rule is $\partial L/\partial A = G B^\top$ and
# $\partial L/\partial B = A^\top G$, with $G = \partial L/\partial C$ (exercise 2.4 asks why).

# %%
print(cr.formula("matmul"))

# %% [markdown]
# ## Automatic differentiation in chainrule
#
# Mark a tensor with `requires_grad=True`, compute, call `backward()` on the result, and the
# gradient appears in `.grad`, as in PyTorch:

# %%
x = cr.tensor([0.5, -1.0, 2.0], dtype=cr.float64, requires_grad=True)
L = (x ** 3).sum() - 2 * (x * x).sum()          # L = Σ xᵢ³ − 2 Σ xᵢ²
L.backward()
print("autograd          ∇L =", x.grad.numpy())
print("by hand  3x² − 4x    =", 3 * x.detach().numpy() ** 2 - 4 * x.detach().numpy())

# %% [markdown]
# ## Checking a gradient: gradcheck
#
# Autograd is exact but only as right as the derivative rules it applies; central differences are
# approximate but need no rule at all. Comparing the two is the standard test of a derivative,
# and `cr.gradcheck` does it in float64 for every input entry. Every primitive of chainrule
# passes it — and so must any function you write from chainrule's operations (exercise 2.5).

# %%
def my_function(v):
    return cr.tanh(v) * cr.exp(-v * v)


v = cr.tensor(np.random.default_rng(0).normal(size=4), dtype=cr.float64, requires_grad=True)
print("gradcheck passes:", cr.gradcheck(my_function, v))

# %% [markdown]
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_02.py`, then grade with
# `chainrule learn check 2`.
#
# - **2.1** `central_difference(f, x, h)`: the gradient of $f: \mathbb{R}^n \to \mathbb{R}$ by
#   central differences, for an $x$ of any shape. (The grader compares with autograd to 7
#   digits: a forward difference is not accurate enough.)
# - **2.2** `sigmoid_derivative(x)`: $\sigma'(x)$ entry by entry, finite even at $x = \pm 1000$.
# - **2.3** `tanh_layer_jacobian(W, x)`: the Jacobian of $y = \tanh(W x)$.
# - **2.4** `matmul_vjp(A, B, G)`: $\partial L/\partial A$ and $\partial L/\partial B$ for
#   $C = A B$, given $G = \partial L/\partial C$. Write $C_{ik} = \sum_j A_{ij} B_{jk}$ and
#   differentiate one entry at a time.
# - **2.5** `softplus(x)`: $\log(1 + e^x)$ written with chainrule operations, so that autograd
#   differentiates it; it must pass `cr.gradcheck` and stay exact for $x = \pm 1000$.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("2.1", central_difference))`.
