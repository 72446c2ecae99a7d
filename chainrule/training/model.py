"""Keras-style training for any chainrule Module: compile, fit, evaluate, predict.

Every :class:`~chainrule.nn.Module` has these as methods (``model.fit(...)`` calls
``fit(model, ...)`` here), so the same model trains either way::

    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=5, batch_size=128, validation_split=0.1)
    model.evaluate(x_test, y_test, return_dict=True)      # {'loss': …, 'accuracy': …}
    probabilities = softmax(model.predict(x_test), axis=1)

or, PyTorch-style, with the same optimizer and loss::

    for x, y in loader:
        optimizer.zero_grad(); loss = criterion(model(x), y); loss.backward(); optimizer.step()

The work is split as in Keras 3: :mod:`.data_adapter` turns arrays, Datasets and DataLoaders into
batches; :mod:`.trainer` holds the steps and loops; :mod:`.callbacks` and :mod:`.progress` the
hooks and the display.
"""
from __future__ import annotations

import operator
import sys

from ..optim import Optimizer
from ..optim import regularization as _regularization
from . import metrics as _metrics
from .callbacks import CallbackList, History
from .data_adapter import ArrayAdapter, get_adapter, train_validation_split
from .progress import ProgbarLogger
from .registry import binary_threshold, get_loss, get_optimizer_class
from .trainer import Trainer, predict_loop


def _trainable(model) -> list:
    return [p for p in model.parameters() if p.requires_grad]


def compile(model, optimizer="adam", loss="cross_entropy", metrics=None, lr: float | None = None,
            weight_decay: float | None = None, regularizer=None, jit_compile: bool | str = False,
            **optimizer_options):
    """Choose how ``fit`` trains ``model``: the optimizer, the loss and the metrics to report.

    Args:
        optimizer: a name ('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'nadam'),
            an Optimizer class (built on the model's trainable parameters), or an Optimizer
            instance (used as it is).
        loss: a name ('cross_entropy' — also 'categorical_crossentropy' and
            'sparse_categorical_crossentropy', all from logits as PyTorch's CrossEntropyLoss —
            'mse', 'mae'/'l1', 'bce' (on probabilities), 'bce_with_logits', 'nll', 'huber',
            'smooth_l1', 'kl_div'), a loss Module, or a function ``loss(output, target)``
            returning a scalar Tensor.
        metrics: names ('accuracy', 'top_5_accuracy', 'precision', 'recall', 'f1', 'auc',
            'confusion_matrix', 'mse', 'mae', …) or :class:`~chainrule.training.metrics.Metric`
            objects. On binary outputs, classification metrics threshold logits at 0 when the
            loss is 'bce_with_logits', probabilities at ½ otherwise.
        lr, weight_decay: for an optimizer given by name or class: its ``lr`` and
            ``weight_decay`` (None: the optimizer's own default — AdamW's is 1e-2, the others'
            0). For an instance: written into every parameter group when given.
        regularizer: a penalty added to the loss (``chainrule.optim.regularization``: 'l1',
            'l2', 'elastic_net' or an object such as ``L2(1e-4)``); ``loss`` in the logs
            includes it.
        jit_compile: as Keras's: fit's forward, loss and backward run as one
            :func:`chainrule.compile`-d step (traced once per batch shape, then replayed; split
            over the batch on the cores when every layer acts on each sample alone —
            docs/compile.md). The optimizer's update stays outside, after the non-finite check.
            ``jit_compile="processes"``: the same, with the batch's second half run by a forked
            worker process instead of a second thread (Linux; the same numbers, less waiting
            for Python's GIL: chainrule/compile/processes.py). ``"auto"`` (Keras 3's name; here
            not the default, as PyTorch users expect eager steps): "processes" on Linux with 2
            or more cores (else eager), and a step that cannot be compiled runs eagerly without
            a warning. ``chainrule train`` uses "auto" for chainrule's own models.
        **optimizer_options: further constructor arguments for an optimizer given by name or
            class (``momentum=0.9``, ``betas=(0.9, 0.99)``, …).

    Compiling again replaces the optimizer (and its state). Returns the model.
    """
    loss_fn = get_loss(loss)
    threshold = binary_threshold(loss_fn)
    if metrics is None:
        metrics = []
    elif isinstance(metrics, (str, _metrics.Metric)):
        metrics = [metrics]
    metric_objects = [_metrics.get(m, threshold=threshold) for m in metrics]
    reg = _regularization.get(regularizer)

    factory = None
    if isinstance(optimizer, Optimizer):
        if optimizer_options:
            raise ValueError(f"compile: {sorted(optimizer_options)} apply to an optimizer given "
                             "by name or class; this one is already built")
        for group in optimizer.param_groups:
            if lr is not None:
                group["lr"] = lr
            if weight_decay is not None:
                group["weight_decay"] = weight_decay
        opt = optimizer
    else:
        if isinstance(optimizer, str):
            cls = get_optimizer_class(optimizer)
        elif isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
            cls = optimizer
        else:
            raise TypeError(f"compile: optimizer must be a name, an Optimizer class or an "
                            f"Optimizer instance, got {type(optimizer).__name__}")
        kwargs = dict(optimizer_options)
        if lr is not None:
            kwargs["lr"] = lr
        if weight_decay is not None:
            kwargs["weight_decay"] = weight_decay

        def factory(cls=cls, kwargs=kwargs):
            params = _trainable(model)
            if not params:
                raise ValueError(f"compile: {type(model).__name__} has no trainable parameters "
                                 "(all frozen, or none created yet), so there is nothing to "
                                 "optimize")
            return cls(params, **kwargs)

        # build now when the weights exist; a model that creates them in its first forward gets
        # its optimizer after that forward (Trainer.ensure_optimizer)
        opt = factory() if _trainable(model) else None
    trainer = Trainer(model, opt, loss_fn, metric_objects, reg, factory, jit_compile)
    object.__setattr__(model, "_trainer", trainer)
    object.__setattr__(model, "optimizer", opt)
    object.__setattr__(model, "loss_fn", loss_fn)
    object.__setattr__(model, "metrics", metric_objects)
    return model


