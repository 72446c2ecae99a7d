"""Reference solutions of lesson 7 (dropout, batch normalization)."""
import numpy as np


def dropout(x, mask, p):
    if p >= 1:
        return np.zeros_like(x, dtype=np.float64)
    return mask * x / (1.0 - p)                   # survivors scaled so that E[y] = x


def batchnorm_forward(X, gamma, beta, eps=1e-5):
    mu = X.mean(axis=0)
    var = X.var(axis=0)                           # biased: the mean of (x − μ)²
    return gamma * (X - mu) / np.sqrt(var + eps) + beta


def batchnorm_backward(X, gamma, G, eps=1e-5):
    sigma = np.sqrt(X.var(axis=0) + eps)
    x_hat = (X - X.mean(axis=0)) / sigma
    dgamma = (G * x_hat).sum(axis=0)
    dbeta = G.sum(axis=0)
    # x̂ depends on every sample of its column through μ and σ: differentiating them gives
    # ∂L/∂x = (γ/σ)(G − mean(G) − x̂ · mean(G ⊙ x̂)), the means over the batch
    dX = gamma / sigma * (G - G.mean(axis=0) - x_hat * (G * x_hat).mean(axis=0))
    return dX, dgamma, dbeta
