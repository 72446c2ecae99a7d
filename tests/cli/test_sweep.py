"""``chainrule sweep``: a grid over 4 learning rates, and a random search."""
from __future__ import annotations

import csv
import json

import pytest

from chainrule.cli import main as cli_main
from chainrule.cli.sweep import trials

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


def test_sweep_trials_never_read_test_labels_before_the_choice(tmp_path, monkeypatch):
    """The trials train with test=False; only after the ranking is one run evaluated on the
    test set: the test labels are touched exactly once, after every trial has finished."""
    pytest.importorskip("sklearn")
    from chainrule.cli import _runs

    events = []
    evaluate = _runs.evaluate_arrays
    train_run = __import__("chainrule.cli.train", fromlist=["train_run"]).train_run

    def spy_evaluate(model, config, x, y):
        events.append("test")
        return evaluate(model, config, x, y)

    def spy_train(*args, **kwargs):
        events.append(f"train(test={kwargs.get('test', True)})")
        return train_run(*args, **kwargs)

    monkeypatch.setattr(_runs, "evaluate_arrays", spy_evaluate)
    monkeypatch.setattr("chainrule.cli.train.train_run", spy_train)
    assert cli_main.main(["sweep", "--dataset", "digits", "--limit", "300", "--epochs", "1",
                          "--lr", "1e-3", "3e-3", "--out", str(tmp_path / "s")]) == 0
    assert events == ["train(test=False)", "train(test=False)", "test"]


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
