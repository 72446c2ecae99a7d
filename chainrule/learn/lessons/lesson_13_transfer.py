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
# # Lesson 13 — Transfer learning with a pretrained model
#
# Lesson 12 ended with a pretrained text encoder beating models trained from scratch on few
# labels. The same holds for images, and more strongly. A network trained on ImageNet (1.3
# million photos, 1,000 classes) has learned, layer after layer, edges, textures, parts: features
# that are useful far beyond ImageNet. **Transfer learning** keeps that body and trains only a
# new head — or the head and the last layers, gently — on the small labelled set at hand.
#
# The numbers in docs/transfer_learning.md, on 50 Fashion-MNIST images per class: a new linear
# head on the frozen EfficientNet-Lite0 reaches **80.7 %**, fine-tuning its last block as well
# **83.0 %**, the same network trained from scratch 9.7 % (chance) and LeNet-5 from scratch
# 62.4 %. Here the same steps on 20 images per class at 32×32, so that each takes seconds.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.data.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist
from chainrule.models import efficientnet_lite0, features
from chainrule.nn.utils import freeze

cr.manual_seed(0)
rng = np.random.default_rng(0)
images, labels = load_fashion_mnist("train", download=True)
test_images, test_labels = load_fashion_mnist("test", download=True)
train_idx = np.concatenate([np.flatnonzero(labels == k)[:20] for k in range(10)])
test_idx = np.concatenate([np.flatnonzero(test_labels == k)[:20] for k in range(10)])


SIZE = 64


def prepare(x):
    """28×28 grey on 0…255 → 3×SIZE×SIZE, normalised as the ImageNet weights expect."""
    x = cr.tensor(x[:, None].astype(np.float32))
    x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False).numpy()
    return np.repeat((x - 127.0) / 128.0, 3, axis=1).astype(np.float32)


X_train, y_train = prepare(images[train_idx]), labels[train_idx]
X_test, y_test = prepare(test_images[test_idx]), test_labels[test_idx]
print("training", X_train.shape, "test", X_test.shape)

# %% [markdown]
# ## The pretrained network: a body and a head
#
# EfficientNet-Lite0 is a stack of convolutional blocks (lesson 8) — the **body**, a function
# $\phi_\theta : x \mapsto \phi_\theta(x) \in \mathbb{R}^{1280}$ that ends in a global average
# pool — followed by the **head**, one linear layer $\hat y = \mathrm{softmax}(W \phi + b)$ with
# $W \in \mathbb{R}^{1000 \times 1280}$ for ImageNet's classes. For our 10 classes the head is
# replaced by a new, randomly initialised $W \in \mathbb{R}^{10 \times 1280}$; the body keeps its
# ImageNet weights $\theta$.

# %%
net = efficientnet_lite0(weights="package", num_classes=10)     # ImageNet body, new 10-way head
total = sum(p.numel() for p in net.parameters())
head_size = sum(p.numel() for p in net._fc.parameters())
print(f"{total:,} parameters; the new head has {head_size:,} of them")
print("top-level modules:", [name for name, _ in net.named_children()])

# %% [markdown]
# ## Feature extraction: run the body once
#
# With the body frozen, $\phi_\theta(x)$ never changes during training: compute it once for every
# image (`chainrule.models.features`, the output of the layer `_avg_pooling`) and train the head
# on these fixed vectors. That is softmax regression — lesson 5 — on 1280 features: with
# $\delta = \hat y - \mathrm{onehot}(y)$ for each sample, the mean loss has
#
# $$\frac{\partial L}{\partial W} = \frac{1}{N} \sum_n \delta_n \phi_n^\top, \qquad
# \frac{\partial L}{\partial b} = \frac{1}{N} \sum_n \delta_n$$
#
# (exercise 13.2). A picture first: the 1280-dimensional features of the test images projected on
# their two principal directions, coloured by class.

# %%
phi_train = features(net, "_avg_pooling", X_train).reshape(len(X_train), -1)
phi_test = features(net, "_avg_pooling", X_test).reshape(len(X_test), -1)
print("features:", tuple(phi_train.shape), "requires grad:", phi_train.requires_grad)

centred = phi_test.numpy() - phi_train.numpy().mean(axis=0)
_, _, directions = np.linalg.svd(phi_train.numpy() - phi_train.numpy().mean(axis=0),
                                 full_matrices=False)
projected = centred @ directions[:2].T
fig, ax = plt.subplots(figsize=(6.5, 4.5))
for k, name in enumerate(FASHION_MNIST_CLASSES):
    ax.scatter(*projected[y_test == k].T, s=14, label=name)
ax.set_xlabel("first principal direction of φ")
ax.set_ylabel("second")
ax.legend(fontsize=7, ncol=2)
fig.tight_layout()
plt.show()

