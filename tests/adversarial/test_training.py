"""AdversarialTraining: fit on PGD examples equals a hand-written Madry loop; the trainer hook."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.adversarial import AdversarialTraining, pgd
from chainrule.mathematics import Formula
from chainrule.training import Callback

from .helpers import batch, chainrule_cnn


def _model(seed: int = 0):
    cr.manual_seed(seed)
    return chainrule_cnn().to(cr.float64)


@pytest.mark.parametrize("norm, eps, alpha", [("inf", 0.1, 0.04), ("2", 0.8, 0.3)])
def test_fit_with_the_callback_equals_a_hand_written_pgd_training_loop(norm, eps, alpha):
    x, y = batch(11, n=24)
    a, b = _model(), _model()
    b.load_state_dict(a.state_dict())
    a.compile(optimizer=cr.optim.SGD(a.parameters(), lr=0.1, momentum=0.9),
              loss="cross_entropy", metrics=["accuracy"])
    callback = AdversarialTraining(eps, alpha, steps=3, random_start=False, norm=norm)
    history = a.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                    callbacks=[callback])
    assert len(history.history["loss"]) == 2

    optimizer = cr.optim.SGD(b.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    b.train()
    losses = []
    for _ in range(2):
        for start in range(0, 24, 8):
            xb, yb = cr.tensor(x[start:start + 8]), cr.tensor(y[start:start + 8])
            x_adv = pgd(b, xb, yb, eps, alpha, 3, random_start=False, norm=norm)
            optimizer.zero_grad()
            loss = loss_fn(b(x_adv), yb)
            loss.backward()
            optimizer.step()
            losses.append(float(loss))
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=0, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(history.history["loss"][-1], np.mean(losses[-3:]), rtol=1e-10)


def test_the_trainer_hook_passes_each_callbacks_batch_to_the_next():
    seen = []

    class Double(Callback):
        def transform_train_batch(self, x, y):
            return x * 2, y

    class Look(Callback):
        def transform_train_batch(self, x, y):
            seen.append(float(abs(x.numpy()).max()))
            return x, y

    cr.manual_seed(0)
    model = nn.Linear(3, 2)
    model.compile(optimizer="sgd", lr=0.0)
    x = np.full((4, 3), 0.25, dtype=np.float32)
    model.fit(x, np.zeros(4, dtype=np.int64), batch_size=2, epochs=1, verbose=0,
              callbacks=[Double(), Look()])
    assert seen == [0.5, 0.5]


def test_bad_settings_and_formula():
    for kwargs, message in [({"eps": -1, "alpha": 0.1, "steps": 3}, "eps must be ≥ 0"),
                            ({"eps": 0.1, "alpha": 0, "steps": 3}, "alpha must be > 0"),
                            ({"eps": 0.1, "alpha": 0.1, "steps": 0}, "steps must be"),
                            ({"eps": 0.1, "alpha": 0.1, "steps": 2, "norm": "1"}, "norm")]:
        with pytest.raises(ValueError, match=message):
            AdversarialTraining(**kwargs)
    formula = AdversarialTraining(0.1, 0.035, 7).formula()
    assert isinstance(formula, Formula) and "max" in str(formula) and "PGD" in str(formula)
