"""Models shared by the interpret tests (a module of its own: conftest is not importable)."""
from __future__ import annotations


def small_cnn(L, classes: int = 5):
    """Conv(1→4, 3, pad 1) – ReLU – MaxPool(2) – Conv(4→6, 3) – ReLU | Flatten – Linear(96, K)
    for 1×12×12 images; layer names 'features.0' … 'features.4', 'classifier.1'."""
    net = L.nn.Sequential()
    net.add_module("features", L.nn.Sequential(
        L.nn.Conv2d(1, 4, 3, padding=1), L.nn.ReLU(), L.nn.MaxPool2d(2),
        L.nn.Conv2d(4, 6, 3), L.nn.ReLU()))
    net.add_module("classifier", L.nn.Sequential(L.nn.Flatten(), L.nn.Linear(96, classes)))
    return net
