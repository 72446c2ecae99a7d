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
# # Lesson 5 — Probability for learning: likelihood, softmax, cross-entropy, KL
#
# Where does the loss of a classifier come from? From probability: the network states how likely
# each class is, and training makes the observed classes as likely as possible. This lesson
# derives cross-entropy from that idea, computes softmax so that it never overflows, and meets
# the KL divergence, which measures how far one distribution is from another.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## From scores to probabilities: softmax
#
# The last layer of a classifier with $K$ classes produces $K$ real numbers $z$, the **logits**.
# Softmax turns them into a probability distribution:
#
# $$\hat{y}_k = \mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}, \qquad \hat{y}_k > 0,
# \qquad \sum_k \hat{y}_k = 1.$$
#
# Only differences between logits matter: adding the same $c$ to every $z_j$ multiplies the
# numerator and the denominator by $e^c$. A **temperature** $T$, softmax$(z / T)$, makes the
# distribution sharper ($T < 1$) or flatter ($T > 1$):

# %%
z = np.array([2.0, 1.0, 0.2, -1.0])
fig, axes = plt.subplots(1, 3, figsize=(11, 3), sharey=True)
for ax, T in zip(axes, (0.5, 1.0, 3.0)):
    p = F.softmax(cr.tensor(z / T), dim=-1).numpy()
    ax.bar(range(len(z)), p, color="tab:blue")
    ax.set_title(f"softmax(z / T), T = {T}")
    ax.set_xticks(range(len(z)))
    ax.set_xlabel("class k")
axes[0].set_ylabel(r"$\hat{y}_k$")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Computing it without overflow
#
# $e^{1000}$ is larger than any float64 (the largest is about $1.8 \times 10^{308}$), so the
# formula taken literally returns inf/inf = nan for large logits. Because softmax ignores a
# common shift, subtract the largest logit $m = \max_j z_j$ first: every exponent is then $\le 0$,
# and the largest term is $e^0 = 1$.

# %%
big = np.array([1000.0, 999.0, 0.0])
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big) / np.exp(big).sum()
shifted = np.exp(big - big.max()) / np.exp(big - big.max()).sum()
print("literally :", naive)
print("shifted   :", shifted)
print("chainrule :", F.softmax(cr.tensor(big), dim=-1).numpy())

# %% [markdown]
# ## Likelihood and cross-entropy
#
# Read $\hat{y} = \mathrm{softmax}(z)$ as the model's probability of each class given the input,
# $p(k \mid x)$. The **likelihood** of a data set $(x_n, y_n)_{n=1}^N$ is the probability the
# model gives to the classes that were observed, $\prod_n \hat{y}_{n, y_n}$. Maximising it is
# the same as minimising the mean **negative log-likelihood** (the logarithm turns the product
# into a sum and is increasing):
#
# $$L = -\frac{1}{N} \sum_n \log \hat{y}_{n, y_n} = -\frac{1}{N} \sum_n \log
# \mathrm{softmax}(z_n)_{y_n}.$$
#
# Written with one-hot targets $y_n$ (1 at the true class, 0 elsewhere) this is the
# **cross-entropy** $-\frac{1}{N} \sum_n \sum_k y_{nk} \log \hat{y}_{nk}$: `nn.CrossEntropyLoss`.
# A model pays $-\log \hat{y}$ for the probability it gave the truth: nothing when it was sure and
# right, without bound when it was sure and wrong.

# %%
print(cr.nn.CrossEntropyLoss().formula())

# %%
p = np.linspace(0.001, 1, 400)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(p, -np.log(p))
ax.set_xlabel(r"probability given to the true class, $\hat{y}_{y}$")
ax.set_ylabel(r"loss $-\log \hat{y}_{y}$")
ax.set_title("the price of each prediction")
fig.tight_layout()
plt.show()

# %% [markdown]
# By hand against chainrule, on a batch of three samples:

# %%
Z = np.array([[2.0, 0.5, -1.0],
              [0.1, 0.2, 0.3],
              [-1.0, 3.0, 0.0]])
y = np.array([0, 2, 2])
P = np.exp(Z - Z.max(axis=1, keepdims=True))
P /= P.sum(axis=1, keepdims=True)
print("by hand   :", -np.log(P[np.arange(3), y]).mean())
print("chainrule :", F.cross_entropy(cr.tensor(Z), cr.tensor(y)).item())

