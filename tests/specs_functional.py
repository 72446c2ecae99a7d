"""Test specs of the nn.functional breadth primitives, in primitive_specs.py's form.

Imported at the end of ``primitive_specs.py``: the activations with their own kink conventions
(hardtanh, hardsigmoid, hardswish, logsigmoid, mish; chainrule/ops/activations_extra.py; logit
with its eps and nan_to_num with its replacements, chainrule/ops/binary.py) and the
sliding-block pair im2col/col2im (F.unfold / F.fold; chainrule/ops/unfold.py). Geometry
(kernel, dilation, padding, stride, output size) is drawn with each case and bound as parameters.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec

from chainrule.ops import activations_extra as A
from chainrule.ops import binary
from chainrule.ops import unfold as U


# ------------------------------------------------------------------------------ activations
def _unary(name: str, cr_fn, torch_fn, params: dict | None = None,
           second_order: bool = True) -> None:
    def draw_case(d: Drawer) -> Case:
        (x,) = d.values([d.shape()], [OWN])
        p = {k: d.draw(v) for k, v in (params or {}).items()}
        return Case((x,), lambda t: cr_fn(t, **p), lambda t: torch_fn(t, **p),
                    lambda a: d.reference(a, **p), params=p)
    spec(name, second_order)(draw_case)


_unary("hardtanh", A.hardtanh, F.hardtanh,
       {"min_val": st.sampled_from([-1.0, -0.5, 0.0]), "max_val": st.sampled_from([1.0, 2.5])})
# PyTorch 2.13 raises "derivative for aten::hardsigmoid_backward is not implemented"; chainrule's
# second derivative is the exact one (0 almost everywhere), checked in test_activations_extra.py.
_unary("hardsigmoid", A.hardsigmoid, F.hardsigmoid, second_order=False)
_unary("hardswish", A.hardswish, F.hardswish)
_unary("logsigmoid", A.logsigmoid, F.logsigmoid)
_unary("mish", A.mish, F.mish)
_unary("logit", binary.logit, torch.logit, {"eps": st.sampled_from([None, 1e-6])})
_unary("nan_to_num", binary.nan_to_num, torch.nan_to_num,
       {"nan": st.sampled_from([0.0, 1.5]), "posinf": st.sampled_from([None, 2.5]),
        "neginf": st.sampled_from([None, -3.5])})


# ------------------------------------------------------------------------------ unfold / fold
def _block_geometry(d: Drawer) -> dict:
    kernel = tuple(d.draw(st.integers(1, 3)) for _ in range(2))
    dilation = tuple(d.draw(st.integers(1, 2)) for _ in range(2))
    padding = tuple(d.draw(st.integers(0, 1)) for _ in range(2))
    stride = tuple(d.draw(st.integers(1, 2)) for _ in range(2))
    size = tuple(dl * (k - 1) + 1 + d.draw(st.integers(0, 1 if d.small else 3))
                 for k, dl in zip(kernel, dilation))
    n = d.draw(st.integers(1, 1 if d.small else 2))
    c = d.draw(st.integers(1, 1 if d.small else 3))
    return dict(kernel_size=kernel, dilation=dilation, padding=padding, stride=stride, size=size,
                n=n, c=c)


def _torch_geometry(g: dict) -> dict:
    return dict(kernel_size=g["kernel_size"], dilation=g["dilation"], padding=g["padding"],
                stride=g["stride"])


@spec("im2col")
def _im2col(d: Drawer) -> Case:
    g = _block_geometry(d)
    params = _torch_geometry(g)
    (x,) = d.values([(g["n"], g["c"]) + g["size"]], [OWN])
    return Case((x,), lambda t: U.Im2col.apply(t, **params), lambda t: F.unfold(t, **params),
                lambda a: d.reference(a, **params), params=params)


@spec("col2im")
def _col2im(d: Drawer) -> Case:
    g = _block_geometry(d)
    params = _torch_geometry(g)
    pads = tuple((p, p) for p in g["padding"])
    out = [(h + p + q - dl * (k - 1) - 1) // s + 1 for h, (p, q), dl, k, s in
           zip(g["size"], pads, g["dilation"], g["kernel_size"], g["stride"])]
    k = g["kernel_size"][0] * g["kernel_size"][1]
    (y,) = d.values([(g["n"], g["c"] * k, out[0] * out[1])], [OWN])
    size = g["size"]
    return Case((y,), lambda t: U.Col2im.apply(t, output_size=size, **params),
                lambda t: F.fold(t, size, **params),
                lambda a: d.reference(a, size, **params), params=dict(params, output_size=size))