# %% [markdown]
# The classes form clusters although the body never saw a piece of clothing labelled as such.
# Now the head, and for comparison the same softmax regression on the raw pixels:


# %%
def softmax_regression(train_x, test_x, steps=300, lr=1e-3):
    head = cr.nn.Linear(train_x.shape[1], 10)
    optimizer = cr.optim.Adam(head.parameters(), lr=lr)
    targets = cr.tensor(y_train)
    for _ in range(steps):                                  # full batch: 200 samples
        optimizer.zero_grad()
        F.cross_entropy(head(train_x), targets).backward()
        optimizer.step()
    with cr.no_grad():
        return float((head(test_x).argmax(dim=1).numpy() == y_test).mean())


pixels_train = cr.tensor(images[train_idx].reshape(200, -1).astype(np.float32) / 255)
pixels_test = cr.tensor(test_images[test_idx].reshape(200, -1).astype(np.float32) / 255)
print(f"softmax regression on the 784 pixels:                 test accuracy "
      f"{softmax_regression(pixels_train, pixels_test):.3f}")
print(f"softmax regression on the 1280 pretrained features φ(x): test accuracy "
      f"{softmax_regression(phi_train, phi_test):.3f}")

# %% [markdown]
# Same training, same 200 labels: the pretrained features do better than the pixels — though
# on 200 test images one standard error is about 3 points, so read a small gap as a hint, not a
# result. docs/transfer_learning.md, on 500 training and 1,000 test images, measures 80.7 % for
# this frozen-body head against 62.4 % for a LeNet-5 trained from scratch on the same images.

# %% [markdown]
# ## Freezing: which parameters train
#
# Fine-tuning the whole network with 200 labelled images would overwrite the body's knowledge
# with noise. `chainrule.nn.utils.freeze(model, *patterns)` sets `requires_grad = False` for
# every parameter whose name matches a glob pattern (exercise 13.1): backward then leaves their
# gradient at `None` and the optimizer leaves them as they are; a frozen BatchNorm stays in
# evaluation mode. Here the stem and the first 15 of the 16 blocks are frozen, and the last
# block, the head convolution and the new head train.

# %%
frozen = freeze(net, "_conv_stem.*", "_bn0.*", "_blocks.[0-9].*", "_blocks.1[0-4].*")
trainable = [name for name, p in net.named_parameters() if p.requires_grad]
print(f"{len(frozen)} parameter tensors frozen, {len(trainable)} trainable:",
      ", ".join(trainable[:3]), "…", ", ".join(trainable[-2:]))

# %% [markdown]
# ## Discriminative learning rates
#
# The parts that train are not equally far from what they should be: the new head starts from
# random numbers, the last block from good weights that need only a nudge. One learning rate per
# **parameter group**, $\theta_g \leftarrow \theta_g - \eta_g\, \partial L / \partial \theta_g$,
# with $\eta_{\text{body}} = \eta / 10$ for the pretrained weights and $\eta$ for the head
# (exercise 13.3). PyTorch's optimizers, and chainrule's, take a list of dicts:

# %%
body = [p for name, p in net.named_parameters() if p.requires_grad and not name.startswith("_fc.")]
optimizer = cr.optim.Adam([{"params": body, "lr": 1e-4},
                           {"params": net._fc.parameters(), "lr": 1e-3}])
print([(len(group["params"]), group["lr"]) for group in optimizer.param_groups])
net.train()
before = net._blocks[0]._depthwise_conv.weight.detach().numpy().copy()
for step in range(4):
    batch = rng.choice(len(X_train), size=20, replace=False)
    optimizer.zero_grad()
    loss = F.cross_entropy(net(cr.tensor(X_train[batch])), cr.tensor(y_train[batch]))
    loss.backward()
    optimizer.step()
    print(f"step {step + 1}: loss {loss.item():.3f}")
print("the frozen first block is unchanged:",
      np.array_equal(before, net._blocks[0]._depthwise_conv.weight.detach().numpy()),
      "— its gradient is", net._blocks[0]._depthwise_conv.weight.grad)

# %% [markdown]
# Four steps only show the mechanics; docs/transfer_learning.md trains the last block and the
# head for 20 epochs (on the cached output of the frozen part, which saves running it again) and
# gains 2.3 points over the frozen body with a linear head. The command
# `chainrule finetune --data fashion-mnist --per-class 50 --image-size 64 --epochs 10` does it
# all.
#
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_13.py`, then grade with
# `chainrule learn check 13`.
#
# - **13.1** `trainable_after_freeze(names, patterns)`: what `freeze` leaves trainable.
# - **13.2** `linear_head_step(W, b, phi, y, lr)`: one gradient step of the head on fixed features.
# - **13.3** `discriminative_groups(model, head, lr)`: the body at $\eta/10$, the head at $\eta$.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there:
# `from chainrule.learn import grade_function; print(grade_function("13.2", linear_head_step))`.
