"""F.grid_sample and F.affine_grid against PyTorch: hypothesis-drawn shapes for every mode ×
padding_mode × align_corners, float64 values and both gradients (input and grid), grid points at
exact pixel positions and on the borders, and grids holding NaN, ±inf and huge coordinates."""
import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.nn import functional as F

MODES = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")
COMBOS = [(m, p, a, k) for m, p, a, k in itertools.product(MODES, PADDINGS, (False, True), (2, 3))
          if not (m == "bicubic" and k == 3)]


def _both(x, grid, w, **kw):
    """Output, input gradient and grid gradient of ⟨w, grid_sample(x, grid)⟩, chainrule's and
    PyTorch's."""
    cx, cg = cr.tensor(x, requires_grad=True), cr.tensor(grid, requires_grad=True)
    with np.errstate(all="ignore"):
        out = F.grid_sample(cx, cg, **kw)
        (out * cr.tensor(w)).sum().backward()
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    t_out = TF.grid_sample(tx, tg, **kw)
    (t_out * torch.tensor(w)).sum().backward()
    return ((out.numpy(), cx.grad.numpy(), cg.grad.numpy()),
            (t_out.detach().numpy(), tx.grad.numpy(), tg.grad.numpy()))


def _assert_same(ours, theirs, what, rtol=1e-10, atol=1e-12):
    for name, a, b in zip(("forward", "input gradient", "grid gradient"), ours, theirs):
        assert a.shape == b.shape, f"{what}: {name} shape {a.shape} vs PyTorch {b.shape}"
        assert a.dtype == b.dtype, f"{what}: {name} dtype {a.dtype} vs PyTorch {b.dtype}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{what}: {name}")


@pytest.mark.parametrize("mode,padding,align_corners,k", COMBOS)
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_grid_sample_matches_torch(mode, padding, align_corners, k, data):
    n = data.draw(st.integers(1, 3))
    c = data.draw(st.integers(1, 3))
    spatial = tuple(data.draw(st.integers(1, 6)) for _ in range(k))
    out = tuple(data.draw(st.integers(1, 5)) for _ in range(k))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16)))
    x = rng.standard_normal((n, c) + spatial)
    grid = rng.uniform(-1.5, 1.5, (n,) + out + (k,))
    if data.draw(st.booleans()):        # some points exactly on pixels and on the edges
        sizes = spatial[::-1]
        for j in range(k):
            pixel = rng.integers(0, sizes[j], grid.shape[:-1])
            exact = (2 * pixel / max(sizes[j] - 1, 1) - 1 if align_corners
                     else (2 * pixel + 1) / sizes[j] - 1)
            choose = rng.random(grid.shape[:-1]) < 0.5
            grid[..., j] = np.where(choose, exact, grid[..., j])
        grid.reshape(-1)[:2] = [-1.0, 1.0]
    w = rng.standard_normal((n, c) + out)
    kw = dict(mode=mode, padding_mode=padding, align_corners=align_corners)
    ours, theirs = _both(x, grid, w, **kw)
    _assert_same(ours, theirs, f"grid_sample {kw} x {x.shape} grid {grid.shape}")


@pytest.mark.parametrize("mode,padding,align_corners,k", COMBOS)
def test_grid_sample_float32_matches_torch(mode, padding, align_corners, k):
    rng = np.random.default_rng(7)
    spatial = (3, 4, 5)[-k:]
    x = rng.standard_normal((2, 3) + spatial).astype(np.float32)
    grid = rng.uniform(-1.3, 1.3, (2,) + (3, 2, 4)[-k:] + (k,)).astype(np.float32)
    w = rng.standard_normal((2, 3) + (3, 2, 4)[-k:]).astype(np.float32)
    kw = dict(mode=mode, padding_mode=padding, align_corners=align_corners)
    ours, theirs = _both(x, grid, w, **kw)
    _assert_same(ours, theirs, f"float32 grid_sample {kw}", rtol=1e-4, atol=1e-5)


# PyTorch's 4-d bilinear kernel turns a NaN (border, reflection) or infinite (reflection) padded
# coordinate into a wild index and crashes (a segmentation fault); those are not run on PyTorch.
def _crashes_torch(k, mode, padding, v):
    return (k == 2 and mode == "bilinear" and
            (padding == "border" and np.isnan(v) or padding == "reflection" and
             not np.isfinite(v)))


SPECIAL = (np.nan, np.inf, -np.inf, 1e20, -1e20)
SPECIAL_COMBOS = [(m, p, a, k, v) for (m, p, a, k), v in itertools.product(COMBOS, SPECIAL)]


@pytest.mark.parametrize("mode,padding,align_corners,k,v", SPECIAL_COMBOS)
def test_grid_sample_special_coordinates(mode, padding, align_corners, k, v):
    """Grids with NaN, ±inf and huge coordinates: as PyTorch's CPU kernels (4-d: NaN weights for
    a non-finite bilinear/bicubic coordinate, so a NaN output; 5-d: such a point reads nothing),
    where PyTorch does not crash."""
    x = np.arange(1.0, 13.0).reshape(1, 1, 3, 4) if k == 2 else \
        np.arange(1.0, 25.0).reshape(1, 1, 2, 3, 4)
    rows = [[v, 0.1, 0.2][:k], [0.1, v, 0.2][:k], [v] * k, [0.3, -0.4, 0.5][:k]]
    if k == 3:
        rows.append([0.1, 0.2, v])
    grid = np.array(rows).reshape((1, 1) + (1,) * (k - 2) + (len(rows), k))
    w = np.ones((1, 1) + grid.shape[1:-1])
    kw = dict(mode=mode, padding_mode=padding, align_corners=align_corners)
    if _crashes_torch(k, mode, padding, v):
        cx, cg = cr.tensor(x, requires_grad=True), cr.tensor(grid, requires_grad=True)
        with np.errstate(all="ignore"):
            out = F.grid_sample(cx, cg, **kw)
            out.sum().backward()
        y = out.numpy().reshape(-1)
        assert np.isnan(y[:3]).all() and np.isfinite(y[3]), y   # chainrule: NaN, not a crash
        assert np.isfinite(cx.grad.numpy()).all()
        return
    ours, theirs = _both(x, grid, w, **kw)
    _assert_same(ours, theirs, f"grid_sample {kw} with coordinate {v}")


