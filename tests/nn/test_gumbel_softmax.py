"""F.gumbel_softmax: its samples follow the categorical distribution of the logits (hard), lie
on the simplex (soft), and its straight-through gradient is the soft sample's; PyTorch's draws
differ (another generator), so the distribution and the gradient's form are what is compared."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import functional as F


def test_hard_samples_follow_the_categorical_distribution():
    cr.manual_seed(0)
    probs = np.array([0.6, 0.25, 0.1, 0.05])
    logits = cr.tensor(np.log(np.tile(probs, (20000, 1))))
    y = F.gumbel_softmax(logits, tau=0.7, hard=True).numpy()
    assert set(np.unique(y)) == {0.0, 1.0} and np.all(y.sum(1) == 1)
    # 20000 draws: each frequency within 4 standard errors of its probability
    standard_error = np.sqrt(probs * (1 - probs) / 20000)
    assert np.all(np.abs(y.mean(0) - probs) <= 4 * standard_error), (y.mean(0), probs)


@pytest.mark.parametrize("dim", [-1, 0])
def test_soft_samples_lie_on_the_simplex_and_sharpen_as_tau_falls(dim):
    # one draw of a few columns: the thresholds below hold for this seed's noise (PyTorch's
    # generator since round 33), not for every seed
    cr.manual_seed(2)
    logits = cr.tensor(np.random.default_rng(0).standard_normal((5, 6)))
    y = F.gumbel_softmax(logits, tau=1.0, dim=dim).numpy()
    np.testing.assert_allclose(y.sum(dim), 1.0, rtol=1e-12)
    cr.manual_seed(2)
    cold = F.gumbel_softmax(logits, tau=0.05, dim=dim).numpy()
    assert cold.max(dim).mean() > 0.95 > y.max(dim).mean()


def test_straight_through_gradient_is_the_soft_samples():
    """hard=True: the value is one-hot, the gradient is that of the soft sample drawn with the
    same noise (as PyTorch's y_hard − y_soft.detach() + y_soft)."""
    logits = np.random.default_rng(2).standard_normal((3, 4))
    g = np.random.default_rng(3).standard_normal((3, 4))
    grads = []
    for hard in (True, False):
        cr.manual_seed(5)
        x = cr.tensor(logits, requires_grad=True)
        F.gumbel_softmax(x, tau=0.5, hard=hard).backward(cr.tensor(g))
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    # the same form as PyTorch's: dy_soft/dlogits = (diag(y) - y yᵀ)/tau, rows summing to 0
    np.testing.assert_allclose(grads[0].sum(1), 0.0, atol=1e-12)
    t = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.gumbel_softmax(t, tau=0.5, hard=True).backward(torch.tensor(g))
    np.testing.assert_allclose(t.grad.numpy().sum(1), 0.0, atol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match="tau"):
        F.gumbel_softmax(cr.zeros(2, 3), tau=0.0)
