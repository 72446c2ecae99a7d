"""Test specs of the sampling-grid primitives (``F.affine_grid``, ``F.grid_sample``), in
primitive_specs.py's form (imported at its end, which registers them into ``SPECS``)."""
from __future__ import annotations

import numpy as np
import torch.nn.functional as F
from hypothesis import strategies as st
from primitive_specs import Case, Drawer, spec

import chainrule as cr

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


@spec("grid_sample", second_order=True)
def _grid_sample(d: Drawer) -> Case:
    """Input (N, C, *S) and grid (N, *S_out, k) with k = 2 or 3 spatial axes; every mode ×
    padding × align_corners; grid points drawn in [−1.3, 1.3] so that some fall outside the
    input (zeros padding, border clipping, reflection). Double backward is compared with
    PyTorch's."""
    mode = d.draw(st.sampled_from(_MODES))
    padding = d.draw(st.sampled_from(_PADDINGS))
    align_corners = d.draw(st.booleans())
    k = 2 if mode == "bicubic" else d.draw(st.sampled_from([2, 3]))
    top = 3 if d.small else 5
    n = d.draw(st.integers(1, 1 if d.small else 2))
    c = d.draw(st.integers(1, 2 if d.small else 3))
    spatial = tuple(d.draw(st.integers(1, top)) for _ in range(k))
    out = tuple(d.draw(st.integers(1, 2 if d.small else 4)) for _ in range(k))
    rng = d.rng()
    x = rng.standard_normal((n, c) + spatial).astype(d.dtype)
    grid = rng.uniform(-1.3, 1.3, (n,) + out + (k,)).astype(d.dtype)
    params = dict(mode=mode, padding_mode=padding, align_corners=align_corners)

    def call(x, grid):
        return cr.nn.functional.grid_sample(x, grid, **params)

    def torch_call(x, grid):
        return F.grid_sample(x, grid, **params)

    def reference(x, grid):
        return d.reference(x, grid, mode, padding, align_corners)

    return Case((x, grid), call, torch_call, reference, d.requires_grad(2), params=params)


@spec("affine_grid")
def _affine_grid(d: Drawer) -> Case:
    """θ of shape (N, 2, 3) with a 4-d size, or (N, 3, 4) with a 5-d size; both align_corners
    (True only without unit-size axes, where PyTorch warns)."""
    k = d.draw(st.sampled_from([2, 3]))
    n = d.draw(st.integers(1, 1 if d.small else 3))
    top = 3 if d.small else 6
    spatial = tuple(d.draw(st.integers(1, top)) for _ in range(k))
    if d.small and k == 3:
        spatial = spatial[:1] + (1, 2)
    align_corners = min(spatial) > 1 and d.draw(st.booleans())
    size = (n, d.draw(st.integers(1, 3))) + spatial
    (theta,) = d.values([(n, k, k + 1)], ["real"])
    params = dict(size=size, align_corners=align_corners)

    def call(theta):
        return cr.nn.functional.affine_grid(theta, size, align_corners=align_corners)

    def torch_call(theta):
        return F.affine_grid(theta, size, align_corners=align_corners)

    def reference(theta):
        return d.reference(np.asarray(theta), size, align_corners)

    return Case((theta,), call, torch_call, reference, (True,), params=params)
