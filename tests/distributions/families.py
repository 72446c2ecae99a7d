"""The distribution families under test: how to draw parameters and values (NumPy, float64) and
how to build the chainrule and PyTorch twins from them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributions as T

import chainrule as cr
import chainrule.distributions as D


def pos(rng, shape, low=0.2, high=5.0):
    return np.exp(rng.uniform(np.log(low), np.log(high), shape))


def spd(rng, batch, k):
    a = rng.standard_normal(batch + (k, k))
    return a @ np.swapaxes(a, -1, -2) + k * np.eye(k)


def tril(rng, batch, k):
    m = np.tril(rng.standard_normal(batch + (k, k)), -1)
    return m + np.eye(k) * pos(rng, batch + (k,), 0.5, 2.0)[..., None, :]


@dataclass
class Family:
    name: str
    cr_cls: type
    torch_cls: type
    params: Callable          # (rng, batch) -> dict of float64 arrays
    value: Callable           # (rng, batch, params) -> float64 array (inside the support)
    kwargs: Callable = lambda p: p          # params -> constructor keywords
    event: int = 0            # event dimensions of a value
    continuous_value: bool = True           # whether log_prob is differentiable in the value

    def build(self, lib, params, requires_grad=False):
        if lib is torch:
            ps = {k: torch.tensor(v, dtype=torch.float64, requires_grad=requires_grad)
                  for k, v in params.items()}
            return self.torch_cls(**self.kwargs(ps)), ps
        ps = {k: cr.tensor(v, dtype=cr.float64, requires_grad=requires_grad)
              for k, v in params.items()}
        return self.cr_cls(**self.kwargs(ps)), ps


K = 4
FAMILIES = [
    Family("Normal", D.Normal, T.Normal,
           lambda r, b: {"loc": r.standard_normal(b), "scale": pos(r, b)},
           lambda r, b, p: r.standard_normal(b) * 3),
    Family("Laplace", D.Laplace, T.Laplace,
           lambda r, b: {"loc": r.standard_normal(b), "scale": pos(r, b)},
           lambda r, b, p: r.standard_normal(b) * 3),
    Family("Uniform", D.Uniform, T.Uniform,
           lambda r, b: (lambda lo: {"low": lo, "high": lo + pos(r, b)})(r.standard_normal(b)),
           lambda r, b, p: p["low"] + (p["high"] - p["low"]) * r.uniform(0.01, 0.99, b)),
    Family("Exponential", D.Exponential, T.Exponential,
           lambda r, b: {"rate": pos(r, b)}, lambda r, b, p: pos(r, b, 0.01, 10.0)),
    Family("Gamma", D.Gamma, T.Gamma,
           lambda r, b: {"concentration": pos(r, b), "rate": pos(r, b)},
           lambda r, b, p: pos(r, b, 0.01, 10.0)),
    Family("Beta", D.Beta, T.Beta,
           lambda r, b: {"concentration1": pos(r, b), "concentration0": pos(r, b)},
           lambda r, b, p: r.uniform(0.01, 0.99, b)),
    Family("Dirichlet", D.Dirichlet, T.Dirichlet,
           lambda r, b: {"concentration": pos(r, b + (K,))},
           lambda r, b, p: (lambda g: g / g.sum(-1, keepdims=True))(pos(r, b + (K,), 0.05, 1)),
           event=1),
    Family("Poisson", D.Poisson, T.Poisson,
           lambda r, b: {"rate": pos(r, b, 0.1, 20.0)},
           lambda r, b, p: r.integers(0, 30, b).astype(np.float64), continuous_value=False),
    Family("Bernoulli(probs)", D.Bernoulli, T.Bernoulli,
           lambda r, b: {"probs": r.uniform(0.02, 0.98, b)},
           lambda r, b, p: r.integers(0, 2, b).astype(np.float64), continuous_value=False),
    Family("Bernoulli(logits)", D.Bernoulli, T.Bernoulli,
           lambda r, b: {"logits": r.standard_normal(b) * 3},
           lambda r, b, p: r.integers(0, 2, b).astype(np.float64), continuous_value=False),
    Family("Categorical(probs)", D.Categorical, T.Categorical,
           lambda r, b: {"probs": pos(r, b + (K,), 0.05, 1.0)},
           lambda r, b, p: r.integers(0, K, b).astype(np.float64), continuous_value=False),
    Family("Categorical(logits)", D.Categorical, T.Categorical,
           lambda r, b: {"logits": r.standard_normal(b + (K,)) * 2},
           lambda r, b, p: r.integers(0, K, b).astype(np.float64), continuous_value=False),
    Family("MultivariateNormal(scale_tril)", D.MultivariateNormal, T.MultivariateNormal,
           lambda r, b: {"loc": r.standard_normal(b + (3,)), "scale_tril": tril(r, b, 3)},
           lambda r, b, p: r.standard_normal(b + (3,)) * 2, event=1),
    Family("MultivariateNormal(covariance)", D.MultivariateNormal, T.MultivariateNormal,
           lambda r, b: {"loc": r.standard_normal(b + (3,)), "covariance_matrix": spd(r, b, 3)},
           lambda r, b, p: r.standard_normal(b + (3,)) * 2, event=1),
    Family("MultivariateNormal(precision)", D.MultivariateNormal, T.MultivariateNormal,
           lambda r, b: {"loc": r.standard_normal(b + (3,)), "precision_matrix": spd(r, b, 3)},
           lambda r, b, p: r.standard_normal(b + (3,)) * 2, event=1),
    Family("Independent(Normal)", lambda loc, scale: D.Independent(D.Normal(loc, scale), 1),
           lambda loc, scale: T.Independent(T.Normal(loc, scale), 1),
           lambda r, b: {"loc": r.standard_normal(b + (3,)), "scale": pos(r, b + (3,))},
           lambda r, b, p: r.standard_normal(b + (3,)), event=1),
]
BY_NAME = {f.name: f for f in FAMILIES}
