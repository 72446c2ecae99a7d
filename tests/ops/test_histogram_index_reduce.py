"""histogram, index_reduce, triangular_solve and the method spellings (hardshrink, prelu,
unsafe_chunk/split) against PyTorch 2.13: histogram's counts and edges exactly (float32 and
float64, equal bins, given edges, range, weights, density, a single value, empty input, NaN),
index_reduce's values and both gradients for every reduction on Hypothesis-drawn shapes, and
PyTorch's errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.autograd.gradcheck import gradcheck

from .test_math import check

warnings.filterwarnings("ignore", message=".*index_reduce.*beta", category=UserWarning)
warnings.filterwarnings("ignore", message=".*triangular_solve is deprecated", category=UserWarning)


def histograms(values, dtype, **kw):
    t_kw = {k: (torch.from_numpy(v.numpy()) if isinstance(v, cr.Tensor) else v)
            for k, v in kw.items()}
    ours = cr.histogram(cr.tensor(values.astype(dtype)), **kw)
    theirs = torch.histogram(torch.from_numpy(values.astype(dtype)), **t_kw)
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 9999), n=st.integers(0, 60), bins=st.integers(1, 12),
       ranged=st.booleans(), weighted=st.booleans(), density=st.booleans())
def test_histogram_matches_torch_exactly(dtype, seed, n, bins, ranged, weighted, density):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(n).round(rng.integers(0, 3))     # values on the edges too
    kw = {"bins": bins, "density": density}
    if ranged:
        kw["range"] = (-1.0, 1.5)
    if weighted:
        kw["weight"] = cr.tensor(rng.random(n).astype(dtype))
    if n == 0 and density:
        kw["density"] = False           # 0/0 in both; not a case worth comparing NaN patterns
    ours, theirs = histograms(values, dtype, **kw)
    assert type(ours).__name__ == "histogram" and ours._fields == ("hist", "bin_edges")
    np.testing.assert_array_equal(ours.bin_edges.numpy(), theirs.bin_edges.numpy())
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    check(ours.hist, theirs.hist, rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histogram_given_edges_single_value_and_nan(dtype):
    values = np.array([1.0, 2.0, 3.0, 5.0, 6.0, -1.0])
    for kw in ({"bins": cr.tensor(np.array([0.0, 2.0, 6.0], dtype))},
               {"bins": cr.tensor(np.array([3.0, 2.0, 1.0], dtype))},      # decreasing: none
               {"bins": 2, "range": (2.0, 2.0)}):
        ours, theirs = histograms(values, dtype, **kw)
        check(ours.hist, theirs.hist)
        check(ours.bin_edges, theirs.bin_edges)
    ours, theirs = histograms(np.array([2.0, 2.0, 2.0]), dtype, bins=3)
    check(ours.bin_edges, theirs.bin_edges)
    check(ours.hist, theirs.hist)
    ours, theirs = histograms(np.array([1.0, np.nan, 5.0]), dtype, bins=2, range=(0.0, 6.0))
    check(ours.hist, theirs.hist)
    check(cr.tensor(values).histogram(3).hist, torch.from_numpy(values).histogram(3).hist)


def test_histogram_errors_match_torch():
    with pytest.raises(RuntimeError, match="is not finite"):
        cr.histogram(cr.tensor([1.0, float("nan")]), 2)
    with pytest.raises(RuntimeError, match="min should not exceed max"):
        cr.histogram(cr.tensor([1.0]), 2, range=(3.0, 2.0))
    with pytest.raises(RuntimeError, match="bins must be > 0"):
        cr.histogram(cr.tensor([1.0]), 0)
    with pytest.raises(NotImplementedError, match="histogram"):
        cr.histogram(cr.tensor([1, 2]), 2)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 9999), rows=st.integers(1, 5), cols=st.integers(1, 3),
       k=st.integers(0, 7), dim=st.sampled_from([0, 1, -1]), include_self=st.booleans(),
       ties=st.booleans())
def test_index_reduce_matches_torch(reduce, seed, rows, cols, k, dim, include_self, ties):
    rng = np.random.default_rng(seed)
    shape = (rows, cols)
    d = dim % 2
    x = rng.standard_normal(shape)
    src_shape = list(shape)
    src_shape[d] = k
    source = rng.standard_normal(src_shape)
    if ties:                                          # equal values: the shared gradient
        x, source = x.round(), source.round()
    index = rng.integers(0, shape[d], k)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cs, ts = cr.tensor(source, requires_grad=True), torch.tensor(source, requires_grad=True)
    out = cx.index_reduce(dim, cr.tensor(index), cs, reduce, include_self=include_self)
    ref = tx.index_reduce(dim, torch.from_numpy(index), ts, reduce, include_self=include_self)
    check(out, ref)
    g = rng.standard_normal(shape)
    out.backward(cr.tensor(g))
    ref.backward(torch.from_numpy(g))
    check(cx.grad, tx.grad)
    check(cs.grad, ts.grad)


def test_index_reduce_in_place_gradcheck_and_errors():
    x = cr.tensor([1.0, 2.0, 3.0])
    x.index_reduce_(0, cr.tensor([0, 0]), cr.tensor([10.0, 20.0]), "amax")
    t = torch.tensor([1.0, 2.0, 3.0])
    t.index_reduce_(0, torch.tensor([0, 0]), torch.tensor([10.0, 20.0]), "amax")
    check(x, t)
    rng = np.random.default_rng(0)
    assert gradcheck(lambda a, s: cr.index_reduce(a, 0, cr.tensor([2, 0, 2]), s, "mean"),
                     cr.tensor(rng.standard_normal((3, 2))), cr.tensor(rng.standard_normal((3, 2))))
    with pytest.raises(RuntimeError, match="Expected reduce to be one of prod, mean, amax or amin"):
        x.index_reduce(0, cr.tensor([0]), cr.tensor([1.0]), "sum")
    with pytest.raises(IndexError, match="index out of range"):
        x.index_reduce(0, cr.tensor([-1]), cr.tensor([1.0]), "prod")


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_triangular_solve_matches_torch(upper, transpose, unitriangular):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((2, 3, 2))
    ca, ta = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    cb, tb = cr.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours = cr.triangular_solve(cb, ca, upper, transpose, unitriangular)
    theirs = torch.triangular_solve(tb, ta, upper, transpose, unitriangular)
    assert ours._fields == ("solution", "cloned_coefficient")
    check(ours.solution, theirs.solution)
    check(ours.cloned_coefficient, theirs.cloned_coefficient)
    g = rng.standard_normal(b.shape)
    (ours.solution * cr.tensor(g)).sum().backward()
    (theirs.solution * torch.from_numpy(g)).sum().backward()
    check(ca.grad, ta.grad, rtol=1e-10)
    check(cb.grad, tb.grad, rtol=1e-10)
    check(cb.triangular_solve(ca, upper).solution, tb.triangular_solve(ta, upper).solution)


def test_method_spellings_match_torch():
    x = np.array([-1.0, 0.2, 0.7, 0.4, -0.3])
    c, t = cr.tensor(x), torch.from_numpy(x)
    check(c.hardshrink(0.3), t.hardshrink(0.3))
    check(c.prelu(cr.tensor([0.25])), t.prelu(torch.tensor([0.25], dtype=torch.float64)))
    for ours, theirs in ((c.unsafe_chunk(2), t.unsafe_chunk(2)),
                         (c.unsafe_split(2), t.unsafe_split(2)),
                         (c.unsafe_split_with_sizes([1, 4]), t.unsafe_split_with_sizes([1, 4]))):
        assert len(ours) == len(theirs)
        for o, r in zip(ours, theirs):
            check(o, r)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
@settings(max_examples=60, deadline=None)
@given(start=st.floats(-50, 50), span=st.floats(-80, 80), steps=st.integers(0, 70),
       whole=st.booleans())
def test_linspace_matches_torch_bit_for_bit(dtype, start, span, steps, whole):
    """PyTorch computes each value as one fused multiply-add from the nearer end; NumPy's
    linspace differs in the last bit (and for integers, in which ends it truncates)."""
    end = start + span
    if whole:
        start, end = round(start), round(end)
    ours = cr.linspace(start, end, steps, dtype=getattr(cr, dtype)).numpy()
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
