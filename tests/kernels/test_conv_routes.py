"""The convolution's two GEMM layouts (ops/conv.py): one GEMM over the whole batch
(channel-major columns) and one GEMM per image (batch-major, for a short reduction C/G·k…,
``PER_IMAGE_MAX_K``; its ∂L/∂x with numba's col2im kernel, kernels/conv.py). Whatever the
shape, each route must give PyTorch's output and gradients in float64: each is forced here on
hypothesis-drawn shapes (odd sizes, stride, padding, dilation, groups, batch 1, non-contiguous
inputs and output gradients)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels
from chainrule.ops import conv as C
from chainrule.ops import conv_nhwc


@pytest.fixture(params=["nhwc_fast", "nhwc_pure", "per_image_fast", "per_image_pure",
                        "whole_batch_fast", "whole_batch"])
def route(request, monkeypatch):
    """The route forced for the whole test (the same for every generated example): channels-last
    (ops/conv_nhwc.py, 2-d with one group; other shapes take the per-image route), per image or
    whole batch, with the fast kernels (numba's col2im for ∂L/∂x) or without (then ∂L/∂x takes
    the whole-batch route)."""
    whole = request.param.startswith("whole_batch")
    monkeypatch.setattr(C, "PER_IMAGE_MAX_K", 0 if whole else 10 ** 9)
    nhwc = request.param.startswith("nhwc")
    monkeypatch.setattr(conv_nhwc, "ENABLED", nhwc)
    if nhwc:                                    # every 2-d, one-group shape
        monkeypatch.setattr(conv_nhwc, "MIN_CHANNELS", 1)
        monkeypatch.setattr(conv_nhwc, "MIN_K", 1)
        monkeypatch.setattr(conv_nhwc, "MAX_POSITIONS", 10 ** 9)
    fast = request.param.endswith("_fast")
    if fast and not kernels.available():
        pytest.skip("numba is not installed")
    previous = kernels.enabled(fast)
    yield request.param
    kernels.enabled(previous)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 3), groups=st.integers(1, 3), cg=st.integers(1, 3),
       og=st.integers(1, 3), k=st.sampled_from([(1, 1), (3, 3), (2, 3), (5, 4)]),
       stride=st.integers(1, 3), dilation=st.integers(1, 2), padding=st.integers(0, 2),
       h=st.integers(7, 12), w=st.integers(7, 11), bias=st.booleans(),
       transposed_input=st.booleans(), seed=st.integers(0, 99))
def test_both_routes_match_pytorch(route, n, groups, cg, og, k, stride, dilation, padding, h, w,
                                   bias, transposed_input, seed):
    rng = np.random.default_rng(seed)
    c, o = cg * groups, og * groups
    x = rng.standard_normal((n, c, w, h))
    if transposed_input:                            # a non-contiguous input
        x = x.swapaxes(2, 3)
    else:
        x = x.swapaxes(2, 3).copy()
    weight = rng.standard_normal((o, cg, *k))
    b = rng.standard_normal(o) if bias else None
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True) if bias else None
    try:
        yt = torch.nn.functional.conv2d(xt, wt, bt, **kw)
    except RuntimeError:                            # the kernel does not fit: both refuse
        with pytest.raises(ValueError):
            cr.nn.functional.conv2d(cr.tensor(x), cr.tensor(weight),
                                    None if b is None else cr.tensor(b), **kw)
        return
    g = rng.standard_normal(tuple(yt.shape)[::-1]).T    # a non-contiguous output gradient
    yt.backward(torch.tensor(np.ascontiguousarray(g)))
    xc = cr.tensor(x, requires_grad=True)
    wc = cr.tensor(weight, requires_grad=True)
    bc = cr.tensor(b, requires_grad=True) if bias else None
    y = cr.nn.functional.conv2d(xc, wc, bc, **kw)
    y.backward(cr.tensor(g))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(wc.grad.numpy(), wt.grad.numpy(), rtol=1e-10, atol=1e-12)
    if bias:
        np.testing.assert_allclose(bc.grad.numpy(), bt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_lenet_conv2_takes_the_channels_last_route_and_other_shapes_do_not():
    def takes(c, o, k, out, groups=1):
        x = np.zeros((4, c * groups, 16, 16), np.float32)
        return conv_nhwc.takes(x, np.zeros((o, c, k, k), np.float32), groups, (out, out))

    assert takes(6, 16, 5, 10)                  # LeNet's conv2: k²C 150, 10×10 out
    assert not takes(1, 6, 5, 28)               # LeNet's conv1: one channel
    assert not takes(3, 32, 3, 32)              # VGG's first layer: k²C 27, 32×32 out
    assert not takes(32, 32, 3, 16)             # VGG's inner layers: k²C 288
    assert not takes(6, 16, 5, 14)              # 196 positions
    assert not takes(3, 6, 5, 10, groups=2)     # groups


def test_the_route_follows_the_reduction_length():
    assert C._per_image(np.zeros((6, 1, 5, 5)))            # LeNet's conv1: C·k = 25
    assert C._per_image(np.zeros((16, 6, 5, 5)))           # conv2: 150
    assert not C._per_image(np.zeros((64, 32, 3, 3)))      # VGG's inner layers: 288
    assert C._per_image(np.zeros((64, 1, 3, 3)))           # depthwise: C/G·k = 9


def test_float32_lenet_shapes_agree_across_routes(monkeypatch):
    """The two routes sum in different orders: float32 results agree to rounding."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 6, 14, 14)).astype(np.float32)
    weight = rng.standard_normal((16, 6, 5, 5)).astype(np.float32)
    g = rng.standard_normal((16, 16, 10, 10)).astype(np.float32)
    results = []
    for limit in (10 ** 9, 0):
        monkeypatch.setattr(C, "PER_IMAGE_MAX_K", limit)
        xc = cr.tensor(x, requires_grad=True)
        wc = cr.tensor(weight, requires_grad=True)
        cr.nn.functional.conv2d(xc, wc).backward(cr.tensor(g))
        results.append((xc.grad.numpy(), wc.grad.numpy()))
    for a, b in zip(*results):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(not kernels.available(), reason="numba is not installed")
