"""Monte-Carlo dropout and deep ensembles: the statistics against hand computations from the same
sampled masks and members, and the modes of the model's modules."""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import backend, nn
from chainrule.calibration import Ensemble, mc_dropout_predict, summarise


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _statistics_by_hand(samples):
    """mean, variance (÷ S), H[p̄], E[H[p]] and H[p̄] − E[H[p]] with loops over S and K."""
    s_count, n, k = samples.shape
    mean = np.zeros((n, k))
    for s in range(s_count):
        mean += samples[s] / s_count
    variance = np.zeros((n, k))
    for s in range(s_count):
        variance += (samples[s] - mean) ** 2 / s_count
    predictive = np.zeros(n)
    expected = np.zeros(n)
    for i in range(n):
        for c in range(k):
            if mean[i, c] > 0:
                predictive[i] -= mean[i, c] * math.log(mean[i, c])
            for s in range(s_count):
                p = samples[s, i, c]
                if p > 0:
                    expected[i] -= p * math.log(p) / s_count
    return mean, variance, predictive, expected, predictive - expected


def test_mc_dropout_statistics_from_the_same_masks():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 4)).double()
    x = np.random.default_rng(1).normal(size=(6, 5))
    cr.manual_seed(11)
    result = mc_dropout_predict(model, x, samples=7)
    # by hand: the same generator state, the same draws (one Bernoulli(1 − p) mask per pass,
    # PyTorch's: kept when u < 1 − p, scaled by 1/(1 − p)), the layers' weights in NumPy
    cr.manual_seed(11)
    w1, b1 = model[0].weight.numpy(), model[0].bias.numpy()
    w2, b2 = model[3].weight.numpy(), model[3].bias.numpy()
    samples = []
    for _ in range(7):
        mask = backend.generator().bernoulli_((6, 8), 1 - 0.3) / 0.7
        hidden = np.maximum(x @ w1.T + b1, 0.0) * mask
        samples.append(_softmax_rows(hidden @ w2.T + b2))
    samples = np.stack(samples)
    np.testing.assert_allclose(result.samples, samples, rtol=1e-12, atol=1e-15)
    expected = _statistics_by_hand(samples)
    for got, want in zip(result[:5], expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    assert result.mean.shape == (6, 4) and result.predictive_entropy.shape == (6,)
    assert (result.mutual_information > 0).all()       # the masks differ: the passes disagree


@pytest.mark.parametrize("start_training", [True, False])
def test_dropout_on_batchnorm_in_eval_and_modes_restored(start_training):
    cr.manual_seed(2)
    model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(8, 3))
    model.train(start_training)
    model[1].running_mean.copy_(cr.tensor(np.linspace(-1, 1, 8), dtype=cr.float32))
    before_stats = model[1].running_mean.numpy().copy()
    before_modes = [m.training for m in model.modules()]
    x = np.random.default_rng(3).normal(size=(1, 5)).astype(np.float32)   # one sample: BatchNorm
    result = mc_dropout_predict(model, x, samples=5)    # in training mode would fail on it
    assert [m.training for m in model.modules()] == before_modes
    np.testing.assert_array_equal(model[1].running_mean.numpy(), before_stats)   # not updated
    assert not np.allclose(result.samples[0], result.samples[1])     # dropout was on
    model[3].p = 0.0
    with pytest.raises(ValueError, match="no dropout layer with p > 0"):
        mc_dropout_predict(model, x, samples=3)


def test_modes_restored_when_a_pass_raises():
    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.5)
            self.norm = nn.BatchNorm1d(3)

        def forward(self, x):
            assert self.drop.training and not self.norm.training
            raise RuntimeError("forward failed")

    model = Broken().train()
    with pytest.raises(RuntimeError, match="forward failed"):
        mc_dropout_predict(model, np.zeros((2, 3), dtype=np.float32), samples=2)
    assert all(m.training for m in model.modules())


def test_mc_dropout_bad_input():
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.2))
    x = np.zeros((2, 3), dtype=np.float32)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="samples must be an integer ≥ 1"):
            mc_dropout_predict(model, x, samples=bad)
    with pytest.raises(ValueError, match="Linear has no dropout layer"):
        mc_dropout_predict(nn.Linear(3, 2), x, samples=3)


def test_summarise_limits():
    p = np.array([[[0.2, 0.8], [1.0, 0.0]]] * 4)           # four identical predictions
    r = summarise(p)
    np.testing.assert_allclose(r.variance, 0.0, atol=1e-17)
    np.testing.assert_allclose(r.mutual_information, 0.0, atol=1e-15)
    assert r.predictive_entropy[1] == 0.0                    # 0 · log 0 = 0
    disagree = summarise(np.array([[[1.0, 0.0]], [[0.0, 1.0]]]))
    assert disagree.mutual_information[0] == pytest.approx(math.log(2))
    assert disagree.expected_entropy[0] == 0.0


def _members():
    cr.manual_seed(4)
    return [nn.Linear(4, 3), nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)),
            nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))]


def test_ensemble_forward_is_the_mean_of_softmax_against_torch():
    import torch

    members = [m.double() for m in _members()]
    ens = Ensemble(members).eval()
    x = np.random.default_rng(5).normal(size=(7, 4))
    out = ens(cr.tensor(x))
    by_hand = np.mean([_softmax_rows(m(cr.tensor(x)).numpy()) for m in members], axis=0)
    np.testing.assert_allclose(out.numpy(), by_hand, rtol=1e-14, atol=1e-16)
    # the same members in PyTorch, from the same weights
    t_members = [torch.nn.Linear(4, 3),
                 torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(),
                                     torch.nn.Linear(5, 3)),
                 torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Dropout(0.5))]
    for ours, theirs in zip(members, t_members):
        theirs.double().load_state_dict({k: torch.tensor(v.numpy())
                                         for k, v in ours.state_dict().items()})
        theirs.eval()
    reference = torch.stack([torch.softmax(m(torch.tensor(x)), dim=1)
                             for m in t_members]).mean(0)
    np.testing.assert_allclose(out.numpy(), reference.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert list(ens.state_dict())[0].startswith("members.0.")


def test_ensemble_modes_gradcheck_and_uncertainty():
    members = [m.double() for m in _members()]
    ens = Ensemble(members)
    assert all(m.training for m in ens.modules())
    ens.eval()
    assert not any(m.training for m in ens.modules())
    x = cr.tensor(np.random.default_rng(6).normal(size=(3, 4)), requires_grad=True)
    assert cr.gradcheck(ens, x)
    ens.train()
    assert members[2][1].training
    ens.eval()
    u = ens.uncertainty(x.detach().numpy())
    stacked = np.stack([_softmax_rows(m(x).detach().numpy()) for m in members])
    for got, want in zip(u[:5], _statistics_by_hand(stacked)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    assert "mean of softmax" in repr(ens) and len(ens) == 3
    assert "softmax" in str(ens.formula())


def test_ensemble_bad_members():
    with pytest.raises(ValueError, match="at least one member"):
        Ensemble([])
    with pytest.raises(TypeError, match="member 1 must be a chainrule.nn.Module"):
        Ensemble([nn.Linear(2, 2), lambda x: x])
