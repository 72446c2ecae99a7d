"""benchmarks/bench_gemm.py's log of the matrix products a step makes: the floor it reports is
only as true as that list, so the list is checked against what the layers must compute."""
from __future__ import annotations

from pathlib import Path

import numpy as np

import chainrule as cr

ROOT = Path(__file__).resolve().parent.parent


def _step(model, x, y):
    loss = cr.nn.CrossEntropyLoss()(model(cr.tensor(x)), cr.tensor(y))
    loss.backward()


def test_the_log_holds_each_linear_layers_three_products(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.bench_gemm import GemmLog, flops

    nn = cr.nn
    model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 3))
    x, y = np.ones((5, 12), np.float32), np.array([0, 1, 2, 0, 1])
    with GemmLog() as log:
        _step(model, x, y)
    assert sorted(log.gemms) == sorted([
        (1, 5, 12, 16, "C", "T"), (1, 5, 16, 3, "C", "T"),      # forward x Wᵀ
        (1, 5, 3, 16, "C", "C"),                                 # ∂L/∂h = G W (not for x)
        (1, 3, 5, 16, "T", "C"), (1, 16, 5, 12, "T", "C")])      # ∂L/∂W = Gᵀ x
    assert flops(log.gemms) == 2 * (5 * 12 * 16 + 5 * 16 * 3 + 5 * 3 * 16 + 3 * 5 * 16
                                    + 16 * 5 * 12)


def test_the_log_holds_the_lstms_products_per_time_step(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.bench_gemm import GemmLog

    lstm = cr.nn.LSTM(4, 6)
    x = cr.tensor(np.ones((7, 2, 4), np.float32), requires_grad=True)
    with GemmLog() as log:
        out, _ = lstm(x)
        out.sum().backward()
    assert log.gemms.count((1, 2, 6, 24, "C", "C")) == 7         # h W_hhᵀ per step
    assert log.gemms.count((1, 2, 24, 6, "C", "C")) == 7         # δa W_hh per step
    assert (1, 14, 4, 24, "C", "T") in log.gemms                 # the input projection
    assert len(log.gemms) == 1 + 7 + 7 + 1 + 2


def test_a_convolution_logs_its_products_and_the_patches_are_undone(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import importlib

    from benchmarks.bench_gemm import GemmLog, flops

    conv_module = importlib.import_module("chainrule.ops.conv")
    before = (conv_module.xp, conv_module._matmul)
    conv = cr.nn.Conv2d(8, 16, 3, padding=1, bias=False)
    x = cr.tensor(np.ones((2, 8, 6, 6), np.float32), requires_grad=True)
    with GemmLog() as log:
        conv(x).sum().backward()
    assert (conv_module.xp, conv_module._matmul) == before
    # forward, ∂L/∂W and ∂L/∂x: each 2·(16·72·36) per image, however the route chunks them
    assert abs(flops(log.gemms) - 3 * 2 * 2 * 16 * 72 * 36) < 1e-6
