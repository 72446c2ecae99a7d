"""reliability_diagram: a legible PNG whose title states the ECE of the table it draws."""
from __future__ import annotations

import numpy as np
import pytest

from chainrule.calibration import calibration_bins, reliability_diagram, softmax
from tests.cli.helpers import assert_legible_png


def _over_confident(n=400, seed=0):
    rng = np.random.default_rng(seed)
    z0 = rng.normal(size=(n, 5)) * 1.5
    y = (softmax(z0).cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return softmax(3.0 * z0), y


def test_png_is_written_and_legible(tmp_path):
    pytest.importorskip("matplotlib")
    probs, y = _over_confident()
    path = reliability_diagram(probs, y, n_bins=10, path=tmp_path / "sub" / "r.png",
                               title="synthetic, over-confident")
    assert path == str(tmp_path / "sub" / "r.png")
    assert_legible_png(path)


def test_figure_without_path_states_the_ece():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    probs, y = _over_confident(seed=1)
    fig = reliability_diagram(probs, y, n_bins=12)
    try:
        top, bottom = fig.axes
        ece = calibration_bins(probs, y, 12).ece
        assert f"ECE = {100 * ece:.2f}% (12 bins, n = 400)" in top.get_title()
        heights = [p.get_height() for p in bottom.patches]
        assert sum(heights) == pytest.approx(1.0)          # shares of samples per bin
        labels = [t.get_text() for t in top.get_legend().get_texts()]
        assert "perfect calibration" in labels and "gap: over-confident (conf > acc)" in labels
    finally:
        plt.close(fig)


def test_bad_bins():
    probs, y = _over_confident()
    with pytest.raises(ValueError, match="n_bins must be an integer ≥ 1"):
        reliability_diagram(probs, y, n_bins=0)
