import torch
import torch.nn as nn
from torch.distributions import Independent, MultivariateNormal, Normal
import math
# ruff: noqa  (kept in the style of the RealNVP notebooks it follows)

# A RealNVP normalizing flow on 2-D data, in the style of the well-known PyTorch notebooks
# (senya-ashukha/real-nvp-pytorch, and Dinh et al., "Density estimation using Real NVP"): affine
# coupling layers whose alternating binary masks are registered as buffers, a scale network
# whose output goes through tanh and a learned per-dimension factor (the "tanh-scaled
# log-scales", which keep exp(s) bounded early in training), a translation network, and a
# standard-normal base distribution of torch.distributions (MultivariateNormal, or
# Independent(Normal) — the same density). Trained by maximum likelihood (Adam on −log p(x)),
# evaluated with
#   * the test log-likelihood, and the KL(data ‖ model) estimated against the data's true density
#     (a Gaussian mixture, whose log-density is a torch.logsumexp over its components);
#   * the score ∇ₓ log p(x) by torch.autograd.grad, and the flow's log|det J| checked against
#     torch.linalg.slogdet of the Jacobian that torch.autograd.functional.jacobian gives;
#   * the inverse: g(f(x)) = x;
#   * samples g(z), for noise z handed in by the caller, and for z drawn with a seeded
#     torch.Generator (two generators given the same seed draw the same samples).


class RealNVP(nn.Module):
    def __init__(self, masks, hidden=16, prior='mvn'):
        super(RealNVP, self).__init__()
        self.register_buffer('mask', torch.tensor(masks, dtype=torch.get_default_dtype()))
        self.register_buffer('loc', torch.zeros(self.mask.size(1)))
        self.register_buffer('cov', torch.eye(self.mask.size(1)))
        self.prior_kind = prior
        dim = self.mask.size(1)

        def nets():
            return nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(), nn.Linear(hidden, dim))

        def nett():
            return nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(), nn.Linear(hidden, dim))

        self.s = nn.ModuleList([nets() for _ in range(len(masks))])
        self.t = nn.ModuleList([nett() for _ in range(len(masks))])
        self.s_scale = nn.Parameter(torch.ones(len(masks), dim))

    @property
    def prior(self):
        if self.prior_kind == 'mvn':
            return MultivariateNormal(self.loc, covariance_matrix=self.cov)
        return Independent(Normal(self.loc, torch.ones_like(self.loc)), 1)

    def log_scale(self, i, x_):
        return self.s_scale[i] * torch.tanh(self.s[i](x_)) * (1 - self.mask[i])

    def g(self, z):
        """Latent → data (the generative direction)."""
        x = z
        for i in range(len(self.t)):
            x_ = x * self.mask[i]
            s = self.log_scale(i, x_)
            t = self.t[i](x_) * (1 - self.mask[i])
            x = x_ + (1 - self.mask[i]) * (x * torch.exp(s) + t)
        return x

    def f(self, x):
        """Data → latent, with log|det ∂z/∂x|."""
        log_det_J, z = x.new_zeros(x.shape[0]), x
        for i in reversed(range(len(self.t))):
            z_ = self.mask[i] * z
            s = self.log_scale(i, z_)
            t = self.t[i](z_) * (1 - self.mask[i])
            z = (1 - self.mask[i]) * (z - t) * torch.exp(-s) + z_
            log_det_J -= s.sum(dim=1)
        return z, log_det_J

    def log_prob(self, x):
        z, logp = self.f(x)
        return self.prior.log_prob(z) + logp

    def sample(self, batch_size, generator=None):
        z = torch.randn(batch_size, self.mask.size(1), generator=generator)
        return self.g(self.loc + z @ torch.linalg.cholesky(self.cov).T)


def mixture_log_prob(x, means, std):
    """log of (1/K) Σ_k N(x; μ_k, std² I): the data's true density."""
    components = Normal(means.unsqueeze(0), std)                   # 1×K×2
    log_probs = components.log_prob(x.unsqueeze(1)).sum(-1)        # N×K
    return torch.logsumexp(log_probs, dim=1) - math.log(means.size(0))


def build(hidden=16, n_couplings=4, prior='mvn'):
    masks = [[0, 1], [1, 0]] * (n_couplings // 2)
    return RealNVP(masks, hidden=hidden, prior=prior)


def run(flow, data, steps=30, batch_size=32, lr=3e-3, weight_decay=1e-5):
    dtype = torch.get_default_dtype()
    x_train = torch.from_numpy(data["train"]).to(dtype)
    x_test = torch.from_numpy(data["test"]).to(dtype)
    means = torch.from_numpy(data["means"]).to(dtype)
    std = float(data["std"])
    optimizer = torch.optim.Adam([p for p in flow.parameters() if p.requires_grad], lr=lr,
                                 weight_decay=weight_decay)
    log = {"losses": [], "test_nll": [], "kl": []}
    n = x_train.size(0)
    for step in range(steps):
        start = (step * batch_size) % n
        batch = x_train[start:start + batch_size]
        loss = -flow.log_prob(batch).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        log["losses"].append(loss.item())
        if step % 10 == 9:
            with torch.no_grad():
                log_q = flow.log_prob(x_test)
                log["test_nll"].append(-log_q.mean().item())
                log["kl"].append((mixture_log_prob(x_test, means, std) - log_q).mean().item())

    # the score ∇ₓ log p(x), and the log-determinant against autograd's Jacobian
    x = x_test[:5].clone().requires_grad_(True)
    log_p = flow.log_prob(x)
    (score,) = torch.autograd.grad(log_p.sum(), x)
    log["score"] = score
    _, log_det = flow.f(x_test[:5])
    slogdets = []
    for point in x_test[:5]:
        jac = torch.autograd.functional.jacobian(lambda v: flow.f(v.unsqueeze(0))[0][0], point)
        sign, logabsdet = torch.linalg.slogdet(jac)
        slogdets.append(logabsdet)
    log["log_det"] = log_det.detach()
    log["slogdet"] = torch.stack(slogdets)

    with torch.no_grad():
        z, _ = flow.f(x_test)
        log["inverse_close"] = torch.allclose(flow.g(z), x_test, rtol=1e-4, atol=1e-5)
        log["latent"] = z
        log["samples"] = flow.g(torch.from_numpy(data["noise"]).to(dtype))
        log["prior_log_prob"] = flow.prior.log_prob(z)
        g1 = torch.Generator().manual_seed(1234)
        g2 = torch.Generator()
        g2.manual_seed(1234)
        first, second = flow.sample(64, generator=g1), flow.sample(64, generator=g2)
        log["seeded_samples"] = first
        log["seeded_samples_equal"] = torch.equal(first, second)
        log["seeded_samples_finite"] = bool(torch.isfinite(first).all())
    log["state"] = flow.state_dict()
    return log


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    angles = np.arange(8) * np.pi / 4
    means = 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1)
    x = means[rng.integers(0, 8, 320)] + 0.3 * rng.normal(size=(320, 2))
    torch.manual_seed(0)
    record = run(build(), {"train": x[:256], "test": x[256:], "means": means, "std": 0.3,
                           "noise": rng.normal(size=(16, 2))}, steps=200)
    print(record["losses"][::20], record["test_nll"], record["kl"])
