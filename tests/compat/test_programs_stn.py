"""The spatial transformer of PyTorch's STN tutorial, run unchanged but for its imports, agrees
with PyTorch.

:mod:`runner` runs the program's text on both libraries with the same seed, the same data and
PyTorch's initial weights, and compares the records (losses per step, the final state_dict, the
warped test images and the predictions) to 1e-10 relative in float64 and 1e-4 in float32. The
program chains a localization net, ``F.affine_grid`` and ``F.grid_sample`` (both with their
default align_corners), so the gradient reaches the localization net only through the sampling
grid.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import runner  # noqa: E402
from runner import DTYPES, compare  # noqa: E402

torch = pytest.importorskip("torch")
# both libraries warn that align_corners defaults to False; the program leaves it unset
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def stn_data(n_train=48, n_test=8, seed=0):
    images, labels = runner.mnist_like(n_train + n_test, seed)
    return {"train": (images[:n_train], labels[:n_train]),
            "test": (images[n_train:], labels[n_train:])}


@pytest.mark.parametrize("dtype", DTYPES)
def test_spatial_transformer_matches_pytorch(dtype):
    expected, actual = compare("spatial_transformer", stn_data(), dtype)
    assert np.all(np.isfinite(actual["losses"]))
    assert actual["transformed"].shape == (8, 1, 28, 28)
    # the localization net has learned something: theta moved away from the identity
    assert np.abs(actual["state"]["fc_loc.2.weight"]).max() > 0
    assert np.mean(expected["losses"][-3:]) < expected["losses"][0]   # it learns
