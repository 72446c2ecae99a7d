"""A text classifier on sentence embeddings: ``chainrule finetune --model minilm --data FILE.csv``.

The pretrained encoder (all-MiniLM-L6-v2, :func:`chainrule.models.minilm`) stays frozen: each
text is embedded once, e = MiniLM(text) ∈ ℝ³⁸⁴ (mean-pooled and L2-normalised), and a linear
head is trained on the embeddings by softmax regression,

    ŷ = softmax(W e + b),   L = −(1/n) Σᵢ log ŷᵢ[yᵢ],   ∂L/∂W = (1/n) Σᵢ (ŷᵢ − onehot(yᵢ)) eᵢᵀ

so fine-tuning costs one pass of the encoder over the data and then seconds. The run folder is
``chainrule train``'s: config.json, metrics.csv/json (per epoch), checkpoints/last (the head),
test_metrics.json (on the held-out texts), curves.png and confusion_matrix.png, and
``embeddings.npz`` (the cached embeddings of each split).

``chainrule train --dataset imdb --model minilm`` does the same on the IMDB splits
(:func:`train_imdb_head`). The CSV has a header with columns ``text`` and ``label`` (else its
first two columns are taken as text and label); labels are any strings or numbers, their classes
sorted. The last ``val_split`` of the rows (default 0.2) are held out for validation and the
final report.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from . import folder as F

EMBEDDINGS = "embeddings.npz"
MAX_BYTES = 256 << 20            # a larger CSV is refused: it is read whole into memory


def read_texts(path) -> tuple[list[str], list[str]]:
    """(texts, labels as strings) of a CSV with ``text``/``label`` columns."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"finetune: no file {path}")
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"finetune: {path} is {path.stat().st_size:,} bytes, over the "
                         f"{MAX_BYTES:,}-byte limit of a CSV read whole")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise ValueError(f"finetune: {path} needs a header row and at least one row of data")
    header = [h.strip().lower() for h in rows[0]]
    ti, li = (header.index("text"), header.index("label")) if {"text", "label"} <= set(header) \
        else (0, 1)
    bad = [n for n, r in enumerate(rows[1:], start=2) if len(r) <= max(ti, li)]
    if bad:
        raise ValueError(f"finetune: {path} row {bad[0]} has {len(rows[bad[0] - 1])} columns; "
                         f"expected text and label (columns {ti + 1} and {li + 1})")
    return [r[ti] for r in rows[1:]], [r[li].strip() for r in rows[1:]]


def train_sentence_head(data, out, *, epochs: int = 100, lr: float = 1e-2, val_split: float = 0.2,
                        max_tokens: int = 128, seed: int = 0, batch_size: int = 256,
                        log=print) -> dict:
    """Embed the texts of ``data`` (a CSV path) with MiniLM, train a linear head, write the run
    folder ``out``; returns the test (held-out) metrics."""
    texts, raw = read_texts(data)
    classes = sorted(set(raw), key=lambda c: (not _is_number(c), float(c) if _is_number(c)
                                               else 0.0, c))
    if len(classes) < 2:
        raise ValueError(f"finetune: {data} has one class only ({classes[0]!r}); a classifier "
                         "needs at least two")
    labels = np.array([classes.index(c) for c in raw], dtype=np.int64)
    n_val = int(round(len(texts) * val_split))
    if not 0 < val_split < 1 or n_val < 1 or n_val >= len(texts):
        raise ValueError(f"finetune: --val-split {val_split} of {len(texts)} texts leaves no "
                         "training or no held-out texts")
    splits = {"train": (texts[:-n_val], labels[:-n_val]),
              "validation": (texts[-n_val:], labels[-n_val:])}
    config = {"dataset": str(data), "val_split": val_split}
    return fit_sentence_head(splits, classes, out, config, epochs=epochs, lr=lr,
                             max_tokens=max_tokens, seed=seed, batch_size=batch_size, log=log,
                             evaluated_on=f"the last {n_val} rows of {data} (held out)")


