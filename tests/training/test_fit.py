"""compile / fit / evaluate / predict: learning, data forms, validation, History, equivalence with a
plain PyTorch-style loop, modes, errors, and the progress display."""
from __future__ import annotations

import io

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset
from chainrule.training import Callback, History, LambdaCallback, metrics
from chainrule.training.data_adapter import ArrayAdapter, train_validation_split

from .helpers import assert_same_params, blobs, mlp, params


def test_fit_lowers_the_loss_and_reaches_high_accuracy():
    x, y = blobs(300)
    model = mlp()
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"], lr=1e-2)
    before = model.evaluate(x, y, return_dict=True)
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0, seed=0)
    after = model.evaluate(x, y, return_dict=True)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert after["loss"] < before["loss"]
    assert after["accuracy"] >= 0.95
    assert history.history["accuracy"][-1] >= 0.9


def test_history_contents_and_model_history():
    x, y = blobs(120)
    model = mlp().compile(metrics=["accuracy", "f1"])
    history = model.fit(x, y, epochs=3, batch_size=40, validation_data=(x[:30], y[:30]),
                        verbose=0)
    assert isinstance(history, History) and model.history is history
    assert history.epoch == [0, 1, 2]
    assert list(history.history) == ["loss", "accuracy", "f1", "val_loss", "val_accuracy",
                                     "val_f1"]
    assert all(len(v) == 3 for v in history.history.values())
    assert all(isinstance(v, float) for v in history.history["val_loss"])
    assert history.params["epochs"] == 3 and history.params["steps"] == 3
    assert history.params["samples"] == 120


def test_fit_with_arrays_tensors_lists_datasets_and_loaders_agree():
    x, y = blobs(96)
    results = []
    for data in ("arrays", "tensors", "lists", "dataset", "loader"):
        model = mlp().compile(optimizer="sgd", lr=0.1)
        if data == "arrays":
            model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
        elif data == "tensors":
            model.fit(cr.tensor(x), cr.tensor(y), batch_size=32, epochs=2, shuffle=False,
                      verbose=0)
        elif data == "lists":
            model.fit(x.tolist(), y.tolist(), batch_size=32, epochs=2, shuffle=False, verbose=0)
        elif data == "dataset":
            model.fit(TensorDataset(x, y), batch_size=32, epochs=2, shuffle=False, verbose=0)
        else:
            model.fit(DataLoader(TensorDataset(x, y), batch_size=32), epochs=2, verbose=0)
        results.append(params(model))
    for other in results[1:]:
        assert_same_params(results[0], other, exact=False)


def test_fit_equals_a_plain_pytorch_style_loop():
    """Same seed, same batches: fit and the explicit loop end with identical parameters."""
    x, y = blobs(100)
    epochs, batch_size, seed = 3, 16, 7

    plain = mlp(dropout=0.25)
    opt = optim.Adam(plain.parameters(), lr=1e-2)
    criterion = nn.CrossEntropyLoss()
    plain.train()
    for epoch in range(epochs):
        order = np.random.default_rng([seed, epoch]).permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            opt.zero_grad()
            loss = criterion(plain(cr.tensor(x[index])), cr.tensor(y[index]))
            loss.backward()
            opt.step()

    keras = mlp(dropout=0.25)
    keras.compile(optimizer=optim.Adam, loss="cross_entropy", lr=1e-2)
    keras.fit(x, y, epochs=epochs, batch_size=batch_size, seed=seed, verbose=0)
    assert_same_params(params(plain), params(keras))


def test_fit_on_a_loader_equals_the_loop_over_the_same_loader():
    x, y = blobs(90)

    def loader():
        return DataLoader(TensorDataset(x, y), batch_size=20, shuffle=True, seed=3)

    plain = mlp()
    opt = optim.SGD(plain.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    batches = loader()
    for _ in range(3):
        for xb, yb in batches:
            opt.zero_grad()
            criterion(plain(xb), yb).backward()
            opt.step()

    keras = mlp()
    keras.compile(optim.SGD(keras.parameters(), lr=0.05, momentum=0.9), "cross_entropy")
    keras.fit(loader(), epochs=3, verbose=0)
    assert_same_params(params(plain), params(keras))


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x, y = blobs(100)
    (xt, yt), (xv, yv) = train_validation_split(x, y, 0.25)
    assert len(xt) == 75 and len(xv) == 25
    np.testing.assert_array_equal(xv, x[75:])
    np.testing.assert_array_equal(yt, y[:75])

    model = mlp().compile(metrics=["accuracy"])
    seen = []
    model.fit(x, y, epochs=1, batch_size=25, validation_split=0.25, verbose=0,
              callbacks=[LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(
                  logs["size"]))])
    assert sum(seen) == 75
    val = model.history.history["val_loss"][0]
    assert val == pytest.approx(model.evaluate(x[75:], y[75:], batch_size=25)[0], rel=1e-6)
    with pytest.raises(ValueError, match="not enough to split"):
        model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)
    with pytest.raises(ValueError, match="validation_split needs array data"):
        model.fit(DataLoader(TensorDataset(x, y), batch_size=10), validation_split=0.2,
                  verbose=0)


