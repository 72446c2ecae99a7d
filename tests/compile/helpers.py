"""Shared builders for the compile tests: small float64 versions of the benchmark models."""
from __future__ import annotations

import numpy as np

import chainrule as cr


def mlp():
    nn = cr.nn
    return nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(),
                         nn.Linear(8, 3))


def lenet():
    nn = cr.nn
    return nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(6 * 2 * 2, 16), nn.ReLU(), nn.Linear(16, 3))


def batch_normed():
    """Convolution and linear layers each followed by a BatchNorm in training mode."""
    nn = cr.nn
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3 * 7 * 7, 6), nn.BatchNorm1d(6), nn.ReLU(),
                         nn.Linear(6, 3))


def residual():
    """A residual block written as torchvision's: ReLU(inplace=True) and ``out += identity``
    (recorded in-place operations on values computed inside the call)."""
    nn = cr.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(1, 4, 3, padding=1)
            self.conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(4)
            self.relu = nn.ReLU(inplace=True)
            self.fc = nn.Linear(4 * 8 * 8, 3)

        def forward(self, x):
            identity = self.relu(self.stem(x))
            out = self.bn(self.conv(identity))
            out += identity
            out = self.relu(out)
            return self.fc(nn.functional.max_pool2d(out, 2).flatten(1))

    return Block()


def lstm():
    nn = cr.nn

    class TextLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(50, 6)
            self.lstm = nn.LSTM(6, 10, batch_first=True)
            self.fc = nn.Linear(10, 3)

        def forward(self, ids):
            out, _ = self.lstm(self.embedding(ids))
            return self.fc(out[:, -1])

    return TextLSTM()


def twin(build, dtype=None):
    """Two copies of a model with the same float64 weights."""
    dtype = dtype or cr.float64
    a, b = build(), build()
    a.to(dtype)
    b.to(dtype)
    b.load_state_dict({k: v.numpy().copy() for k, v in a.state_dict().items()})
    return a, b


def training_step(model, optimizer, loss_fn=None):
    loss_fn = loss_fn or cr.nn.CrossEntropyLoss()

    def step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def batches(kind: str, n: int, batch: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        if kind == "mlp":
            x = rng.standard_normal((batch, 12))
        elif kind in ("lenet", "batch_normed", "residual"):
            x = rng.standard_normal((batch, 1, 16, 16))
        else:
            x = rng.integers(0, 50, (batch, 7))
        out.append((cr.tensor(x), cr.tensor(rng.integers(0, 3, batch))))
    return out


def max_difference(a, b) -> float:
    return max(float(np.abs(p.numpy() - q.numpy()).max())
               for p, q in zip(a.state_dict().values(), b.state_dict().values()))
