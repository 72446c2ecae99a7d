"""Run folders: what ``chainrule train`` writes, and what ``evaluate``, ``predict``, ``sweep`` and
``explain`` read back.

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

Every file is written atomically (a temporary file renamed over the old one), so a run killed at
any moment leaves each file either as it was or complete.

The data pipeline of a run: the dataset's images (uint8, or the digits' 0…16 counts) as (N, C, H,
W), scaled to [0, 1] (``ToFloat(1/max_value)``), normalised with the training set's mean and
standard deviation (Fashion-MNIST: 0.2860 and 0.3530), and, for models that need larger inputs
than the 8×8 digits (LeNet), upsampled by repeating pixels.
"""
from __future__ import annotations

import datetime
import inspect
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULTS = {
    "model": "lenet",
    "dataset": "fashion-mnist",
    "epochs": 5,
    "optimizer": "adam",
    "lr": 1e-3,
    "batch_size": 128,
    "weight_decay": 0.0,
    "dropout": None,
    "seed": 0,
    "loss": "cross_entropy",
    "limit": None,
    "val_split": 0.0,
    "data_dir": None,
    "download": False,
}
"""The options of a run and their defaults (``chainrule train``'s flags)."""

CONFIG = "config.json"
METRICS_CSV = "metrics.csv"
METRICS_JSON = "metrics.json"
TEST_METRICS = "test_metrics.json"
CHECKPOINTS = "checkpoints"
PLOTS = {"curves": "curves.png", "confusion_matrix": "confusion_matrix.png",
         "misclassified": "misclassified.png"}
MIN_IMAGE_SIDE = 16      # models with an image_size argument get images at least this large
EVAL_BATCH = 500         # batch size for evaluation and prediction (no graph: memory is small)
METRIC_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "train_time_s",
                  "epoch_time_s")


class RunError(Exception):
    """A problem with a run folder or its options; the message says what and what to do."""


