"""The registry spec of the fused attention primitive, in tests/primitive_specs.py's form.

Not collected by pytest (no ``test_`` prefix). ``import attention_specs`` (tests/nn on sys.path)
or ``import nn.attention_specs`` at the end of primitive_specs.py / nn_primitive_specs.py
registers it into ``primitive_specs.SPECS``, which enrols ``scaled_dot_product_attention`` in
tests/test_primitives.py (forward vs its reference and PyTorch, backward, gradcheck, double
backward, float32). Drawn: batch and head axes (some broadcast), lengths, feature sizes, an
optional additive mask (a float bias, differentiable, or a boolean mask as its −∞ form, constant),
and an optional scale.
"""
from __future__ import annotations

import math

import numpy as np
import strategies as S
import torch
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec


@spec("scaled_dot_product_attention")
def _sdpa(d: Drawer) -> Case:
    side = 3 if d.small else 5
    batch = d.draw(S.shapes(0, 2, max_side=2 if d.small else 3, large=False))
    L, Sk = d.draw(st.integers(1, side)), d.draw(st.integers(1, side))
    E, Ev = d.draw(st.integers(1, 3 if d.small else 6)), d.draw(st.integers(1, 3))
    k_batch = tuple(1 if d.draw(st.booleans()) else n for n in batch)   # broadcast heads
    mask = d.draw(st.sampled_from(["none", "float", "bool"]))
    scale = d.draw(st.sampled_from([None, 0.5]))
    shapes = [batch + (L, E), k_batch + (Sk, E), k_batch + (Sk, Ev)]
    if mask == "float":
        shapes.append((L, Sk))
    xs = d.values(shapes, [OWN] * len(shapes))
    constant = None
    if mask == "bool":
        allowed = d.draw(st.lists(st.booleans(), min_size=L * Sk, max_size=L * Sk))
        allowed = np.array(allowed).reshape(L, Sk)
        allowed[:, 0] = True                          # no row masked everywhere
        constant = np.where(allowed, 0.0, -np.inf).astype(d.dtype)
    params = dict(scale=scale)

    def call(*ts):
        args = ts if constant is None else (*ts, constant)
        return d.cls.apply(*args, **params)

    def torch_call(*ts):
        # PyTorch's math formulation (its fused CPU kernel has no double backward)
        q, k, v = ts[:3]
        m = ts[3] if len(ts) > 3 else (None if constant is None else torch.from_numpy(constant))
        s = q @ k.transpose(-1, -2) * (1 / math.sqrt(E) if scale is None else scale)
        return torch.softmax(s if m is None else s + m, dim=-1) @ v

    def reference(*arrays):
        bias = arrays[3] if len(arrays) > 3 else constant
        s = 1 / math.sqrt(E) if scale is None else scale
        return d.reference(*arrays[:3], bias, scale=s)

    return Case(xs, call, torch_call, reference, d.requires_grad(len(xs)),
                dict(params, mask=mask))
