"""PyTorch programs, run unchanged but for their imports, agree with PyTorch.

Each program in ``programs/`` is an ordinary PyTorch program (most follow pytorch/examples or the
PyTorch tutorials). :mod:`runner` executes its source text on PyTorch and then, with ``torch``
replaced by ``chainrule`` in the import lines only, on chainrule — same seed, same data, PyTorch's
initial weights — and the recorded losses, final parameters and predictions are compared:
to 1e-10 (relative to each array's magnitude) in float64 over ten or more steps, to 1e-4 in
float32 (ordinary rounding, compounded over the steps).

A program that fails on chainrule because of a missing feature is marked
``xfail(strict=True, raises=...)`` with the failing line in the reason, so the test turns into
an XPASS failure — a reminder to remove the mark — on the day the feature lands.
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
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")



# ----------------------------------------------------------------------------- the runner itself
def test_to_chainrule_rewrites_import_lines_only():
    source = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
              "from torch.optim.lr_scheduler import StepLR\n"
              "from torch.utils.data import DataLoader, TensorDataset\nimport torch.nn\n"
              "def f():\n    from torch import nn as n2\n    return torch.zeros(2)  # torch\n")
    assert runner.to_chainrule(source) == (
        "import chainrule as torch\nimport chainrule.nn as nn\n"
        "import chainrule.nn.functional as F\nfrom chainrule.optim.lr_scheduler import StepLR\n"
        "from chainrule.utils.data import DataLoader, TensorDataset\n"
        "import chainrule.nn; import chainrule as torch\n"
        "def f():\n    from chainrule import nn as n2\n    return torch.zeros(2)  # torch\n")


def test_every_program_starts_with_import_torch_and_uses_only_rewritable_imports():
    names = sorted(p.stem for p in runner.PROGRAMS.glob("*.py"))
    assert len(names) >= 5
    for name in names:
        source = (runner.PROGRAMS / f"{name}.py").read_text()
        assert source.startswith("import torch\n"), name
        rewritten = runner.to_chainrule(source)
        assert "import torch" not in rewritten and "from torch" not in rewritten, name


def test_record_comparison_catches_differences():
    runner.assert_records_close({"a": [1.0, 2.0]}, {"a": [1.0, 2.0]}, 1e-10)
    with pytest.raises(AssertionError, match="differ beyond"):
        runner.assert_records_close({"a": [1.0, 2.0 + 1e-8]}, {"a": [1.0, 2.0]}, 1e-10)
    with pytest.raises(AssertionError, match="float64 array"):
        runner.assert_records_close(np.zeros(2, np.float32), np.zeros(2), 1e-10)
    with pytest.raises(AssertionError, match="integers differ"):
        runner.assert_records_close(np.array([1, 2]), np.array([1, 3]), 1e-10)


def test_torch_utils_data_and_lr_scheduler_import_paths():
    import chainrule
    from chainrule.optim.lr_scheduler import StepLR
    from chainrule.utils.data import DataLoader, Subset, TensorDataset, random_split
    assert chainrule.utils.data.DataLoader is chainrule.data.DataLoader is DataLoader
    assert TensorDataset is chainrule.data.TensorDataset and Subset is chainrule.data.Subset
    assert random_split is chainrule.data.random_split
    assert StepLR is chainrule.optim.lr_scheduler.StepLR


# ----------------------------------------------------------------------------- 1. MNIST CNN
MNIST = dict(epochs=1, batch_size=8, test_batch_size=10)   # 80 samples: 10 Adadelta steps


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
def test_mnist_cnn_matches_pytorch(dtype):
    expected, _ = compare("mnist_cnn", runner.mnist_data(80, 20), dtype,
                          build=dict(dropout1=0.0, dropout2=0.0), run=MNIST)
    assert expected["lrs"] == [pytest.approx(0.7)]


@pytest.mark.slow
def test_mnist_cnn_with_dropout_trains_and_saves(tmp_path):
    import chainrule
    path = tmp_path / "mnist_cnn.pt"
    _, record = runner.run_once("mnist_cnn", "chainrule", runner.mnist_data(160, 20),
                                dtype="float32", run=dict(MNIST, epochs=2, save_model=True,
                                                          path=str(path)))
    losses = record["losses"]
    assert len(losses) == 40 and np.all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.5 * losses[0], losses
    assert record["lrs"] == [pytest.approx(0.7), pytest.approx(0.49)]
    saved = chainrule.load(path)
    assert sorted(saved) == sorted(record["state"])
    for k, v in saved.items():
        np.testing.assert_array_equal(v.numpy(), record["state"][k])


@pytest.mark.slow
def test_mnist_cnn_dropout_is_off_in_eval():
    """With dropout p > 0 built in, eval-mode predictions from the same weights still agree."""
    images, _ = runner.mnist_like(6, seed=3)
    outs = []
    for lib, program, model in runner.eval_models("mnist_cnn"):
        x = program.to_dataset(images, np.zeros(6, np.int64)).tensors[0]
        with lib.no_grad():
            outs.append(runner.to_numpy(model(lib.as_tensor(x))))
    runner.assert_records_close(outs[1], outs[0], 1e-10, where="eval log-probabilities")


# ----------------------------------------------------------------------------- 2. language models
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("model", ["LSTM", "Transformer"])
def test_word_language_model_matches_pytorch(model, dtype):
    expected, actual = compare("word_language_model", runner.corpus(330, 90), dtype,
                               build=dict(model=model, dropout=0.0))
    assert np.all(np.isfinite(actual["losses"]))
    if model == "Transformer":   # learns within two epochs (the small clipped LSTM barely moves)
        assert actual["val_losses"][-1] < np.log(50), actual["val_losses"]   # beats uniform


def test_word_language_model_ties_weights():
    """``decoder.weight = encoder.weight`` shares one Parameter, counted once by parameters()."""
    import chainrule
    program = runner.load_program("word_language_model", "chainrule")
    chainrule.manual_seed(0)
    model = program.build("LSTM")
    assert model.decoder.weight is model.encoder.weight
    torch.manual_seed(0)
    reference = runner.load_program("word_language_model", "torch").build("LSTM")
    assert reference.decoder.weight is reference.encoder.weight
    # embedding (= decoder) weight, 4 tensors per LSTM layer, decoder bias
    assert len(list(model.parameters())) == len(list(reference.parameters())) == 1 + 4 * 2 + 1
    assert list(model.state_dict()) == list(reference.state_dict())


# ----------------------------------------------------------------------------- 3. time series
def test_time_sequence_prediction_lbfgs_matches_pytorch():
    expected, actual = compare("time_sequence_prediction", runner.sine_waves(6, 30), "float64",
                               run=dict(steps=2, max_iter=8, future=10))
    assert actual["prediction"].shape == (3, 29 + 10)
    assert actual["losses"][-1] < actual["losses"][0]


# ----------------------------------------------------------------------------- 4. from scratch
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_regression_from_scratch_matches_pytorch(dtype):
    expected, actual = compare("softmax_regression", runner.mnist_data(256, 0), dtype,
                               run=dict(epochs=3))
    assert actual["losses"][-1] < actual["losses"][0]


# ----------------------------------------------------------------------------- 5. autograd.Function
@pytest.mark.parametrize("dtype", DTYPES)
def test_custom_autograd_function_matches_pytorch(dtype):
    expected, actual = compare("custom_function", runner.regression(), dtype,
                               loss_key="poly_losses")
    assert len(actual["net_losses"]) == 10
    assert actual["poly_losses"][-1] < actual["poly_losses"][0]
    assert actual["net_losses"][-1] < actual["net_losses"][0]
