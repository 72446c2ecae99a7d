"""Callbacks: each one's behaviour, with Keras's rules where Keras has the callback."""
from __future__ import annotations

import csv
import glob
import math
import os
import struct

import numpy as np
import pytest

from chainrule.optim import lr_scheduler
from chainrule.training import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    LRSchedulerCallback,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TensorBoard,
    TerminateOnNaN,
    load_checkpoint,
    read_checkpoint,
)

from .helpers import assert_same_params, blobs, mlp, params

X, Y = blobs(64)


class Inject(Callback):
    """Overwrite a logged value with a scripted sequence (placed before the callback tested)."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key = values, key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class Snapshots(Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(params(self.model))


def _fit(callbacks, epochs, model=None, **kwargs):
    model = model or mlp().compile(optimizer="sgd", lr=0.05, metrics=["accuracy"])
    model.fit(X, Y, epochs=epochs, batch_size=16, verbose=0, callbacks=callbacks, **kwargs)
    return model


@pytest.mark.parametrize("values, kwargs, stopped_epoch, epochs_run", [
    ([1.0, 0.8, 0.9, 0.85, 0.95, 0.7], dict(patience=2), 3, 4),
    ([1.0, 1.1, 1.2, 1.3], dict(patience=2), 2, 3),
    ([1.0, 1.1, 1.2, 1.3], dict(patience=2, baseline=0.6), 1, 2),
    ([1.0, 0.99, 0.98, 0.97], dict(patience=1, min_delta=0.05), 1, 2),
    ([1.0, 2.0, 3.0, 4.0, 5.0], dict(patience=1, start_from_epoch=3), 4, 5),
    ([1.0, 0.9, 0.8, 0.7], dict(patience=1), 0, 4),
])
def test_early_stopping_follows_keras(values, kwargs, stopped_epoch, epochs_run):
    es = EarlyStopping(**kwargs)
    model = _fit([Inject(values), es], len(values))
    assert es.stopped_epoch == stopped_epoch
    assert len(model.history.epoch) == epochs_run


def test_early_stopping_restores_the_best_weights():
    snaps = Snapshots()
    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model = _fit([Inject([1.0, 0.5, 0.9, 0.8, 0.3]), snaps, es], 5)
    assert es.best_epoch == 1 and model.history.epoch == [0, 1, 2, 3]
    assert_same_params(params(model), snaps.weights[1])
    # Keras 3: restored at the end of training even without an early stop
    snaps, es = Snapshots(), EarlyStopping(patience=5, restore_best_weights=True)
    model = _fit([Inject([1.0, 0.2, 0.9]), snaps, es], 3)
    assert es.stopped_epoch == 0
    assert_same_params(params(model), snaps.weights[1])


def test_early_stopping_mode_auto_and_missing_monitor():
    es = EarlyStopping(monitor="val_accuracy", patience=1)
    _fit([Inject([0.5, 0.7, 0.6, 0.65], "val_accuracy"), es], 4)
    assert es.stopped_epoch == 2 and es.best == 0.7          # accuracy: higher is better
    with pytest.warns(RuntimeWarning, match="val_loss.*not in the logs"):
        _fit([EarlyStopping()], 1)
    with pytest.raises(ValueError, match="mode='min' or mode='max'"):
        _fit([Inject([1.0], "val_foo"), EarlyStopping(monitor="val_foo")], 1)


def test_model_checkpoint_best_and_last(tmp_path):
    snaps = Snapshots()
    every = ModelCheckpoint(tmp_path / "all" / "ck-{epoch:02d}-{val_loss:.2f}.ckpt",
                            save_best_only=True)
    best = ModelCheckpoint(tmp_path / "best.ckpt", save_best_only=True, metadata={"run": "t"})
    last = ModelCheckpoint(tmp_path / "last.ckpt")
    weights_only = ModelCheckpoint(tmp_path / "w.ckpt", save_weights_only=True)
    model = _fit([Inject([1.0, 0.4, 0.7, 0.6]), snaps, every, best, last, weights_only], 4)
    names = sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "all" / "*")))
    assert names == ["ck-01-1.00.ckpt", "ck-02-0.40.ckpt"]

    fresh = mlp(seed=5).compile(optimizer="sgd", lr=0.05)
    meta = load_checkpoint(tmp_path / "best.ckpt", fresh, fresh.optimizer)
    assert meta["epoch"] == 2 and meta["metrics"]["val_loss"] == 0.4 and meta["run"] == "t"
    assert meta["monitor"] == {"name": "val_loss", "best": 0.4}
    assert meta["step"] == 2 * 4
    assert_same_params(params(fresh), snaps.weights[1])

    meta = load_checkpoint(tmp_path / "last.ckpt", fresh, fresh.optimizer)
    assert meta["epoch"] == 4 and meta["step"] == 16
    assert_same_params(params(fresh), params(model))
    doc, _ = read_checkpoint(tmp_path / "w.ckpt")
    assert doc["optimizer"] is None
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(tmp_path / "w.ckpt", fresh, fresh.optimizer)
    with pytest.raises(KeyError, match="val_acc"):
        _fit([ModelCheckpoint(tmp_path / "{val_acc}.ckpt")], 1)


def test_csv_logger(tmp_path):
    path = tmp_path / "log" / "metrics.csv"
    model = _fit([CSVLogger(path)], 3, validation_data=(X[:16], Y[:16]))
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], model.history.history["loss"])
    _fit([CSVLogger(path, append=True)], 2, model=model, validation_data=(X[:16], Y[:16]))
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 6 and rows[0][0] == "epoch" and rows[4][0] == "0"


def _read_events(path):
    from tensorboardX.proto import event_pb2

    data = open(path, "rb").read()
    pos, scalars = 0, {}
    while pos < len(data):
        (length,) = struct.unpack("<Q", data[pos:pos + 8])
        pos += 12
        event = event_pb2.Event.FromString(data[pos:pos + length])
        pos += length + 4
        for value in event.summary.value:
            scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    return scalars


def test_tensorboard_event_files(tmp_path):
    pytest.importorskip("tensorboardX")
    model = _fit([TensorBoard(tmp_path / "tb", update_freq=2, histogram_freq=1)], 2,
                 validation_data=(X[:16], Y[:16]))
    (train_file,) = glob.glob(str(tmp_path / "tb" / "train" / "events.out.tfevents.*"))
    (val_file,) = glob.glob(str(tmp_path / "tb" / "validation" / "events.out.tfevents.*"))
    train, val = _read_events(train_file), _read_events(val_file)
    steps, values = zip(*train["epoch_loss"])
    assert steps == (0, 1)
    np.testing.assert_allclose(values, model.history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in val["epoch_accuracy"]],
                               model.history.history["val_accuracy"], rtol=1e-6)
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6, 8]
    assert [v for _, v in train["epoch_learning_rate"]] == pytest.approx([0.05, 0.05])


def _lrs(model):
    return model.history.history["learning_rate"]


def test_learning_rate_scheduler_changes_the_optimizer_lr():
    seen, model = [], mlp().compile(optimizer="sgd", lr=1.0)
    _fit([LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch),
          LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(
              model.optimizer.param_groups[0]["lr"]))], 3, model=model)
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    assert _lrs(model) == pytest.approx([0.1, 0.05, 0.025])
    model = _fit([LearningRateScheduler(lambda epoch: 0.2)], 1)
    assert model.optimizer.param_groups[0]["lr"] == 0.2
    with pytest.raises(ValueError, match="finite number"):
        _fit([LearningRateScheduler(lambda epoch: -1.0)], 1)


def test_chainrule_schedulers_through_the_bridge():
    model = _fit([LRSchedulerCallback(lambda opt: lr_scheduler.StepLR(opt, 1, gamma=0.5))], 3)
    assert _lrs(model) == pytest.approx([0.05, 0.025, 0.0125])
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.00625)
    model = mlp().compile(optimizer="sgd", lr=0.1)
    plateau = lr_scheduler.ReduceLROnPlateau(model.optimizer, patience=0, factor=0.5)
    _fit([Inject([1.0, 1.0, 1.0]), LRSchedulerCallback(plateau)], 3, model=model)
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.025)
    model, rates = mlp().compile(optimizer="sgd"), []
    _fit([LRSchedulerCallback(lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=8),
                              interval="batch"),
          LambdaCallback(on_train_batch_begin=lambda b, logs: rates.append(
              model.optimizer.param_groups[0]["lr"]))], 2, model=model)
    assert rates[0] == pytest.approx(0.1 / 25) and 0.09 < max(rates) <= 0.1
    assert rates[-1] < 1e-4 and len(set(rates)) == 8
    other = mlp().compile(optimizer="sgd")
    with pytest.raises(ValueError, match="another optimizer"):
        _fit([LRSchedulerCallback(lr_scheduler.StepLR(other.optimizer, 1))], 1)


def test_reduce_lr_on_plateau_follows_keras():
    cb = ReduceLROnPlateau(patience=2, factor=0.5, min_lr=0.02)
    model = _fit([Inject([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), cb], 7)
    # reductions at epochs 2 and 4 (after 2 epochs without improvement), floored at min_lr
    assert _lrs(model) == pytest.approx([0.05, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02])
    cb = ReduceLROnPlateau(patience=1, factor=0.5, cooldown=2)
    model = _fit([Inject([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), cb], 6)
    # reduce at epoch 1; epochs 2 and 3 cool down (not counted); reduce again at epoch 3
    assert _lrs(model) == pytest.approx([0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125])
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.0)


def test_terminate_on_nan_stops_quietly_and_keeps_finite_weights():
    x = X.copy()
    x[40:48] = np.nan                              # the third batch of 16
    snaps = []
    model = mlp().compile(optimizer="sgd", lr=0.05)
    model.fit(x, Y, epochs=3, batch_size=16, shuffle=False, verbose=0, callbacks=[
        LambdaCallback(on_train_batch_end=lambda b, logs: snaps.append(params(model))),
        TerminateOnNaN()])
    assert len(snaps) == 3 and model.history.epoch == [0]
    assert math.isnan(model.history.history["loss"][0])
    assert_same_params(params(model), snaps[1])           # the NaN step was not applied
    assert all(np.isfinite(v).all() for v in params(model).values())


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(ValueError, match="unknown hook"):
        LambdaCallback(on_epoch_finish=print)
