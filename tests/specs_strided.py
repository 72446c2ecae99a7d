"""Test specs of the primitives of ops/as_strided.py (as_strided, as_strided_scatter), in
primitive_specs.py's form; imported at the end of ``primitive_specs.py``. Geometries are drawn
within the storage (a fresh 1-D input is its own storage); windows may overlap for as_strided."""
from __future__ import annotations

import torch
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec

import chainrule as cr


def _geometry(d: Drawer, n: int, overlapping: bool):
    """(size, stride, offset) of a view that stays within a storage of n elements."""
    ndim = d.draw(st.integers(1, 2))
    size = tuple(d.draw(st.integers(1, 3)) for _ in range(ndim))
    if overlapping:
        stride = tuple(d.draw(st.integers(0, 3)) for _ in range(ndim))
    else:                        # row-major rows of size[-1], rows spaced at least that far
        stride = (d.draw(st.integers(size[-1], size[-1] + 2)), 1)[-ndim:] if ndim == 2 else (
            d.draw(st.integers(1, 3)),)
    span = 1 + sum((a - 1) * s for a, s in zip(size, stride))
    n = max(n, span)
    offset = d.draw(st.integers(0, n - span))
    return n, size, stride, offset


@spec("as_strided")
def _as_strided(d: Drawer) -> Case:
    n, size, stride, offset = _geometry(d, d.draw(st.integers(1, 12)), overlapping=True)
    (x,) = d.values([(n,)], [OWN])
    params = {"size": size, "stride": stride, "offset": offset}
    return Case((x,), lambda t: cr.as_strided(t, size, stride, offset),
                lambda t: torch.as_strided(t, size, stride, offset),
                lambda a: d.reference(a, size, stride, offset), params=params)


@spec("as_strided_scatter")
def _as_strided_scatter(d: Drawer) -> Case:
    n, size, stride, offset = _geometry(d, d.draw(st.integers(1, 12)), overlapping=False)
    x, src = d.values([(n,), size], [OWN, OWN])
    params = {"size": size, "stride": stride, "offset": offset}
    # only src's gradient is compared with PyTorch: PyTorch 2.13's gradient of the input is
    # wrong (it keeps G at the written positions instead of zeroing them; its own gradcheck
    # fails), chainrule's is the derivative (tests/ops/test_as_strided.py checks it)
    return Case((x, src), lambda t, s: cr.as_strided_scatter(t, s, size, stride, offset),
                lambda t, s: torch.as_strided_scatter(t, s, size, stride, offset),
                lambda a, b: d.reference(a, b, size, stride, offset),
                requires_grad=(False, True), params=params)