def _trainer(model, op: str) -> Trainer:
    trainer = model.__dict__.get("_trainer")
    if trainer is None:
        raise RuntimeError(f"{op}: the model is not compiled; call model.compile(optimizer=..., "
                           f"loss=..., metrics=...) first")
    return trainer


def _verbose(verbose, op: str) -> int:
    if verbose == "auto":
        return 1
    if verbose in (0, 1, 2):
        return int(verbose)
    raise ValueError(f"{op}: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")


def fit(model, x=None, y=None, batch_size: int = 32, epochs: int = 1, verbose="auto",
        callbacks=None, validation_split: float = 0.0, validation_data=None,
        shuffle: bool = True, initial_epoch: int = 0, seed: int | None = None,
        validation_batch_size: int | None = None, distributed: bool = False) -> History:
    """Train ``model`` for ``epochs`` epochs; returns a :class:`History`.

    Args:
        x, y: arrays/Tensors of inputs and targets; or ``x`` a DataLoader (or any re-iterable of
            ``(x, y)`` batches, ``y`` None), or a chainrule Dataset (batched with ``batch_size``).
        batch_size: samples per batch for arrays and Datasets.
        epochs: train until this epoch (an index: with ``initial_epoch=2, epochs=5`` epochs 2, 3
            and 4 run, as Keras counts).
        verbose: 0 silent, 1 or 'auto' a live progress bar (one line per epoch when the output is
            not a terminal or tqdm is missing), 2 one line per epoch.
        callbacks: :class:`~chainrule.training.callbacks.Callback` objects.
        validation_split: a fraction of array data held out for validation: the *last* samples,
            taken before shuffling (Keras's rule).
        validation_data: ``(x_val, y_val)`` arrays or a DataLoader; evaluated after every epoch,
            its loss and metrics logged as ``val_*``.
        shuffle: reshuffle array data every epoch (a DataLoader shuffles as it was built to).
        seed: for array data, epoch e's order is ``numpy.random.default_rng([seed, e])
            .permutation(n)``; without it, a permutation drawn from chainrule's generator. Either
            way resuming from a checkpoint at epoch e replays the same orders (for a Dataset,
            give a seed; a DataLoader's seed is restored by ``load_checkpoint(...,
            data_loader=loader)``).
        distributed: train data-parallel on every rank of an MPI job (``mpiexec -n 4 python
            train.py``): each global batch of ``batch_size`` is split across the ranks and the
            gradients averaged, so the steps are those of one process; only rank 0 writes
            checkpoints and logs (see :mod:`chainrule.distributed.training`).

    Returns the History (``history.history['val_loss']`` …), also kept as ``model.history``.
    Raises :class:`~chainrule.training.NonFiniteLossError` if a loss is NaN or infinite and no
    callback stops training.
    """
    trainer = _trainer(model, "fit")
    verbose = _verbose(verbose, "fit")
    try:
        ok = operator.index(epochs) >= 0 and operator.index(initial_epoch) >= 0
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"fit: epochs and initial_epoch must be integers ≥ 0, got epochs="
                         f"{epochs!r}, initial_epoch={initial_epoch!r}")
    epochs, initial_epoch = int(epochs), int(initial_epoch)
    dtype = trainer.dtype
    if validation_split and validation_data is not None:
        validation_split = 0.0          # Keras: validation_data overrides validation_split
    validation = None
    if validation_split:
        train = get_adapter(x, y, batch_size, shuffle, seed, dtype, "fit")
        if not isinstance(train, ArrayAdapter):
            raise ValueError("fit: validation_split needs array data; with a DataLoader or a "
                             "Dataset pass validation_data (e.g. from chainrule.data.random_split)")
        (x_train, y_train), (x_val, y_val) = train_validation_split(train.x, train.y,
                                                                    validation_split)
        train = ArrayAdapter(x_train, y_train, batch_size, shuffle, seed, dtype, "fit")
        validation = ArrayAdapter(x_val, y_val, validation_batch_size or batch_size,
                                  dtype=dtype, op="fit")
    else:
        train = get_adapter(x, y, batch_size, shuffle, seed, dtype, "fit")
    if isinstance(train, ArrayAdapter) and train.y is None:
        raise ValueError("fit: the targets y are missing (x is an array); give fit(x, y, ...) or "
                         "a DataLoader of (x, y) batches")
    if validation_data is not None:
        validation = _validation_adapter(validation_data, validation_batch_size or batch_size,
                                         dtype)
    if distributed:
        from ..distributed.training import fit_distributed

        return fit_distributed(trainer, train, validation, epochs, initial_epoch, callbacks,
                               verbose, sys.stdout)
    return trainer.fit(train, validation, epochs, initial_epoch, callbacks, verbose, sys.stdout)