def fit_sentence_head(splits: dict, classes, out, config: dict, *, epochs: int, lr: float,
                      max_tokens: int, seed: int, batch_size: int, log=print,
                      evaluated_on: str = "") -> dict:
    """The run: ``splits`` maps "train", "validation" and optionally "test" to (texts, labels);
    the head is validated on "validation" after every epoch and the report is on "test" (or on
    "validation" when there is no test split)."""
    import chainrule as cr

    from ...models import minilm
    from ..callbacks import ModelCheckpoint
    from ..report import plot_confusion_matrix, plot_history, plots_available

    config = {"model": "minilm", "epochs": epochs, "lr": lr, "batch_size": batch_size,
              "seed": seed, "max_tokens": max_tokens, "classes": list(classes),
              "optimizer": "adam", "loss": "cross_entropy", "head": "linear",
              "encoder": "frozen", **config}
    run_dir = F.create(out, config)
    names = [k for k in ("train", "validation", "test") if k in splits]
    total = sum(len(splits[k][0]) for k in names)
    log(f"Embedding {total} texts with all-MiniLM-L6-v2 (at most {max_tokens} word pieces "
        "each)…")
    encoder = minilm(max_length=max_tokens)
    arrays = {k: (encoder.encode(list(splits[k][0])).astype(np.float32),
                  np.asarray(splits[k][1], dtype=np.int64)) for k in names}
    np.savez(run_dir / EMBEDDINGS, **{f"{k}_{part}": v for k in names
                                      for part, v in zip(("embeddings", "labels"), arrays[k])})
    (x, y), (xv, yv) = arrays["train"], arrays["validation"]
    xt, yt = arrays.get("test", arrays["validation"])

    cr.manual_seed(seed)
    model = cr.nn.Sequential(cr.nn.Linear(x.shape[1], len(classes)))
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"], lr=lr)
    log(f"Training a linear head ({x.shape[1]} → {len(classes)}) on {len(y)} embeddings, "
        f"validating on {len(yv)}: Adam lr={lr:g}, {epochs} epochs → {F.relative(run_dir)}")
    callbacks = [F.RunLogger(run_dir),
                 ModelCheckpoint(F.checkpoint_path(run_dir, "last"),
                                 metadata={"config": config})]
    model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=(xv, yv),
              callbacks=callbacks, verbose=0)
    model.eval()
    with cr.no_grad():
        logits = model(cr.tensor(xt)).numpy()
    predicted = logits.argmax(1)
    cm = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(cm, (yt, predicted), 1)
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    metrics = {"test_accuracy": float((predicted == yt).mean()),
               "test_loss": float(-log_probs[np.arange(len(yt)), yt].mean()),
               "test_samples": int(len(yt)), "confusion_matrix": cm.tolist(),
               "evaluated_on": evaluated_on or ("the test split" if "test" in splits
                                                else "the validation split")}
    F.write_text(run_dir / "test_metrics.json", json.dumps(metrics, indent=2) + "\n")
    if plots_available():
        plot_history(F.history_of(F.read_metrics(run_dir)), run_dir / "curves.png",
                     title="linear head on MiniLM embeddings")
        plot_confusion_matrix(cm, classes, run_dir / "confusion_matrix.png")
    log(f"Test accuracy {100 * metrics['test_accuracy']:.2f}%, loss "
        f"{metrics['test_loss']:.4f} ({metrics['evaluated_on']}). Run folder "
        f"{F.relative(run_dir)}.")
    return metrics


def train_imdb_head(out, *, epochs: int = 20, lr: float = 1e-2, max_tokens: int = 128,
                    seed: int = 0, batch_size: int = 256, limit: int | None = None,
                    log=print) -> dict:
    """``chainrule train --dataset imdb --model minilm``: the IMDB splits (train 20,000 /
    validation 2,500 / test 2,500; the first ``limit`` of each with --limit) embedded by MiniLM,
    a linear head trained on them."""
    from ...data.datasets import load_imdb
    from ...data.datasets.imdb import IMDB_CLASSES

    splits = {}
    for name in ("train", "validation", "test"):
        texts, labels = load_imdb(name)
        splits[name] = (texts[:limit], labels[:limit]) if limit else (texts, labels)
    return fit_sentence_head(splits, list(IMDB_CLASSES), out,
                             {"dataset": "imdb", "limit": limit}, epochs=epochs, lr=lr,
                             max_tokens=max_tokens, seed=seed, batch_size=batch_size, log=log)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
