"""The trainer: one training step, one test step, and the loops of fit, evaluate and predict.

A training step is exactly the PyTorch loop, so a model trained by ``fit`` and by hand with the
same batches ends with the same parameters::

    optimizer.zero_grad()
    loss = loss_fn(model(x), y) (+ regularizer(model))
    loss.backward()
    optimizer.step()

with one check in between: a loss that is not finite is never applied (see
:mod:`chainrule.training.nan_guard`). ``fit`` puts the model in training mode for the training
batches and in evaluation mode (no graph) for validation, and returns it to the mode it had.
"""
from __future__ import annotations

import math
import warnings

from .. import backend
from ..autograd.grad_mode import no_grad
from ..backend import xp
from ..tensor import Tensor
from .callbacks import CallbackList, History
from .metrics import Mean, Metric
from .nan_guard import DivergenceWatch, diagnose
from .progress import ProgbarLogger


def _forward(model, x):
    return model(*x) if isinstance(x, tuple) else model(x)


def _batch_size(x) -> int:
    if isinstance(x, (tuple, list)):
        return _batch_size(x[0])
    return int(x.shape[0]) if getattr(x, "ndim", 0) else 1


def _outputs(out):
    """Arrays out of a forward's result (a Tensor, or a tuple of them)."""
    if isinstance(out, Tensor):
        return out._data
    if isinstance(out, (tuple, list)):
        return tuple(_outputs(o) for o in out)
    return out


