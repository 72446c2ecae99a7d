"""The distribution families added in round 33, as ``Family`` rows (tests/distributions/
families.py): how to draw float64 parameters and values inside the support, and how to build the
chainrule and PyTorch twins. Shared by the test_round33_*.py files."""
from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.distributions as T

import chainrule as cr
import chainrule.distributions as D
from tests.distributions.families import Family, pos

K = 4


def _ints(r, b, low, high):
    return r.integers(low, high, b).astype(np.float64)


def _simplex(r, shape):
    g = pos(r, shape, 0.05, 1.0)
    return g / g.sum(-1, keepdims=True)


def _one_hot(r, b, k=K):
    return np.eye(k)[r.integers(0, k, b)]


def _counts(r, b, n, k=K):
    flat = r.multinomial(n, np.ones(k) / k, size=int(np.prod(b, dtype=int)))
    return flat.reshape(b + (k,)).astype(np.float64)


def _gpd_value(r, b, p):
    """A point inside [μ, μ − σ/ξ] (ξ < 0) or [μ, ∞)."""
    c = p["concentration"]
    t = np.where(c < 0, r.uniform(0.05, 0.95, b) * (-1 / np.where(c < 0, c, -1.0)),
                 pos(r, b, 0.01, 5.0))
    return p["loc"] + p["scale"] * t


def _gpd_params(r, b):
    c = r.uniform(-0.6, 1.3, b)
    c = np.where(r.uniform(size=b) < 0.2, 0.0, c)        # ξ = 0 takes the exponential branch
    return {"loc": r.standard_normal(b), "scale": pos(r, b), "concentration": c}


def _cb_probs(r, b):
    p = r.uniform(0.02, 0.98, b)
    return np.where(r.uniform(size=b) < 0.3, r.uniform(0.4992, 0.5008, b), p)   # Taylor region


def _mixture(lib):
    dist = D if lib is cr else T
    return lambda logits, loc, scale: dist.MixtureSameFamily(dist.Categorical(logits=logits),
                                                            dist.Normal(loc, scale))


def _transformed(lib):
    dist = D if lib is cr else T

    def build(loc, scale, shift, stretch):
        return dist.TransformedDistribution(
            dist.Normal(loc, scale),
            [dist.AffineTransform(shift, stretch), dist.ExpTransform(),
             dist.AffineTransform(0.5, 2.0)])
    return build


def _normal_params(r, b):
    return {"loc": r.standard_normal(b), "scale": pos(r, b)}