@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 4), kh=st.integers(1, 4), kw=st.integers(1, 4),
       ho=st.integers(1, 6), wo=st.integers(1, 6), sh=st.integers(1, 3), sw=st.integers(1, 3),
       dh=st.integers(1, 2), dw=st.integers(1, 2), dtype=st.sampled_from(["float32", "float64"]))
def test_col2im_kernel_equals_the_per_offset_adds_bit_for_bit(n, c, kh, kw, ho, wo, sh, sw, dh,
                                                              dw, dtype):
    """kernels/conv.py's col2im against NumPy's one strided add per kernel offset: the same
    terms in the same order, so the same bits."""
    from chainrule.kernels.conv import col2im2d

    rng = np.random.default_rng(n * 1000 + ho * 10 + wo)
    gcols = rng.standard_normal((n * c, kh, kw, ho, wo)).astype(dtype)
    shape = (n * c, sh * (ho - 1) + dh * (kh - 1) + 1, sw * (wo - 1) + dw * (kw - 1) + 1)
    expected = np.zeros(shape, dtype)
    for i in range(kh):
        for j in range(kw):
            expected[:, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                     j * dw:j * dw + sw * (wo - 1) + 1:sw] += gcols[:, i, j]
    got = np.zeros(shape, dtype)
    col2im2d(gcols, sh, sw, dh, dw, got)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(not kernels.available(), reason="numba is not installed")
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 4), c=st.integers(1, 4), kh=st.integers(1, 5), kw=st.integers(1, 5),
       h=st.integers(5, 12), w=st.integers(5, 12), sh=st.integers(1, 3), dh=st.integers(1, 2),
       pad=st.integers(0, 2), groups=st.sampled_from([1, 2]),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 99))
