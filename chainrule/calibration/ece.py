r"""Expected calibration error over equal-width confidence bins, and its per-bin table.

A classifier is calibrated when, among the samples it predicts with confidence c, a fraction c is
right. Bin the top-class probabilities ĉᵢ = maxₖ pᵢₖ into B equal-width bins and compare, in each
bin B_b, the accuracy with the mean confidence (Guo et al. 2017, "On calibration of modern neural
networks", eq. 3; Naeini et al. 2015):

    acc(B_b)  = (1/|B_b|) Σ_{i∈B_b} 𝟙[ŷᵢ = yᵢ],      conf(B_b) = (1/|B_b|) Σ_{i∈B_b} ĉᵢ
    ECE       = Σ_b (|B_b|/n) · |acc(B_b) − conf(B_b)|
    MCE       = max_{b: |B_b|>0} |acc(B_b) − conf(B_b)|

LaTeX: \mathrm{ECE} = \sum_{b=1}^{B} \frac{|B_b|}{n}\,
       \bigl|\mathrm{acc}(B_b) - \mathrm{conf}(B_b)\bigr|

Bin convention: bin b (b = 1 … B) is the half-open interval ((b − 1)/B, b/B], closed on the right
(as torchmetrics and most papers' code), so a confidence exactly on an edge k/B falls in the bin
below it; the first bin also takes a confidence of exactly 0 (it is [0, 1/B]). The edges are
``numpy.linspace(0, 1, B + 1)``, and a confidence is compared with those floating-point edges
(not with k/B in exact arithmetic). Empty bins contribute nothing. The predicted class ŷ is the
first index of the largest probability (numpy's ``argmax``) when several tie.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..mathematics import Formula
from ._arrays import check_labels, check_probs


@dataclass(frozen=True)
class CalibrationBins:
    """The per-bin table behind the ECE and the reliability diagram (arrays of length B).

    ``edges`` (B + 1,), bin b being (edges[b], edges[b + 1]]; ``counts`` |B_b|; ``accuracy``
    acc(B_b) and ``confidence`` conf(B_b) (NaN for an empty bin); ``gap`` = confidence −
    accuracy (positive: over-confident; NaN when empty); ``ece``, ``mce`` (0 when every bin is
    empty of gaps), ``n`` samples, ``accuracy_total`` and ``confidence_total`` over all samples.
    """

    edges: np.ndarray
    counts: np.ndarray
    accuracy: np.ndarray
    confidence: np.ndarray
    gap: np.ndarray
    ece: float
    mce: float
    n: int
    accuracy_total: float
    confidence_total: float

    @property
    def n_bins(self) -> int:
        return len(self.counts)

    def table(self) -> str:
        """The bins as a text table: interval, count, accuracy, confidence, gap."""
        lines = ["bin              count  accuracy  confidence     gap"]
        for b in range(self.n_bins):
            lo, hi = self.edges[b], self.edges[b + 1]
            opening = "[" if b == 0 else "("
            if self.counts[b]:
                lines.append(f"{opening}{lo:.3f}, {hi:.3f}]  {self.counts[b]:>7d}  "
                             f"{self.accuracy[b]:8.4f}  {self.confidence[b]:10.4f}  "
                             f"{self.gap[b]:+7.4f}")
            else:
                lines.append(f"{opening}{lo:.3f}, {hi:.3f}]  {0:>7d}         –           –"
                             "        –")
        lines.append(f"ECE {self.ece:.4f}   MCE {self.mce:.4f}   n {self.n}")
        return "\n".join(lines)


def _check_n_bins(n_bins, op: str) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"{op}: n_bins must be an integer ≥ 1 (the number of equal-width "
                         f"confidence bins), got {n_bins!r}")
    return int(n_bins)


def calibration_bins(probs, labels, n_bins: int = 15) -> CalibrationBins:
    """The per-bin accuracy, confidence and counts of ``probs`` (N, K) against ``labels`` (N,),
    over ``n_bins`` equal-width bins ((lo, hi], see the module docstring), with the ECE and MCE.

    >>> import numpy as np
    >>> bins = calibration_bins(np.array([[0.9, 0.1], [0.3, 0.7]]), np.array([0, 0]), n_bins=2)
    >>> bins.counts.tolist(), bins.accuracy.tolist()
    ([0, 2], [nan, 0.5])
    """
    op = "calibration_bins"
    n_bins = _check_n_bins(n_bins, op)
    p = check_probs(probs, op)
    y = check_labels(labels, p.shape[0], p.shape[1], op)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # searchsorted(side="left") gives the first edge ≥ c, so c ∈ (edges[b], edges[b + 1]] → b.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    sum_correct = np.bincount(which, weights=correct, minlength=n_bins)
    sum_confidence = np.bincount(which, weights=confidence, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(counts > 0, sum_correct / counts, np.nan)
        mean_conf = np.where(counts > 0, sum_confidence / counts, np.nan)
    gap = mean_conf - accuracy
    n = len(y)
    filled = counts > 0
    ece = float(np.sum(counts[filled] / n * np.abs(gap[filled])))
    mce = float(np.max(np.abs(gap[filled])))
    return CalibrationBins(edges, counts, accuracy, mean_conf, gap, ece, mce, n,
                           float(correct.mean()), float(confidence.mean()))


def expected_calibration_error(probs, labels, n_bins: int = 15, return_bins: bool = False):
    r"""Expected calibration error of class probabilities ``probs`` (N, K) for ``labels`` (N,).

    Forward:  ECE = Σ_b (|B_b|/n) |acc(B_b) − conf(B_b)| over ``n_bins`` equal-width bins of the
              top-class probability, bin b = ((b − 1)/B, b/B] (the first one [0, 1/B])
    LaTeX:    \mathrm{ECE} = \sum_b \frac{|B_b|}{n}\,|\mathrm{acc}(B_b) - \mathrm{conf}(B_b)|
    Derivative: none (a step function of the probabilities; it is a measurement, not a loss).

    ``probs``: a Tensor or array whose rows are probability vectors (each summing to 1 within
    1e-3; pass softmax(logits), not logits). Returns the ECE as a float in [0, 1]; with
    ``return_bins=True``, ``(ece, CalibrationBins)`` with the per-bin table that the reliability
    diagram draws.

    >>> import numpy as np
    >>> expected_calibration_error(np.array([[0.9, 0.1], [0.8, 0.2]]), np.array([0, 1]), 10)
    0.45
    """
    bins = calibration_bins(probs, labels, n_bins)
    return (bins.ece, bins) if return_bins else bins.ece


def formula() -> Formula:
    """The ECE's definition as a :class:`chainrule.Formula`."""
    pairs = [("Forward", "ECE = Σ_b (|B_b|/n) · |acc(B_b) − conf(B_b)|"),
             ("Accuracy", "acc(B_b) = (1/|B_b|) Σ_{i∈B_b} 𝟙[ŷᵢ = yᵢ]"),
             ("Confidence", "conf(B_b) = (1/|B_b|) Σ_{i∈B_b} maxₖ pᵢₖ")]
    latex = [r"\mathrm{ECE} = \sum_{b=1}^{B} \frac{|B_b|}{n}\,\bigl|\mathrm{acc}(B_b) - "
             r"\mathrm{conf}(B_b)\bigr|",
             r"\mathrm{acc}(B_b) = \frac{1}{|B_b|}\sum_{i \in B_b} \mathbb{1}[\hat y_i = y_i]",
             r"\mathrm{conf}(B_b) = \frac{1}{|B_b|}\sum_{i \in B_b} \max_k p_{ik}"]
    return Formula.of("Expected calibration error", pairs, latex,
                      "Samples are binned by their top-class probability into B equal-width "
                      "bins ((b−1)/B, b/B]; a calibrated model's accuracy in each bin equals "
                      "its mean confidence there.")
