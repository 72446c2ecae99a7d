"""``chainrule train``: the run folder, its plots, resuming, and the errors that must be clear."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from chainrule import nn
from chainrule.cli import main as cli_main
from chainrule.data.datasets import write_idx
from chainrule.models import LeNet5, registry
from chainrule.training import read_checkpoint
from chainrule.training.runs import read_metrics

from .conftest import train
from .helpers import assert_legible_png

OPTIONS = ("model", "dataset", "epochs", "optimizer", "lr", "batch_size", "weight_decay",
           "dropout", "seed", "loss", "limit", "val_split", "data_dir")


# ----------------------------------------------------------------------------------- the folder
def test_run_folder_holds_config_metrics_checkpoints_and_reports(digits_run: Path):
    config = json.loads((digits_run / "config.json").read_text())
    for key in OPTIONS:
        assert key in config, key
    assert config["model"] == "lenet" and config["dataset"] == "digits"
    assert config["epochs"] == 2 and config["batch_size"] == 64 and config["dropout"] == 0.1
    assert config["seed"] == 3 and config["optimizer"] == "adam" and config["lr"] == 1e-3
    # what `chainrule explain RUN` and `predict` need to rebuild the model
    assert config["model_kwargs"] == {"in_channels": 1, "num_classes": 10, "image_size": 16,
                                      "dropout": 0.1}
    assert config["input_shape"] == [1, 16, 16] and config["image_shape"] == [1, 8, 8]
    assert config["classes"] == [str(d) for d in range(10)]

    rows = json.loads((digits_run / "metrics.json").read_text())
    assert [r["epoch"] for r in rows] == [1, 2]
    with open(digits_run / "metrics.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in table] == [1, 2]
    for row, json_row in zip(table, rows):
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "epoch_time_s"):
            assert math.isclose(float(row[key]), json_row[key]), key
    assert rows[1]["loss"] < rows[0]["loss"]

    last, _ = read_checkpoint(digits_run / "checkpoints" / "last.safetensors")
    best, _ = read_checkpoint(digits_run / "checkpoints" / "best.safetensors")
    assert last["epoch"] == 2 and last["config"]["model"] == "lenet"
    assert best["monitor"]["name"] == "val_accuracy"
    assert best["monitor"]["best"] == max(r["val_accuracy"] for r in rows)

    test = json.loads((digits_run / "test_metrics.json").read_text())
    assert test["epoch"] == 2 and test["test_samples"] == 359
    assert math.isclose(test["test_accuracy"], rows[-1]["val_accuracy"])  # validation = test
    assert len(test["per_class"]) == 10
    assert np.asarray(test["confusion_matrix"]).sum() == 359


@pytest.mark.parametrize("name", ["curves.png", "confusion_matrix.png", "misclassified.png"])
def test_plots_are_legible_pngs(digits_run: Path, name: str):
    assert_legible_png(digits_run / name)


def test_explain_reads_the_run_folder(digits_run: Path, capsys):
    assert cli_main.main(["explain", str(digits_run)]) == 0
    out = capsys.readouterr().out
    assert "Conv2d" in out or "conv" in out.lower()


def test_resume_to_more_epochs_continues_the_run(run_copy: Path, capsys):
    assert train("--resume", str(run_copy), "--epochs", "3") == 0
    out = capsys.readouterr().out
    assert "Resuming" in out and "epoch 2" in out and "Epoch 3/3" in out
    rows = json.loads((run_copy / "metrics.json").read_text())
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert json.loads((run_copy / "config.json").read_text())["epochs"] == 3
    assert read_checkpoint(run_copy / "checkpoints" / "last.safetensors")[0]["epoch"] == 3


def test_resuming_a_finished_run_only_writes_its_reports(run_copy: Path, capsys):
    (run_copy / "curves.png").unlink()
    assert train("--resume", str(run_copy)) == 0
    assert "already reached epoch 2" in capsys.readouterr().out
    assert (run_copy / "curves.png").is_file()


# ----------------------------------------------------------------------------------- names
@pytest.mark.parametrize("flag, listed", [("--model", "lenet"), ("--dataset", "fashion-mnist"),
                                          ("--optimizer", "adam"), ("--loss", "cross_entropy")])
def test_unknown_names_list_the_valid_ones(flag, listed, tmp_path, capsys):
    assert train(flag, "no-such-thing", "--out", str(tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert "unknown" in err and "'no-such-thing'" in err
    assert "valid names" in err and listed in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args, words", [(["--lr", "-1"], "--lr"), (["--epochs", "0"], "--epochs"),
                                         (["--dropout", "1.5"], "--dropout"),
                                         (["--batch-size", "0"], "--batch-size")])
def test_bad_option_values_are_refused(args, words, capsys):
    assert train(*args) == 2
    assert words in capsys.readouterr().err


def test_a_folder_holding_a_run_is_not_overwritten(digits_run: Path, capsys):
    assert train("--dataset", "digits", "--out", str(digits_run)) == 2
    assert "--resume" in capsys.readouterr().err


def test_resume_takes_no_other_options(digits_run: Path, capsys):
    assert train("--resume", str(digits_run), "--lr", "0.1") == 2
    assert "--lr" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- data
def test_without_fashion_mnist_plain_train_falls_back_to_the_digits(tmp_path, capsys):
    pytest.importorskip("sklearn")
    empty = tmp_path / "no-data"
    empty.mkdir()
    out = tmp_path / "run"
    assert train("--data-dir", str(empty), "--epochs", "1", "--limit", "300",
                 "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "fashion-mnist is not on this machine" in text and "digits" in text
    assert "apt-get install dataset-fashion-mnist" in text
    assert json.loads((out / "config.json").read_text())["dataset"] == "digits"


def test_an_explicitly_asked_dataset_that_is_missing_is_an_error(tmp_path, capsys):
    empty = tmp_path / "no-data"
    empty.mkdir()
    assert train("--dataset", "fashion-mnist", "--data-dir", str(empty),
                 "--out", str(tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert "not found" in err and str(empty) in err
    assert "apt-get install dataset-fashion-mnist" in err and "--download" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("explicit", [False, True], ids=["default dataset", "--dataset"])
def test_a_truncated_idx_file_is_a_clear_error(explicit, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "data" / "fashion-mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = folder / "train-images-idx3-ubyte"
    write_idx(images, rng.integers(0, 256, (50, 28, 28), dtype=np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte", rng.integers(0, 10, 50).astype(np.uint8))
    images.write_bytes(images.read_bytes()[:5000])           # cut off mid-image
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "data"))
    args = ["--dataset", "fashion-mnist"] if explicit else []
    assert train(*args, "--out", str(tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte" in err and "truncated" in err
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------------------------- checkpoints
def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-1000])


def _flip_a_weight(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))


def _foreign(path: Path) -> None:
    np.save(path.with_suffix(".npy"), np.zeros(3))
    path.with_suffix(".npy").replace(path)


@pytest.mark.parametrize("damage, words", [(_truncate, "truncated"), (_flip_a_weight, "SHA-256"),
                                           (_foreign, "NumPy .npy")],
                         ids=["truncated", "corrupted", "foreign"])
def test_a_damaged_checkpoint_on_resume_is_a_clear_error(damage, words, run_copy, capsys):
    last = run_copy / "checkpoints" / "last.safetensors"
    damage(last)
    before = (run_copy / "metrics.json").read_bytes()
    assert train("--resume", str(run_copy)) == 2
    err = capsys.readouterr().err
    assert "cannot resume" in err and "last.safetensors" in err and words in err
    assert "best.safetensors may be intact" in err
    assert (run_copy / "metrics.json").read_bytes() == before      # nothing else touched


# ----------------------------------------------------------------------------------- NaN
class NaNAfter(nn.Module):
    """The identity for ``steps`` training forwards, then NaN: a stand-in for diverging weights."""

    def __init__(self, steps: int):
        super().__init__()
        self.steps = steps
        self.calls = 0

    def forward(self, x):
        if self.training:
            self.calls += 1
        return x * float("nan") if self.calls > self.steps else x


def _nan_lenet(in_channels: int = 1, num_classes: int = 10, image_size: int = 28):
    lenet = LeNet5(in_channels, num_classes, image_size=image_size)
    return nn.Sequential(lenet.features, NaNAfter(30), lenet.classifier)


def test_a_nan_loss_stops_training_naming_the_step_and_layer(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(registry._MODELS, "nan-lenet", _nan_lenet)
    out = tmp_path / "run"
    # 1438 digits in batches of 64: 23 steps an epoch, so step 31 lies in epoch 2
    assert train("--model", "nan-lenet", "--dataset", "digits", "--batch-size", "64",
                 "--epochs", "3", "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert "step 31 (epoch 2" in err
    assert "'1' (NaNAfter)" in err                    # the first layer whose output was NaN
    assert "last good checkpoint" in err and "end of epoch 1" in err and "intact" in err
    doc, tensors = read_checkpoint(out / "checkpoints" / "last.safetensors")
    assert doc["epoch"] == 1 and doc["step"] == 23
    assert all(np.isfinite(t).all() for t in tensors.values())
    assert [r["epoch"] for r in read_metrics(out)] == [1]


def test_main_lists_the_training_subcommands(capsys):
    assert cli_main.main([]) == 0
    out = capsys.readouterr().out
    for name in ("train", "evaluate", "predict", "sweep", "info"):
        assert name in out


def test_a_weight_decay_that_would_erase_the_weights_is_refused(capsys):
    """Issue 12: --weight-decay 1e30 trained silently to chance."""
    assert cli_main.main(["train", "--dataset", "digits", "--weight-decay", "1e30"]) == 2
    err = capsys.readouterr().err
    assert "--weight-decay 1e+30 with --lr 0.001" in err and "erasing" in err


def test_compile_takes_an_optional_way_to_split_the_batch(capsys):
    import argparse

    from chainrule.cli.train import add_option

    parser = argparse.ArgumentParser()
    add_option(parser, "compile")
    assert parser.parse_args([]).compile is None
    assert parser.parse_args(["--compile"]).compile == "threads"
    assert parser.parse_args(["--compile", "processes"]).compile == "processes"
    assert parser.parse_args(["--compile", "off"]).compile == "off"
    with pytest.raises(SystemExit):
        parser.parse_args(["--compile", "gpus"])
    assert "invalid choice" in capsys.readouterr().err


def test_compile_auto_is_the_default_and_uses_processes_where_they_run(monkeypatch):
    """As Keras 3's jit_compile="auto": the step over two processes on Linux with 2+ cores,
    eager elsewhere and inside an MPI job; "off" is eager; a config's False stays eager."""
    from chainrule import parallel
    from chainrule.compile import processes
    from chainrule.models import LeNet5
    from chainrule.training.runs.options import DEFAULTS, _jit_compile
    from chainrule.training.trainer import Trainer

    assert DEFAULTS["compile"] == "auto"
    assert _jit_compile("auto") == "auto" and _jit_compile("auto", distributed=True) is False
    assert _jit_compile("off") is False and _jit_compile(False) is False
    assert _jit_compile("threads") is True and _jit_compile("processes") == "processes"
    with pytest.raises(ValueError, match="'auto', 'threads', 'processes' or 'off'"):
        _jit_compile("gpus")

    def resolved():
        t = Trainer(LeNet5(), None, None, [], jit_compile="auto")
        return t.jit_compile and t.data_parallel, t.quiet_fallback

    monkeypatch.setattr(processes, "supported", lambda: True)
    monkeypatch.setattr(parallel, "get_num_threads", lambda: 2)
    assert resolved() == ("processes", True)
    monkeypatch.setattr(parallel, "get_num_threads", lambda: 1)
    assert resolved() == (False, True)
    monkeypatch.setattr(parallel, "get_num_threads", lambda: 2)
    monkeypatch.setattr(processes, "supported", lambda: False)
    assert resolved() == (False, True)
