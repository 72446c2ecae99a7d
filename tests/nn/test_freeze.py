"""``chainrule.nn.utils.freeze``/``unfreeze`` (transfer learning): frozen parameters get no
gradient and do not move; fully frozen BatchNorm layers stay in evaluation mode through
``model.train()``. The oracle is PyTorch doing the same by hand: ``requires_grad_(False)`` on the
same parameters and ``bn.eval()`` after ``model.train()``; a few SGD steps must agree."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.utils import freeze, unfreeze


def _net(L):
    nn = L.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4),
                                          nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(self.features(x))

    return Net()


def _pair():
    torch.manual_seed(0)
    theirs = _net(torch).double()
    mine = _net(cr).double()
    mine.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return mine, theirs


def test_frozen_body_and_trained_head_match_pytorch():
    mine, theirs = _pair()
    frozen = freeze(mine, "features.*")
    assert frozen == [n for n, _ in mine.named_parameters() if n.startswith("features.")]
    for name, p in theirs.named_parameters():
        p.requires_grad_(not name.startswith("features."))
    opt = cr.optim.SGD([p for p in mine.parameters() if p.requires_grad], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([p for p in theirs.parameters() if p.requires_grad], lr=0.1,
                           momentum=0.9)
    rng = np.random.default_rng(0)
    before = {k: v.numpy().copy() for k, v in mine.state_dict().items()}
    for _ in range(3):
        x = rng.standard_normal((6, 3, 5, 5))
        y = rng.integers(0, 3, 6)
        mine.train()
        theirs.train()
        theirs.features[1].eval()                  # what freeze keeps for us
        assert not mine.features[1].training and mine.fc.training
        opt.zero_grad()
        topt.zero_grad()
        loss = cr.nn.functional.cross_entropy(mine(cr.tensor(x)), cr.tensor(y))
        tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        loss.backward()
        tloss.backward()
        assert all(p.grad is None for n, p in mine.named_parameters() if n in frozen)
        opt.step()
        topt.step()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
    after = mine.state_dict()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(after[key].numpy(), value.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=key)
    for key in before:                             # the body and its statistics did not move
        if key.startswith("features."):
            np.testing.assert_array_equal(after[key].numpy(), before[key], err_msg=key)
    assert not np.array_equal(after["fc.weight"].numpy(), before["fc.weight"])


def test_unfreeze_restores_training_and_batch_statistics():
    mine, _ = _pair()
    freeze(mine)
    assert not any(p.requires_grad for p in mine.parameters())
    mine.train()
    assert not mine.features[1].training
    unfreeze(mine, "features.1.*")
    assert mine.features[1].training and mine.features[1].weight.requires_grad
    assert not mine.fc.weight.requires_grad
    mean = mine.features[1].running_mean.numpy().copy()
    mine(cr.randn(4, 3, 5, 5))                     # batch statistics again: the estimate moves
    assert not np.array_equal(mine.features[1].running_mean.numpy(), mean)
    mine.eval()
    assert not mine.features[1].training
    unfreeze(mine)
    assert all(p.requires_grad for p in mine.parameters())


def test_a_batchnorm_without_parameters_is_frozen_by_its_name():
    model = cr.nn.Sequential(cr.nn.Linear(3, 3), cr.nn.BatchNorm1d(3, affine=False))
    freeze(model, "0.*", "1.*")
    model.train()
    assert model[0].training and not model[1].training
    unfreeze(model, "1.*")
    model.train()
    assert model[1].training


def test_a_pattern_that_matches_nothing_is_an_error():
    mine, _ = _pair()
    with pytest.raises(ValueError, match="no parameter name matches 'feature.*'.*features.0"):
        freeze(mine, "feature.*")
    assert all(p.requires_grad for p in mine.parameters())


def test_discriminative_learning_rates_match_pytorch():
    """Parameter groups with their own learning rates (the body 10× slower than the head, the
    fine-tuning recipe after unfreezing): SGD with momentum over 4 steps equals PyTorch's.
    (Not Adam here: the convolution's bias sits before a BatchNorm, so its gradient is rounding
    noise, ~1e-17, which Adam's normalisation turns into full-size, library-dependent steps.)"""
    mine, theirs = _pair()

    def groups(model):
        return [{"params": list(model.features.parameters()), "lr": 1e-2},
                {"params": list(model.fc.parameters())}]

    opt = cr.optim.SGD(groups(mine), lr=1e-1, momentum=0.9)
    topt = torch.optim.SGD(groups(theirs), lr=1e-1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [1e-2, 1e-1]
    rng = np.random.default_rng(1)
    for _ in range(4):
        x, y = rng.standard_normal((6, 3, 5, 5)), rng.integers(0, 3, 6)
        for model, o, L in ((mine, opt, cr), (theirs, topt, torch)):
            o.zero_grad()
            L.nn.functional.cross_entropy(model(L.tensor(x)), L.tensor(y)).backward()
            o.step()
    after = mine.state_dict()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(after[key].numpy(), value.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=key)
