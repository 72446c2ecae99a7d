"""Test specs of the gamma-function primitives (lgamma, digamma, polygamma: ops/gamma.py), in
primitive_specs.py's form (imported at its end, which registers them into ``SPECS``).

Inputs come from the registered domain "positive" (log-uniform over [0.1, 10]); polygamma draws
its order n from 1…4 (n = 0 is digamma)."""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec

import chainrule as cr


@spec("lgamma")
def _lgamma(d: Drawer) -> Case:
    (x,) = d.values([d.shape()], [OWN])
    return Case((np.asarray(x, dtype=d.dtype),), cr.lgamma, torch.lgamma, d.reference)


@spec("digamma")
def _digamma(d: Drawer) -> Case:
    (x,) = d.values([d.shape()], [OWN])
    return Case((np.asarray(x, dtype=d.dtype),), cr.digamma, torch.digamma, d.reference)


@spec("polygamma")
def _polygamma(d: Drawer) -> Case:
    (x,) = d.values([d.shape()], [OWN])
    n = d.draw(st.integers(1, 4))
    return Case((np.asarray(x, dtype=d.dtype),), lambda t: cr.polygamma(n, t),
                lambda t: torch.polygamma(n, t), lambda a: d.reference(a, n=n), params={"n": n})
