"""``chainrule sweep``: a grid over 4 learning rates, and a random search."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from chainrule.cli import main as cli_main
from chainrule.training.runs.search import trials

from .helpers import assert_legible_png


@pytest.mark.slow
def test_sweep_over_four_learning_rates(tmp_path, capsys):
    pytest.importorskip("sklearn")
    out = tmp_path / "sweep"
    assert cli_main.main(["sweep", "--dataset", "digits", "--limit", "400", "--epochs", "2",
                          "--lr", "1e-4", "3e-4", "1e-3", "3e-3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(float(r["lr"]) for r in rows) == [1e-4, 3e-4, 1e-3, 3e-3]
    accuracies = [float(r["best_val_accuracy"]) for r in rows]
    assert accuracies == sorted(accuracies, reverse=True)            # sorted, best first
    assert [int(r["rank"]) for r in rows] == [1, 2, 3, 4]
    assert all(r["status"] == "ok" for r in rows)
    for r in rows:
        assert (out / r["run"] / "config.json").is_file()
        assert (out / r["run"] / "checkpoints" / "last.safetensors").is_file()
    assert_legible_png(out / "comparison.png")
    spec = json.loads((out / "sweep.json").read_text())
    assert len(spec["combinations"]) == 4
    # the printed table: a header, then the runs best first
    table = text[text.index("rank"):].splitlines()
    assert table[0].split()[:3] == ["rank", "lr", "batch"]
    assert [line.split()[1] for line in table[2:6]] == [f"{float(r['lr']):g}" for r in rows]
    # honest evaluation (issue 12): chosen on validation, the test set read once, for it alone
    assert "Chosen on validation accuracy" in text and "the test set was not read" in text
    assert rows[0]["test_accuracy"] != "" and all(r["test_accuracy"] == "" for r in rows[1:])
    assert (out / rows[0]["run"] / "test_metrics.json").is_file()
    assert not any((out / r["run"] / "test_metrics.json").exists() for r in rows[1:])


def test_sweep_trials_never_read_test_labels_before_the_choice(tmp_path, monkeypatch, capsys):
    """Issue 12: the trials validate on samples carved from the training data, and the test
    labels reach a data loader exactly once, after every trial has finished, for the chosen
    run. Every loader the sweep makes is recorded with whether its labels are the test set's."""
    pytest.importorskip("sklearn")
    from chainrule.training.runs import results, run, search

    loaded, events = {}, []
    load_data, loader = search.load_data, run.loader

    def spy_load(*args, **kwargs):
        data = load_data(*args, **kwargs)
        loaded["y_test"] = data.y_test
        return data

    def spy_loader(config, x, y, train=False):
        events.append("test" if np.shares_memory(y, loaded["y_test"]) else
                      "train" if train else "validation")
        return loader(config, x, y, train)

    monkeypatch.setattr(search, "load_data", spy_load)
    monkeypatch.setattr(run, "loader", spy_loader)
    monkeypatch.setattr(results, "loader", spy_loader)
    assert cli_main.main(["sweep", "--dataset", "digits", "--limit", "300", "--epochs", "1",
                          "--lr", "1e-3", "3e-3", "--out", str(tmp_path / "s")]) == 0
    assert events == ["train", "validation", "train", "validation", "test"]
    text = capsys.readouterr().out
    assert "compared on validation data: the last 30 training samples (--val-split 0.1)" in text
    spec = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert spec["base"]["val_split"] == 0.1 and "training samples" in spec["validation"]


def test_sweep_refuses_to_validate_on_the_test_set(tmp_path, capsys):
    assert cli_main.main(["sweep", "--dataset", "digits", "--val-split", "0", "--lr", "1e-3",
                          "3e-3", "--out", str(tmp_path / "s")]) == 2
    assert "--val-split must be > 0" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_grid_and_random_search_combinations():
    space = {"lr": [1e-4, 1e-2], "batch_size": [32, 64], "optimizer": ["adam"],
             "weight_decay": [0.0], "dropout": [None]}
    grid = trials(space, None, 0)
    assert len(grid) == 4 and {(t["lr"], t["batch_size"]) for t in grid} == {
        (1e-4, 32), (1e-4, 64), (1e-2, 32), (1e-2, 64)}
    drawn = trials(space, 20, 0)
    assert len(drawn) == 20 and drawn == trials(space, 20, 0)       # seeded
    assert all(1e-4 <= t["lr"] <= 1e-2 for t in drawn)              # log-uniform in the range
    assert len({t["lr"] for t in drawn}) > 10
    assert {t["batch_size"] for t in drawn} == {32, 64}


def test_sweep_rejects_unknown_names_before_training(tmp_path, capsys):
    assert cli_main.main(["sweep", "--optimizer", "adam", "nope", "--out",
                          str(tmp_path / "s")]) == 2
    assert "valid names" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()
