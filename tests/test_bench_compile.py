"""benchmarks/bench_compile.py's MLP step written by hand: the floor it reports is only as true
as that step, so it must train as PyTorch's step does."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def test_the_mlp_step_by_hand_trains_as_pytorchs(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.syspath_prepend(str(ROOT))
    import chainrule  # noqa: F401  (before the benchmark's NumPy, as its scripts do)
    from benchmarks import bench_compile as B
    from benchmarks import bench_steps as S

    x, y = S._MLP_DATA
    by_hand = B._mlp_by_hand(x, y)
    torch.manual_seed(0)
    model = S._mlp(torch)
    step = S.training_step(torch, model, torch.optim.Adam(model.parameters(), lr=1e-3),
                           torch.from_numpy(x), torch.from_numpy(y))
    losses = [(by_hand(), step().item()) for _ in range(8)]
    np.testing.assert_allclose(*zip(*losses), rtol=1e-5)
    assert losses[-1][0] < losses[0][0] * 0.7      # and it does learn
