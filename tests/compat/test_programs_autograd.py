"""PyTorch programs built on higher-order autograd (a WGAN-GP's gradient penalty and a
physics-informed network's u''), run unchanged but for their imports, agree with PyTorch.

Same method as ``test_programs.py``: :mod:`runner` runs each program's text on PyTorch and on
chainrule (same seed, same data, PyTorch's initial weights) and compares the records to 1e-10
(relative to each array's magnitude) in float64 and 1e-4 in float32. The WGAN-GP's latent noise
and interpolation weights come with the data, since the two libraries' RNGs differ; the PINN
draws no random numbers after build().
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from runner import DTYPES, compare  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")



# ----------------------------------------------------------------------------- 1. WGAN-GP
WGAN_BUILD = dict(nz=2, hidden=16)
WGAN_RUN = dict(batch_size=8, epochs=1, n_critic=3)   # 240 points: 30 batches, 10 G steps


def wgan_data(n=240, nz=2, seed=0):
    """Points around four centres on the unit circle, with per-sample noise and alpha."""
    rng = np.random.default_rng(seed)
    centres = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    points = centres[rng.integers(0, 4, n)] + 0.05 * rng.normal(size=(n, 2))
    return {"points": points, "noise": rng.normal(size=(n, nz)),
            "alpha": rng.uniform(size=(n, 1))}


@pytest.mark.parametrize("dtype", DTYPES)
def test_wgan_gp_matches_pytorch(dtype):
    expected, actual = compare("wgan_gp", wgan_data(), dtype, build=WGAN_BUILD, run=WGAN_RUN,
                               loss_key="D_cost")
    assert len(actual["G_cost"]) == len(actual["penalty"]) == 10
    assert np.all(np.asarray(actual["penalty"]) > 0)
    assert actual["samples"].shape == (8, 2)


# ----------------------------------------------------------------------------- 2. PINN
PINN_BUILD = dict(hidden=16, layers=2)
# 15 Adam steps, then L-BFGS outer steps of up to 10 iterations each. Each L-BFGS step
# magnifies the rounding differences about tenfold, so float32 (1e-4) takes two of them and
# float64 (1e-10) four.
PINN_RUN = {"float64": dict(n_collocation=32, adam_steps=15, lbfgs_steps=4),
            "float32": dict(n_collocation=32, adam_steps=15, lbfgs_steps=2)}


def pinn_data():
    return {"x_test": np.linspace(0, np.pi, 9), "x_points": np.array([0.5, 1.5, 2.5])}


@pytest.mark.parametrize("dtype", DTYPES)
def test_pinn_matches_pytorch(dtype):
    run = PINN_RUN[dtype]
    expected, actual = compare("pinn", pinn_data(), dtype, build=PINN_BUILD, run=run)
    assert len(actual["lbfgs_losses"]) == run["lbfgs_steps"]
    assert actual["closure_calls"] > run["lbfgs_steps"]   # the line search calls it too
    assert expected["lbfgs_losses"][-1] < expected["losses"][0]   # it learns
    assert actual["hessian_energy"].shape == (3, 1, 3, 1)
    assert actual["jacobian_net"].shape == (3, 1, 3, 1)
    assert actual["jacobian_energy"].shape == (3, 1)