def test_nearest_rounds_half_to_even_and_gives_the_grid_zero_gradient():
    x = np.arange(5.0).reshape(1, 1, 1, 5)
    # align_corners=True: pixel i sits at 2i/4 − 1; halfway points 0.5, 1.5, 2.5, 3.5
    xs = np.array([0.5, 1.5, 2.5, 3.5]) / 2 - 1
    grid = np.stack([xs, np.zeros(4)], -1).reshape(1, 1, 4, 2)
    ours, theirs = _both(x, grid, np.ones((1, 1, 1, 4)), mode="nearest", align_corners=True)
    _assert_same(ours, theirs, "nearest at halves")
    assert not ours[2].any()


def test_default_align_corners_warns_and_means_false():
    rng = np.random.default_rng(0)
    x, grid = rng.standard_normal((1, 2, 3, 3)), rng.uniform(-1, 1, (1, 2, 2, 2))
    with pytest.warns(UserWarning, match="align_corners=False"):
        ours = F.grid_sample(cr.tensor(x), cr.tensor(grid)).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.grid_sample(torch.tensor(x), torch.tensor(grid)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    with pytest.warns(UserWarning, match="align_corners=False"):
        F.affine_grid(cr.tensor(rng.standard_normal((1, 2, 3))), (1, 1, 2, 2))


@settings(max_examples=20, deadline=None)
@given(k=st.sampled_from([2, 3]), n=st.integers(1, 3), align_corners=st.booleans(),
       spatial=st.lists(st.integers(1, 6), min_size=3, max_size=3), seed=st.integers(0, 999))
def test_affine_grid_matches_torch(k, n, align_corners, spatial, seed):
    size = (n, 2) + tuple(spatial[:k])
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((n, k, k + 1))
    w = rng.standard_normal((n,) + tuple(spatial[:k]) + (k,))
    ct, tt = cr.tensor(theta, requires_grad=True), torch.tensor(theta, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # align_corners with a unit-size axis warns
        ours = F.affine_grid(ct, size, align_corners=align_corners)
        theirs = TF.affine_grid(tt, size, align_corners=align_corners)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-15)
    (ours * cr.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ct.grad.numpy(), tt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode,padding,align_corners", [
    (m, p, a) for m, p, a in itertools.product(MODES, PADDINGS, (False, True))])
def test_spatial_transformer_chain_matches_torch(mode, padding, align_corners):
    """affine_grid feeding grid_sample: the gradient reaches θ through the grid."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5, 6))
    theta = np.array([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.2]], [[1.2, 0.0, 0.3], [0.0, 0.7, 0.1]]])
    w = rng.standard_normal((2, 3, 4, 4))
    results = []
    for L, F_ in ((cr, F), (torch, TF)):
        tx = L.tensor(x, requires_grad=True)
        tt = L.tensor(theta, requires_grad=True)
        grid = F_.affine_grid(tt, (2, 3, 4, 4), align_corners=align_corners)
        out = F_.grid_sample(tx, grid, mode=mode, padding_mode=padding,
                             align_corners=align_corners)
        (out * L.tensor(w)).sum().backward()
        results.append([np.asarray(a.detach().numpy()) for a in (out, tx.grad, tt.grad)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode,padding,align_corners,k", COMBOS)
def test_double_backward_matches_torch(mode, padding, align_corners, k):
    """∂⟨∂L/∂(x, G), v⟩/∂(x, G, g) against PyTorch's double backward of grid_sampler."""
    rng = np.random.default_rng(11)
    xs = (2, 2) + (3, 4, 5)[-k:]
    gs = (2,) + (2, 3, 2)[-k:] + (k,)
    x, grid = rng.standard_normal(xs), rng.uniform(-1.3, 1.3, gs)
    w = rng.standard_normal((2, 2) + gs[1:-1])
    vx, vg = rng.standard_normal(xs), rng.standard_normal(gs)
    results = []
    for L, F_ in ((cr, F), (torch, TF)):
        tx, tg = L.tensor(x, requires_grad=True), L.tensor(grid, requires_grad=True)
        tw = L.tensor(w, requires_grad=True)
        out = F_.grid_sample(tx, tg, mode=mode, padding_mode=padding, align_corners=align_corners)
        gx, gg = L.autograd.grad(out, [tx, tg], tw, create_graph=True)
        dot = (gx * L.tensor(vx)).sum() + (gg * L.tensor(vg)).sum()
        second = L.autograd.grad(dot, [tx, tg, tw], allow_unused=True)
        results.append([np.zeros(s.shape) if d is None else np.asarray(d.detach().numpy())
                        for d, s in zip(second, (x, grid, w))])
    for name, a, b in zip(("input", "grid", "upstream gradient"), *results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12,
                                   err_msg=f"double backward w.r.t. the {name}")