def test_im2col_kernels_copy_the_window_view_exactly(monkeypatch, n, c, kh, kw, h, w, sh, dh,
                                                     pad, groups, dtype, seed):
    """kernels/conv.py's two im2col kernels (batch-major and channel-major) against NumPy's
    copy of the strided window view: a copy, so the same bits — with a height stride and
    dilation, padding, groups and a non-contiguous input (which the kernels leave to NumPy)."""
    c *= groups
    if dh * (kh - 1) + 1 > h + 2 * pad or kw > w + 2 * pad:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    args = ((kh, kw), (sh, 1), ((pad, pad), (pad, pad)), (dh, 1))
    out = C._out_sizes(x.shape[2:], (kh, kw), *args[1:])
    for x_ in (x, np.asfortranarray(x)):
        results = []
        for on in (True, False):
            monkeypatch.setattr(C, "IM2COL_KERNEL", on)
            results.append((C._im2col_images(x_, *args, out, groups),
                            C._im2col(x_, *args, out, groups)))
        for got, expected in zip(*results):
            assert got.shape == expected.shape
            np.testing.assert_array_equal(got, expected)
    # the channel-major kernel filling the batch in two parts (as the intra-op threads do)
    from chainrule.kernels.conv import im2col_channels

    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    parts = np.full((c * kh * kw, n, out[0] * out[1]), np.nan, dtype)
    half = n // 2
    for lo, hi in ((0, half), (half, n)):
        im2col_channels(xpad[lo:hi], kh, kw, sh, dh, *out, lo, parts)
    np.testing.assert_array_equal(parts.reshape(results[1][1].shape), results[1][1])


def _conv_grads(x, weight, b, g, **kw):
    xc = cr.tensor(x, requires_grad=True)
    wc = cr.tensor(weight, requires_grad=True)
    bc = None if b is None else cr.tensor(b, requires_grad=True)
    y = cr.nn.functional.conv2d(xc, wc, bc, **kw)
    node = y._node
    kept = getattr(node, "columns", None)
    y.backward(cr.tensor(g))
    grads = [xc.grad.numpy(), wc.grad.numpy()] + ([] if b is None else [bc.grad.numpy()])
    return y.numpy(), grads, kept, node


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 5), groups=st.integers(1, 2), cg=st.integers(1, 3),
       og=st.integers(1, 3), k=st.sampled_from([(1, 1), (3, 3), (2, 3), (5, 4)]),
       stride=st.integers(1, 2), dilation=st.integers(1, 2), padding=st.integers(0, 2),
       h=st.integers(7, 12), w=st.integers(7, 11), bias=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]), chunked=st.booleans(),
       seed=st.integers(0, 99))
def test_the_columns_kept_from_the_forward_give_the_rebuilt_columns_bits(
        route, monkeypatch, n, groups, cg, og, k, stride, dilation, padding, h, w, bias, dtype,
        chunked, seed):
    """A forward that keeps its im2col matrix (KEEP_COLUMNS_BYTES) hands the backward exactly
    the columns it would build again: the same output and gradients, bit for bit, on every
    route, with the batch in one chunk or image by image; the whole-batch route keeps none, nor
    does a forward whose backward takes another route (without numba's col2im)."""
    rng = np.random.default_rng(seed)
    c, o = cg * groups, og * groups
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((o, cg, *k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype) if bias else None
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    try:
        torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(weight), None, **kw)
    except RuntimeError:                            # the kernel does not fit the input
        return
    if chunked:                                     # one image per chunk
        monkeypatch.setattr(C, "CHUNK_BYTES", 1)
    out = C._out_sizes((h, w), k, (stride,) * 2, ((padding, padding),) * 2, (dilation,) * 2)
    g = rng.standard_normal((n, o, *out)).astype(dtype)
    results = []
    for budget in (0, 1 << 30):
        monkeypatch.setattr(C, "KEEP_COLUMNS_BYTES", budget)
        results.append(_conv_grads(x, weight, b, g, **kw))
    (y0, grads0, none, _), (y1, grads1, kept, node) = results
    assert none is None
    takes_nhwc = route.startswith("nhwc") and groups == 1
    depthwise = route.endswith("_fast") and cg == 1 and og == 1   # groups = C = O
    if route.startswith("whole_batch") or depthwise:    # the depthwise kernel builds none
        assert kept is None
    elif route.endswith("_fast"):       # the backward takes the forward's route: kept
        assert kept is not None
    if kept is not None:                # (without numba, only where the backward takes it too)
        assert kept.route == ("nhwc" if takes_nhwc else "images")
    assert node.columns is None                     # released by the backward
    np.testing.assert_array_equal(y1, y0)
    for a, b_ in zip(grads1, grads0):
        np.testing.assert_array_equal(a, b_)


