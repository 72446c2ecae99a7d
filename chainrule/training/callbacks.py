"""Callbacks: code that ``fit``, ``evaluate`` and ``predict`` call at fixed points (Keras's API).

Writing a callback
------------------
Subclass :class:`Callback` and override any of these hooks; each gets the current ``logs``, a dict
of floats (and, for array-valued metrics, arrays) that the callback may read and extend::

    on_train_begin(logs)              on_train_end(logs)
    on_epoch_begin(epoch, logs)       on_epoch_end(epoch, logs)
    on_train_batch_begin(batch, logs) on_train_batch_end(batch, logs)
    on_test_begin(logs)               on_test_end(logs)
    on_test_batch_begin(batch, logs)  on_test_batch_end(batch, logs)
    on_predict_begin(logs)            on_predict_end(logs)
    on_predict_batch_begin(batch, logs)  on_predict_batch_end(batch, logs)

``epoch`` and ``batch`` count from 0. Besides the hooks, ``transform_train_batch(x, y)`` may
return a replacement for each training batch (adversarial training uses it). What the logs hold:

- ``on_train_batch_end``: ``loss`` (the running mean over the epoch so far), the running value of
  each per-batch metric, ``batch`` and ``size`` (samples in this batch).
- ``on_epoch_end``: ``loss`` and every metric over the whole epoch, and ``val_loss``/``val_*``
  when there is validation data. Callbacks may add entries (ReduceLROnPlateau and
  LearningRateScheduler add ``learning_rate``); History records what is there after all
  callbacks ran.
- ``on_test_end``: the evaluation's loss and metrics (without the ``val_`` prefix).

Inside a hook, ``self.model`` is the model being trained (with ``model.optimizer`` after
``compile``) and ``self.params`` a dict with ``epochs``, ``steps`` (batches per epoch, or None
when unknown), ``samples``, ``batch_size``, ``verbose``, ``initial_epoch`` and ``global_step``.
Setting ``self.model.stop_training = True`` ends training after the current batch (the epoch is
then closed as usual: validation, ``on_epoch_end``), as in Keras.

When the loss of a batch is NaN or infinite, ``fit`` skips that update and calls
``on_train_batch_end`` with the non-finite loss; if no callback stops training there (as
:class:`TerminateOnNaN` does), ``fit`` raises :class:`~chainrule.training.NonFiniteLossError`
naming the step and the first layer whose output was not finite.

Example::

    class PrintLR(Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(epoch, self.model.optimizer.param_groups[0]["lr"])

    model.fit(x, y, epochs=10, callbacks=[PrintLR(), EarlyStopping(patience=2)])
"""
from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Callable, Iterable

from ..backend import xp

_MAX_WORDS = ("acc", "auc", "precision", "recall", "f1")


class Callback:
    """Base class: every hook does nothing; ``model`` and ``params`` are set by ``fit``."""

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch: int, logs=None): ...
    def on_epoch_end(self, epoch: int, logs=None): ...
    def on_train_batch_begin(self, batch: int, logs=None): ...
    def on_train_batch_end(self, batch: int, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch: int, logs=None): ...
    def on_test_batch_end(self, batch: int, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch: int, logs=None): ...
    def on_predict_batch_end(self, batch: int, logs=None): ...

    def transform_train_batch(self, x, y):
        """The training batch ``(x, y)`` that the step will use, called after
        ``on_train_batch_begin`` (in the callbacks' order, each given the previous one's result);
        the default returns it unchanged. :class:`chainrule.adversarial.AdversarialTraining`
        replaces ``x`` by adversarial examples here. Metrics and the loss are then computed on
        the transformed batch."""
        return x, y


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]
_INDEXED = {name for name in _HOOKS if "epoch_" in name or "batch_" in name}


class CallbackList:
    """Calls each hook on every callback in order; ``fit`` builds one per run."""

    def __init__(self, callbacks: Iterable[Callback] | None = None, model=None,
                 params: dict | None = None):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got "
                                f"{type(cb).__name__}: subclass chainrule.training.Callback")
        if model is not None:
            self.set_model(model)
        if params is not None:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_model(self, model) -> None:
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict) -> None:
        for cb in self.callbacks:
            cb.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)

    def __getattr__(self, name: str):
        if name in _HOOKS:
            indexed = name in _INDEXED

            def call(*args):
                if len(args) == int(indexed):       # logs left out: callbacks always get a dict
                    args = (*args, {})
                for cb in self.callbacks:
                    getattr(cb, name)(*args)
            return call
        raise AttributeError(f"'CallbackList' has no attribute '{name}'")