# %% [markdown]
# ### Its gradient
#
# With $\log \mathrm{softmax}(z)_k = z_k - \log \sum_j e^{z_j}$, and the derivative of
# $\log \sum_j e^{z_j}$ with respect to $z_k$ being $\mathrm{softmax}(z)_k$, the gradient for one
# sample is strikingly simple:
#
# $$\frac{\partial L}{\partial z} = \hat{y} - y \qquad \text{(predicted minus target)},$$
#
# divided by $N$ for the mean over a batch. This is the $\delta$ that backpropagation starts from
# in every classifier. Autograd agrees:

# %%
t = cr.tensor(Z, requires_grad=True)
F.cross_entropy(t, cr.tensor(y)).backward()
Y = np.eye(3)[y]
print("autograd        :\n", t.grad.numpy())
print("(ŷ − y) / N     :\n", (P - Y) / 3)

# %% [markdown]
# ## KL divergence
#
# How different is a distribution $q$ from a distribution $p$? The **Kullback–Leibler
# divergence** is the expected extra log-probability:
#
# $$\mathrm{KL}(p \,\|\, q) = \mathbb{E}_{x \sim p}\left[\log p(x) - \log q(x)\right]
# = \sum_x p(x) \log \frac{p(x)}{q(x)}.$$
#
# It is never negative, zero only when $p = q$, and **not symmetric**. Cross-entropy and KL are
# close relatives: $H(p, q) = -\sum_x p(x) \log q(x) = H(p) + \mathrm{KL}(p \,\|\, q)$, and since
# the entropy $H(p)$ of the data does not depend on the model $q$, minimising cross-entropy is
# minimising the KL divergence from the data's distribution to the model's.
#
# For two normal distributions $p = \mathcal{N}(\mu_1, \sigma_1^2)$ and
# $q = \mathcal{N}(\mu_2, \sigma_2^2)$ the expectation has a closed form (exercise 5.4). chainrule's
# distributions know it, and a Monte-Carlo average over samples of $p$ approaches it:

# %%
D = cr.distributions
p_dist = D.Normal(cr.tensor(0.0, dtype=cr.float64), cr.tensor(1.0, dtype=cr.float64))
q_dist = D.Normal(cr.tensor(1.0, dtype=cr.float64), cr.tensor(2.0, dtype=cr.float64))
cr.manual_seed(0)
samples = p_dist.sample((200_000,))
monte_carlo = (p_dist.log_prob(samples) - q_dist.log_prob(samples)).mean().item()
print("KL(p ‖ q) closed form :", D.kl_divergence(p_dist, q_dist).item())
print("KL(p ‖ q) Monte Carlo :", round(monte_carlo, 4))
print("KL(q ‖ p) closed form :", D.kl_divergence(q_dist, p_dist).item(), "← not symmetric")

# %%
x = np.linspace(-6, 8, 500)
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for dist, name in ((p_dist, r"$p = \mathcal{N}(0, 1)$"), (q_dist, r"$q = \mathcal{N}(1, 2^2)$")):
    ax.plot(x, np.exp(dist.log_prob(cr.tensor(x)).numpy()), label=name)
ax.set_title(f"KL(p ‖ q) = {D.kl_divergence(p_dist, q_dist).item():.3f},  "
             f"KL(q ‖ p) = {D.kl_divergence(q_dist, p_dist).item():.3f}")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_05.py`, then grade with
# `chainrule learn check 5`.
#
# - **5.1** `softmax(z)`: over the last axis, exact and finite for logits up to 1000.
# - **5.2** `cross_entropy(Z, y)`: the mean negative log-likelihood of class indices $y$.
# - **5.3** `cross_entropy_grad(Z, y)`: $\partial L / \partial Z$ — derive it, don't look it up.
# - **5.4** `kl_normal(mu1, sigma1, mu2, sigma2)`: $\mathrm{KL}(\mathcal{N}(\mu_1, \sigma_1^2)
#   \,\|\, \mathcal{N}(\mu_2, \sigma_2^2))$.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("5.1", softmax))`.
