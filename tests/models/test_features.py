"""chainrule.models.features: the activations of a named layer over a dataset, in evaluation
mode without a graph, the model's mode restored; equal to running the network up to that layer
by hand (and to PyTorch's forward hook on the same weights)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.models as models
from chainrule.utils.data import DataLoader, TensorDataset


def _images(n=10, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 1, 28, 28)).astype(np.float32)


def test_features_equal_the_network_up_to_the_layer():
    cr.manual_seed(0)
    model = models.LeNet5()
    x = _images()
    phi = models.features(model, "features", x, batch_size=3)
    model.eval()
    with cr.no_grad():
        expected = model.features(cr.tensor(x))
    np.testing.assert_allclose(phi.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)
    assert not phi.requires_grad
    assert phi.shape[0] == 10


def test_features_match_a_pytorch_forward_hook():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Dropout(0.5), torch.nn.ReLU(),
                                 torch.nn.Linear(5, 2))
    mine = cr.nn.Sequential(cr.nn.Linear(6, 5), cr.nn.Dropout(0.5), cr.nn.ReLU(),
                            cr.nn.Linear(5, 2))
    mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((7, 6)).astype(np.float32)
    seen = []
    theirs.eval()
    handle = theirs[2].register_forward_hook(lambda m, i, o: seen.append(o.detach()))
    with torch.no_grad():
        theirs(torch.from_numpy(x))
    handle.remove()
    mine.train()
    phi = models.features(mine, "2", x)
    np.testing.assert_allclose(phi.numpy(), seen[0].numpy(), rtol=1e-6, atol=1e-7)
    assert mine.training                              # the mode it was in


def test_features_from_a_dataloader():
    model = models.LeNet5()
    x = _images(9)
    loader = DataLoader(TensorDataset(cr.tensor(x), cr.tensor(np.arange(9))), batch_size=4)
    a = models.features(model, "classifier.1", loader)
    b = models.features(model, "classifier.1", x)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_an_unknown_layer_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"no layer named 'fc'.*features\.0"):
        models.features(models.LeNet5(), "fc", _images(2))
    with pytest.raises(ValueError, match="batch_size"):
        models.features(models.LeNet5(), "features", _images(2), batch_size=0)