def _scalar(value):
    """A float for a number or a 0-d/1-element array; None for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, xp.ndarray) and value.size == 1:
        return float(value.reshape(()))
    if isinstance(value, xp.generic):
        return float(value)
    return None


def _learning_rate(model) -> float:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise RuntimeError("this callback needs model.optimizer: call model.compile(...) first")
    return float(optimizer.param_groups[0]["lr"])


def _set_learning_rate(model, lr: float) -> None:
    for group in model.optimizer.param_groups:
        group["lr"] = float(lr)


def _model_weights(model) -> dict:
    return {k: v._data.copy() for k, v in model.state_dict().items()}


class History(Callback):
    """Records the epoch logs: ``history.history['loss']`` is a list, one value per epoch.

    ``history.epoch`` lists the epochs run (counting from 0, starting at ``initial_epoch``) and
    ``history.params`` the run's parameters. ``fit`` returns this object (also ``model.history``).
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History({len(self.epoch)} epochs: {keys})"


class _Monitor(Callback):
    """The shared part of callbacks that watch one logged quantity (Keras's MonitorCallback)."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{type(self).__name__}: mode must be 'auto', 'min' or 'max', got "
                             f"{mode!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)

    def _direction(self) -> str:
        """'min' or 'max': from ``mode``, else from the compiled metric's direction or the name."""
        if self.mode != "auto":
            return self.mode
        name = self.monitor.removeprefix("val_")
        if name == "loss":
            return "min"
        trainer = getattr(self.model, "_trainer", None)
        for metric in getattr(trainer, "metrics", ()):
            if metric.name == name:
                return "max" if metric.direction == "up" else "min"
        if any(word in name for word in _MAX_WORDS):
            return "max"
        if any(word in name for word in ("loss", "error", "mse", "mae")):
            return "min"
        raise ValueError(f"{type(self).__name__}: cannot tell whether {self.monitor!r} should "
                         "be minimised or maximised; pass mode='min' or mode='max'")

    def _better(self, value: float, reference: float, direction: str) -> bool:
        """``value`` improves on ``reference`` by more than ``min_delta``."""
        if direction == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def _current(self, logs) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{type(self).__name__} is conditioned on {self.monitor!r}, which is not "
                          f"in the logs; available: {', '.join(logs or {}) or 'none'}",
                          RuntimeWarning, stacklevel=3)
            return None
        return _scalar(value)


