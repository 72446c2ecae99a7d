"""LeNet-5 on the real Fashion-MNIST for one epoch through the command: ≥ 85 % test accuracy.

``chainrule train``'s recipe (pixels ÷255 normalised with mean 0.2860 and standard deviation
0.3530, PyTorch's default initialisation, Adam) with twice the updates of the default in its one
epoch: batch 64 and lr 2e-3. The default recipe (batch 128, lr 1e-3) needs more than one epoch
for 85 %: after one it gives 83.1 % here, and PyTorch with the same recipe 82.7 %; after five,
≥ 88 % (benchmarks/bench_train.py measures that beside PyTorch). Measured here for this test's
settings: 86.05 %.
"""
from __future__ import annotations

import json

import pytest

from chainrule.cli import main as cli_main
from chainrule.data import datasets


@pytest.mark.slow
def test_lenet_one_epoch_on_fashion_mnist(tmp_path):
    if datasets.locate("fashion-mnist") is None:
        pytest.skip("Fashion-MNIST is not on this machine (apt-get install "
                    "dataset-fashion-mnist)")
    out = tmp_path / "run"
    assert cli_main.main(["train", "--epochs", "1", "--batch-size", "64", "--lr", "2e-3",
                          "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"] == "fashion-mnist" and config["model"] == "lenet"
    assert config["normalize"] == {"max_value": 255, "mean": 0.2860, "std": 0.3530}
    test = json.loads((out / "test_metrics.json").read_text())
    assert test["test_samples"] == 10000
    assert test["test_accuracy"] >= 0.85, test["test_accuracy"]
    assert set(test["per_class"]) == set(datasets.FASHION_MNIST_CLASSES)