FAMILIES = [
    Family("LogNormal", D.LogNormal, T.LogNormal, _normal_params,
           lambda r, b, p: pos(r, b, 0.01, 20.0)),
    Family("HalfNormal", D.HalfNormal, T.HalfNormal, lambda r, b: {"scale": pos(r, b)},
           lambda r, b, p: pos(r, b, 0.01, 10.0)),
    Family("HalfCauchy", D.HalfCauchy, T.HalfCauchy, lambda r, b: {"scale": pos(r, b)},
           lambda r, b, p: pos(r, b, 0.01, 10.0)),
    Family("Cauchy", D.Cauchy, T.Cauchy, _normal_params,
           lambda r, b, p: r.standard_normal(b) * 5),
    Family("StudentT", D.StudentT, T.StudentT,
           lambda r, b: {"df": pos(r, b, 0.5, 10.0), "loc": r.standard_normal(b),
                         "scale": pos(r, b)},
           lambda r, b, p: r.standard_normal(b) * 3),
    Family("Gumbel", D.Gumbel, T.Gumbel, _normal_params,
           lambda r, b, p: r.standard_normal(b) * 3),
    Family("Weibull", D.Weibull, T.Weibull,
           lambda r, b: {"scale": pos(r, b), "concentration": pos(r, b, 0.3, 5.0)},
           lambda r, b, p: pos(r, b, 0.01, 10.0)),
    Family("Pareto", D.Pareto, T.Pareto,
           lambda r, b: {"scale": pos(r, b), "alpha": pos(r, b, 0.5, 5.0)},
           lambda r, b, p: p["scale"] * (1 + pos(r, b, 0.01, 5.0))),
    Family("Chi2", D.Chi2, T.Chi2, lambda r, b: {"df": pos(r, b, 0.5, 10.0)},
           lambda r, b, p: pos(r, b, 0.01, 20.0)),
    Family("Geometric(probs)", D.Geometric, T.Geometric,
           lambda r, b: {"probs": r.uniform(0.05, 0.95, b)},
           lambda r, b, p: _ints(r, b, 0, 20), continuous_value=False),
    Family("Geometric(logits)", D.Geometric, T.Geometric,
           lambda r, b: {"logits": r.standard_normal(b) * 2},
           lambda r, b, p: _ints(r, b, 0, 20), continuous_value=False),
    Family("Binomial(probs)", D.Binomial, T.Binomial,
           lambda r, b: {"total_count": _ints(r, b, 1, 15), "probs": r.uniform(0.05, 0.95, b)},
           lambda r, b, p: np.floor(r.uniform(0, 1, b) * (p["total_count"] + 1)),
           continuous_value=False),
    Family("Binomial(logits, equal n)", D.Binomial, T.Binomial,
           lambda r, b: {"total_count": np.full(b, 9.0), "logits": r.standard_normal(b) * 2},
           lambda r, b, p: _ints(r, b, 0, 10), continuous_value=False),
    Family("NegativeBinomial(probs)", D.NegativeBinomial, T.NegativeBinomial,
           lambda r, b: {"total_count": pos(r, b, 0.5, 10.0), "probs": r.uniform(0.05, 0.9, b)},
           lambda r, b, p: _ints(r, b, 0, 30), continuous_value=False),
    Family("NegativeBinomial(logits)", D.NegativeBinomial, T.NegativeBinomial,
           lambda r, b: {"total_count": pos(r, b, 0.5, 10.0), "logits": r.standard_normal(b)},
           lambda r, b, p: _ints(r, b, 0, 30), continuous_value=False),
    Family("Multinomial(probs)", D.Multinomial, T.Multinomial,
           lambda r, b: {"probs": pos(r, b + (K,), 0.05, 1.0)},
           lambda r, b, p: _counts(r, b, 6), kwargs=lambda p: {"total_count": 6, **p},
           event=1, continuous_value=False),
    Family("Multinomial(logits)", D.Multinomial, T.Multinomial,
           lambda r, b: {"logits": r.standard_normal(b + (K,)) * 2},
           lambda r, b, p: _counts(r, b, 5), kwargs=lambda p: {"total_count": 5, **p},
           event=1, continuous_value=False),
    Family("OneHotCategorical(probs)", D.OneHotCategorical, T.OneHotCategorical,
           lambda r, b: {"probs": pos(r, b + (K,), 0.05, 1.0)},
           lambda r, b, p: _one_hot(r, b), event=1, continuous_value=False),
    Family("OneHotCategoricalStraightThrough(logits)", D.OneHotCategoricalStraightThrough,
           T.OneHotCategoricalStraightThrough,
           lambda r, b: {"logits": r.standard_normal(b + (K,)) * 2},
           lambda r, b, p: _one_hot(r, b), event=1, continuous_value=False),
    Family("RelaxedBernoulli(probs)", D.RelaxedBernoulli, T.RelaxedBernoulli,
           lambda r, b: {"temperature": pos(r, b, 0.2, 3.0), "probs": r.uniform(0.05, 0.95, b)},
           lambda r, b, p: r.uniform(0.01, 0.99, b)),
    Family("RelaxedBernoulli(logits)", D.RelaxedBernoulli, T.RelaxedBernoulli,
           lambda r, b: {"temperature": pos(r, b, 0.2, 3.0), "logits": r.standard_normal(b)},
           lambda r, b, p: r.uniform(0.01, 0.99, b)),
    Family("RelaxedOneHotCategorical(probs)", D.RelaxedOneHotCategorical,
           T.RelaxedOneHotCategorical,
           lambda r, b: {"temperature": pos(r, (), 0.2, 3.0), "probs": pos(r, b + (K,), 0.05, 1)},
           lambda r, b, p: _simplex(r, b + (K,)), event=1),
    Family("RelaxedOneHotCategorical(logits)", D.RelaxedOneHotCategorical,
           T.RelaxedOneHotCategorical,
           lambda r, b: {"temperature": pos(r, (), 0.2, 3.0),
                         "logits": r.standard_normal(b + (K,))},
           lambda r, b, p: _simplex(r, b + (K,)), event=1),
    Family("ContinuousBernoulli(probs)", D.ContinuousBernoulli, T.ContinuousBernoulli,
           lambda r, b: {"probs": _cb_probs(r, b)}, lambda r, b, p: r.uniform(0.01, 0.99, b)),
    Family("ContinuousBernoulli(logits)", D.ContinuousBernoulli, T.ContinuousBernoulli,
           lambda r, b: {"logits": r.standard_normal(b) * 3},
           lambda r, b, p: r.uniform(0.01, 0.99, b)),
    Family("Kumaraswamy", D.Kumaraswamy, T.Kumaraswamy,
           lambda r, b: {"concentration1": pos(r, b, 0.3, 5.0),
                         "concentration0": pos(r, b, 0.3, 5.0)},
           lambda r, b, p: r.uniform(0.02, 0.98, b)),
    Family("VonMises", D.VonMises, T.VonMises,
           lambda r, b: {"loc": r.uniform(-3, 3, b), "concentration": pos(r, b, 0.1, 12.0)},
           lambda r, b, p: r.uniform(-6, 6, b)),
    Family("LowRankMultivariateNormal", D.LowRankMultivariateNormal, T.LowRankMultivariateNormal,
           lambda r, b: {"loc": r.standard_normal(b + (3,)),
                         "cov_factor": r.standard_normal(b + (3, 2)),
                         "cov_diag": pos(r, b + (3,), 0.3, 3.0)},
           lambda r, b, p: r.standard_normal(b + (3,)) * 2, event=1),
    Family("MixtureSameFamily(Normal)", _mixture(cr), _mixture(torch),
           lambda r, b: {"logits": r.standard_normal(b + (K,)), "loc": r.standard_normal(b + (K,)),
                         "scale": pos(r, b + (K,))},
           lambda r, b, p: r.standard_normal(b) * 3),
    Family("FisherSnedecor", D.FisherSnedecor, T.FisherSnedecor,
           lambda r, b: {"df1": pos(r, b, 0.5, 12.0), "df2": pos(r, b, 0.5, 12.0)},
           lambda r, b, p: pos(r, b, 0.01, 10.0)),
    Family("InverseGamma", D.InverseGamma, T.InverseGamma,
           lambda r, b: {"concentration": pos(r, b, 0.5, 5.0), "rate": pos(r, b)},
           lambda r, b, p: pos(r, b, 0.01, 10.0)),
    Family("GeneralizedPareto", D.GeneralizedPareto, T.GeneralizedPareto, _gpd_params,
           _gpd_value),
    Family("LogisticNormal", D.LogisticNormal, T.LogisticNormal,
           lambda r, b: {"loc": r.standard_normal(b + (3,)), "scale": pos(r, b + (3,))},
           lambda r, b, p: _simplex(r, b + (4,)), event=1),
    Family("TransformedDistribution(Normal; affine, exp, affine)", _transformed(cr),
           _transformed(torch),
           lambda r, b: {"loc": r.standard_normal(b), "scale": pos(r, b),
                         "shift": r.standard_normal(b), "stretch": pos(r, b)},
           lambda r, b, p: 0.5 + 2.0 * pos(r, b, 0.01, 10.0)),
]
BY_NAME = {f.name: f for f in FAMILIES}

#: families whose rsample draws the same noise PyTorch's does (the same generator calls in the
#: same order), so that with one seed the samples — and their gradients — equal PyTorch's
SAME_STREAM = ["LogNormal", "HalfNormal", "HalfCauchy", "Cauchy", "Gumbel", "Weibull", "Pareto",
               "RelaxedBernoulli(probs)", "RelaxedBernoulli(logits)",
               "RelaxedOneHotCategorical(probs)", "RelaxedOneHotCategorical(logits)",
               "ContinuousBernoulli(probs)", "ContinuousBernoulli(logits)", "Kumaraswamy",
               "LowRankMultivariateNormal", "GeneralizedPareto", "LogisticNormal",
               "TransformedDistribution(Normal; affine, exp, affine)"]


@contextlib.contextmanager
def torch_dtype(family: Family):
    """PyTorch's GeneralizedPareto compares its concentration with ``torch.tensor(0.0)`` (of the
    default dtype) by ``torch.isclose``, which raises for float64 parameters ("Double did not
    match Float"); its float64 reference values are computed with float64 as the default."""
    if not family.name.startswith("GeneralizedPareto"):
        yield
        return
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)
