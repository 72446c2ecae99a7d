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
# # Lesson 7 — Generalization: overfitting, L2, dropout, batch normalization
#
# A network is trained on one set of examples and used on others. What it must learn is the
# pattern, not the examples. This lesson shows a model memorising noise, the difference between
# validation and test data, and three tools that help a network generalize: weight decay (L2),
# dropout and batch normalization — and why high dimensions make all of this harder.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F

np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Overfitting
#
# Twelve noisy samples of a smooth curve, fitted by polynomials of growing degree (least squares
# on the features $1, x, \dots, x^k$ — a linear model, so the fit is exact, no training needed).
# The degree-11 polynomial passes through every training point, and is useless between them:
# its **training error** is zero and its error on new samples is large. Measuring that second
# error needs data the model never saw.

# %%
def truth(x):
    return np.sin(2 * np.pi * x)


x_train = np.sort(rng.uniform(0, 1, 12))
y_train = truth(x_train) + rng.normal(scale=0.2, size=12)
x_new = rng.uniform(0, 1, 200)
y_new = truth(x_new) + rng.normal(scale=0.2, size=200)


def features(x, degree):
    return np.vander(x, degree + 1, increasing=True)


def fit(degree, lam=0.0):
    """Least squares with an optional L2 penalty λ‖w‖² (ridge regression)."""
    A = features(x_train, degree)
    # minimise ‖A w − y‖² + λ‖w‖² as one least-squares problem: stack √λ·I under A
    A = np.vstack([A, np.sqrt(lam) * np.eye(degree + 1)])
    b = np.concatenate([y_train, np.zeros(degree + 1)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def mse(w, x, y):
    return float(((features(x, len(w) - 1) @ w - y) ** 2).mean())


grid = np.linspace(0, 1, 300)
fig, (ax, ax_err) = plt.subplots(1, 2, figsize=(11, 4))
ax.plot(x_train, y_train, "ko", label="training samples")
for degree, lam, style in ((1, 0.0, "-"), (3, 0.0, "-"), (11, 0.0, "-"), (11, 1e-4, "--")):
    w = fit(degree, lam)
    label = f"degree {degree}" + (f", L2 λ = {lam:g}" if lam else "")
    ax.plot(grid, features(grid, degree) @ w, style, label=label)
ax.set_ylim(-2, 2)
ax.legend(fontsize=8)
ax.set_title("fits to 12 samples")
degrees = range(0, 12)
ax_err.semilogy(degrees, [mse(fit(d), x_train, y_train) + 1e-12 for d in degrees], "o-",
                label="training error")
ax_err.semilogy(degrees, [mse(fit(d), x_new, y_new) for d in degrees], "o-",
                label="error on new samples")
ax_err.set_xlabel("polynomial degree (model capacity)")
ax_err.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Validation and test
#
# Split the data three ways. The **training set** fits the parameters. The **validation set**
# chooses everything else — the degree above, the learning rate, when to stop, $\lambda$ — by
# comparing errors on data not trained on. Because those choices were made by looking at it, the
# validation error is itself slightly optimistic; the **test set**, used once at the very end,
# gives the honest estimate. Choosing anything by the test error turns it into a second
# validation set.
#
# ## L2 regularization is weight decay
#
# Adding $\frac{\lambda}{2} \|\theta\|^2$ to the loss adds $\lambda \theta$ to its gradient, so a
# gradient step becomes
#
# $$\theta \leftarrow \theta - \eta (\nabla L + \lambda \theta) = (1 - \eta \lambda)\, \theta
# - \eta \nabla L:$$
#
# every step first shrinks the weights by a factor $1 - \eta\lambda$ — hence the name **weight
# decay**, the `weight_decay` argument of chainrule's (and PyTorch's) optimizers. Large weights
# are what let the degree-11 polynomial swing between points; the dashed curve above is the same
# degree with a small penalty.

# %%
theta = cr.nn.Parameter(cr.tensor([1.0, -2.0], dtype=cr.float64))
optimizer = cr.optim.SGD([theta], lr=0.1, weight_decay=0.5)
theta.grad = cr.zeros(2, dtype=cr.float64)                 # no gradient from the loss at all
optimizer.step()
print("after one step with ∇L = 0:", theta.detach().numpy(), "= (1 − ηλ) θ = 0.95 θ")

# %% [markdown]
# ## Dropout
#
# During training, **dropout** sets each unit to zero with probability $p$ and scales the
# survivors by $\frac{1}{1-p}$; in evaluation it does nothing. A network trained this way cannot
# rely on any single unit, which acts like training many thinned networks that share weights.
# The scaling keeps the expectation: $\mathbb{E}[y] = (1-p) \cdot \frac{x}{1-p} = x$.

# %%
print(cr.nn.Dropout(0.5).formula())
x = cr.ones(100_000)
cr.manual_seed(0)
y = F.dropout(x, p=0.5, training=True)
print("fraction kept:", float((y.numpy() != 0).mean()), "  mean of y:", float(y.numpy().mean()))
print("in evaluation:", F.dropout(cr.ones(5), p=0.5, training=False).numpy())

# %% [markdown]
# ## Batch normalization
#
# **Batch normalization** standardizes each feature over the batch, then lets the network choose
# its scale and shift:
#
# $$\hat{x} = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}, \qquad y = \gamma \odot \hat{x}
# + \beta,$$
#
# with $\mu_B$ and $\sigma_B^2$ the mean and (biased) variance of the feature over the batch.
# Every layer then receives inputs on a stable scale, which allows larger learning rates, and the
# noise of batch statistics regularizes a little. In evaluation, running averages collected
# during training replace the batch's statistics. Its backward pass is subtle — $\mu_B$ and
# $\sigma_B$ depend on every sample. `BatchNorm1d.formula()` states it; derive it yourself first
# (exercise 7.3). Here is its forward equation, and a check that each feature comes out with mean
# 0 and variance 1:

# %%
print(cr.nn.BatchNorm1d(3).formula().forward.text)
X = cr.tensor(rng.normal(loc=5.0, scale=3.0, size=(64, 3)))
Y = cr.nn.BatchNorm1d(3).double()(X)
print("means:", Y.detach().numpy().mean(axis=0), " variances:", Y.detach().numpy().var(axis=0))

# %% [markdown]
# ## The curse of dimensionality
#
# Much of this lesson assumes that new samples lie near training samples. In high dimensions
# "near" loses its meaning: for random points in the unit cube $[0, 1]^d$, the nearest and the
# farthest neighbour of a point end up almost equally far away. With $d = 1000$, every point is
# about as far from every other; methods that rely on neighbourhoods need exponentially many
# samples to fill the space.

# %%
dims = [1, 2, 5, 10, 50, 100, 500, 1000]
contrast = []
for d in dims:
    points = rng.uniform(size=(500, d))
    dist = np.sqrt(((points[1:] - points[0]) ** 2).sum(axis=1))
    contrast.append((dist.max() - dist.min()) / dist.min())
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.loglog(dims, contrast, "o-")
ax.set_xlabel("dimension d")
ax.set_ylabel("(farthest − nearest) / nearest")
ax.set_title("distances concentrate as d grows (500 random points)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_07.py`, then grade with
# `chainrule learn check 7`.
#
# - **7.1** `dropout(x, mask, p)`: inverted dropout with a given mask (and $p = 1$).
# - **7.2** `batchnorm_forward(X, gamma, beta, eps)`: batch normalization of a batch, training
#   mode.
# - **7.3** `batchnorm_backward(X, gamma, G, eps)`: its backward pass, through $\mu_B$ and
#   $\sigma_B^2$ as well.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("7.1", dropout))`.
