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
# # Lesson 11 — Project: image classification on Fashion-MNIST
#
# Everything so far, put to work on real data: 28×28 grey images of clothes in 10 classes. The
# steps are those of every project — look at the data, split it, prepare the features without
# leaking the test set, train with mini-batches while watching a validation set, and read the
# errors, not only the accuracy. The run uses a subset so that it takes seconds;
# `chainrule train --dataset fashion-mnist` runs the full thing from the command line.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.data.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

cr.manual_seed(0)
rng = np.random.default_rng(0)
# found in /usr/share/datasets, $CHAINRULE_DATA or the cache; downloaded there once otherwise
images, labels = load_fashion_mnist("train", download=True)
test_images, test_labels = load_fashion_mnist("test", download=True)
print(images.shape, images.dtype, "classes:", ", ".join(FASHION_MNIST_CLASSES))

# %% [markdown]
# ## Look at the data

# %%
fig, axes = plt.subplots(3, 10, figsize=(11, 3.6))
for k, name in enumerate(FASHION_MNIST_CLASSES):
    for row, index in enumerate(np.flatnonzero(labels == k)[:3]):
        axes[row, k].imshow(images[index], cmap="gray_r")
        axes[row, k].axis("off")
    axes[0, k].set_title(name, fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Split: training, validation, test
#
# The official test set stays untouched until the end (lesson 7). From the training images we
# take a random subset for training and another, disjoint, for validation — 6,000 and 2,000
# here, to keep the run short.

# %%
order = rng.permutation(len(images))
train_idx, val_idx = order[:6000], order[6000:8000]
X_train = images[train_idx].reshape(-1, 784).astype(np.float64)
X_val = images[val_idx].reshape(-1, 784).astype(np.float64)
X_test = test_images[:2000].reshape(-1, 784).astype(np.float64)
y_train, y_val, y_test = labels[train_idx], labels[val_idx], test_labels[:2000]
print("class counts in the training subset:", np.bincount(y_train))

# %% [markdown]
# ## Prepare the features — from the training set only
#
# Standardizing each pixel, $x \mapsto (x - \mu)/\sigma$, puts all inputs on one scale, which
# suits the initialisation and the learning rate. The mean $\mu$ and deviation $\sigma$ come from
# the **training** samples only and are then applied, unchanged, to validation and test data:
# computing them on the test set would let it influence the model (exercise 11.1).

# %%
mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
X_train, X_val, X_test = ((X - mu) / (sigma + 1e-8) for X in (X_train, X_val, X_test))
X_train, X_val, X_test = (X.astype(np.float32) for X in (X_train, X_val, X_test))

# %% [markdown]
# ## Train with mini-batches, watch the validation loss
#
# One **epoch** visits every training sample once, in mini-batches: for each, clear the
# gradients, compute the loss, backpropagate, step (exercise 11.2). After each epoch, measure the
# loss and accuracy on the validation set, without gradients.

# %%
model = cr.nn.Sequential(cr.nn.Linear(784, 128), cr.nn.ReLU(), cr.nn.Dropout(0.2),
                         cr.nn.Linear(128, 10))
optimizer = cr.optim.Adam(model.parameters(), lr=1e-3)


def evaluate(X, y):
    model.eval()
    with cr.no_grad():
        logits = model(cr.tensor(X))
        loss = F.cross_entropy(logits, cr.tensor(y)).item()
        predicted = logits.argmax(dim=1).numpy()
    model.train()
    return loss, float((predicted == y).mean()), predicted


history = {"train": [], "val": [], "val_acc": []}
for epoch in range(8):
    perm = rng.permutation(len(X_train))                  # a new order every epoch
    losses = []
    for start in range(0, len(perm), 64):
        batch = perm[start:start + 64]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(cr.tensor(X_train[batch])), cr.tensor(y_train[batch]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    val_loss, val_acc, _ = evaluate(X_val, y_val)
    history["train"].append(np.mean(losses))
    history["val"].append(val_loss)
    history["val_acc"].append(val_acc)
    print(f"epoch {epoch + 1}: training loss {np.mean(losses):.3f}, "
          f"validation loss {val_loss:.3f}, validation accuracy {val_acc:.3f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
epochs = np.arange(1, len(history["train"]) + 1)
ax.plot(epochs, history["train"], "o-", label="training loss (during the epoch)")
ax.plot(epochs, history["val"], "o-", label="validation loss (after it)")
ax.set_xlabel("epoch")
ax.set_ylabel("cross-entropy")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The training loss keeps falling; when the validation loss stops falling and starts to rise,
# the model has begun to fit the training set's particulars — the moment to stop (the
# `EarlyStopping` callback of chainrule's `fit` automates it).
#
# ## The test set, once, and what the errors are
#
# Accuracy is one number; the **confusion matrix** shows which classes are taken for which
# (exercise 11.3). Rows are the true classes, columns the predictions.

# %%
test_loss, test_acc, predicted = evaluate(X_test, y_test)
print(f"test accuracy {test_acc:.3f} (validation: {history['val_acc'][-1]:.3f})")
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, predicted), 1)
fig, ax = plt.subplots(figsize=(6, 5))
ax.imshow(confusion, cmap="Blues")
ax.set_xticks(range(10), FASHION_MNIST_CLASSES, rotation=60, ha="right", fontsize=8)
ax.set_yticks(range(10), FASHION_MNIST_CLASSES, fontsize=8)
ax.set_xlabel("predicted")
ax.set_ylabel("true")
for i in range(10):
    for j in range(10):
        ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=7,
                color="white" if confusion[i, j] > confusion.max() / 2 else "black")
fig.tight_layout()
plt.show()
off = confusion - np.diag(np.diag(confusion))
for flat in np.argsort(off, axis=None)[::-1][:3]:
    i, j = divmod(int(flat), 10)
    print(f"{FASHION_MNIST_CLASSES[i]} taken for {FASHION_MNIST_CLASSES[j]}: {off[i, j]} times")

# %% [markdown]
# Shirts, T-shirts, pullovers and coats are confused with each other — at 28×28 in grey they
# differ in details (collars, sleeves, buttons) that a multilayer perceptron sees only as pixel
# positions. A convolutional network (lesson 8), which looks for local patterns wherever they
# are, does better: try `chainrule train --dataset fashion-mnist --model lenet`.
#
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_11.py`, then grade with
# `chainrule learn check 11`.
#
# - **11.1** `standardize(train, test)`: with the training set's statistics only.
# - **11.2** `train_epoch(model, optimizer, X, y, batch_size)`: the training loop.
# - **11.3** `confusion_matrix(predicted, labels, num_classes)`: without a loop over samples.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("11.3", confusion_matrix))`.