def test_validation_data_as_arrays_and_as_loader():
    x, y = blobs(80)
    model = mlp().compile(metrics=["accuracy"])
    model.fit(x, y, epochs=2, validation_data=(x[:40], y[:40]), verbose=0)
    as_arrays = model.history.history["val_accuracy"]
    model2 = mlp().compile(metrics=["accuracy"])
    model2.fit(x, y, epochs=2, validation_data=DataLoader(TensorDataset(x[:40], y[:40]),
                                                          batch_size=7), verbose=0)
    np.testing.assert_allclose(model2.history.history["val_accuracy"], as_arrays)
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(x, y, validation_data=x[:10], verbose=0)


def test_modes_are_switched_and_restored():
    x, y = blobs(64)
    model = mlp(dropout=0.5).compile()
    modes = []
    model.fit(x, y, epochs=1, batch_size=32, validation_data=(x, y), verbose=0, callbacks=[
        LambdaCallback(on_train_batch_begin=lambda b, logs: modes.append(("train", model.training)),
                       on_test_batch_begin=lambda b, logs: modes.append(("test", model.training)))])
    assert ("train", True) in modes and ("test", False) in modes
    assert all(mode == (kind == "train") for kind, mode in modes)
    model.eval()
    model.fit(x, y, epochs=1, verbose=0)
    assert model.training is False          # the mode it had before fit
    model.train()
    first, second = model.predict(x), model.predict(x)
    np.testing.assert_array_equal(first, second)        # dropout off in predict
    assert model.training is True


def test_gradients_are_zeroed_each_step():
    x, y = blobs(64)
    model = mlp().compile(optimizer="sgd", lr=0.0)
    grads = []
    model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0, callbacks=[
        LambdaCallback(on_train_batch_end=lambda b, logs: grads.append(
            model[0].weight.grad.numpy().copy()))])
    single = mlp()
    loss = nn.CrossEntropyLoss()(single(cr.tensor(x[32:])), cr.tensor(y[32:]))
    loss.backward()
    np.testing.assert_allclose(grads[1], single[0].weight.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_evaluate_and_predict_forms():
    x, y = blobs(50)
    model = mlp().compile(loss="cross_entropy")
    assert isinstance(model.evaluate(x, y), float)
    model.compile(metrics=["accuracy", "top_2_accuracy"])
    values = model.evaluate(x, y, batch_size=8)
    assert isinstance(values, list) and len(values) == 3
    d = model.evaluate(x, y, return_dict=True)
    assert list(d) == ["loss", "accuracy", "top_2_accuracy"]
    assert d["loss"] == pytest.approx(values[0], rel=1e-6)
    out = model.predict(x, batch_size=7)
    assert isinstance(out, np.ndarray) and out.shape == (50, 3)
    np.testing.assert_allclose(out, model(cr.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
    loader_out = model.predict(DataLoader(TensorDataset(x, y), batch_size=16))
    np.testing.assert_allclose(loader_out, out, rtol=1e-6)
    # a float64 array is cast to the model's float32
    assert model.predict(x.astype(np.float64)).dtype == np.float32


def test_binary_losses_and_metrics_follow_the_output():
    x, y = blobs(120, classes=2)
    model = mlp(classes=1).compile(loss="bce_with_logits", metrics=["accuracy", "auc"], lr=1e-2)
    model.fit(x, y.astype(np.float32), epochs=5, batch_size=16, verbose=0, seed=0)
    logs = model.evaluate(x, y.astype(np.float32), return_dict=True)
    assert logs["accuracy"] > 0.9 and logs["auc"] > 0.95
    assert model.metrics[0].threshold == 0.0       # logits: threshold at 0


def test_regression_mse_and_regularizer():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], np.float32))[:, None]
    model = nn.Linear(3, 1)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], lr=0.1)
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert model.evaluate(x, y)[0] < 1e-3
    reg = nn.Linear(3, 1)
    reg.compile(optimizer="sgd", loss="mse", lr=0.1, regularizer=optim.regularization.L1(0.05))
    reg.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert np.abs(reg.weight.numpy()).sum() < np.abs(model.weight.numpy()).sum()


