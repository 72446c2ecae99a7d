"""Reference solutions of lesson 13 (transfer learning)."""
import fnmatch

import numpy as np


def trainable_after_freeze(names, patterns):
    return [n for n in names if not any(fnmatch.fnmatchcase(n, p) for p in patterns)]


def linear_head_step(W, b, phi, y, lr):
    z = phi @ W.T + b
    z = z - z.max(axis=1, keepdims=True)                 # softmax without overflow
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    delta = p.copy()
    delta[np.arange(len(y)), y] -= 1.0                   # δ = ŷ − onehot(y)
    delta /= len(y)                                      # the mean over the batch
    return W - lr * (delta.T @ phi), b - lr * delta.sum(axis=0)


def discriminative_groups(model, head, lr):
    body, top = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (top if name == head or name.startswith(head + ".") else body).append(p)
    return [{"params": body, "lr": lr / 10}, {"params": top, "lr": lr}]
