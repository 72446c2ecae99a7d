"""Integrated gradients' completeness, Σ_i A_i = f_t(x) − f_t(x′), on a LeNet trained briefly on
Fashion-MNIST: within 1% at 128 steps for every quadrature rule, on test images whose score
really changes from the baseline."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import interpret


@pytest.fixture(scope="module")
def trained_lenet():
    """LeNet-5 after one epoch of Adam on 1,500 Fashion-MNIST training images (a few seconds),
    and 8 test images with the predicted classes."""
    from chainrule.data.datasets import DatasetNotFoundError
    from chainrule.data.datasets.mnist import load_fashion_mnist
    from chainrule.models.vision import LeNet5

    try:
        x, y = load_fashion_mnist("train")
        xt, _ = load_fashion_mnist("test")
    except DatasetNotFoundError:
        pytest.skip("Fashion-MNIST is not on this machine")
    x = (x[:1500, None] / 255.0).astype(np.float32)
    cr.manual_seed(0)
    model = LeNet5()
    opt = cr.optim.Adam(model.parameters(), lr=2e-3)
    for lo in range(0, len(x), 100):
        loss = cr.nn.functional.cross_entropy(model(cr.tensor(x[lo:lo + 100])),
                                              cr.tensor(y[lo:lo + 100]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    # the first 8 test images whose predicted score changes by more than 0.5 from the black
    # baseline: a real change of score for the attributions to explain
    candidates = (xt[:64, None] / 255.0).astype(np.float32)
    with cr.no_grad():
        scores = model(cr.tensor(candidates)).numpy()
        baseline = model(cr.zeros((1,) + candidates.shape[1:])).numpy()
    predicted = scores.argmax(1)
    rows = np.arange(len(candidates))
    change = np.abs(scores[rows, predicted] - baseline[0, predicted])
    chosen = np.flatnonzero(change > 0.5)[:8]
    assert len(chosen) == 8, "fewer than 8 of 64 test images change their score by 0.5"
    return model, candidates[chosen], predicted[chosen]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gausslegendre", "riemann_middle", "riemann_left",
                                    "riemann_right", "riemann_trapezoid"])
def test_completeness_within_one_percent_at_128_steps(trained_lenet, method):
    model, images, predicted = trained_lenet
    attr, delta = interpret.integrated_gradients(model, images, predicted, steps=128,
                                                 method=method, return_convergence_delta=True)
    report = interpret.completeness(model, images, predicted, attr)
    np.testing.assert_allclose(report.delta, delta.numpy(), rtol=1e-4, atol=1e-5)
    assert (np.abs(report.score_difference) > 0.5).all()     # a real change of score to explain
    if method == "riemann_trapezoid":
        # Captum's trapezoid weights are 1/m (halved at the ends), which sum to 1 − 1/m: the
        # trapezoid rule of step 1/(m − 1) times (m − 1)/m. Undo that factor to check the rule.
        attr = attr * (128 / 127)
        report = interpret.completeness(model, images, predicted, attr)
    assert report.relative_error.max() < 0.01, str(report)
