r"""Predictive uncertainty from several predictions of one input: Monte-Carlo dropout.

Given S probability vectors p⁽¹⁾ … p⁽ˢ⁾ for one input (S dropout masks, or S ensemble members),

    mean                 p̄ = (1/S) Σₛ p⁽ˢ⁾                                (the prediction)
    variance             Var[p]ₖ = (1/S) Σₛ (p⁽ˢ⁾ₖ − p̄ₖ)²                 (per class; divides by S)
    predictive entropy   H[p̄] = −Σₖ p̄ₖ log p̄ₖ                            (total uncertainty)
    expected entropy     E[H[p]] = −(1/S) Σₛ Σₖ p⁽ˢ⁾ₖ log p⁽ˢ⁾ₖ            (aleatoric part)
    mutual information   I = H[p̄] − E[H[p]] ≥ 0                            (epistemic part: how
                         much the predictions disagree; BALD, Houlsby et al. 2011)

LaTeX: I(y; \omega \mid x) = H\Bigl[\frac{1}{S}\sum_s p^{(s)}\Bigr] - \frac{1}{S}\sum_s
H\bigl[p^{(s)}\bigr]

Entropies are in nats (natural logarithm) with 0 · log 0 = 0. Monte-Carlo dropout (Gal &
Ghahramani 2016) draws the S predictions by keeping dropout on at test time: each forward pass
samples new masks, an approximate sample from a posterior over the weights.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..mathematics import Formula


class UncertaintyEstimate(NamedTuple):
    """What S predictions of each of N inputs say (K classes): ``mean`` (N, K) the predictive
    probabilities p̄, ``variance`` (N, K) their variance over the S predictions (÷ S),
    ``predictive_entropy`` (N,) H[p̄], ``expected_entropy`` (N,) E[H[p]], ``mutual_information``
    (N,) H[p̄] − E[H[p]], and ``samples`` (S, N, K) the S predictions themselves."""

    mean: np.ndarray
    variance: np.ndarray
    predictive_entropy: np.ndarray
    expected_entropy: np.ndarray
    mutual_information: np.ndarray
    samples: np.ndarray


def entropy(p, axis: int = -1) -> np.ndarray:
    """H[p] = −Σₖ pₖ log pₖ (nats) along ``axis``, with 0 · log 0 = 0."""
    p = np.asarray(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0)
    return -terms.sum(axis=axis)


def summarise(samples) -> UncertaintyEstimate:
    """The :class:`UncertaintyEstimate` of stacked probabilities ``samples`` (S, N, K)."""
    s = np.asarray(samples, dtype=np.float64)
    if s.ndim != 3 or s.shape[0] < 1:
        raise ValueError(f"summarise: expected stacked probabilities of shape (S, N, K), got "
                         f"shape {tuple(s.shape)}")
    mean = s.mean(axis=0)
    variance = ((s - mean) ** 2).mean(axis=0)
    predictive = entropy(mean)
    expected = entropy(s).mean(axis=0)
    # H[p̄] ≥ E[H[p]] (entropy is concave); clip the rounding below 0.
    mutual = np.maximum(predictive - expected, 0.0)
    return UncertaintyEstimate(mean, variance, predictive, expected, mutual, s)


def _dropout_types() -> tuple:
    from ..nn.layers.dropout import _DropoutNd
    from ..nn.layers.dropout_extra import _Dropout

    return (_DropoutNd, _Dropout)


def dropout_layers(model) -> list:
    """The (name, module) pairs of ``model``'s dropout layers (Dropout, Dropout1d/2d/3d,
    AlphaDropout, FeatureAlphaDropout) with p > 0."""
    kinds = _dropout_types()
    return [(name, m) for name, m in model.named_modules()
            if isinstance(m, kinds) and getattr(m, "p", 0) > 0]


def _probabilities(output) -> np.ndarray:
    """softmax over the class axis (axis 1) of a model's logits, as float64 NumPy."""
    from ._arrays import as_numpy

    z = as_numpy(output, "mc_dropout_predict", "the model's output").astype(np.float64)
    if z.ndim < 2:
        raise ValueError(f"mc_dropout_predict: the model's output must be logits of shape (N, K), "
                         f"got shape {tuple(z.shape)}")
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mc_dropout_predict(model, x, samples: int = 30) -> UncertaintyEstimate:
    r"""Monte-Carlo dropout: ``samples`` forward passes of ``x`` with dropout on, summarised.

    Forward:  p⁽ˢ⁾ = softmax(f(x; mask⁽ˢ⁾)) for s = 1 … S (class axis 1); the statistics of the
              module docstring: p̄, Var[p] (÷ S), H[p̄], E[H[p]], I = H[p̄] − E[H[p]]
    LaTeX:    \bar p = \frac{1}{S}\sum_{s=1}^{S}\operatorname{softmax}\bigl(f(x;\,m^{(s)})\bigr)

    ``model`` returns logits (N, K); ``x`` is one batch (Tensor or array) and each pass takes
    the whole batch at once (the loop is over the S samples only). During the passes the model
    is in evaluation mode (BatchNorm uses its running statistics) except its dropout layers,
    which sample a fresh mask every pass from chainrule's generator (seed it with
    :func:`chainrule.manual_seed` for reproducible results); afterwards every module's
    ``training`` flag is as before, also when a pass raises. No graph is built.

    Raises ValueError when ``samples`` < 1 or the model has no dropout layer with p > 0 (the S
    predictions would all be equal; functional ``F.dropout`` calls inside ``forward`` cannot be
    switched on separately and are not counted).
    """
    import chainrule as cr

    op = "mc_dropout_predict"
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"{op}: samples must be an integer ≥ 1 (the number of dropout forward "
                         f"passes), got {samples!r}")
    layers = dropout_layers(model)
    if not layers:
        raise ValueError(f"{op}: {type(model).__name__} has no dropout layer with p > 0 "
                         "(nn.Dropout, Dropout1d/2d/3d, AlphaDropout), so every pass would give "
                         "the same prediction; use a model with dropout, or an Ensemble")
    if not isinstance(x, cr.Tensor):
        x = cr.tensor(np.asarray(x))
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        for _, layer in layers:
            layer.train()
        with cr.no_grad():
            stacked = np.stack([_probabilities(model(x)) for _ in range(int(samples))])
    finally:
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
    return summarise(stacked)


def formula() -> Formula:
    """The uncertainty decomposition as a :class:`chainrule.Formula`."""
    pairs = [("Predictive mean", "p̄ = (1/S) Σₛ p⁽ˢ⁾"),
             ("Predictive entropy", "H[p̄] = −Σₖ p̄ₖ log p̄ₖ"),
             ("Expected entropy", "E[H[p]] = −(1/S) Σₛ Σₖ p⁽ˢ⁾ₖ log p⁽ˢ⁾ₖ"),
             ("Mutual information", "I = H[p̄] − E[H[p]]")]
    latex = [r"\bar p = \frac{1}{S}\sum_s p^{(s)}",
             r"H[\bar p] = -\sum_k \bar p_k \log \bar p_k",
             r"\mathbb{E}\,H[p] = -\frac{1}{S}\sum_s \sum_k p^{(s)}_k \log p^{(s)}_k",
             r"I = H[\bar p] - \mathbb{E}\,H[p]"]
    return Formula.of("Predictive uncertainty", pairs, latex,
                      "The total uncertainty H[p̄] splits into what every prediction is unsure "
                      "of (expected entropy) and how much the predictions disagree (mutual "
                      "information).")
