"""Classic tutorial-style programs (the character-level RNN name classifier, an MLP regressor
for tabular data), run unchanged but for their imports, agree with PyTorch.

See test_programs.py for how programs are run and compared: same seed, same data, PyTorch's
initial weights; to 1e-10 (relative to each array's magnitude) in float64, 1e-4 in float32.
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



# ----------------------------------------------------------------------------- data
NAMES = {"English": ["Smith", "Jones", "Taylor", "Brown", "O'Neil"],
         "French": ["Dubois", "Lefèvre", "Moreau", "Girard", "Bézier"],   # accents get stripped
         "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Ito"]}


def names_data(passes=3, seed=0):
    """{category: names}, a fixed shuffled training order of (category, name) index pairs
    (``passes`` sweeps over all 15 names), and one name to predict."""
    rng = np.random.default_rng(seed)
    pairs = [(c, i) for c in range(len(NAMES)) for i in range(5)]
    order = [pairs[j] for j in rng.permutation(len(pairs))] * passes
    return {"names": NAMES, "order": order, "query": "Dovesky"}


def tabular_data(n_train=64, n_val=32, seed=1):
    """Six features on very different scales (so standardizing matters) and a noisy target;
    the noise is drawn here, so run() draws none."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    x = rng.normal(size=(n, 6)) * np.array([1, 10, 0.1, 5, 2, 100]) + 3
    y = np.sin(x[:, 0]) + 0.1 * x[:, 1] + 0.01 * x[:, 5] + 0.1 * rng.normal(size=n)
    return {"x_train": x[:n_train], "y_train": y[:n_train],
            "x_val": x[n_train:], "y_val": y[n_train:]}


# ----------------------------------------------------------------------------- 1. char-RNN names
@pytest.mark.parametrize("dtype", DTYPES)
def test_char_rnn_names_matches_pytorch(dtype):
    data = names_data()
    expected, actual = compare("char_rnn_names", data, dtype,
                               run=dict(learning_rate=0.05, lr2=0.5, epochs=3, batch_size=4))
    assert len(actual["losses"]) == len(data["order"]) == 45
    assert len(actual["losses2"]) == 3 * 12                 # 45 names in batches of 4
    assert actual["confusion"].shape == (3, 3)
    np.testing.assert_allclose(actual["confusion"].sum(1), 1.0)
    assert actual["padded"].shape[1:] == (4, 57)            # (T, B, n_letters)
    assert actual["logits2"].shape == (4, 3)
    assert [i for _, i in actual["predictions"]] == [i for _, i in expected["predictions"]]


# ----------------------------------------------------------------------------- 2. tabular MLP
@pytest.mark.parametrize("dtype", DTYPES)
def test_tabular_regression_matches_pytorch(dtype):
    expected, actual = compare("tabular_regression", tabular_data(), dtype,
                               run=dict(epochs=20, lr=5e-2, patience=3))
    epochs = actual["stopped_at"]
    assert len(actual["losses"]) == 8 * epochs              # 64 samples, micro-batches of 8
    assert epochs < 20                                      # early stopping fired
    assert min(expected["lrs"]) < 5e-2                      # ReduceLROnPlateau halved the lr
    assert actual["best_val"] == pytest.approx(min(actual["val_losses"]), rel=1e-12)
    assert actual["best_r2"] > 0.8
    assert {"1.running_mean", "1.running_var", "1.num_batches_tracked"} <= set(actual["state"])
    assert "0.bias" not in actual["state"]
