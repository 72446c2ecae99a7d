"""Reliability diagrams: per-bin accuracy against confidence, with the confidence histogram.

The plot uses matplotlib, an optional dependency imported only here (``pip install matplotlib``).
"""
from __future__ import annotations

import numpy as np

from .ece import calibration_bins


def reliability_diagram(probs, labels, n_bins: int = 15, path=None, title: str | None = None):
    """Draw the reliability diagram of ``probs`` (N, K) against ``labels`` (N,) and write it as
    a PNG to ``path`` (returns the path as str; without ``path`` the matplotlib Figure).

    Top panel: for each of ``n_bins`` equal-width confidence bins ((lo, hi], as
    :func:`expected_calibration_error`), a bar of the accuracy acc(B_b) of its samples; the
    diagonal is perfect calibration; the shaded (hatched) part between each bar's top and the
    bin's mean confidence conf(B_b) is the gap, red where the model is over-confident
    (conf > acc) and blue where under-confident. The title gives the ECE = Σ_b (|B_b|/n)·|gap_b|.
    Bottom panel: the share of samples in each bin (the confidence histogram), with the overall
    accuracy and mean confidence marked.
    """
    from ..training.report import _pyplot, _save

    bins = calibration_bins(probs, labels, n_bins)
    plt = _pyplot()
    b = bins.n_bins
    lo, width = bins.edges[:-1], 1.0 / b
    filled = bins.counts > 0
    acc = np.where(filled, bins.accuracy, 0.0)
    conf = np.where(filled, bins.confidence, 0.0)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 7.6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1.2]})
    top.bar(lo, acc, width=width, align="edge", color="#6f93c9", edgecolor="black",
            linewidth=0.6, label="accuracy of the bin")
    over = filled & (conf > acc)
    under = filled & (conf < acc)
    if over.any():            # the gap above the bar, up to the bin's mean confidence
        top.bar(lo[over], (conf - acc)[over], bottom=acc[over], width=width, align="edge",
                facecolor=(0.84, 0.15, 0.16, 0.3), hatch="//", edgecolor="#d62728",
                linewidth=0.6, zorder=2, label="gap: over-confident (conf > acc)")
    if under.any():           # the gap inside the bar, down to the bin's mean confidence
        top.bar(lo[under], (acc - conf)[under], bottom=conf[under], width=width, align="edge",
                facecolor=(1.0, 0.6, 0.1, 0.55), hatch="\\\\", edgecolor="#b35900",
                linewidth=0.6, zorder=2, label="gap: under-confident (conf < acc)")
    top.scatter(bins.confidence[filled], bins.confidence[filled], s=10, color="black",
                zorder=4, label="mean confidence of the bin")
    top.plot([0, 1], [0, 1], "--", color="gray", linewidth=1.2, label="perfect calibration")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    top.set_aspect("auto")
    top.grid(alpha=0.3)
    top.legend(loc="best", fontsize=8.5)
    heading = f"ECE = {100 * bins.ece:.2f}% ({b} bins, n = {bins.n})"
    top.set_title(f"{title}\n{heading}" if title else f"Reliability diagram: {heading}",
                  fontsize=10.5)
    bottom.bar(lo, bins.counts / bins.n, width=width, align="edge", color="#8c8c8c",
               edgecolor="black", linewidth=0.6)
    bottom.axvline(bins.accuracy_total, color="#4c72b0", linestyle="-", linewidth=1.5,
                   label=f"accuracy {100 * bins.accuracy_total:.1f}%")
    bottom.axvline(bins.confidence_total, color="#d62728", linestyle="--", linewidth=1.5,
                   label=f"mean confidence {100 * bins.confidence_total:.1f}%")
    bottom.set_xlabel("confidence (top-class probability)")
    bottom.set_ylabel("share of samples")
    bottom.grid(alpha=0.3)
    bottom.legend(loc="upper left", fontsize=8.5)
    fig.tight_layout()
    if path is None:
        return fig
    return _save(fig, path)
