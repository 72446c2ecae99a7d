"""The models the explanation tests use, written once for chainrule and for PyTorch."""
from __future__ import annotations

import math

from chainrule import nn


def mlp(lib):
    """The 784-256-128-10 MLP."""
    return lib.Sequential(lib.Linear(784, 256), lib.ReLU(), lib.Linear(256, 128), lib.ReLU(),
                          lib.Linear(128, 10))


def lenet(lib):
    """LeNet-5 for 28×28 images (ReLU, max pooling), as in tests/nn/test_pytorch_weights.py."""
    return lib.Sequential(
        lib.Conv2d(1, 6, 5, padding=2), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(6, 16, 5), lib.ReLU(), lib.MaxPool2d(2),
        lib.Flatten(),
        lib.Linear(16 * 5 * 5, 120), lib.ReLU(),
        lib.Linear(120, 84), lib.ReLU(),
        lib.Linear(84, 10))


VOCAB, EMBED, HIDDEN, CLASSES, STEPS = 1000, 32, 64, 5, 20


def text_classifier(lib, base):
    """Embedding → LSTM → Linear on the last step, its forward calling submodules in order."""

    class TextClassifier(base):
        def __init__(self):
            super().__init__()
            self.embedding = lib.Embedding(VOCAB, EMBED)
            self.lstm = lib.LSTM(EMBED, HIDDEN, batch_first=True)
            self.fc = lib.Linear(HIDDEN, CLASSES)

        def forward(self, x):
            out, _ = self.lstm(self.embedding(x))
            return self.fc(out[:, -1])

    return TextClassifier()


def deep_mlp(activation, init_weight, depth: int = 10, width: int = 64, d_in: int = 32):
    """``depth`` Linear layers of ``width`` units with ``activation`` between them, biases 0."""
    layers, n = [], d_in
    for i in range(depth):
        out = width if i < depth - 1 else 10
        linear = nn.Linear(n, out)
        init_weight(linear.weight)
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < depth - 1:
            layers.append(activation())
        n = out
    return nn.Sequential(*layers)


def naive_uniform(w):
    """W ~ U(−1/√n, 1/√n), n = fan-in: the 'standard' initialisation that Glorot & Bengio (2010)
    showed makes deep sigmoid networks' gradients vanish."""
    bound = 1 / math.sqrt(w.shape[1])
    nn.init.uniform_(w, -bound, bound)


def he_normal(w):
    """W ~ N(0, 2/n): He et al.'s initialisation for ReLU."""
    nn.init.kaiming_normal_(w, nonlinearity="relu")