class EarlyStopping(_Monitor):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras's).

    An epoch improves when its value beats the best so far by more than ``min_delta``. With
    ``baseline``, the patience counter only restarts when the value also beats the baseline.
    Epochs before ``start_from_epoch`` are not watched. With ``restore_best_weights``, the
    parameters and buffers of the best epoch are put back when training ends (Keras 3's rule:
    whether it stopped early or not).
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0
        self.best = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0
        self._dir = None
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self._dir is None:
            self._dir = self._direction()
            self.best = math.inf if self._dir == "min" else -math.inf
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _model_weights(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if self._better(current, self.best, self._dir):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _model_weights(self.model)
            if self.baseline is None or self._better(current, self.baseline, self._dir):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save a checkpoint (:func:`~chainrule.training.save_checkpoint`) at the end of epochs.

    ``filepath`` may hold ``{epoch}`` (counting from 1) and any logged key, with format specs:
    ``'ckpt/epoch{epoch:02d}-{val_loss:.3f}.ckpt'``. With ``save_best_only``, a checkpoint is
    written only when ``monitor`` improves (a fixed name then always holds the best); otherwise
    every epoch (a fixed name then holds the last). Each checkpoint holds the model's state, the
    optimizer's (unless ``save_weights_only``), the epochs completed, the optimizer step count,
    the epoch's logs, the RNG state, the training DataLoader's ``state_dict`` (when it has one)
    and ``metadata`` (a JSON-able dict, e.g. the run's config). Writes are atomic, so the
    previous checkpoint survives a crash during a save.
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", initial_value_threshold: float | None = None,
                 metadata: dict | None = None):
        super().__init__(monitor, mode)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.initial_value_threshold = initial_value_threshold
        self.metadata = dict(metadata or {})
        self.best = initial_value_threshold
        self.last_saved: str | None = None

    def on_train_begin(self, logs=None):
        self._dir = None
        from .checkpoint import remove_stale_temporaries

        remove_stale_temporaries(os.path.dirname(os.path.abspath(self.filepath)))

    def _path(self, epoch: int, logs: dict) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} uses {e}, which is not "
                           f"in the logs; available: epoch, {', '.join(logs)}") from None

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if self.save_best_only:
            current = self._current(logs)
            if current is None:
                return
            if self._dir is None:
                self._dir = self._direction()
                if self.best is None:
                    self.best = math.inf if self._dir == "min" else -math.inf
            if not self._better(current, self.best, self._dir):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {self._path(epoch, logs)}")
            self.best = current
        self._save(epoch, logs)

    def _save(self, epoch: int, logs: dict) -> None:
        from .checkpoint import save_checkpoint

        path = self._path(epoch, logs)
        metrics = {k: v for k, v in logs.items() if _scalar(v) is not None}
        optimizer = None if self.save_weights_only else getattr(self.model, "optimizer", None)
        trainer = getattr(self.model, "_trainer", None)
        meta = dict(self.metadata)
        meta.update(epoch=epoch + 1, step=getattr(trainer, "global_step", 0),
                    metrics={k: _scalar(v) for k, v in metrics.items()})
        if self.save_best_only:
            meta["monitor"] = {"name": self.monitor, "best": self.best}
        loader = getattr(getattr(trainer, "train_data", None), "loader", None)
        if callable(getattr(loader, "state_dict", None)):
            meta["data_loader"] = loader.state_dict()     # its seed: replays its shuffles
        save_checkpoint(path, self.model, optimizer, **meta)
        self.last_saved = path
        if self.verbose > 0 and not self.save_best_only:
            print(f"Epoch {epoch + 1}: saving model to {path}")


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (Keras's).

    ``schedule`` takes the epoch (from 0) and the current rate, and returns the new rate; a
    one-argument ``schedule(epoch)`` works too. Every parameter group gets the rate; the epoch's
    logs get ``learning_rate``.
    """

    def __init__(self, schedule: Callable, verbose: int = 0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = _learning_rate(self.model)
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)
        new = _scalar(new)
        if new is None or not math.isfinite(new) or new < 0:
            raise ValueError(f"LearningRateScheduler: the schedule must return a finite number "
                             f"≥ 0, got {new!r} at epoch {epoch}")
        _set_learning_rate(self.model, new)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _learning_rate(self.model)


class LRSchedulerCallback(Callback):
    """Step a ``chainrule.optim.lr_scheduler`` scheduler from ``fit`` (PyTorch's schedules).

    ``scheduler`` is a scheduler built on ``model.optimizer``, or a function that builds one from
    the optimizer (called when training begins, so it can be given before ``compile`` has made
    the optimizer)::

        model.fit(x, y, epochs=30, callbacks=[LRSchedulerCallback(
            lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=30))])

    It calls ``scheduler.step()`` after every epoch (``interval='epoch'``) or after every batch
    (``interval='batch'``, for OneCycleLR), and ``scheduler.step(logs[monitor])`` for
    ReduceLROnPlateau. The epoch's logs get ``learning_rate`` (the rate the epoch used).
    """

    def __init__(self, scheduler, interval: str = "epoch", monitor: str = "val_loss"):
        super().__init__()
        if interval not in ("epoch", "batch"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'epoch' or 'batch', got "
                             f"{interval!r}")
        self.scheduler = scheduler
        self.interval = interval
        self.monitor = monitor

    def on_train_begin(self, logs=None):
        from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

        if not isinstance(self.scheduler, (LRScheduler, ReduceLROnPlateau)):
            if not callable(self.scheduler):
                raise TypeError("LRSchedulerCallback: expected a scheduler or a function "
                                f"optimizer → scheduler, got {type(self.scheduler).__name__}")
            self.scheduler = self.scheduler(self.model.optimizer)
        if self.scheduler.optimizer is not self.model.optimizer:
            raise ValueError("LRSchedulerCallback: the scheduler was built on another optimizer "
                             "than model.optimizer; build it on model.optimizer (after compile)")

    def _step(self, logs) -> None:
        from ..optim.lr_scheduler import ReduceLROnPlateau

        if isinstance(self.scheduler, ReduceLROnPlateau):
            value = (logs or {}).get(self.monitor)
            if value is None:
                warnings.warn(f"LRSchedulerCallback: {self.monitor!r} is not in the logs; "
                              "ReduceLROnPlateau not stepped", RuntimeWarning, stacklevel=3)
                return
            self.scheduler.step(_scalar(value))
        else:
            self.scheduler.step()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_lr = _learning_rate(self.model)

    def on_train_batch_end(self, batch, logs=None):
        if self.interval == "batch":
            self._step(logs)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self._epoch_lr
        if self.interval == "epoch":
            self._step(logs)


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving (Keras's).

    After ``patience`` epochs without an improvement larger than ``min_delta``, lr ← max(lr ·
    factor, min_lr); the next ``cooldown`` epochs do not count. The epoch's logs get
    ``learning_rate``. (``chainrule.optim.lr_scheduler.ReduceLROnPlateau`` is PyTorch's form, with
    a relative threshold; use it through :class:`LRSchedulerCallback`.)
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0):
        super().__init__(monitor, mode, min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor ≥ 1.0, got {factor}")
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.cooldown_counter = 0
        self.best = None
        self._dir = None

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _learning_rate(self.model)
        current = self._current(logs)
        if current is None:
            return
        if self._dir is None:
            self._dir = self._direction()
            self.best = math.inf if self._dir == "min" else -math.inf
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current, self.best, self._dir):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old = _learning_rate(self.model)
                if old > float(xp.float32(self.min_lr)):
                    new = max(old * self.factor, self.min_lr)
                    _set_learning_rate(self.model, new)
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                              f"{new}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file: ``epoch`` (from 0), then the keys sorted.

    With ``append``, rows are added to an existing file (resuming a run) and its header is kept.
    The file is flushed after every row, so it is complete up to the last finished epoch.
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        folder = os.path.dirname(os.path.abspath(self.filename))
        os.makedirs(folder, exist_ok=True)
        self.keys = None
        if self.append and os.path.exists(self.filename) and os.path.getsize(self.filename):
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.sep), None)
            if header and header[0] == "epoch":
                self.keys = header[1:]
            self._file = open(self.filename, "a", newline="")     # kept open until train end
        else:
            self._file = open(self.filename, "w", newline="")

    @staticmethod
    def _cell(value) -> str:
        if isinstance(value, str):
            return value
        scalar = _scalar(value)
        if scalar is not None:
            return repr(scalar)
        if isinstance(value, (xp.ndarray, list, tuple)):
            return "[" + ", ".join(str(v) for v in xp.asarray(value).reshape(-1).tolist()) + "]"
        return str(value)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._file is None:
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.writer(self._file, delimiter=self.sep)
            self._writer.writerow(["epoch", *self.keys])
        elif self._writer is None:
            self._writer = csv.writer(self._file, delimiter=self.sep)
        row = [str(epoch)] + [self._cell(logs[k]) if k in logs else "NA" for k in self.keys]
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
        self._file = None
        self._writer = None


class TensorBoard(Callback):
    """Write event files that TensorBoard reads (through ``tensorboardX``, an optional package).

    Scalars go to ``log_dir/train`` and ``log_dir/validation`` with Keras's tags
    (``epoch_loss``, ``epoch_accuracy``, …; validation values without their ``val_`` prefix), plus
    ``epoch_learning_rate``. ``update_freq``: 'epoch', or an integer N to also write
    ``batch_loss`` every N batches. ``histogram_freq`` N > 0: a histogram of every parameter
    every N epochs. View with ``tensorboard --logdir LOG_DIR``.
    """

    def __init__(self, log_dir: str | os.PathLike = "logs", update_freq="epoch",
                 histogram_freq: int = 0):
        super().__init__()
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch' or a positive integer, "
                             f"got {update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.update_freq = update_freq
        self.histogram_freq = histogram_freq
        self._writers: dict = {}
        self._batches = 0

    def _writer(self, name: str):
        if name not in self._writers:
            try:
                from tensorboardX import SummaryWriter
            except ImportError:
                raise ImportError("the TensorBoard callback needs the tensorboardX package: "
                                  "pip install tensorboardX (or chainrule[tensorboard])") from None
            self._writers[name] = SummaryWriter(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_train_begin(self, logs=None):
        self._writer("train")
        self._batches = self.params.get("global_step", 0) or 0

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        if isinstance(self.update_freq, int) and self._batches % self.update_freq == 0:
            loss = _scalar((logs or {}).get("loss"))
            if loss is not None:
                self._writer("train").add_scalar("batch_loss", loss, self._batches)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            scalar = _scalar(value)
            if scalar is None:
                continue
            if key.startswith("val_"):
                self._writer("validation").add_scalar(f"epoch_{key[4:]}", scalar, epoch)
            else:
                self._writer("train").add_scalar(f"epoch_{key}", scalar, epoch)
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and "learning_rate" not in (logs or {}):
            self._writer("train").add_scalar("epoch_learning_rate",
                                             float(optimizer.param_groups[0]["lr"]), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for name, p in self.model.named_parameters():
                self._writer("train").add_histogram(name, p._data, epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


class TerminateOnNaN(Callback):
    """Stop training (without an error) when a batch's loss is NaN or infinite (Keras's).

    The offending batch's update has already been skipped by ``fit``, so the weights are those
    after the last finite step.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = _scalar((logs or {}).get("loss"))
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if name not in _HOOKS:
                raise ValueError(f"LambdaCallback: unknown hook {name!r}; hooks are "
                                 f"{', '.join(_HOOKS)}")
            setattr(self, name, fn)


__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "LRSchedulerCallback", "ReduceLROnPlateau", "CSVLogger",
           "TensorBoard", "TerminateOnNaN", "LambdaCallback"]