class Trainer:
    """What ``compile`` sets up and ``fit``/``evaluate`` use: optimizer, loss, metrics."""

    def __init__(self, model, optimizer, loss_fn, metrics: list[Metric], regularizer=None,
                 optimizer_factory=None, jit_compile: bool = False):
        self.model = model
        if jit_compile not in (False, True, None, "processes", "auto"):
            raise ValueError(f"compile(jit_compile={jit_compile!r}): expected True, False, "
                             "'processes' (the batch split over two processes instead of two "
                             "threads: docs/compile.md) or 'auto'")
        # "auto" (Keras 3's default name): over processes where they run; a step that cannot
        # be compiled runs eagerly without the warning that an explicit request gets
        self.quiet_fallback = jit_compile == "auto"
        if jit_compile == "auto":
            from ..compile import processes
            from ..parallel import get_num_threads

            jit_compile = "processes" if processes.supported() and get_num_threads() >= 2 \
                else False
        self.jit_compile = bool(jit_compile)
        self.data_parallel = "processes" if jit_compile == "processes" else "threads"
        self._compiled_step = None
        self.optimizer = optimizer
        self._optimizer_factory = optimizer_factory   # for models whose weights appear lazily
        self.loss_fn = loss_fn
        self.metrics = metrics
        self.regularizer = regularizer
        self.loss_tracker = Mean("loss")
        self.global_step = 0
        names = [m.name for m in metrics]
        duplicates = sorted({n for n in names if names.count(n) > 1} | ({"loss"} & set(names)))
        if duplicates:
            raise ValueError(f"compile: metric names must be unique and not 'loss'; repeated: "
                             f"{duplicates} (give a Metric a name=...)")

    # ----------------------------------------------------------------- pieces
    def ensure_optimizer(self):
        if self.optimizer is None:
            self.optimizer = self._optimizer_factory()
            self.model.optimizer = self.optimizer
        return self.optimizer

    @property
    def dtype(self):
        for p in self.model.parameters():
            if p.dtype.kind == "f":        # (p.dtype: a lazy layer's placeholder has one too)
                return p.dtype
        return backend.get_default_dtype()

    def compute_loss(self, out, y):
        if y is None:
            raise ValueError("the loss needs targets, but the data has none: give y (or batches "
                             "(x, y))")
        if isinstance(out, Tensor) and isinstance(y, Tensor) and out.ndim == y.ndim + 1 \
                and out.shape[-1] == 1 and y._data.dtype.kind == "f":
            y = Tensor._make(y._data.reshape(out.shape))       # (N,) targets for (N, 1) outputs
        loss = self.loss_fn(out, y)
        if self.regularizer is not None:
            loss = loss + self.regularizer(self.model)
        if not isinstance(loss, Tensor) or loss.size != 1:
            shape = getattr(loss, "shape", type(loss).__name__)
            raise ValueError(f"the loss must be a scalar Tensor, got {shape}; use a loss with "
                             "reduction='mean' or 'sum'")
        return loss

    def _update_metrics(self, y, out) -> None:
        if y is None or not self.metrics:
            return
        y_true = y._data if isinstance(y, Tensor) else y
        y_pred = _outputs(out)
        if isinstance(y_pred, tuple):
            y_pred = y_pred[0]
        for metric in self.metrics:
            metric.update(y_true, y_pred)

    def _reset(self) -> None:
        self.loss_tracker.reset()
        for metric in self.metrics:
            metric.reset()

    def results(self, per_batch: bool = False) -> dict:
        logs = {"loss": self.loss_tracker.result()}
        for metric in self.metrics:
            if not per_batch or metric.per_batch:
                logs[metric.name] = metric.result()
        return logs

    # ----------------------------------------------------------------- steps
    def train_step(self, x, y):
        """One update; returns (loss value, output). A non-finite loss is not applied."""
        if self.jit_compile:
            return self._train_step_compiled(x, y)
        if self.optimizer is not None:
            self.optimizer.zero_grad()
        else:
            self.model.zero_grad()
        out = _forward(self.model, x)
        loss = self.compute_loss(out, y)
        value = float(loss._data)
        if not math.isfinite(value):
            return value, out
        optimizer = self.ensure_optimizer()
        loss.backward()
        optimizer.step()
        self.global_step += 1
        return value, out

    def _train_step_compiled(self, x, y):
        """train_step with forward, loss and backward replayed by chainrule.compile."""
        optimizer = self.ensure_optimizer()
        if self._compiled_step is None:
            from ..compile import compile as jit

            model, trainer = self.model, self

            def forward_backward(x, y):
                optimizer.zero_grad()
                out = _forward(model, x)
                loss = trainer.compute_loss(out, y)
                loss.backward()
                return loss, out

            self._compiled_step = jit(forward_backward,
                                      options={"data_parallel": self.data_parallel})
        if self.quiet_fallback:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", r"chainrule\.compile", UserWarning)
                loss, out = self._compiled_step(x, y)
        else:
            loss, out = self._compiled_step(x, y)
        value = float(loss._data)
        if not math.isfinite(value):
            return value, out
        optimizer.step()
        self.global_step += 1
        return value, out

    def release_compiled(self) -> None:
        """Drop the compiled step (and with it the worker process of a split over processes);
        the next compiled train_step traces again."""
        if self._compiled_step is not None:
            self._compiled_step.reset()
            self._compiled_step = None

    def test_step(self, x, y):
        with no_grad():
            out = _forward(self.model, x)
            return float(self.compute_loss(out, y)._data), out

    # ----------------------------------------------------------------- loops
    def fit(self, train, validation, epochs: int, initial_epoch: int, callbacks, verbose,
            stream=None) -> History:
        model = self.model
        history = History()
        progbar = ProgbarLogger(verbose, stream)
        callbacks = CallbackList([progbar, *(callbacks or []), history], model)
        params = {"epochs": epochs, "steps": train.num_batches, "samples": train.num_samples,
                  "batch_size": getattr(train, "batch_size", None), "verbose": progbar.verbose,
                  "initial_epoch": initial_epoch, "global_step": self.global_step}
        callbacks.set_params(params)
        self.train_data = train
        if self.optimizer is None and any(p.requires_grad for p in model.parameters()):
            self.ensure_optimizer()         # weights created since compile: callbacks may need it
        was_training = model.training
        model.stop_training = False
        logs: dict = {}
        divergence = DivergenceWatch()
        try:
            callbacks.on_train_begin()
            for epoch in range(initial_epoch, epochs):
                self._reset()
                callbacks.on_epoch_begin(epoch)
                model.train()
                count = 0
                for batch, (x, y) in enumerate(train.epoch(epoch)):
                    n = _batch_size(x)
                    callbacks.on_train_batch_begin(batch, {"batch": batch, "size": n})
                    for cb in callbacks:                # e.g. adversarial training's attack
                        x, y = cb.transform_train_batch(x, y)
                    value, out = self.train_step(x, y)
                    self.loss_tracker.update(value, n)
                    finite = math.isfinite(value)
                    if finite:
                        self._update_metrics(y, out)
                        divergence.update(value, self.optimizer, epoch, batch)
                    callbacks.on_train_batch_end(batch, {"batch": batch, "size": n,
                                                         **self.results(per_batch=True)})
                    count += 1
                    if not finite and not model.stop_training:
                        raise diagnose(model, x, value, self.global_step + 1, epoch, batch)
                    if model.stop_training:
                        break
                if count == 0:
                    raise ValueError("fit: the training data gave no batches")
                logs = self.results()
                if validation is not None:
                    val_logs = self.evaluate(validation, callbacks)
                    logs.update({f"val_{k}": v for k, v in val_logs.items()})
                    model.train()
                callbacks.on_epoch_end(epoch, logs)
                if model.stop_training:
                    break
            callbacks.on_train_end(logs)
        finally:
            model.train(was_training)
            params["global_step"] = self.global_step
            progbar.close()             # a bar left open by an error
        return history

    def evaluate(self, data, callbacks: CallbackList) -> dict:
        """Loss and metrics over ``data`` in evaluation mode, without a graph."""
        model = self.model
        was_training = model.training
        model.eval()
        self._reset()
        try:
            callbacks.on_test_begin()
            count = 0
            for batch, (x, y) in enumerate(data.epoch(0)):
                n = _batch_size(x)
                callbacks.on_test_batch_begin(batch, {"batch": batch, "size": n})
                value, out = self.test_step(x, y)
                self.loss_tracker.update(value, n)
                self._update_metrics(y, out)
                callbacks.on_test_batch_end(batch, {"batch": batch, "size": n,
                                                    **self.results(per_batch=True)})
                count += 1
            if count == 0:
                raise ValueError("evaluate: the data gave no batches")
            logs = self.results()
            callbacks.on_test_end(logs)
        finally:
            model.train(was_training)
        return logs


def predict_loop(model, data, callbacks: CallbackList):
    """Outputs of ``model`` over ``data``, concatenated along axis 0 (evaluation mode, no graph)."""
    was_training = model.training
    model.eval()
    chunks = []
    try:
        callbacks.on_predict_begin()
        with no_grad():
            for batch, (x, _) in enumerate(data.epoch(0)):
                n = _batch_size(x)
                callbacks.on_predict_batch_begin(batch, {"batch": batch, "size": n})
                chunks.append(_outputs(_forward(model, x)))
                callbacks.on_predict_batch_end(batch, {"batch": batch, "size": n})
        callbacks.on_predict_end()
    finally:
        model.train(was_training)
    if not chunks:
        raise ValueError("predict: the data gave no batches")
    if isinstance(chunks[0], tuple):
        return tuple(xp.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0])))
    return xp.concatenate(chunks)


__all__ = ["Trainer", "predict_loop"]
