"""chainrule.parallel: the intra-op split of a pass over threads, and the primitives that use it.

The mechanics (ranges covered once, errors re-raised, no nesting, the setting) are tested on
plain functions; then conv, max-pool and BatchNorm are run with every pass forced to split
(``MIN_BYTES = 1``) and must give bit-for-bit the results of the unsplit run: the parts write
disjoint outputs, so splitting may not change a single value.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import parallel


@pytest.fixture
def forced_split(monkeypatch):
    """Every pass split into as many parts as there are threads (at least 2)."""
    monkeypatch.setattr(parallel, "MIN_BYTES", 1)
    monkeypatch.setitem(parallel._state, "split", True)
    monkeypatch.setitem(parallel._state, "threads", max(2, parallel.get_num_threads()))


def test_parts_cover_the_range_once_on_several_threads(forced_split):
    seen = np.zeros(1000, dtype=int)
    threads = set()

    def part(lo, hi):
        seen[lo:hi] += 1
        threads.add(threading.get_ident())

    parallel.parallel_for(1000, part, nbytes=10**9)
    assert (seen == 1).all()
    assert len(threads) == parallel.get_num_threads()


def test_a_small_pass_runs_whole_on_the_calling_thread(monkeypatch):
    monkeypatch.setitem(parallel._state, "split", True)
    calls = []
    parallel.parallel_for(100, lambda lo, hi: calls.append((lo, hi, threading.get_ident())),
                          nbytes=parallel.MIN_BYTES - 1)
    assert calls == [(0, 100, threading.get_ident())]


def test_an_error_in_a_worker_part_is_raised_in_the_caller(forced_split):
    def part(lo, hi):
        if lo > 0:
            raise ValueError(f"part {lo}:{hi} failed")

    with pytest.raises(ValueError, match="failed"):
        parallel.parallel_for(10, part, nbytes=10**9)
    seen = []                         # the pool still works afterwards
    parallel.parallel_for(10, lambda lo, hi: seen.append(hi - lo), nbytes=10**9)
    assert sum(seen) == 10


def test_a_nested_pass_runs_whole_inside_its_part(forced_split):
    inner = []

    def part(lo, hi):
        parallel.parallel_for(4, lambda a, b: inner.append((a, b)), nbytes=10**9)

    parallel.parallel_for(8, part, nbytes=10**9)
    assert inner.count((0, 4)) == parallel.get_num_threads()


def test_set_num_threads_is_pytorchs_setting():
    previous = cr.get_num_threads()
    try:
        cr.set_num_threads(1)
        assert cr.get_num_threads() == 1
        seen = []
        parallel.parallel_for(10, lambda lo, hi: seen.append((lo, hi)), nbytes=10**12)
        assert seen == [(0, 10)]
        with pytest.raises(ValueError, match="set_num_threads"):
            cr.set_num_threads(0)
    finally:
        cr.set_num_threads(previous)


def _conv_run(x, w, b, g, **kw):
    xt = cr.tensor(x, requires_grad=True)
    wt = cr.tensor(w, requires_grad=True)
    bt = cr.tensor(b, requires_grad=True)
    y = cr.nn.functional.conv2d(xt, wt, bt, **kw)
    y.backward(cr.tensor(g))
    return [y.numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()]


@given(n=st.integers(1, 5), c=st.integers(1, 4), o=st.integers(1, 9), k=st.integers(1, 3),
       stride=st.integers(1, 2), padding=st.integers(0, 2), seed=st.integers(0, 50))
def test_conv_split_equals_whole(n, c, o, k, stride, padding, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, 7, 6))
    w = rng.standard_normal((o, c, k, k))
    b = rng.standard_normal(o)
    y = cr.nn.functional.conv2d(cr.tensor(x), cr.tensor(w), stride=stride, padding=padding)
    g = rng.standard_normal(y.shape)
    whole = _conv_run(x, w, b, g, stride=stride, padding=padding)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parallel, "MIN_BYTES", 1)
        mp.setitem(parallel._state, "split", True)
        mp.setitem(parallel._state, "threads", 2)
        split = _conv_run(x, w, b, g, stride=stride, padding=padding)
    for a, s in zip(whole, split):
        np.testing.assert_array_equal(a, s)


def test_pool_and_batchnorm_split_equal_whole(forced_split):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 9, 8)).astype(np.float32)
    g = rng.standard_normal((5, 3, 5, 5)).astype(np.float32)
    results = []
    for split in (False, True):
        parallel._state["split"] = split
        xt = cr.tensor(x, requires_grad=True)
        bn = cr.nn.BatchNorm2d(3)
        y = cr.nn.functional.max_pool2d(bn(xt), 3, stride=2, padding=1, ceil_mode=True)
        y.backward(cr.tensor(g))
        results.append((y.numpy(), xt.grad.numpy(), bn.weight.grad.numpy(),
                        bn.running_var.numpy()))
    for whole, split in zip(*results):
        np.testing.assert_array_equal(whole, split)


# --------------------------------------------------------------------------- conv's new routes
def _torch_conv_grads(x, w, g, **kw):
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(xt, wt, **kw).backward(torch.tensor(g))
    return xt.grad.numpy(), wt.grad.numpy()


@given(n=st.integers(1, 3), groups=st.integers(1, 2), cg=st.integers(1, 4),
       og=st.integers(1, 3), k=st.sampled_from([(1, 1), (3, 3), (2, 3), (5, 5)]),
       dilation=st.integers(1, 2), pad=st.data(), seed=st.integers(0, 50))
def test_stride_one_input_gradient_by_gather_matches_pytorch(n, groups, cg, og, k, dilation,
                                                            pad, seed):
    """Stride-1 convolutions with O < 1.7·C take ∂L/∂x as a convolution of G with the flipped
    kernel: float64 against PyTorch, with padding up to the dilated reach (and 'same')."""
    from chainrule.ops import conv as C

    rng = np.random.default_rng(seed)
    c, o = cg * groups, og * groups
    x = rng.standard_normal((n, c, 12, 11))
    w = rng.standard_normal((o, cg, *k))
    padding = pad.draw(st.sampled_from(["same", 0, (dilation * (k[0] - 1), 0)]))
    assert C._gather_wins(w, (1, 1), C.conv_padding(padding, k, (1, 1), (dilation,) * 2, "t"),
                          (dilation,) * 2, groups) == (10 * o < 17 * c)
    y = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=padding,
                                   dilation=dilation, groups=groups)
    g = rng.standard_normal(tuple(y.shape))
    xt = cr.tensor(x, requires_grad=True)
    wt = cr.tensor(w, requires_grad=True)
    cr.nn.functional.conv2d(xt, wt, padding=padding, dilation=dilation,
                            groups=groups).backward(cr.tensor(g))
    gx, gw = _torch_conv_grads(x, w, g, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(xt.grad.numpy(), gx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), gw, rtol=1e-10, atol=1e-12)


def test_weight_gradient_over_a_long_reduction_matches_pytorch():
    """A first layer with a tiny weight (2 × 1 × 3 × 3) over 8·38·38 positions: the weight
    gradient is summed in chunks of the reduction (ops/conv.py's _matmul_long)."""
    from chainrule.ops import conv as C

    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 1, 40, 40))
    w = rng.standard_normal((2, 1, 3, 3))
    g = rng.standard_normal((8, 2, 38, 38))
    assert 8 * 38 * 38 >= 4 * C._LONG_CHUNK
    xt = cr.tensor(x, requires_grad=True)
    wt = cr.tensor(w, requires_grad=True)
    cr.nn.functional.conv2d(xt, wt).backward(cr.tensor(g))
    gx, gw = _torch_conv_grads(x, w, g)
    np.testing.assert_allclose(wt.grad.numpy(), gw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), gx, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("where", ["x", "w"])