# ----------------------------------------------------------------------------------- files
def write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file, fsync, rename)."""
    from ..training.checkpoint import atomic_write

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


# ----------------------------------------------------------------------------------- names
def validate_names(config: dict) -> None:
    """Check the model, dataset, optimizer and loss names before any data is read.

    Raises ValueError listing the valid names (the registries' own messages).
    """
    from ..data.datasets import dataset_info
    from ..training.registry import get_loss, get_optimizer_class

    model_factory(config["model"])
    dataset_info(config["dataset"])
    get_optimizer_class(config["optimizer"])
    get_loss(config["loss"])


def model_factory(name: str):
    """The class or function registered as model ``name`` (ValueError listing the valid ones)."""
    from ..models import registry

    key = registry._key(name)
    key = registry._ALIASES.get(key, key)
    if key not in registry._MODELS:
        raise ValueError(f"unknown model {name!r}; valid names: "
                         f"{', '.join(registry.model_names())}")
    return registry._MODELS[key]


def check_options(config: dict) -> None:
    """Ranges of the numeric options (ValueError saying which and why)."""
    problems = []
    if not isinstance(config["epochs"], int) or config["epochs"] < 1:
        problems.append(f"--epochs must be an integer ≥ 1, got {config['epochs']!r}")
    if not isinstance(config["batch_size"], int) or config["batch_size"] < 1:
        problems.append(f"--batch-size must be an integer ≥ 1, got {config['batch_size']!r}")
    if not (isinstance(config["lr"], (int, float)) and math.isfinite(config["lr"])
            and config["lr"] > 0):
        problems.append(f"--lr must be a positive number, got {config['lr']!r}")
    if not (math.isfinite(config["weight_decay"]) and config["weight_decay"] >= 0):
        problems.append(f"--weight-decay must be ≥ 0, got {config['weight_decay']!r}")
    elif not problems and config["weight_decay"] * config["lr"] >= 1:
        # Decay shrinks every weight by the factor 1 − lr·λ per step (exactly so for SGD and
        # AdamW): at lr·λ ≥ 1 it erases the weights each step and the run trains to chance.
        problems.append(f"--weight-decay {config['weight_decay']:g} with --lr "
                        f"{config['lr']:g}: each step would shrink the weights by the factor "
                        f"1 − lr·λ = {1 - config['lr'] * config['weight_decay']:.3g}, erasing "
                        f"them; a weight decay below 1/lr = {1 / config['lr']:.3g} (typically "
                        "1e-5 to 1e-2) keeps them")
    dropout = config.get("dropout")
    if dropout is not None and not 0.0 <= dropout < 1.0:
        problems.append(f"--dropout must lie in [0, 1), got {dropout!r}")
    if config.get("limit") is not None and config["limit"] < 1:
        problems.append(f"--limit must be ≥ 1, got {config['limit']!r}")
    if not 0.0 <= config.get("val_split", 0.0) < 1.0:
        problems.append(f"--val-split must lie in [0, 1), got {config['val_split']!r}")
    if problems:
        raise ValueError("; ".join(problems))


# ----------------------------------------------------------------------------------- data
@dataclass
class RunData:
    """A run's arrays (as stored: uint8 images (N, C, H, W), int64 labels) and its pipeline."""

    name: str
    classes: tuple
    x_train: object
    y_train: object
    x_val: object
    y_val: object
    x_test: object
    y_test: object
    max_value: int
    mean: object
    std: object
    image_shape: tuple              # (C, H, W) as stored
    validation: str                 # what the validation data is, in words
    where: str = ""                 # where the files were found
    notes: list = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def _channels_first(images):
    return images[:, None] if images.ndim == 3 else images


def load_data(config: dict, explicit_dataset: bool = True, log=print) -> RunData:
    """Load the run's dataset: train, validation and test arrays (see the module docstring).

    When the dataset is Fashion-MNIST or MNIST, was not asked for explicitly and is not on this
    machine, the 8×8 digits (scikit-learn's, needing no files) are used instead, with a message,
    and ``config["dataset"]`` is updated.
    """
    from ..data import datasets as D

    info = D.dataset_info(config["dataset"])
    root = config.get("data_dir")
    kwargs = {"root": root} if root and info.name != "digits" else {}
    if config.get("download") and info.name != "digits":
        kwargs["download"] = True
    try:
        x_train, y_train = D.get_dataset(info.name, "train", **kwargs)
    except D.DatasetNotFoundError as e:
        if explicit_dataset or info.name == "digits":
            raise D.DatasetNotFoundError(f"{e}\n(From the command line: chainrule train "
                                         f"--download, or --data-dir DIR.)") from None
        if not D.digits.available():
            raise D.DatasetNotFoundError(
                f"{e}\nThe fallback, scikit-learn's 8×8 digits, is not available either: pip "
                "install scikit-learn") from None
        log(f"{info.name} is not on this machine, so this run trains on scikit-learn's 8×8 "
            f"digits instead (1797 images, 10 classes).\n{e}")
        config["dataset"] = "digits"
        info = D.dataset_info("digits")
        kwargs = {}
        x_train, y_train = D.get_dataset("digits", "train")
    x_test, y_test = D.get_dataset(info.name, "test", **kwargs)
    where = D.locate(info.name, kwargs.get("root"))
    x_train, x_test = _channels_first(x_train), _channels_first(x_test)
    limit = config.get("limit")
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
        x_test, y_test = x_test[:limit], y_test[:limit]
    split = config.get("val_split") or 0.0
    if split:
        n_val = int(round(len(x_train) * split))
        if n_val < 1 or n_val >= len(x_train):
            raise ValueError(f"--val-split {split} of {len(x_train)} training samples leaves no "
                             "training or no validation samples")
        x_train, x_val = x_train[:-n_val], x_train[-n_val:]
        y_train, y_val = y_train[:-n_val], y_train[-n_val:]
        validation = f"the last {n_val} training samples (--val-split {split})"
    else:
        x_val, y_val = x_test, y_test
        validation = "the test set (give --val-split 0.1 to hold out training samples instead)"
    return RunData(info.name, tuple(info.classes), x_train, y_train, x_val, y_val, x_test, y_test,
                   info.max_value, info.mean, info.std, tuple(x_train.shape[1:]), validation,
                   str(where) if where else "")


def model_setup(config: dict, data: RunData) -> None:
    """Fill ``config`` with what the model needs from the data: ``model_kwargs`` (its
    constructor arguments: channels, classes, image size, input features, dropout),
    ``input_shape`` (one sample as the model sees it), ``image_shape``, classes and the
    normalisation."""
    factory = model_factory(config["model"])
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    c, h, w = data.image_shape
    kwargs: dict = {}
    side = min(h, w)
    if "image_size" in params and side < MIN_IMAGE_SIDE:
        factor = math.ceil(MIN_IMAGE_SIDE / side)
        h, w = h * factor, w * factor
    if "in_channels" in params:
        kwargs["in_channels"] = c
    if "num_classes" in params:
        kwargs["num_classes"] = data.num_classes
    if "image_size" in params:
        if h != w:
            raise ValueError(f"model {config['model']!r} takes square images, but {data.name} "
                             f"has {h}×{w}")
        kwargs["image_size"] = h
    if "in_features" in params:
        kwargs["in_features"] = c * h * w
    if config.get("dropout") is not None:
        if "dropout" not in params:
            raise ValueError(f"model {config['model']!r} has no dropout option; leave --dropout "
                             "out")
        kwargs["dropout"] = float(config["dropout"])
    config["model_kwargs"] = kwargs
    config["input_shape"] = [c, h, w]
    config["image_shape"] = list(data.image_shape)
    config["classes"] = list(data.classes)
    config["normalize"] = {"max_value": data.max_value, "mean": data.mean, "std": data.std}


def transform(config: dict):
    """The batch transform of a run: stored pixels → the model's normalised float32 input."""
    from ..data import transforms as T

    norm = config["normalize"]
    steps = [T.ToFloat(scale=1.0 / norm["max_value"]), T.Normalize(norm["mean"], norm["std"])]
    if list(config["input_shape"][1:]) != list(config["image_shape"][1:]):
        steps.append(T.Resize(tuple(config["input_shape"][1:])))
    return T.Compose(steps)


def loader(config: dict, x, y, train: bool = False):
    """A DataLoader of ``(x, y)`` with the run's transform: shuffled with the run's seed for
    training (the order of epoch e depends only on the seed and e), in order otherwise."""
    from ..data import DataLoader, TensorDataset

    if train:
        return DataLoader(TensorDataset(x, y), batch_size=config["batch_size"], shuffle=True,
                          seed=int(config["seed"]), transform=transform(config))
    return DataLoader(TensorDataset(x, y), batch_size=max(EVAL_BATCH, config["batch_size"]),
                      transform=transform(config))


def build_model(config: dict):
    """The run's model, freshly initialised from chainrule's generator."""
    from ..models import get_model

    return get_model(config["model"], **config["model_kwargs"])


def compile_model(model, config: dict):
    model.compile(optimizer=config["optimizer"], loss=config["loss"], metrics=["accuracy"],
                  lr=config["lr"], weight_decay=config["weight_decay"])
    return model


# ----------------------------------------------------------------------------------- restore
def restore(run_dir, which: str = "last", compile: bool = True):
    """``(config, model, checkpoint document)`` of a run: the model rebuilt from the config and
    loaded from a checkpoint (``which``: 'last', 'best' or a file path)."""
    from ..training.checkpoint import load_checkpoint

    config = read_config(run_dir)
    path = Path(which) if which not in ("last", "best") else checkpoint_path(run_dir, which)
    if not path.is_file():
        raise RunError(f"{run_dir} has no checkpoint {path} yet (a run writes one at the end of "
                       "each epoch)")
    model = build_model(config)
    if compile:
        compile_model(model, config)
    doc = load_checkpoint(path, model, restore_rng=False)
    model.eval()
    return config, model, doc


# ----------------------------------------------------------------------------------- reports
def evaluate_arrays(model, config: dict, x, y) -> dict:
    """Test loss, accuracy, predictions, probabilities and confusion matrix of a model."""
    import numpy

    from ..tensor import Tensor
    from ..training import metrics as M
    from ..training.registry import get_loss

    logits = model.predict(loader(config, x, y))
    loss_fn = getattr(model, "loss_fn", None) or get_loss(config["loss"])
    loss = float(loss_fn(Tensor._make(logits), Tensor._make(numpy.asarray(y)))._data)
    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = numpy.exp(shifted)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    predicted = probabilities.argmax(axis=1)
    cm = M.confusion_matrix(y, predicted, num_classes=len(config["classes"]))
    return {"loss": loss, "accuracy": float((predicted == y).mean()), "predicted": predicted,
            "probabilities": probabilities, "confusion_matrix": cm}


def write_reports(run_dir, config: dict, data: RunData, result: dict, doc: dict,
                  which: str = "last", log=print) -> dict:
    """test_metrics.json and the three PNG plots of a run; returns the test metrics."""
    from ..training import report

    run_dir = Path(run_dir)
    classes = list(config["classes"])
    text, summary = report.classification_report(result["confusion_matrix"], classes)
    metrics = {"checkpoint": which, "epoch": doc.get("epoch"), "test_loss": result["loss"],
               "test_accuracy": result["accuracy"], "test_samples": int(len(data.y_test)),
               **{k: summary[k] for k in ("per_class", "macro", "weighted")},
               "confusion_matrix": result["confusion_matrix"].tolist()}
    write_json(run_dir / TEST_METRICS, metrics)
    if not report.plots_available():
        log("matplotlib is not installed, so no plots were drawn: pip install matplotlib")
        return metrics
    title = f"{config['model']} on {config['dataset']}"
    report.plot_history(history_of(read_metrics(run_dir)), run_dir / PLOTS["curves"],
                        title=f"{title}: training curves")
    report.plot_confusion_matrix(result["confusion_matrix"], classes,
                                 run_dir / PLOTS["confusion_matrix"],
                                 title=f"{title}: test confusion matrix "
                                       f"(accuracy {100 * result['accuracy']:.2f}%)")
    predicted = result["predicted"]
    chosen = result["probabilities"][range(len(predicted)), predicted]
    report.plot_misclassified(data.x_test, data.y_test, predicted, classes,
                              run_dir / PLOTS["misclassified"], probabilities=chosen)
    return metrics


# ----------------------------------------------------------------------------------- logging
def _callback_base():
    from ..training.callbacks import Callback

    return Callback


def make_run_logger(run_dir, rows: list[dict] | None = None):
    """A callback writing metrics.csv and metrics.json after every epoch (atomically, whole)."""
    Callback = _callback_base()

    class RunLogger(Callback):
        """Appends each epoch's row and rewrites both metrics files; adds ``epoch_time_s`` and
        ``train_time_s`` (the training pass alone) to the epoch's logs."""

        def __init__(self):
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

    return RunLogger()


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
