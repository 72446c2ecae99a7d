import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.distributions as D
from torch.distributions import Categorical, MixtureSameFamily, Normal
import math
# ruff: noqa  (kept in the style of the mixture density network tutorials (hardmaru's "Mixture
# Density Networks with PyTorch", pytorch-mdn), which this program follows)

# A mixture density network (Bishop, 1994) on the classic inverse problem: the data are
# x = y + 0.3·sin(2πy) + noise, and the network models p(y | x), which has up to three modes.
# A tanh hidden layer feeds three heads — the mixture logits, the K means and the K log-scales
# (or one Linear of 3K outputs split with torch.chunk). The negative log-likelihood is computed
# three ways, as tutorials do: with torch.distributions
# (MixtureSameFamily(Categorical(logits=...), Normal(mu, sigma)).log_prob), by hand with
# log_softmax + the Gaussian log-density + torch.logsumexp, and hardmaru's original
# sum-of-weighted-densities (exp, then log of the sum); one of them is trained with RMSprop
# (optionally centered / with momentum), gradients clipped by value (clip_grad_value_, or a
# clamp in a tensor hook registered on every parameter). Afterwards: the mixture's mean,
# variance, cdf and log-density on a grid of x, the most probable component's mean, and samples
# drawn under torch.manual_seed — MixtureSameFamily.sample and by hand (torch.multinomial on
# the mixture weights, then mu + sigma·randn).


class MDN(nn.Module):
    def __init__(self, n_hidden=16, n_gaussians=3, single_head=False):
        super(MDN, self).__init__()
        self.n_gaussians = n_gaussians
        self.single_head = single_head
        self.z_h = nn.Sequential(nn.Linear(1, n_hidden), nn.Tanh())
        if single_head:
            self.z_out = nn.Linear(n_hidden, 3 * n_gaussians)
        else:
            self.z_pi = nn.Linear(n_hidden, n_gaussians)
            self.z_mu = nn.Linear(n_hidden, n_gaussians)
            self.z_log_sigma = nn.Linear(n_hidden, n_gaussians)

    def forward(self, x):
        z_h = self.z_h(x)
        if self.single_head:
            logits, mu, log_sigma = torch.chunk(self.z_out(z_h), 3, dim=-1)
        else:
            logits, mu, log_sigma = self.z_pi(z_h), self.z_mu(z_h), self.z_log_sigma(z_h)
        return logits, mu, log_sigma


def mixture(logits, mu, log_sigma):
    return MixtureSameFamily(Categorical(logits=logits), Normal(mu, torch.exp(log_sigma)))


def nll_distributions(logits, mu, log_sigma, y):
    return -mixture(logits, mu, log_sigma).log_prob(y.squeeze(-1)).mean()


def nll_logsumexp(logits, mu, log_sigma, y):
    log_pi = F.log_softmax(logits, dim=-1)
    z = (y - mu) / torch.exp(log_sigma)          # y is (N, 1): broadcast over the K components
    log_normal = -0.5 * z ** 2 - log_sigma - 0.5 * math.log(2 * math.pi)
    return -torch.logsumexp(log_pi + log_normal, dim=-1).mean()


oneDivSqrtTwoPI = 1.0 / math.sqrt(2.0 * math.pi)


def gaussian_distribution(y, mu, sigma):
    result = (y.expand_as(mu) - mu) * torch.reciprocal(sigma)
    result = - 0.5 * (result * result)
    return (torch.exp(result) * torch.reciprocal(sigma)) * oneDivSqrtTwoPI


def nll_hardmaru(logits, mu, log_sigma, y):
    pi = F.softmax(logits, dim=1)
    result = gaussian_distribution(y, mu, torch.exp(log_sigma)) * pi
    result = torch.sum(result, dim=1)
    result = -torch.log(result)
    return torch.mean(result)


LOSSES = {"distributions": nll_distributions, "logsumexp": nll_logsumexp,
          "hardmaru": nll_hardmaru}


def build(n_hidden=16, n_gaussians=3, single_head=False):
    return MDN(n_hidden, n_gaussians, single_head)


def run(model, data, epochs=10, batch_size=50, lr=0.003, loss="distributions", clip=0.5,
        clip_mode="utils", momentum=0.0, centered=False, seed=3, n_samples=4):
    torch.manual_seed(seed)
    dtype = torch.get_default_dtype()
    x = torch.tensor(data["x"], dtype=dtype)
    y = torch.tensor(data["y"], dtype=dtype)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, momentum=momentum,
                                    centered=centered)
    if clip_mode == "hook":
        for p in model.parameters():
            p.register_hook(lambda grad: torch.clamp(grad, -clip, clip))
    criterion = LOSSES[loss]
    losses, all_losses, grad_max = [], [], []
    n = x.shape[0]
    for epoch in range(epochs):
        perm = torch.randperm(n)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = x[idx], y[idx]
            logits, mu, log_sigma = model(xb)
            l = criterion(logits, mu, log_sigma, yb)
            optimizer.zero_grad()
            l.backward()
            if clip_mode == "utils":
                nn.utils.clip_grad_value_(model.parameters(), clip_value=clip)
            grad_max.append(max(p.grad.abs().max().item() for p in model.parameters()))
            optimizer.step()
            losses.append(l.item())
            with torch.no_grad():
                others = [f(logits, mu, log_sigma, yb).item() for f in LOSSES.values()]
            all_losses.append(others)

    model.eval()
    with torch.no_grad():
        x_test = torch.linspace(-0.2, 1.2, 15, dtype=dtype).unsqueeze(1)
        logits, mu, log_sigma = model(x_test)
        gmm = mixture(logits, mu, log_sigma)
        y_grid = torch.linspace(0.0, 1.0, 15, dtype=dtype)
        mean, variance, stddev = gmm.mean, gmm.variance, gmm.stddev
        cdf = gmm.cdf(y_grid)
        log_density = gmm.log_prob(y_grid)
        # the density on a grid of y for every x: (Ny, Nx) by broadcasting
        density = gmm.log_prob(y_grid.unsqueeze(1)).exp()
        weights = gmm.mixture_distribution.probs
        entropy = gmm.mixture_distribution.entropy()
        mode_mean = mu.gather(1, weights.argmax(dim=1, keepdim=True)).squeeze(1)
        torch.manual_seed(seed + 1)
        samples = gmm.sample()
        samples_many = gmm.sample((n_samples,))
        components = gmm.mixture_distribution.sample((n_samples,))
        # by hand: pick a component per x with multinomial, then mu + sigma * eps
        torch.manual_seed(seed + 2)
        k = torch.multinomial(weights, 1).squeeze(1)
        eps = torch.randn(x_test.shape[0])
        sigma = log_sigma.exp()
        rows = torch.arange(x_test.shape[0])
        manual_samples = mu[rows, k] + sigma[rows, k] * eps
        normal_draws = Normal(mu, sigma).sample((2,))
    return {"losses": losses, "all_losses": all_losses, "grad_max": grad_max, "mean": mean,
            "variance": variance, "stddev": stddev, "cdf": cdf, "log_density": log_density,
            "density": density, "weights": weights, "entropy": entropy, "mode_mean": mode_mean,
            "samples": samples, "samples_many": samples_many, "components": components,
            "k": k, "manual_samples": manual_samples, "normal_draws": normal_draws,
            "state": model.state_dict()}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 1, (500, 1))
    x = y + 0.3 * np.sin(2 * np.pi * y) + rng.uniform(-0.1, 0.1, (500, 1))
    record = run(build(), {"x": x, "y": y}, epochs=300)
    print(record["losses"][:3], record["losses"][-3:], record["mode_mean"])
