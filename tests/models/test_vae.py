"""The VAE (chainrule/models/vae.py) against the same model in PyTorch on the same weights, the
same images and the same noise ε: the ELBO and every parameter's gradient (float64, 1e-10);
and a short `chainrule train --model vae` run that writes its PNGs."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch import nn as tnn

import chainrule as cr
from chainrule.models.vae import VAE


class TorchVAE(tnn.Module):
    """PyTorch's example VAE (its layer names), with the ELBO written with torch.distributions."""

    def __init__(self, d=784, h=400, k=20):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = tnn.Linear(d, h), tnn.Linear(h, k), tnn.Linear(h, k)
        self.fc3, self.fc4 = tnn.Linear(k, h), tnn.Linear(h, d)

    def elbo(self, x, eps):
        h = TF.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        std = torch.exp(0.5 * logvar)
        z = mu + std * eps
        logits = self.fc4(TF.relu(self.fc3(z)))
        log_px = -TF.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
        q = torch.distributions.Normal(mu, std)
        p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(std))
        return log_px - torch.distributions.kl_divergence(q, p).sum(-1)


def test_elbo_and_gradients_equal_pytorch():
    rng = np.random.default_rng(0)
    ours = VAE(784, 64, 8).to(cr.float64)
    theirs = TorchVAE(784, 64, 8).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rng.uniform(0, 1, (16, 784))
    eps = rng.standard_normal((16, 8))
    e_ours = ours.elbo(cr.tensor(x), eps=cr.tensor(eps))
    e_theirs = theirs.elbo(torch.tensor(x), torch.tensor(eps))
    np.testing.assert_allclose(e_ours.detach().numpy(), e_theirs.detach().numpy(), rtol=1e-10)
    e_ours.mean().backward()
    e_theirs.mean().backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


def test_shapes_distributions_and_errors():
    model = VAE(784, 32, 4)
    x = cr.rand(3, 1, 28, 28)
    q = model.encode(x)
    assert tuple(q.batch_shape) == (3,) and tuple(q.event_shape) == (4,)
    px = model.decode(q.rsample())
    assert tuple(px.event_shape) == (784,)
    logits, mu, logvar = model(x)
    assert tuple(logits.shape) == (3, 784) and tuple(mu.shape) == (3, 4)
    assert tuple(model.sample(5).shape) == (5, 784)
    elbo = model.elbo(x)
    assert tuple(elbo.shape) == (3,) and bool((elbo.detach().numpy() < 0).all())
    with pytest.raises(ValueError, match="784 pixels"):
        model.elbo(cr.rand(2, 100))
    assert "ELBO" in str(VAE.formula())


def test_train_command_writes_reconstructions_and_samples(tmp_path):
    from chainrule.cli.main import main
    out = tmp_path / "vae"
    code = main(["train", "--model", "vae", "--epochs", "1", "--limit", "300", "--batch-size",
                 "100", "--out", str(out)])
    assert code in (0, None)
    for name in ("config.json", "metrics.json", "model.pt", "reconstructions.png", "samples.png"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["test_elbo"]) == 1 and metrics["test_elbo"][0] < 0
    assert main(["train", "--model", "vae", "--loss", "mse", "--out", str(tmp_path / "x")]) == 2
