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
# # Lesson 14 — Trust: adversarial examples, calibration, attributions
#
# A network with high test accuracy can still be fooled by changes a person would not notice, be
# confidently wrong, and decide for reasons nobody checked. This lesson trains a small classifier
# on the 8×8 handwritten digits, then asks three questions with the mathematics of the earlier
# lessons: how small a change flips its answer (adversarial examples, a gradient step on the
# *input*), whether its probabilities can be believed (calibration), and which pixels it used
# (attributions, gradients again).

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import adversarial, calibration, interpret
from chainrule.data.datasets import load_digits

cr.manual_seed(0)
images, labels = load_digits("train")
test_images, test_labels = load_digits("test")
X = cr.tensor(images.reshape(-1, 64) / 16.0)               # pixels in [0, 1]
y = cr.tensor(labels)
X_test = cr.tensor(test_images.reshape(-1, 64) / 16.0)
y_test = cr.tensor(test_labels)

model = cr.nn.Sequential(cr.nn.Linear(64, 64), cr.nn.ReLU(), cr.nn.Linear(64, 10))
optimizer = cr.optim.Adam(model.parameters(), lr=1e-2)
for _ in range(60):                                    # full batch: a few seconds
    optimizer.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
model.eval()


def accuracy(inputs, targets):
    return float((model(inputs).argmax(dim=1) == targets).float().mean())


print(f"training loss {loss.item():.3f}, test accuracy {accuracy(X_test, y_test):.3f}")

# %% [markdown]
# ## Adversarial examples
#
# Training follows $-\nabla_\theta L$ to make the loss small. An attacker follows $+\nabla_x L$,
# the gradient with respect to the **input**, to make it large. The **fast gradient sign method**
# takes one step of size $\varepsilon$ in every pixel:
#
# $$x' = \mathrm{clip}_{[0, 1]}\left(x + \varepsilon\, \mathrm{sign}(\nabla_x L(f(x), y))\right).$$
#
# Each pixel changes by at most $\varepsilon$, yet the changes all push the same way — in 64
# dimensions, many small aligned nudges add up to a large change of the logits (a linear layer's
# output moves by $\varepsilon \|w\|_1$).

# %%
epsilons = [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3]
robust = [accuracy(adversarial.fgsm(model, X_test, y_test, eps), y_test) for eps in epsilons]
x_adv = adversarial.fgsm(model, X_test[:6], y_test[:6], 0.15)
predicted = model(x_adv).argmax(dim=1).numpy()

fig = plt.figure(figsize=(11, 3.6))
ax = fig.add_subplot(1, 3, 1)
ax.plot(epsilons, robust, "o-")
ax.set_xlabel(r"$\varepsilon$ (largest change per pixel)")
ax.set_ylabel("test accuracy under FGSM")
for k in range(6):
    sub = fig.add_subplot(2, 9, 4 + k + (k // 3) * 6)
    sub.imshow(x_adv.numpy()[k].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    sub.set_title(f"{int(test_labels[k])} → {predicted[k]}", fontsize=9)
    sub.axis("off")
fig.suptitle("FGSM at ε = 0.15: true label → the model's answer", x=0.7, fontsize=10)
plt.show()

# %% [markdown]
# ## Calibration
#
# A classifier's softmax output reads as a probability (lesson 5). It is **calibrated** if, among
# all the predictions made with confidence 0.8, about 80 % are right. The **expected calibration
# error** bins the predictions by confidence and averages the gap:
#
# $$\mathrm{ECE} = \sum_b \frac{|B_b|}{N}\, \left| \mathrm{acc}(B_b) - \mathrm{conf}(B_b)
# \right|.$$
#
# Large networks trained to a small cross-entropy tend to be overconfident; a small one trained
# briefly, like ours, can be the opposite. **Temperature scaling** divides the logits by one
# number $T$ chosen on held-out data (by minimising the negative log-likelihood): $T > 1$ softens
# overconfident probabilities, $T < 1$ sharpens underconfident ones. It changes no prediction,
# only how confident they are.

# %%
logits = model(X_test).detach()
probs = F.softmax(logits, dim=1)
print(f"ECE before: {calibration.expected_calibration_error(probs, y_test):.4f}")
scaler = calibration.TemperatureScaling().fit(logits, y_test)
scaled = F.softmax(scaler.transform(logits), dim=1)
print(f"temperature T = {scaler.temperature:.2f}, "
      f"ECE after: {calibration.expected_calibration_error(scaled, y_test):.4f}")
print("(fitting T on the test set itself is only for the demonstration: in practice, fit it on a"
      " validation set)")

# %% [markdown]
# ## Attributions: which pixels mattered?
#
# The gradient $\partial f_c / \partial x_i$ of the class score with respect to pixel $i$ — a
# **saliency map** — says how the score would change if that pixel changed a little. It is local
# and noisy; **integrated gradients** average the gradient along the straight path from a
# baseline $x'$ (a blank image) to $x$, and multiply by $x - x'$:
#
# $$A_i = (x_i - x'_i) \int_0^1 \frac{\partial f_c(x' + \alpha (x - x'))}{\partial x_i}\, d\alpha,$$
#
# which has a useful property, **completeness**: the attributions add up to
# $f_c(x) - f_c(x')$, by the fundamental theorem of calculus along the path.

# %%
sample = X_test[:1]
target = int(test_labels[0])
saliency = interpret.saliency(model, sample, target).numpy()[0]
attributions = interpret.integrated_gradients(model, sample, target, steps=64).numpy()[0]
gap = float(model(sample)[0, target] - model(cr.zeros(1, 64))[0, target])
print(f"Σ A = {attributions.sum():.4f}   f(x) − f(x′) = {gap:.4f}")

fig, axes = plt.subplots(1, 3, figsize=(8, 3))
limit = np.abs(attributions).max()
for ax, picture, title, kwargs in (
        (axes[0], sample.numpy()[0], f"input: digit {target}", dict(cmap="gray_r")),
        (axes[1], saliency, "saliency |∂f/∂x|", dict(cmap="Reds")),
        (axes[2], attributions, "integrated gradients",
         dict(cmap="RdBu_r", vmin=-limit, vmax=limit))):
    ax.imshow(picture.reshape(8, 8), **kwargs)
    ax.set_title(title, fontsize=10)
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_14.py`, then grade with
# `chainrule learn check 14`.
#
# - **14.1** `fgsm(model, x, y, eps)`: an adversarial batch, with chainrule's autograd.
# - **14.2** `ece(probs, labels, n_bins)`: the expected calibration error — mind the bin edges.
# - **14.3** `integrated_gradients(grad_f, x, baseline, steps)`: the path integral by the
#   midpoint rule.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("14.2", ece))`.
