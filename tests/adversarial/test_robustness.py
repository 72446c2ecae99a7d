"""robustness_curve against attacks computed one by one; its plot."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.adversarial import (
    RobustnessCurve,
    fgsm,
    pgd,
    plot_robustness_curve,
    robustness_curve,
)

from .helpers import batch, twin_cnns


def _accuracy(model, x, y):
    with cr.no_grad():
        return float((model(cr.tensor(x)).numpy().argmax(1) == y).mean())


def test_curve_equals_the_attacks_one_by_one_over_batches():
    _, model = twin_cnns(4)
    x, y = batch(2, n=20)
    eps_values = [0.0, 0.05, 0.2]
    curve = robustness_curve(model, (x, y), eps_values, "pgd", steps=4, batch_size=7)
    assert curve.samples == 20 and curve.eps == eps_values
    assert curve[0.0] == _accuracy(model, x, y)
    for eps in eps_values[1:]:
        x_adv = np.concatenate([pgd(model, x[i:i + 7], y[i:i + 7], eps, 2.5 * eps / 4, 4,
                                    random_start=False).numpy() for i in range(0, 20, 7)])
        assert curve[eps] == _accuracy(model, x_adv, y)
    fast = robustness_curve(model, [(x[:10], y[:10]), (x[10:], y[10:])], [0.2], "fgsm")
    assert fast[0.2] == _accuracy(model, fgsm(model, x, y, 0.2).numpy(), y)


def test_plot_of_two_curves(tmp_path):
    _, model = twin_cnns(4)
    x, y = batch(2, n=8)
    a = robustness_curve(model, (x, y), [0, 0.1], "fgsm", label="a")
    path = plot_robustness_curve({"first": a, "second": RobustnessCurve(**a.as_dict())},
                                 tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG" and path.endswith(".png")
    robustness_curve(model, (x, y), [0.1], "fgsm", path=tmp_path / "one.png")
    assert (tmp_path / "one.png").stat().st_size > 1000
    assert "eps=0.1" in str(a)


def test_bad_arguments():
    _, model = twin_cnns(0)
    x, y = batch(0)
    with pytest.raises(ValueError, match="unknown attack"):
        robustness_curve(model, (x, y), [0.1], "cw")
    with pytest.raises(ValueError, match="≥ 0"):
        robustness_curve(model, (x, y), [-0.1])
    with pytest.raises(ValueError, match="alpha must be > 0"):
        robustness_curve(model, (x, y), [0.1], alpha=0)
    with pytest.raises(ValueError, match="valid range"):
        robustness_curve(model, (x + 1, y), [0.1])
    with pytest.raises(TypeError, match="iterable"):
        robustness_curve(model, 3, [0.1])
