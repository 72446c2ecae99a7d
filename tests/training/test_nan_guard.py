"""The NaN guard: a non-finite loss stops training, names the step and the first bad layer, and
leaves the weights and the last checkpoint as they were."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.training import (
    LambdaCallback,
    ModelCheckpoint,
    NonFiniteLossError,
    load_checkpoint,
)
from chainrule.training.nan_guard import first_nonfinite_layer, forward_hooks

from .helpers import assert_same_params, blobs, mlp, params

pytestmark = pytest.mark.filterwarnings("ignore:(invalid value|divide by zero|overflow)"
                                        ":RuntimeWarning")


class Log(nn.Module):
    """log(x): NaN for negative inputs."""

    def forward(self, x):
        return cr.log(x)


class Net(nn.Module):
    def __init__(self, head: nn.Module | None = None):
        super().__init__()
        cr.manual_seed(0)
        self.features = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), head or nn.Identity())
        self.classifier = nn.Linear(8, 3)

    def forward(self, x):
        return self.classifier(self.features(x))


def test_names_the_first_layer_whose_output_was_not_finite():
    x, y = blobs(32)
    model = Net(head=Log()).compile()
    with pytest.raises(NonFiniteLossError) as e:
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    err = e.value
    assert isinstance(err, FloatingPointError)
    assert err.step == 1 and err.epoch == 0 and err.batch == 0 and err.layer == "features.2"
    assert "step 1 (epoch 1, batch 0)" in str(err)
    assert "'features.2' (Log)" in str(err)
    assert all("forward" not in m.__dict__ for m in model.modules())      # hooks removed


class Square(nn.Module):
    def forward(self, x):
        return x * x


def _squaring_net():
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), Square(), nn.Linear(8, 3))


def test_a_late_overflow_stops_at_its_step_with_weights_and_checkpoint_intact(tmp_path):
    x, y = blobs(64)
    x_bad = x.copy()
    x_bad[48:] = 1e25       # last batch: Linear's output (~1e25) is finite, its square is not
    model = _squaring_net().compile(optimizer="sgd", lr=1e-3)
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0,
              callbacks=[ModelCheckpoint(tmp_path / "last.ckpt")])
    good = (tmp_path / "last.ckpt").read_bytes()
    after_epoch_1 = params(model)
    snapshots = []
    with pytest.raises(NonFiniteLossError) as e:
        model.fit(x_bad, y, epochs=2, batch_size=16, shuffle=False, verbose=0, callbacks=[
            ModelCheckpoint(tmp_path / "last.ckpt"),
            LambdaCallback(on_train_batch_end=lambda b, logs: snapshots.append(params(model)))])
    err = e.value
    assert (err.step, err.epoch, err.batch) == (4 + 4, 0, 3)
    assert "step 8 (epoch 1, batch 3)" in str(err)
    assert err.layer == "1" and "'1' (Square)" in str(err)
    assert "input batch" not in err.report and "parameters" not in err.report
    assert_same_params(params(model), snapshots[2])        # the bad step was not applied
    assert (tmp_path / "last.ckpt").read_bytes() == good    # the last checkpoint is untouched
    fresh = _squaring_net()
    assert load_checkpoint(tmp_path / "last.ckpt", fresh)["epoch"] == 1
    assert_same_params(params(fresh), after_epoch_1)


def test_nan_in_the_input_and_in_the_parameters_are_reported():
    x, y = blobs(16)
    x[3, 1] = np.nan
    model = Net().compile()
    with pytest.raises(NonFiniteLossError, match="input batch itself contains NaN"):
        model.fit(x, y, verbose=0)
    model = Net().compile()
    model.classifier.weight.numpy()[0, 0] = np.inf
    with pytest.raises(NonFiniteLossError, match="parameters 'classifier.weight' are not finite") \
            as e:
        model.fit(blobs(16)[0], y, verbose=0)
    assert e.value.layer == "classifier"


def test_a_loss_that_is_not_finite_on_finite_outputs_blames_the_loss():
    x, y = blobs(16)
    model = Net().compile(loss=lambda out, target: cr.log(out.sum() * 0.0))
    with pytest.raises(NonFiniteLossError, match="the loss function itself") as e:
        model.fit(x, y, verbose=0)
    assert e.value.layer is None


def test_forward_hooks_see_every_module_in_completion_order_and_restore():
    model = Net()
    seen = []
    with forward_hooks(model, lambda name, module, out: seen.append(name)):
        model(cr.tensor(blobs(2)[0]))
    assert seen == ["features.0", "features.1", "features.2", "features", "classifier", ""]
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert first_nonfinite_layer(model, cr.tensor(blobs(2)[0])) is None
    state = cr.backend.generator().bit_generator.state
    first_nonfinite_layer(nn.Sequential(nn.Dropout(0.5)), cr.tensor(np.ones((4, 4))))
    assert cr.backend.generator().bit_generator.state == state     # diagnosis draws nothing


def test_fit_warns_when_the_loss_diverges_and_names_the_learning_rate():
    """Issue 12: Adam at lr 10⁶ finished with loss ~10²² and no warning."""
    import warnings

    from chainrule.training import DivergenceWarning

    x, y = blobs(256)
    cr.manual_seed(0)
    model = mlp()
    model.compile(optimizer=cr.optim.Adam(model.parameters(), lr=1e6))
    with pytest.warns(DivergenceWarning, match=r"diverging; in force: learning rate 1e\+06"):
        model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    cr.manual_seed(0)
    model = mlp()
    model.compile(optimizer=cr.optim.Adam(model.parameters(), lr=1e-3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        model.fit(x, y, epochs=3, batch_size=32, verbose=0)       # a healthy run: silent


def test_an_overflowing_loss_with_finite_layers_is_named_as_divergence():
    """Issue 12: with every layer finite but outputs near float32's limit, the message blamed
    'log of 0' in the loss; it now reports the outputs' size, divergence and the learning rate."""
    from chainrule.training.nan_guard import diagnose

    model = nn.Sequential(nn.Linear(2, 2))
    model.compile(optimizer=cr.optim.SGD(model.parameters(), lr=5.0))
    model[0].weight.data.copy_(cr.tensor([[3e38, 0.0], [-3e38, 0.0]]))
    model[0].bias.data.zero_()
    error = diagnose(model, cr.tensor([[1.0, 0.0]]), float("nan"), step=7, epoch=0, batch=6)
    text = str(error)
    assert "outputs reach 3e+38" in text and "diverged" in text and "learning rate in force: 5" \
        in text and "log of 0" not in text
