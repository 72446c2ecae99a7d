"""A run folder: what :class:`~chainrule.training.Run` (and so ``chainrule train``) writes, and
what ``evaluate``, ``predict``, ``sweep`` and ``explain`` read back.

A run folder holds::

    config.json                  every option of the run ("model", "dataset", "epochs", "lr", …),
                                 the model's constructor arguments ("model_kwargs"), one sample's
                                 shape ("input_shape"), the class names and the normalisation
    metrics.csv, metrics.json    one row per epoch: epoch (completed, from 1), loss, accuracy,
                                 val_loss, val_accuracy, lr, train_time_s, epoch_time_s
    checkpoints/last.safetensors the state after the latest epoch (model, optimizer, RNG, data
                                 order): ``--resume`` continues from it
    checkpoints/best.safetensors the state after the epoch with the best val_accuracy
    test_metrics.json            test loss and accuracy, per-class report, confusion matrix
    curves.png                   training/validation loss and accuracy against the epoch
    confusion_matrix.png         the test confusion matrix (class names)
    misclassified.png            misclassified test images, true and predicted labels
    reliability.png              (``chainrule evaluate --calibration``) the test set's reliability
                                 diagram; reliability_calibrated.png after temperature scaling

A text run (``--dataset imdb``) also holds ``vocab.json`` (its vocabulary, written with
config.json in the same atomic step and read back on resume), and ``misclassified.md`` (the
misclassified test reviews as text) in place of misclassified.png.

Every file is written atomically (a temporary file renamed over the old one), so a run killed at
any moment leaves each file either as it was or complete.
"""
from __future__ import annotations

import datetime
import json
import os
import time
from pathlib import Path

from ..callbacks import Callback
from ..checkpoint import _fsync_dir, atomic_write

CONFIG = "config.json"
METRICS_CSV = "metrics.csv"
METRICS_JSON = "metrics.json"
TEST_METRICS = "test_metrics.json"
CHECKPOINTS = "checkpoints"
PLOTS = {"curves": "curves.png", "confusion_matrix": "confusion_matrix.png",
         "misclassified": "misclassified.png"}
EVAL_BATCH = 500         # batch size for evaluation and prediction (no graph: memory is small)
METRIC_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "train_time_s",
                  "epoch_time_s")


class RunError(ValueError):
    """A problem with a run folder or its options; the message says what and what to do."""


# ----------------------------------------------------------------------------------- files
def write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file, fsync, rename)."""
    atomic_write(path, text.encode("utf-8"))


def write_json(path, value) -> None:
    write_text(path, json.dumps(value, indent=2, default=_json_default) + "\n")


def _json_default(value):
    import numpy

    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def checkpoint_path(run_dir, which: str = "last") -> Path:
    return Path(run_dir) / CHECKPOINTS / f"{which}.safetensors"


def default_run_dir(model: str, dataset: str, root="runs") -> Path:
    """``runs/<model>-<dataset>-<date>-<time>``, with a suffix if that folder exists."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{model}-{dataset}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def create(run_dir, config: dict, files: dict[str, bytes] | None = None) -> Path:
    """Make the run folder ``run_dir`` holding ``config.json`` (and ``files``, name → bytes,
    such as a text run's vocabulary), atomically: the folder is made under a temporary name
    beside it, the files and then the config written into it, and the folder renamed into
    place. A kill at any moment leaves either no run folder (a ``.<name>.partial`` folder that
    the next :func:`create` of the same folder removes) or one with its complete config and
    files, which ``Run.resume`` can start from. An existing empty folder (or one without a
    config, e.g. made by hand) gets the files and then the config written atomically into it
    instead."""
    import shutil

    run_dir = Path(run_dir)
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    partial = run_dir.with_name(f".{run_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    files = files or {}
    if run_dir.exists():
        for name, data in files.items():
            atomic_write(run_dir / name, data)
        write_json(run_dir / CONFIG, config)
        return run_dir
    partial.mkdir()
    for name, data in files.items():
        atomic_write(partial / name, data)
    write_json(partial / CONFIG, config)
    os.rename(partial, run_dir)
    _fsync_dir(os.fspath(run_dir.parent))
    return run_dir


def read_config(run_dir) -> dict:
    """The ``config.json`` of a run folder (a RunError when there is none or it is damaged)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: no such run folder (train one with `chainrule train --out "
                       f"{run_dir}`)")
    path = run_dir / CONFIG
    if not path.is_file():
        raise RunError(f"{run_dir} is not a run folder: it has no {CONFIG} (a folder written by "
                       "`chainrule train` has one)")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RunError(f"{path} is damaged: not valid JSON ({e})") from None
    missing = [k for k in ("model", "dataset", "model_kwargs", "input_shape") if k not in config]
    if not isinstance(config, dict) or missing:
        raise RunError(f"{path} is not a chainrule run config (missing {missing})")
    return config


def read_metrics(run_dir) -> list[dict]:
    path = Path(run_dir) / METRICS_JSON
    if not path.is_file():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    return rows if isinstance(rows, list) else []


def history_of(rows: list[dict]) -> dict[str, list]:
    """Per-epoch rows → ``{"loss": [...], "val_accuracy": [...], …}`` (History's layout)."""
    history: dict[str, list] = {}
    for row in rows:
        for key, value in row.items():
            if key != "epoch":
                history.setdefault(key, []).append(value)
    return history


# ----------------------------------------------------------------------------------- logging
class RunLogger(Callback):
    """Writes metrics.csv and metrics.json after every epoch (atomically, whole): appends the
    epoch's row and rewrites both files; adds ``epoch_time_s`` and ``train_time_s`` (the training
    pass alone) to the epoch's logs."""

    def __init__(self, run_dir, rows: list[dict] | None = None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.rows = list(rows or [])

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = self._t1 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._t1 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        logs = logs if logs is not None else {}
        row = {"epoch": epoch + 1}
        for key in METRIC_COLUMNS[1:5]:
            if key in logs:
                row[key] = float(logs[key])
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            row["lr"] = float(optimizer.param_groups[0]["lr"])
        row["train_time_s"] = round(self._t1 - self._t0, 3)
        row["epoch_time_s"] = round(now - self._t0, 3)
        logs["epoch_time_s"] = row["epoch_time_s"]
        self.rows = [r for r in self.rows if r.get("epoch", 0) < epoch + 1] + [row]
        write_metrics(self.run_dir, self.rows)


def write_metrics(run_dir, rows: list[dict]) -> None:
    run_dir = Path(run_dir)
    columns = [c for c in METRIC_COLUMNS if any(c in r for r in rows)]
    lines = [",".join(columns)]
    for row in rows:
        lines.append(",".join(_cell(row.get(c)) for c in columns))
    write_text(run_dir / METRICS_CSV, "\n".join(lines) + "\n")
    write_json(run_dir / METRICS_JSON, rows)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def now_iso() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def relative(path) -> str:
    """``path`` relative to the working directory when it lies under it (for messages)."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
