"""A variational autoencoder (Kingma & Welling 2014) built on ``chainrule.distributions``.

The model of an image x ∈ [0, 1]ᴰ (D = 784 for Fashion-MNIST) with a latent code z ∈ ℝᴷ:

- prior        p(z) = N(0, I)
- decoder      p_θ(x | z) = Πᵢ Bernoulli(xᵢ; σ(lᵢ(z))),  l = fc4(relu(fc3(z)))
- encoder      q_φ(z | x) = N(μ(x), diag σ(x)²),  μ = fc21(h), log σ² = fc22(h), h = relu(fc1(x))

trained by maximising the evidence lower bound of each image,

  ELBO(x) = E_{q(z|x)}[log p(x | z)] − KL(q(z | x) ‖ p(z))  ≤  log p(x),

estimated with one reparameterised draw z = μ + σ ⊙ ε, ε ~ N(0, I) (``Normal.rsample``), and the
KL in closed form (``kl_divergence`` of two Normals: ½ Σₖ (μₖ² + σₖ² − log σₖ² − 1)). The pixel
intensities are used as Bernoulli "probabilities of white" (log p(x|z) = −BCE(l, x)), as in
PyTorch's example VAE, whose layer names (fc1, fc21, fc22, fc3, fc4) this model keeps, so the
weights of one load into the other.

``train_vae`` is what ``chainrule train --model vae`` runs: it trains on Fashion-MNIST (or MNIST)
and writes a run folder with config.json, metrics.json, model.pt, reconstructions.png
(test images over their reconstructions) and samples.png (decoder means of draws from the prior).
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

from .. import nn
from ..mathematics import Formula


class VAE(nn.Module):
    """Variational autoencoder with a Gaussian encoder and a Bernoulli decoder (see the module).

    ``encode(x)`` → q(z | x) (an ``Independent(Normal)``, event shape (latent_dim,)),
    ``decode(z)`` → p(x | z) (an ``Independent(Bernoulli)``, event shape (input_dim,)),
    ``elbo(x, eps=None)`` → the per-image ELBO (shape (N,)), ``forward(x)`` → (logits, μ, log σ²)
    as PyTorch's example, ``sample(n)`` → decoder means of n draws from the prior.
    """

    def __init__(self, input_dim: int = 784, hidden_dim: int = 400, latent_dim: int = 20):
        super().__init__()
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc21 = nn.Linear(hidden_dim, latent_dim)
        self.fc22 = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, input_dim)

    def _flat(self, x):
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.input_dim:
            raise ValueError(f"VAE: expected images of {self.input_dim} pixels (e.g. (N, 1, 28, "
                             f"28) or (N, 784)), got shape {tuple(x.shape)}")
        return x

    def encode_params(self, x):
        """(μ, log σ²) of q(z | x)."""
        h = self.fc1(self._flat(x)).relu()
        return self.fc21(h), self.fc22(h)

    def encode(self, x):
        from ..distributions import Independent, Normal
        mu, logvar = self.encode_params(x)
        return Independent(Normal(mu, (0.5 * logvar).exp()), 1)

    def decode_logits(self, z):
        return self.fc4(self.fc3(z).relu())

    def decode(self, z):
        """p(x | z); pixel intensities in [0, 1] are allowed as values (validate_args=False)."""
        from ..distributions import Bernoulli, Independent
        return Independent(Bernoulli(logits=self.decode_logits(z), validate_args=False), 1)

    def forward(self, x):
        """(logits of p(x | z), μ, log σ²) for one reparameterised z (PyTorch's example)."""
        mu, logvar = self.encode_params(x)
        z = self._reparameterise(mu, logvar, None)
        return self.decode_logits(z), mu, logvar

    def _reparameterise(self, mu, logvar, eps):
        if eps is None:
            from ..distributions import Normal
            return Normal(mu, (0.5 * logvar).exp()).rsample()
        return mu + (0.5 * logvar).exp() * eps

    def elbo(self, x, eps=None):
        """ELBO(x) = log p(x | z) − KL(q(z | x) ‖ N(0, I)) with z = μ + σ ε (one draw; ``eps``
        fixes ε, for tests), per image: shape (N,)."""
        from .. import ones_like, zeros_like
        from ..distributions import Independent, Normal, kl_divergence
        flat = self._flat(x)
        mu, logvar = self.encode_params(flat)
        q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
        z = self._reparameterise(mu, logvar, eps)
        log_px = self.decode(z).log_prob(flat)
        prior = Independent(Normal(zeros_like(mu), ones_like(mu)), 1)
        return log_px - kl_divergence(q, prior)

    def loss(self, x, eps=None):
        """−mean ELBO over the batch (the quantity minimised)."""
        return -self.elbo(x, eps).mean()

    def sample(self, n: int):
        """Decoder means σ(l(z)) of n draws z ~ N(0, I): shape (n, input_dim)."""
        from .. import no_grad, randn
        with no_grad():
            return self.decode_logits(randn(n, self.latent_dim)).sigmoid()

    def reconstruct(self, x):
        """Decoder means at the encoder's mean code μ(x)."""
        from .. import no_grad
        with no_grad():
            mu, _ = self.encode_params(x)
            return self.decode_logits(mu).sigmoid()

    @staticmethod
    def formula() -> Formula:
        return Formula.of(
            "VAE", [("ELBO", "ELBO(x) = E_q(z|x)[log p(x|z)] − KL(q(z|x) ‖ p(z)) ≤ log p(x)"),
                    ("Reparameterisation", "z = μ(x) + σ(x) ⊙ ε, ε ~ N(0, I)"),
                    ("KL", "KL = ½ Σₖ (μₖ² + σₖ² − log σₖ² − 1)")],
            [r"\mathrm{ELBO}(x) = \mathbb{E}_{q(z|x)}[\log p(x|z)] - "
             r"\mathrm{KL}(q(z|x)\,\|\,p(z)) \le \log p(x)",
             r"z = \mu(x) + \sigma(x)\odot\varepsilon,\ \varepsilon\sim\mathcal N(0, I)",
             r"\mathrm{KL} = \tfrac12\sum_k (\mu_k^2 + \sigma_k^2 - \log\sigma_k^2 - 1)"],
            "Maximising the ELBO fits the decoder and makes q(z|x) approach the posterior.")


# ------------------------------------------------------------------ training (the command)
def _images(name: str, split: str, data_dir=None, limit=None):
    """Float32 (N, 784) pixel intensities in [0, 1]."""
    import numpy as np

    from ..data.datasets import get_dataset
    kwargs = {"root": data_dir} if data_dir else {}
    images, _ = get_dataset(name, split, **kwargs)
    if limit:
        images = images[:limit]
    return (np.asarray(images, dtype=np.float32) / 255.0).reshape(len(images), -1)


def _grid(rows, path, columns: int) -> str:
    """Save images (N, 784) as a grid PNG of ``columns`` per row."""
    import numpy as np

    from ..training.report import _pyplot
    n = len(rows)
    r = math.ceil(n / columns)
    canvas = np.ones((r * 30, columns * 30), dtype=np.float32)
    for i, img in enumerate(rows):
        y, x = divmod(i, columns)
        canvas[y * 30 + 1:y * 30 + 29, x * 30 + 1:x * 30 + 29] = img.reshape(28, 28)
    plt = _pyplot()
    plt.imsave(str(path), canvas, cmap="gray", vmin=0.0, vmax=1.0)
    return str(path)


def evaluate_elbo(model: VAE, images, batch_size: int = 500) -> float:
    """Mean ELBO (nats per image) over ``images`` (N, 784), one draw of z per image."""
    from .. import no_grad, tensor
    total = 0.0
    with no_grad():
        for i in range(0, len(images), batch_size):
            total += float(model.elbo(tensor(images[i:i + batch_size])).sum().item())
    return total / len(images)


def train_vae(out=None, *, dataset: str = "fashion-mnist", epochs: int = 10,
              batch_size: int = 128, lr: float = 1e-3, latent_dim: int = 20,
              hidden_dim: int = 400, seed: int = 0, limit: int | None = None, data_dir=None,
              log=print) -> dict:
    """Train a VAE with Adam on ``dataset``'s training images and write a run folder ``out``
    (default runs/vae-<dataset>-<date>-<time>): config.json, metrics.json (train and test ELBO
    per epoch), model.pt, reconstructions.png, samples.png. Returns the metrics."""
    import numpy as np

    from .. import manual_seed, optim, save, tensor
    if dataset not in ("fashion-mnist", "mnist"):
        raise ValueError(f"train_vae: dataset must be fashion-mnist or mnist (28×28 grayscale), "
                         f"got {dataset!r}")
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("latent_dim",
                                                                        latent_dim)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"train_vae: {name} must be a positive integer, got {value!r}")
    if out is None:
        out = Path("runs") / f"vae-{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    train = _images(dataset, "train", data_dir, limit)
    test = _images(dataset, "test", data_dir, limit)
    manual_seed(seed)
    model = VAE(784, hidden_dim, latent_dim)
    opt = optim.Adam(model.parameters(), lr=lr)
    config = {"model": "vae", "dataset": dataset, "epochs": epochs, "batch_size": batch_size,
              "lr": lr, "latent_dim": latent_dim, "hidden_dim": hidden_dim, "seed": seed,
              "limit": limit}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    rng = np.random.default_rng(seed)
    history = {"epoch": [], "train_elbo": [], "test_elbo": [], "seconds": []}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(train))
        total = 0.0
        model.train()
        for i in range(0, len(train), batch_size):
            x = tensor(train[order[i:i + batch_size]])
            loss = model.loss(x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total -= float(loss.item()) * len(x)
        model.eval()
        test_elbo = evaluate_elbo(model, test)
        seconds = time.perf_counter() - start
        for key, value in (("epoch", epoch), ("train_elbo", total / len(train)),
                           ("test_elbo", test_elbo), ("seconds", seconds)):
            history[key].append(value)
        log(f"epoch {epoch}/{epochs}: train ELBO {total / len(train):.2f}, test ELBO "
            f"{test_elbo:.2f} nats per image ({seconds:.1f} s)")
    (out / "metrics.json").write_text(json.dumps(history, indent=2) + "\n")
    save(model.state_dict(), str(out / "model.pt"))
    shown = test[:16]
    recon = model.reconstruct(tensor(shown)).numpy()
    pairs = np.concatenate([shown[:8], recon[:8], shown[8:], recon[8:]])
    written = [_grid(pairs, out / "reconstructions.png", 8)]
    manual_seed(seed + 1)
    written.append(_grid(model.sample(64).numpy(), out / "samples.png", 8))
    log(f"wrote {out}: config.json, metrics.json, model.pt, "
        f"{', '.join(Path(p).name for p in written)}")
    return history