def test_no_columns_are_kept_for_a_backward_that_would_not_use_them(monkeypatch):
    """LeNet-5's first convolution without the fast kernels, when its input needs a gradient:
    per-image forward, but the input gradient needs the whole-batch route (no numba col2im), so
    the per-image columns are not kept; with ∂L/∂W alone the backward runs per image and keeps
    them."""
    rng = np.random.default_rng(3)
    x = cr.tensor(rng.standard_normal((4, 1, 28, 28)).astype(np.float32), requires_grad=True)
    w = cr.tensor(rng.standard_normal((6, 1, 5, 5)).astype(np.float32), requires_grad=True)
    previous = kernels.enabled(False)
    try:
        assert getattr(cr.nn.functional.conv2d(x, w, padding=2)._node, "columns", None) is None
        x.requires_grad_(False)
        assert cr.nn.functional.conv2d(x, w, padding=2)._node.columns.route == "images"
    finally:
        kernels.enabled(previous)


def test_columns_are_kept_only_when_a_weight_gradient_will_be_computed(monkeypatch):
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((2, 3, 9, 9)), requires_grad=True)
    weight = rng.standard_normal((4, 3, 3, 3))
    y = cr.nn.functional.conv2d(x, cr.tensor(weight))          # ∂L/∂x only
    assert getattr(y._node, "columns", None) is None
    with cr.no_grad():
        y = cr.nn.functional.conv2d(x, cr.tensor(weight, requires_grad=True))
    assert y._node is None
    y = cr.nn.functional.conv2d(x, cr.tensor(weight, requires_grad=True))
    assert y._node.columns is not None
    monkeypatch.setattr(C, "KEEP_COLUMNS_BYTES", 2 * 3 * 9 * 7 * 7 * 8 - 1)   # one byte short
    y = cr.nn.functional.conv2d(x, cr.tensor(weight, requires_grad=True))
    assert getattr(y._node, "columns", None) is None


def test_a_backward_that_keeps_the_graph_keeps_the_columns_and_repeats_exactly():
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal((3, 2, 8, 8)), requires_grad=True)
    weight = cr.tensor(rng.standard_normal((5, 2, 3, 3)), requires_grad=True)
    y = cr.nn.functional.conv2d(x, weight, padding=1)
    g = cr.tensor(rng.standard_normal(tuple(y.shape)))
    y.backward(g, retain_graph=True)
    assert y._node.columns is not None
    first = weight.grad.numpy().copy()
    weight.grad = None
    y.backward(g)
    np.testing.assert_array_equal(weight.grad.numpy(), first)
    assert y._node.columns is None


def test_changing_the_input_in_place_after_the_forward_still_raises():
    """The kept columns are the input's values at the forward: PyTorch's version check on the
    saved input still refuses a backward after the input was changed in place."""
    rng = np.random.default_rng(2)
    x = cr.tensor(rng.standard_normal((2, 2, 6, 6)), requires_grad=True)
    weight = cr.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    h = x * 1.0
    y = cr.nn.functional.conv2d(h, weight)
    with cr.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation|version"):
        y.sum().backward()


