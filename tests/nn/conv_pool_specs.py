"""Specs of the conv and pool primitives in tests/primitive_specs.py's form, for the registry tests.

Not collected by pytest (no ``test_`` prefix) and imported by nothing yet: the five functions
are meant to be pasted into primitive_specs.py, or this module imported at its end (importing it
registers the specs into ``primitive_specs.SPECS``; tests/ must be on sys.path, as it is when
pytest runs). Checked: forward, reference and backward against PyTorch over 25 draws each.
"""
import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from primitive_specs import OWN, Case, spec

from chainrule.ops import conv as C
from chainrule.ops import pool as P


def _conv_geometry(d, nd):
    groups = d.draw(st.sampled_from([1, 2]))
    cin, cout = groups * d.draw(st.integers(1, 2)), groups * d.draw(st.integers(1, 2))
    kernel = tuple(d.draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(d.draw(st.integers(1, 2)) for _ in range(nd))
    dilation = tuple(d.draw(st.integers(1, 2)) for _ in range(nd))
    pad = tuple(d.draw(st.integers(0, 1)) for _ in range(nd))
    size = tuple(dl * (k - 1) + 1 + d.draw(st.integers(0, 1 if d.small else 3))
                 for k, dl in zip(kernel, dilation))
    n = d.draw(st.integers(1, 1 if d.small else 2))
    return dict(groups=groups, cin=cin, cout=cout, kernel=kernel, stride=stride,
                dilation=dilation, pad=pad, size=size, n=n)


@spec("conv")
def _conv(d):
    g = _conv_geometry(d, d.draw(st.sampled_from([1, 2])))
    nd = len(g["kernel"])
    with_bias = d.draw(st.booleans())
    shapes = [(g["n"], g["cin"]) + g["size"], (g["cout"], g["cin"] // g["groups"]) + g["kernel"]]
    if with_bias:
        shapes.append((g["cout"],))
    xs = d.values(shapes, [OWN] * len(shapes))
    params = dict(stride=g["stride"], padding=tuple((p, p) for p in g["pad"]),
                  dilation=g["dilation"], groups=g["groups"])
    tfn = F.conv1d if nd == 1 else F.conv2d
    return Case(xs, lambda *a: C.Conv.apply(*a, **params),
                lambda *a: tfn(*a, stride=g["stride"], padding=g["pad"], dilation=g["dilation"],
                               groups=g["groups"]),
                lambda *a: C.Conv.reference(*a, **params), d.requires_grad(len(xs)), params)


@spec("conv_transpose")
def _conv_transpose(d):
    g = _conv_geometry(d, 2)
    out_pad = tuple(d.draw(st.integers(0, max(s, dl) - 1))
                    for s, dl in zip(g["stride"], g["dilation"]))
    size = tuple(d.draw(st.integers(1, 2 if d.small else 4)) for _ in range(2))
    out = C.transposed_output_size(size, g["kernel"], g["stride"], g["pad"], out_pad,
                                   g["dilation"])
    pad = g["pad"] if min(out) >= 1 else (0, 0)
    out = C.transposed_output_size(size, g["kernel"], g["stride"], pad, out_pad, g["dilation"])
    with_bias = d.draw(st.booleans())
    shapes = [(g["n"], g["cin"]) + size, (g["cin"], g["cout"] // g["groups"]) + g["kernel"]]
    if with_bias:
        shapes.append((g["cout"],))
    xs = d.values(shapes, [OWN] * len(shapes))
    params = dict(stride=g["stride"], padding=tuple((p, p) for p in pad), dilation=g["dilation"],
                  groups=g["groups"], out=out)
    return Case(xs, lambda *a: C.ConvTranspose.apply(*a, **params),
                lambda *a: F.conv_transpose2d(*a, stride=g["stride"], padding=pad,
                                              output_padding=out_pad, groups=g["groups"],
                                              dilation=g["dilation"]),
                lambda *a: C.ConvTranspose.reference(*a, **params), d.requires_grad(len(xs)),
                params)


@spec("conv_weight_grad")
def _conv_weight_grad(d):
    g = _conv_geometry(d, 2)
    params = dict(stride=g["stride"], padding=tuple((p, p) for p in g["pad"]),
                  dilation=g["dilation"], groups=g["groups"])
    x_shape = (g["n"], g["cin"]) + g["size"]
    out = C._out_sizes(g["size"], g["kernel"], g["stride"], params["padding"], g["dilation"])
    xs = d.values([x_shape, (g["n"], g["cout"]) + out], [OWN, OWN])
    w_shape = (g["cout"], g["cin"] // g["groups"]) + g["kernel"]

    def torch_call(x, gy):  # PyTorch's weight gradient of conv2d, as a function of (x, G)
        return torch.nn.grad.conv2d_weight(x, w_shape, gy, stride=g["stride"], padding=g["pad"],
                                           dilation=g["dilation"], groups=g["groups"])

    return Case(xs, lambda *a: C.ConvWeightGrad.apply(*a, kernel_size=g["kernel"], **params),
                torch_call,
                lambda *a: C.ConvWeightGrad.reference(*a, kernel_size=g["kernel"], **params),
                d.requires_grad(2), params)


def _pool_geometry(d, dilation=True):
    nd = d.draw(st.sampled_from([1, 2]))
    kernel = tuple(d.draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(d.draw(st.integers(1, 3)) for _ in range(nd))
    padding = tuple(d.draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(d.draw(st.integers(1, 2)) for _ in range(nd)) if dilation else (1,) * nd
    ceil_mode = d.draw(st.booleans())
    size = tuple(dl * (k - 1) + 1 + d.draw(st.integers(0, 1 if d.small else 4))
                 for k, dl in zip(kernel, dil))
    shape = (d.draw(st.integers(1, 2)), d.draw(st.integers(1, 2))) + size
    return nd, dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dil,
                    ceil_mode=ceil_mode), shape


@spec("max_pool")
def _max_pool(d):
    nd, params, shape = _pool_geometry(d)
    xs = d.values([shape], [OWN])
    tfn = F.max_pool1d if nd == 1 else F.max_pool2d
    return Case(xs, lambda x: P.MaxPool.apply(x, **params), lambda x: tfn(x, **params),
                lambda x: P.MaxPool.reference(x, **params), (True,), params)


@spec("avg_pool")
def _avg_pool(d):
    nd, params, shape = _pool_geometry(d, dilation=False)
    del params["dilation"]
    params["count_include_pad"] = d.draw(st.booleans())
    xs = d.values([shape], [OWN])
    tfn = F.avg_pool1d if nd == 1 else F.avg_pool2d
    return Case(xs, lambda x: P.AvgPool.apply(x, **params), lambda x: tfn(x, **params),
                lambda x: P.AvgPool.reference(x, **params), (True,), params)