def test_infinite_input_or_weight_gives_pytorchs_inf_and_nan(where):
    """The gather route for ∂L/∂x multiplies the kernel by G's zero padding (0·∞ = NaN), so it
    must not be taken for an infinite kernel: every gradient keeps exactly PyTorch's pattern of
    inf and NaN."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 6, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    if where == "x":
        x[0, 1, 2, 4] = np.inf          # in the last column: read by the extra columns too
        x[1, 0, 5, 4] = np.nan
    else:
        w[1, 0, 2, 2] = np.inf
    b = rng.standard_normal(3)
    g = rng.standard_normal((2, 3, 4, 3))
    mine = _conv_run(x, w, b, g)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y = torch.nn.functional.conv2d(xt, wt, bt)
    y.backward(torch.tensor(g))
    for a, t in zip(mine, (y, xt.grad, wt.grad, bt.grad)):
        t = t.detach().numpy()
        np.testing.assert_array_equal(np.isnan(a), np.isnan(t))
        np.testing.assert_array_equal(np.isinf(a), np.isinf(t))
        finite = np.isfinite(t)
        np.testing.assert_allclose(a[finite], t[finite], rtol=1e-10, atol=1e-12)


def test_the_blas_held_at_one_thread_is_numpys():
    """Other OpenBLAS copies get loaded (SciPy's, by PyTorch's imports): the library a split
    region holds at one thread must be the one NumPy's matrix products run on."""
    controller = parallel._BlasThreads.get()
    if controller is None:
        pytest.skip("threadpoolctl found no OpenBLAS")
    try:
        import scipy.linalg  # noqa: F401  (loads a second OpenBLAS where SciPy is installed)
    except ImportError:
        pass

    a = np.ones((300, 300))
    previous = controller.num_threads
    try:
        controller.set_num_threads(1)
        from threadpoolctl import threadpool_info
        numpy_libs = [d for d in threadpool_info()
                      if d["internal_api"] == "openblas" and "numpy" in d["filepath"]]
        assert all(d["num_threads"] == 1 for d in numpy_libs)
        a @ a
    finally:
        controller.set_num_threads(previous)


