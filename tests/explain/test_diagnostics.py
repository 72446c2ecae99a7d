"""Gradient diagnostics: a 10-layer sigmoid MLP with naive initialisation has vanishing gradients,
the same MLP with ReLU and He initialisation does not; exploding gradients and dead ReLU units are
found too, each with its reason; the fit() callback records the same over training."""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.training import Callback
from tests.explain.models import deep_mlp, he_normal, naive_uniform


def data(n: int = 64):
    cr.manual_seed(0)
    x = cr.randn(n, 32)
    y = cr.tensor((np.arange(n) % 10).astype("int64"))
    return x, y


def test_ten_sigmoid_layers_with_naive_initialisation_vanish():
    """W ~ U(−1/√n, 1/√n), b = 0 (the 'standard' initialisation of Glorot & Bengio 2010)."""
    x, y = data()
    model = deep_mlp(nn.Sigmoid, naive_uniform)
    report = cr.explain.gradient_report(model, x, y, nn.CrossEntropyLoss())
    first, last = report.weighted[0], report.weighted[-1]
    assert (first.name, last.name) == ("0", "18") and len(report.weighted) == 10
    assert first.grad_norm * 100 <= last.grad_norm           # at least 100× below the last
    assert report.ratio == pytest.approx(first.grad_norm / last.grad_norm)
    assert report.vanishing and not report.exploding
    message = next(f.message for f in report.findings if f.kind == "vanishing")
    assert "Jacobians" in message and "below one" in message
    assert "∂σ/∂x = σ(x)(1 − σ(x))" in message                 # the sigmoid's own derivative
    sigmoid_gains = [s.gain for s in report.layers if s.kind == "Sigmoid"]
    assert all(g <= 0.25 + 1e-6 for g in sigmoid_gains)      # σ′ ≤ 1/4 along any gradient
    assert all(p.grad is None for p in model.parameters())   # the model's .grad untouched


def test_the_same_depth_with_relu_and_he_initialisation_does_not():
    x, y = data()
    model = deep_mlp(nn.ReLU, he_normal)
    report = cr.explain.gradient_report(model, x, y, nn.CrossEntropyLoss())
    first, last = report.weighted[0], report.weighted[-1]
    assert first.grad_norm * 100 > last.grad_norm
    assert 1e-2 < report.ratio < 1e2
    assert not report.vanishing and not report.exploding and not report.dead_relu
    assert "no vanishing or exploding gradients" in str(report)


def test_exploding_gradients_are_found():
    x, y = data()
    model = deep_mlp(nn.ReLU, lambda w: nn.init.normal_(w, 0.0, 3 * math.sqrt(2 / w.shape[1])))
    report = cr.explain.gradient_report(model, x, y, nn.CrossEntropyLoss())
    assert report.exploding
    gains = [s.gain for s in report.layers[1:report.layers.index(report.weighted[-1]) + 1]]
    assert math.prod(gains) > 100          # the Jacobians' product grows the gradient
    message = next(f.message for f in report.findings if f.kind == "exploding")
    assert "above one" in message


def test_dead_relu_units_are_found_with_the_reason():
    x, y = data()
    model = deep_mlp(nn.ReLU, he_normal, depth=4)
    nn.init.constant_(model[4].bias, -100.0)         # the third layer's units never fire
    report = cr.explain.gradient_report(model, x, y, nn.CrossEntropyLoss())
    dead = [s for s in report.layers if s.units and s.dead_units == s.units]
    assert [s.name for s in dead] == ["5"]
    message = next(f.message for f in report.findings if f.kind == "dead_relu")
    assert "64 of 64 units of layer 5 (ReLU)" in message and "1[x > 0]" in message


def test_report_draws_to_png(tmp_path):
    pytest.importorskip("matplotlib")
    x, y = data()
    report = cr.explain.gradient_report(deep_mlp(nn.Sigmoid, naive_uniform), x, y,
                                        nn.CrossEntropyLoss())
    report.plot(tmp_path / "report.png")
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_gradient_monitor_in_fit(tmp_path):
    pytest.importorskip("matplotlib")
    x, y = data()
    model = deep_mlp(nn.Sigmoid, naive_uniform)
    monitor = cr.explain.GradientMonitor()
    assert isinstance(monitor, Callback)
    model.compile(optimizer=cr.optim.SGD(model.parameters(), lr=0.1),
                  loss=nn.CrossEntropyLoss())
    model.fit(x.numpy(), y.numpy(), epochs=2, batch_size=16, callbacks=[monitor], verbose=0)
    assert monitor.step == 8
    first, last = monitor.history["0"], monitor.history["18"]
    assert first["step"] == list(range(8))
    assert all(a * 100 <= b for a, b in zip(first["grad_norm"], last["grad_norm"]))
    assert all(r is not None and r > 0 for r in first["update_ratio"])
    assert [f.kind for f in monitor.findings] == ["vanishing", "vanishing"]   # one per epoch
    assert monitor.findings[0].message.startswith("epoch 1:")
    assert all("forward" not in m.__dict__ for m in model.modules())   # instrumentation gone
    monitor.plot(tmp_path / "monitor.png")
    assert (tmp_path / "monitor.png").read_bytes()[:4] == b"\x89PNG"
