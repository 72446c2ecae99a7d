"""Test specs of the primitives of ops/norms.py (indexing, shape and sorting functions are
composites and need none), in primitive_specs.py's form; imported at the end of
``primitive_specs.py``."""
from __future__ import annotations

import strategies as S
import torch
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec

import chainrule as cr


@spec("vector_norm")
def _vector_norm(d: Drawer) -> Case:
    shape = d.shape()
    axis = d.draw(S.axes(len(shape)))
    keep = d.draw(S.keepdims())
    p = d.draw(st.sampled_from([1.0, 2.0, 3.0, 1.5, float("inf"), -float("inf")]))
    (x,) = d.values([shape], [OWN])
    axes = S.reduced_axes(axis, len(shape))
    dims = axes if axes else None

    def torch_norm(t):
        return torch.linalg.vector_norm(t, p, dim=dims, keepdim=keep) if t.ndim else \
            torch.linalg.vector_norm(t, p)

    return Case((x,), lambda t: cr.linalg.vector_norm(t, p, dims, keep), torch_norm,
                lambda a: d.reference(a, p=p, axes=axes, keepdims=keep),
                params={"p": p, "axes": axes, "keepdims": keep})
