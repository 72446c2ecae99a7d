import torch
import math
# ruff: noqa  (kept in the style of pytorch/examples, which this program follows)

# Softmax regression from scratch, as in "What is torch.nn really?": raw tensors with
# requires_grad, a hand-written forward, loss.backward() and a manual update under no_grad.


def build():
    weights = torch.randn(784, 10) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)
    return weights, bias


def softmax(x):
    e = (x - x.max(dim=1, keepdim=True).values).exp()
    return e / e.sum(dim=1, keepdim=True)


def model(xb, weights, bias):
    return softmax(xb @ weights + bias)


def nll(probs, target):
    n = target.shape[0]
    return -probs[range(n), target].log().mean()


def accuracy(probs, yb):
    preds = torch.argmax(probs, dim=1)
    return (preds == yb).float().mean()


def run(params, data, epochs=2, bs=64, lr=0.5):
    weights, bias = params
    images, labels = data["train"]
    x_train = torch.tensor(images.reshape(len(images), -1), dtype=torch.get_default_dtype()) / 255
    y_train = torch.tensor(labels)
    n = x_train.shape[0]
    losses = []
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            probs = model(xb, weights, bias)
            loss = nll(probs, yb)
            loss.backward()
            with torch.no_grad():
                weights -= lr * weights.grad
                bias -= lr * bias.grad
                weights.grad.zero_()
                bias.grad.zero_()
            losses.append(loss.item())
    with torch.no_grad():
        probs = model(x_train, weights, bias)
        picked = probs.gather(1, y_train.unsqueeze(1)).squeeze(1)
        acc = accuracy(probs, y_train).item()
    return {"losses": losses, "weights": weights.detach(), "bias": bias.detach(),
            "picked": picked, "accuracy": acc}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    templates = rng.integers(0, 256, (10, 28, 28))
    labels = rng.integers(0, 10, 512)
    images = np.clip(templates[labels] + rng.normal(0, 40, (512, 28, 28)), 0, 255).astype(np.uint8)
    torch.manual_seed(0)
    record = run(build(), {"train": (images, labels)})
    print(record["losses"][0], record["losses"][-1], record["accuracy"])
