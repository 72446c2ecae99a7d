"""Reference solutions of lesson 5 (probability: softmax, cross-entropy, KL)."""
import numpy as np


def _log_softmax(Z):
    # log softmax(z)ₖ = zₖ − log Σⱼ e^{zⱼ} = (zₖ − m) − log Σⱼ e^{zⱼ − m}, m = maxⱼ zⱼ:
    # every exponent is ≤ 0, so nothing overflows
    shifted = Z - Z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))      # softmax(z) = softmax(z − m)
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(Z, y):
    logp = _log_softmax(np.asarray(Z, dtype=np.float64))
    N = logp.shape[0]
    return float(-logp[np.arange(N), y].mean())      # mean negative log-likelihood


def cross_entropy_grad(Z, y):
    P = softmax(Z)
    N = P.shape[0]
    Y = np.zeros_like(P)
    Y[np.arange(N), y] = 1.0                           # one-hot targets
    return (P - Y) / N                                 # ∂L/∂zₙ = (softmax(zₙ) − yₙ)/N


def kl_normal(mu1, sigma1, mu2, sigma2):
    # KL = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½
    mu1, sigma1, mu2, sigma2 = (np.asarray(a, dtype=np.float64) for a in (mu1, sigma1, mu2,
                                                                          sigma2))
    return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5