@pytest.mark.parametrize("fast", [False, True], ids=["numpy", "numba"])
@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 4), kh=st.integers(1, 4), kw=st.integers(1, 5),
       ho=st.integers(1, 7), wo=st.integers(1, 7), sh=st.integers(1, 3), sw=st.integers(1, 3),
       dh=st.integers(1, 2), dw=st.integers(1, 2), dtype=st.sampled_from(["float32", "float64"]))
def test_channels_last_col2im_numpy_and_numba_equal_the_per_offset_adds(fast, n, c, kh, kw, ho,
                                                                        wo, sh, sw, dh, dw,
                                                                        dtype):
    """conv_nhwc.col2im: numba's kernel (kernels/conv.py, adding in (h, i, w, j) order), or
    NumPy's adds grouped by residue (each group's windows do not overlap; a width dilation
    above 1 adds per kernel offset), against one strided add per kernel offset: each target
    element receives the same terms, added in other orders, so they agree to rounding."""
    if fast and not kernels.available():
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(n * 1000 + ho * 10 + wo + c + kw)
    dcols = rng.standard_normal((n, ho, wo, kh, kw, c)).astype(dtype)
    hp, wp = sh * (ho - 1) + dh * (kh - 1) + 1, sw * (wo - 1) + dw * (kw - 1) + 1
    expected = np.zeros((n, hp, wp, c), dtype)
    for i in range(kh):
        for j in range(kw):
            expected[:, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                     j * dw:j * dw + sw * (wo - 1) + 1:sw] += dcols[:, :, :, i, j]
    got = np.zeros((n, hp, wp * c), dtype)
    previous = kernels.enabled(fast)
    try:
        conv_nhwc.col2im(dcols.reshape(n, ho, wo, kh, kw * c), (sh, sw), (dh, dw), c, got)
    finally:
        kernels.enabled(previous)
    tol = 1e-5 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=tol, atol=tol)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 5), k=st.tuples(st.integers(1, 5), st.integers(1, 5)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       padding=st.one_of(st.tuples(st.integers(0, 3), st.integers(0, 3)), st.just("same")),
       h=st.integers(1, 12), w=st.integers(1, 12), bias=st.booleans(),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_depthwise_kernel_matches_pytorch(n, c, k, stride, dilation, padding, h, w, bias, dtype):
    """The depthwise numba kernel (kernels/conv.py, taken by a forward that keeps no columns):
    PyTorch's output for every stride, dilation, padding (asymmetric for 'same' with an even
    kernel), odd size and dtype, and the kernel does run."""
    if not kernels.available():
        pytest.skip("numba is not installed")
    if padding == "same" and stride != (1, 1):
        stride = (1, 1)                                     # PyTorch: 'same' needs stride 1
    reach = [d * (kk - 1) + 1 for d, kk in zip(dilation, k)]
    pads = (padding, padding) if padding == "same" else padding
    if padding != "same" and any(s + 2 * p < r for s, p, r in zip((h, w), pads, reach)):
        return                                              # an empty output: refused
    rng = np.random.default_rng(n * 100 + c)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((c, 1) + k).astype(dtype)
    b = rng.standard_normal(c).astype(dtype) if bias else None
    from chainrule.kernels import conv as K

    calls, kernel = [], K.depthwise2d
    K.depthwise2d = lambda *a: calls.append(1) or kernel(*a)
    try:
        with cr.no_grad():
            ours = cr.nn.functional.conv2d(cr.tensor(x), cr.tensor(wt),
                                           None if b is None else cr.tensor(b), stride, padding,
                                           dilation, groups=c).numpy()
    finally:
        K.depthwise2d = kernel
    theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(wt),
                                        None if b is None else torch.from_numpy(b), stride,
                                        padding, dilation, groups=c).numpy()
    assert calls
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours, theirs, **tol)
    assert ours.dtype == dtype