def test_compile_options_reach_the_optimizer():
    model = mlp()
    model.compile(optimizer="sgd", lr=0.3, weight_decay=1e-3, momentum=0.9, nesterov=True)
    group = model.optimizer.param_groups[0]
    assert isinstance(model.optimizer, optim.SGD)
    assert (group["lr"], group["weight_decay"], group["momentum"], group["nesterov"]) == \
        (0.3, 1e-3, 0.9, True)
    model.compile(optimizer="adamw")
    assert model.optimizer.param_groups[0]["weight_decay"] == 1e-2     # AdamW's default
    opt = optim.Adam(model.parameters())
    model.compile(optimizer=opt, lr=0.5)
    assert model.optimizer is opt and opt.param_groups[0]["lr"] == 0.5
    # frozen parameters are left out of an optimizer built by compile
    model[0].requires_grad_(False)
    model.compile(optimizer="sgd")
    assert sum(len(g["params"]) for g in model.optimizer.param_groups) == 2


@pytest.mark.parametrize("kind, name, valid", [
    ("optimizer", "adamm", "sgd, adam, adamw, rmsprop, adagrad, adadelta, nadam"),
    ("loss", "crossentropy_loss", "cross_entropy"),
    ("metrics", ["acuracy"], "accuracy"),
])
def test_unknown_names_list_the_valid_ones(kind, name, valid):
    with pytest.raises(ValueError, match=f"unknown {kind.rstrip('s')}") as e:
        mlp().compile(**{kind: name})
    assert valid in str(e.value)


def test_errors_are_clear():
    x, y = blobs(20)
    with pytest.raises(RuntimeError, match="not compiled"):
        mlp().fit(x, y)
    model = mlp().compile()
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, y[:10], verbose=0)
    with pytest.raises(ValueError, match="targets"):
        model.fit(x, verbose=0)
    with pytest.raises(ValueError, match="y must be None"):
        model.fit(DataLoader(TensorDataset(x, y)), y, verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)
    with pytest.raises(TypeError, match="Callback"):
        model.fit(x, y, verbose=0, callbacks=[object()])
    with pytest.raises(IndexError, match="out of range for 3 classes"):
        model.fit(x, np.full(20, 5), verbose=0)          # labels outside [0, classes)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        metrics.confusion_matrix(np.full(3, 5), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="unique"):
        model.compile(metrics=["accuracy", "accuracy"])


def test_shuffle_orders_follow_the_seed_rule():
    x = np.arange(10, dtype=np.float32)[:, None]
    adapter = ArrayAdapter(x, np.arange(10), batch_size=4, shuffle=True, seed=5)
    got = np.concatenate([xb.numpy()[:, 0] for xb, _ in adapter.epoch(2)])
    np.testing.assert_array_equal(got, np.random.default_rng([5, 2]).permutation(10))
    unshuffled = ArrayAdapter(x, None, batch_size=4)
    assert [len(xb) for xb, _ in unshuffled.epoch(0)] == [4, 4, 2]


def test_stop_training_from_a_callback_and_initial_epoch():
    x, y = blobs(60)
    model = mlp().compile()

    class StopAtBatch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    steps = []
    model.fit(x, y, epochs=5, batch_size=10, verbose=0, callbacks=[StopAtBatch(), LambdaCallback(
        on_train_batch_end=lambda b, logs: steps.append(b))])
    assert steps == [0, 1] and model.history.epoch == [0]
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0)
    assert model.history.epoch == [2, 3]


class _TTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_quiet_lines_and_bar(capsys):
    x, y = blobs(64)
    model = mlp().compile(metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, batch_size=16, verbose=2, validation_data=(x, y))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - 4/4 - ")
    assert "samples/s" in lines[1] and "val_accuracy:" in lines[1] and "loss:" in lines[1]
    model.fit(x, y, epochs=1, verbose=1)     # captured output is not a terminal: lines
    assert len(capsys.readouterr().out.strip().splitlines()) == 1
    model.evaluate(x, y, verbose=1)
    assert capsys.readouterr().out.startswith("Evaluate - 2/2")

    pytest.importorskip("tqdm")
    from chainrule.training.progress import ProgbarLogger

    stream = _TTY()
    bar = ProgbarLogger(1, stream)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[bar])
    text = stream.getvalue()
    assert "Epoch 2/2" in text and "4/4" in text and "samples/s" in text
    assert "loss=" in text and "accuracy=" in text and "<" in text     # elapsed<remaining: ETA


def test_progress_in_a_terminal_too_narrow_for_a_bar_prints_lines(monkeypatch):
    """Issue 12: in a terminal of width 0 the progress output vanished entirely; a terminal
    narrower than a bar can show gets the plain per-epoch lines."""
    pytest.importorskip("tqdm")
    import os as _os

    from chainrule.training import progress

    class _NarrowTTY(_TTY):
        def fileno(self):
            return 1

    monkeypatch.setattr(progress.os, "get_terminal_size",
                        lambda fd=None: _os.terminal_size((0, 24)))
    x, y = blobs(64)
    model = mlp().compile(metrics=["accuracy"])
    stream = _NarrowTTY()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[progress.ProgbarLogger(1, stream)])
    lines = stream.getvalue().strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2 - 4/4 - ") and "loss:" in lines[1]
