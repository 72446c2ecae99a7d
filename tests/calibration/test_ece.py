"""expected_calibration_error against a loop-by-loop implementation of its definition."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.calibration import calibration_bins, expected_calibration_error


def ece_by_definition(probs, labels, n_bins):
    """ECE = Σ_b |B_b|/n · |acc(B_b) − conf(B_b)|, bins (lo, hi] (the first [0, hi]), written
    with plain loops over the bins and the samples."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    n = len(labels)
    total = 0.0
    for b in range(n_bins):
        lo, hi = edges[b], edges[b + 1]
        members = []
        for i in range(n):
            c = max(probs[i])
            if (lo < c <= hi) or (b == 0 and c == lo):
                members.append(i)
        if not members:
            continue
        hits = 0
        conf = 0.0
        for i in members:
            row = list(probs[i])
            predicted = row.index(max(row))           # first index of the maximum
            hits += predicted == labels[i]
            conf += max(row)
        total += len(members) / n * abs(hits / len(members) - conf / len(members))
    return total


@st.composite
def predictions(draw):
    n = draw(st.integers(1, 40))
    k = draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sharpness = draw(st.sampled_from([0.3, 1.0, 3.0, 10.0]))
    z = rng.normal(size=(n, k)) * sharpness
    probs = np.exp(z - z.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    labels = rng.integers(0, k, size=n)
    return probs, labels


@settings(max_examples=60, deadline=None)
@given(predictions(), st.integers(1, 20))
def test_ece_equals_the_definition(data, n_bins):
    probs, labels = data
    got = expected_calibration_error(probs, labels, n_bins)
    assert got == pytest.approx(ece_by_definition(probs, labels, n_bins), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_confidences_exactly_on_bin_edges(n_bins, seed):
    """Two classes with top probability exactly an edge k/B (≥ 1/2): it belongs to the bin below
    the edge, as the definition's (lo, hi] says."""
    rng = np.random.default_rng(seed)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    usable = edges[edges >= 0.5]
    top = rng.choice(usable, size=25)
    probs = np.stack([top, 1.0 - top], axis=1)
    labels = rng.integers(0, 2, size=25)
    got, bins = expected_calibration_error(probs, labels, n_bins, return_bins=True)
    assert got == pytest.approx(ece_by_definition(probs, labels, n_bins), abs=1e-12)
    for c in top:
        b = int(np.flatnonzero(edges == c)[0])
        assert bins.counts[max(b - 1, 0)] > 0


def test_bin_edge_convention_by_hand():
    probs = np.array([[0.5, 0.5], [0.6, 0.4], [0.75, 0.25], [1.0, 0.0]])
    labels = np.array([0, 1, 0, 0])
    bins = calibration_bins(probs, labels, n_bins=4)      # edges 0, .25, .5, .75, 1
    assert bins.counts.tolist() == [0, 1, 2, 1]           # .5 → (.25,.5]; .75 → (.5,.75]
    assert math.isnan(bins.accuracy[0]) and math.isnan(bins.confidence[0])
    assert bins.accuracy[1:].tolist() == [1.0, 0.5, 1.0]
    assert bins.confidence[1:] == pytest.approx([0.5, 0.675, 1.0])
    expected = 1 / 4 * 0.5 + 2 / 4 * abs(0.5 - 0.675) + 0.0
    assert bins.ece == pytest.approx(expected, abs=1e-15)
    assert bins.mce == pytest.approx(0.5)
    assert "ECE" in bins.table() and len(bins.table().splitlines()) == 6


def test_empty_bins_and_all_correct():
    probs = np.array([[0.95, 0.05], [0.97, 0.03], [0.1, 0.9]])
    labels = np.array([0, 0, 1])                          # all correct
    got, bins = expected_calibration_error(probs, labels, n_bins=10, return_bins=True)
    assert (bins.counts == 0).sum() == 8                  # 8 of 10 bins empty
    assert got == pytest.approx(1 - (0.95 + 0.97 + 0.9) / 3, abs=1e-15)
    assert got == pytest.approx(ece_by_definition(probs, labels, 10), abs=1e-15)
    one_hot = np.eye(4)[[0, 1, 2, 3, 1]]
    assert expected_calibration_error(one_hot, [0, 1, 2, 3, 1]) == 0.0   # certain and right


def test_tensors_and_arrays_agree():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 5)) * 2
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 5, size=50)
    expected = expected_calibration_error(probs, labels)
    assert expected_calibration_error(cr.tensor(probs), cr.tensor(labels)) == expected
    import torch

    assert expected_calibration_error(torch.tensor(probs), torch.tensor(labels)) == expected
    as_float32 = expected_calibration_error(probs.astype(np.float32), labels)
    assert as_float32 == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("probs, labels, n_bins, message", [
    ([[0.5, 0.6], [0.2, 0.8]], [0, 1], 15, "row 0 sums to 1.1"),
    ([[2.0, -1.0]], [0], 15, "must lie in \\[0, 1\\]"),
    ([[0.5, 0.5]], [2], 15, "class indices in \\[0, 1\\]"),
    ([[0.5, 0.5]], [-1], 15, "got -1"),
    ([[0.5, 0.5], [0.5, 0.5]], [0], 15, "labels must have shape \\(2,\\)"),
    ([[0.5, 0.5]], [0], 0, "n_bins must be an integer ≥ 1"),
    ([[0.5, 0.5]], [0], 2.5, "n_bins must be an integer ≥ 1"),
    ([0.5, 0.5], [0], 15, "shape \\(N, K\\).*stack \\[1 − p, p\\]"),
    ([[float("nan"), 1.0]], [0], 15, "NaN"),
])
def test_bad_input_is_named(probs, labels, n_bins, message):
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(np.array(probs), np.array(labels), n_bins)


def test_float_labels_must_be_whole():
    with pytest.raises(TypeError, match="integer class indices"):
        expected_calibration_error(np.array([[0.5, 0.5]]), np.array([0.5]))