def test_parts_side_by_side_see_how_many_share_the_process_and_split_the_workspace(monkeypatch):
    """parallel.sharing(): 1 outside a split pass, the number of parts inside one (on every
    part's thread), and 1 again after; a convolution inside one of two parts keeps its columns
    only when they fit half of KEEP_COLUMNS_BYTES."""
    from chainrule.ops import conv as C

    seen = []
    assert parallel.sharing() == 1
    assert parallel.run_parts([lambda: seen.append(parallel.sharing())] * 2)
    assert seen == [2, 2] and parallel.sharing() == 1
    assert parallel.run_parts([lambda: seen.append(parallel.sharing())])
    assert seen[-1] == 1

    x = cr.tensor(np.random.default_rng(0).standard_normal((2, 3, 9, 9)))
    w = cr.tensor(np.random.default_rng(1).standard_normal((4, 3, 3, 3)), requires_grad=True)
    monkeypatch.setattr(C, "KEEP_COLUMNS_BYTES", C._cols_bytes(x._data, (3, 3), (7, 7)))
    kept = {}

    def forward(key):
        kept[key] = getattr(cr.nn.functional.conv2d(x, w)._node, "columns", None)

    forward("alone")
    assert parallel.run_parts([lambda: forward("first of two"), lambda: None])
    assert kept["alone"] is not None and kept["first of two"] is None


def test_an_exchange_gives_every_part_all_values_in_the_parts_order():
    exchange = parallel.Exchange(3)
    seen = {}

    def part(k):
        def run():
            first = exchange.exchange(k, ("a", k))
            second = exchange.exchange(k, ("b", k))
            third = exchange.exchange(k, ("c", k))     # the first meeting's list reused
            seen[k] = (first, second, third)
        return run

    parallel.run_together([part(k) for k in range(3)], exchange, blas=False)
    for k in range(3):
        assert seen[k] == tuple([(m, j) for j in range(3)] for m in "abc")


def test_a_part_that_fails_before_the_meeting_raises_its_error_and_frees_the_others():
    exchange = parallel.Exchange(2)
    reached = []

    def waits():
        reached.append("waiting")
        exchange.exchange(0, 1)

    def fails():
        raise ValueError("part 1 failed before the meeting")

    with pytest.raises(ValueError, match="part 1 failed"):
        parallel.run_together([waits, fails], exchange, blas=False)
    assert reached == ["waiting"]
    parallel.run_together([lambda: None, lambda: None], parallel.Exchange(2))   # pool free


def test_parts_that_meet_run_at_once_even_while_the_pool_is_in_use():
    """Called from inside a part (the pool busy), the parts get threads of their own rather
    than running one after the other, which would wait at the meeting forever."""
    threads = []

    def outer():
        exchange = parallel.Exchange(2)

        def part(k):
            def run():
                threads.append(threading.get_ident())
                assert exchange.exchange(k, k) == [0, 1]
            return run

        parallel.run_together([part(0), part(1)], exchange, blas=False)

    assert parallel.run_parts([outer, lambda: None], blas=False)
    assert len(set(threads)) == 2
