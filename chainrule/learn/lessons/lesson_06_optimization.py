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
# # Lesson 6 — Optimization: gradient descent, momentum, RMSProp, Adam
#
# Backpropagation (lesson 3) gives the gradient $g = \nabla L(\theta)$ of the loss with respect to
# all parameters $\theta$. An **optimizer** decides what to do with it. This lesson starts from
# plain gradient descent, sees where it struggles — long narrow valleys — and builds the three
# fixes every library ships: momentum, RMSProp and Adam.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
from chainrule.optim import playground

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Gradient descent
#
# Step against the gradient, by a **learning rate** $\eta$:
#
# $$\theta \leftarrow \theta - \eta\, \nabla L(\theta).$$
#
# Near a minimum a loss looks like a bowl, a quadratic $L = \frac{1}{2} \theta^\top H \theta$.
# Along an eigenvector of $H$ with eigenvalue $\lambda$ a step multiplies the distance to the
# minimum by $1 - \eta \lambda$, so gradient descent converges only if $\eta < 2 / \lambda_{max}$,
# and the flattest direction then shrinks by only $1 - \eta \lambda_{min}$ per step. The ratio
# $\kappa = \lambda_{max} / \lambda_{min}$, the **condition number**, sets how slow that is:
# in a long narrow valley ($\kappa$ large), gradient descent zig-zags across and crawls along.

# %%
bowl = playground.quadratic(condition=100, angle=30)
print(bowl.formula)
for lr in (0.005, 0.018, 0.021):        # λ_max = 100: converges only for η < 2/100 = 0.02
    path = playground.record_path(playground.optimizer_factory("sgd", lr), bowl, steps=100)
    print(f"η = {lr}: loss after 100 steps = {path.losses[-1]:.3g}")

# %% [markdown]
# ## Momentum
#
# A ball rolling down the valley keeps its speed along the floor while the zig-zags across cancel
# out. **Momentum** keeps a velocity $v$, a decaying sum of past gradients (PyTorch's form):
#
# $$v \leftarrow \mu\, v + g, \qquad \theta \leftarrow \theta - \eta\, v,$$
#
# with $\mu \approx 0.9$: along a direction where the gradient keeps its sign the steps grow to
# about $\eta / (1 - \mu)$, ten times larger; where it flips they cancel.
#
# ## RMSProp
#
# The valley is steep in one direction and flat in another, so one learning rate cannot suit
# both. **RMSProp** divides each coordinate's step by a running estimate of that coordinate's
# gradient size:
#
# $$s \leftarrow \alpha\, s + (1 - \alpha)\, g^2, \qquad
# \theta \leftarrow \theta - \eta\, \frac{g}{\sqrt{s} + \varepsilon},$$
#
# all entry by entry: steep directions get small steps, flat ones large.
#
# ## Adam
#
# **Adam** combines the two: a moving average $m$ of the gradients (momentum) and one of their
# squares $v$ (RMSProp), both corrected for starting at zero. chainrule's optimizers state their
# algorithm:

# %%
print(cr.optim.Adam([cr.nn.Parameter(cr.zeros(1))]).formula())

# %% [markdown]
# Why the bias correction? With a constant gradient $g$ and $m$ starting at 0, after $t$ steps
# $m_t = (1 - \beta_1^t)\, g$ — far too small at first (a tenth of $g$ after one step with
# $\beta_1 = 0.9$). Dividing by $1 - \beta_1^t$ gives back exactly $g$:

# %%
g, beta1, m = 2.0, 0.9, 0.0
for t in range(1, 6):
    m = beta1 * m + (1 - beta1) * g
    print(f"t = {t}:  m = {m:.4f}   m̂ = m / (1 − β₁ᵗ) = {m / (1 - beta1 ** t):.4f}")

# %% [markdown]
# ## The four optimizers in two valleys
#
# The optimizer playground runs each one from the same point on the same bowl ($\kappa = 100$),
# every gradient from chainrule's autograd (`chainrule playground` draws the same from the
# command line). Two valleys: one along the axes, one rotated by 30°.

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 8))
for row, angle in zip(axes, (0, 30)):
    valley = playground.quadratic(condition=100, angle=angle)
    X, Y, Z = valley.grid(200)
    ax, ax_loss = row
    ax.contour(X, Y, Z, levels=np.geomspace(1e-3, Z.max(), 20), colors="gray", linewidths=0.5)
    for path in playground.compare(valley, ["sgd", "momentum", "rmsprop", "adam"]):
        ax.plot(path.points[:, 0], path.points[:, 1], ".-", ms=2, lw=1, label=path.label)
        ax_loss.semilogy(np.maximum(path.losses, 1e-17), label=path.label)
    ax.plot(*valley.start, "ko")
    ax.set_title(valley.name)
    ax.set_aspect("equal")
    ax_loss.set_xlabel("step t")
    ax_loss.set_ylabel(r"$L(\theta_t)$")
    ax_loss.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Plain gradient descent crawls along both floors: its step is capped by the steep direction.
# Momentum builds up speed along the floor. RMSProp is superb when the valley lies along the axes
# — its per-coordinate step sizes undo the elongation exactly — and no help when the valley is
# rotated, because the steep and the flat directions then mix both coordinates. Adam mixes the
# two ideas; on these clean bowls it is not the fastest, and its momentum overshoots. Its
# strength is elsewhere: on real losses one learning rate (about 10⁻³) works for most networks,
# which is why it is the usual default — and why momentum SGD with a good schedule still wins on
# some problems.

# %% [markdown]
# ## Learning-rate schedules
#
# A large $\eta$ makes fast progress early; a small one settles into the minimum late. A
# **schedule** changes $\eta$ during training; `cr.optim.lr_scheduler` has PyTorch's (step decay,
# cosine annealing, one-cycle, …). Call `scheduler.step()` once per epoch, after the optimizer's
# steps:

# %%
def learning_rates(make_scheduler, epochs=50):
    opt = cr.optim.SGD([cr.nn.Parameter(cr.zeros(1))], lr=0.1)
    scheduler = make_scheduler(opt)
    rates = []
    for _ in range(epochs):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return rates


schedules = {
    "StepLR(step_size=15, gamma=0.3)":
        lambda o: cr.optim.lr_scheduler.StepLR(o, step_size=15, gamma=0.3),
    "CosineAnnealingLR(T_max=50)": lambda o: cr.optim.lr_scheduler.CosineAnnealingLR(o, 50),
    "ExponentialLR(gamma=0.95)": lambda o: cr.optim.lr_scheduler.ExponentialLR(o, 0.95),
}
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for name, make in schedules.items():
    ax.plot(learning_rates(make), label=name)
ax.set_xlabel("epoch")
ax.set_ylabel(r"learning rate $\eta$")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_06.py`, then grade with
# `chainrule learn check 6`. The grader runs several steps of your update beside chainrule's
# optimizer (the same algorithm as `torch.optim`'s), fed the same gradients.
#
# - **6.1** `momentum_step(theta, grad, velocity, lr, momentum)`: one step of SGD with momentum.
# - **6.2** `rmsprop_step(theta, grad, square_avg, lr, alpha, eps)`: one step of RMSProp.
# - **6.3** `adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps)`: one step of Adam, bias
#   correction included.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("6.1", momentum_step))`.