def _validation_adapter(data, batch_size: int, dtype):
    if isinstance(data, tuple):
        if len(data) == 2:
            return ArrayAdapter(data[0], data[1], batch_size, dtype=dtype, op="fit")
        raise ValueError(f"fit: validation_data must be (x_val, y_val) or a DataLoader, got a "
                         f"tuple of {len(data)} items")
    adapter = get_adapter(data, None, batch_size, False, None, dtype, "fit")
    if isinstance(adapter, ArrayAdapter):
        raise ValueError("fit: validation_data must be (x_val, y_val) or a DataLoader, not one "
                         "array (the targets are missing)")
    return adapter


def evaluate(model, x=None, y=None, batch_size: int = 32, verbose=0, return_dict: bool = False,
             callbacks=None):
    """Loss and metrics of ``model`` on data, in evaluation mode and without a graph.

    Returns the loss (a float) when no metrics were compiled, else ``[loss, *metrics]`` in the
    compiled order, or ``{'loss': …, name: …}`` with ``return_dict``.
    """
    trainer = _trainer(model, "evaluate")
    data = get_adapter(x, y, batch_size, False, None, trainer.dtype, "evaluate")
    progbar = ProgbarLogger(_verbose(verbose, "evaluate"))
    cbs = CallbackList([progbar, *(callbacks or [])], model,
                       {"steps": data.num_batches, "samples": data.num_samples,
                        "verbose": progbar.verbose})
    logs = trainer.evaluate(data, cbs)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model, x, batch_size: int = 32, verbose=0, callbacks=None):
    """The model's outputs for ``x`` (arrays, a Dataset or a DataLoader), as one NumPy array.

    Runs in evaluation mode (dropout off, batch-norm running statistics) without a graph, batch
    by batch; a model with several outputs gives a tuple of arrays. Needs no ``compile``.
    """
    trainer = model.__dict__.get("_trainer")
    dtype = trainer.dtype if trainer is not None else next(
        (p._data.dtype for p in model.parameters() if p._data.dtype.kind == "f"), None)
    data = get_adapter(x, None, batch_size, False, None, dtype, "predict")
    progbar = ProgbarLogger(_verbose(verbose, "predict"))
    cbs = CallbackList([progbar, *(callbacks or [])], model,
                       {"steps": data.num_batches, "samples": data.num_samples,
                        "verbose": progbar.verbose})
    return predict_loop(model, data, cbs)


__all__ = ["compile", "fit", "evaluate", "predict"]
