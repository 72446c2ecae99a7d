"""Test specs of the nn layers' fused primitives, in primitive_specs.py's form.

Imported at the end of ``primitive_specs.py``, which registers them into its ``SPECS``:
convolution (and its transpose and weight gradient), max and average pooling, max unpooling,
batch/layer/group normalization, embedding, the loss primitives (fused softmax–cross-entropy,
nll, Huber, binary cross-entropy with and without logits, KL divergence) and the recurrences
(RNN, GRU, LSTM).

Integer inputs (class indices, embedding indices, sequence lengths) and constants (class weights,
running statistics) are bound as parameters, never drawn as differentiable inputs. Optional array
arguments (biases, affine parameters, initial states) are present in some draws and absent
(``None``) in others; :func:`_slots` puts the case's inputs back in their argument positions.
"""
from __future__ import annotations

import math

import numpy as np
import strategies as S
import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec
from torch.func import functional_call
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from chainrule.ops import conv as C
from chainrule.ops import pool as P


def _slots(arrays: list):
    """The arrays that are given (not None), as a case's inputs, and ``place``: inputs → the full
    argument list with None in the absent positions."""
    where = [i for i, a in enumerate(arrays) if a is not None]

    def place(*inputs) -> list:
        out = [None] * len(arrays)
        for i, v in zip(where, inputs):
            out[i] = v
        return out

    return tuple(arrays[i] for i in where), place


def _maybe(d: Drawer, shape, domain=OWN, scale=None) -> np.ndarray | None:
    """An optional array argument: present in about half of the draws."""
    return d.values([shape], [domain], scale)[0] if d.draw(st.booleans()) else None


# ------------------------------------------------------------------------------ convolution
def _conv_geometry(d: Drawer, nd: int) -> dict:
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
def _conv(d: Drawer) -> Case:
    g = _conv_geometry(d, d.draw(st.sampled_from([1, 2, 3])))
    nd = len(g["kernel"])
    with_bias = d.draw(st.booleans())
    shapes = [(g["n"], g["cin"]) + g["size"], (g["cout"], g["cin"] // g["groups"]) + g["kernel"]]
    if with_bias:
        shapes.append((g["cout"],))
    xs = d.values(shapes, [OWN] * len(shapes))
    params = dict(stride=g["stride"], padding=tuple((p, p) for p in g["pad"]),
                  dilation=g["dilation"], groups=g["groups"])
    tfn = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    return Case(xs, lambda *a: C.Conv.apply(*a, **params),
                lambda *a: tfn(*a, stride=g["stride"], padding=g["pad"], dilation=g["dilation"],
                               groups=g["groups"]),
                lambda *a: d.reference(*a, **params), d.requires_grad(len(xs)), params)


@spec("conv_transpose")
def _conv_transpose(d: Drawer) -> Case:
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
                lambda *a: d.reference(*a, **params), d.requires_grad(len(xs)), params)


@spec("conv_weight_grad")
def _conv_weight_grad(d: Drawer) -> Case:
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
                torch_call, lambda *a: d.reference(*a, kernel_size=g["kernel"], **params),
                d.requires_grad(2), dict(params, kernel_size=g["kernel"]))


# ------------------------------------------------------------------------------ pooling
def _pool_geometry(d: Drawer, dilation: bool = True):
    nd = d.draw(st.sampled_from([1, 2, 3]))
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
def _max_pool(d: Drawer) -> Case:
    nd, params, shape = _pool_geometry(d)
    xs = d.values([shape], [OWN])
    tfn = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
    return Case(xs, lambda x: P.MaxPool.apply(x, **params), lambda x: tfn(x, **params),
                lambda x: d.reference(x, **params), (True,), params)


@spec("avg_pool")
def _avg_pool(d: Drawer) -> Case:
    nd, params, shape = _pool_geometry(d, dilation=False)
    del params["dilation"]
    params["count_include_pad"] = d.draw(st.booleans())
    if nd > 1:                      # F.avg_pool1d has no divisor_override
        params["divisor_override"] = d.draw(st.sampled_from([None, None, 2, 5]))
    xs = d.values([shape], [OWN])
    tfn = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[nd - 1]
    return Case(xs, lambda x: P.AvgPool.apply(x, **params), lambda x: tfn(x, **params),
                lambda x: d.reference(x, **params), (True,), params)


# ------------------------------------------------------------------------------ normalization
#: The fewest values a normalization's statistics are taken over. With two, x̂ = ±1 and the
#: gradient (g − mean(g) − x̂·mean(g x̂))/σ̃ is g's projection onto the complement of {1, x̂}, which
#: is 0: all that is left is the O(ε/σ²) term, formed by cancellation, which float32 rounds to
#: noise (in PyTorch as in chainrule). From three values on the projection is generic.
_MIN_GROUP = 3


def _torch_affine(w, b, shape, like: torch.Tensor):
    """PyTorch's normalizations fail in backward or double backward given a bias without a
    weight (their modules have both or neither): a missing weight is then a constant of ones."""
    if w is None and b is not None:
        w = torch.ones(shape, dtype=like.dtype)
    return w, b


def _channel_shape(d: Drawer, channels: int | None = None):
    """(N, C, spatial…): (3, 4, 5) and a few other small shapes for gradcheck."""
    if d.small:
        n, c = d.draw(st.sampled_from([(3, 4), (3, 2), (4, 3)]))
        spatial = d.draw(st.sampled_from([(5,), (), (2, 2)]))
        return (n, c if channels is None else channels) + spatial
    n = d.draw(st.integers(1, 4))
    c = channels if channels is not None else d.draw(st.integers(1, 5))
    spatial = d.draw(S.shapes(0, 2, max_side=6, large=False))
    return (n, c) + spatial


@spec("batch_norm")
def _batch_norm(d: Drawer) -> Case:
    training = d.draw(st.sampled_from([True, True, False]))
    shape = _channel_shape(d)
    if training and math.prod(shape) // shape[1] < _MIN_GROUP:
        shape = (_MIN_GROUP,) + shape[1:]
    c = shape[1]
    eps = d.draw(st.sampled_from([1e-5, 1e-3]))
    momentum = 0.1
    x = d.values([shape], [OWN])[0]
    weight, bias = _maybe(d, (c,)), _maybe(d, (c,))
    inputs, place = _slots([x, weight, bias])
    rm = rv = None
    if not training:                                      # running statistics: constants
        rng = d.rng()
        rm = np.asarray(rng.standard_normal(c), dtype=d.dtype)
        rv = np.asarray(rng.uniform(0.2, 3.0, c), dtype=d.dtype)
    stats = dict(running_mean=rm, running_var=rv)

    def torch_call(*ts):
        t, w, b = place(*ts)
        w, b = _torch_affine(w, b, (c,), t)
        trm, trv = (None, None) if training else (torch.from_numpy(rm.copy()),
                                                  torch.from_numpy(rv.copy()))
        return F.batch_norm(t, trm, trv, w, b, training=training, momentum=momentum, eps=eps)

    params = dict(training=training, momentum=momentum, eps=eps)
    return Case(inputs, lambda *ts: d.cls.apply(*place(*ts), **stats, **params), torch_call,
                lambda *a: d.reference(*place(*a), **stats, **params),
                d.requires_grad(len(inputs)),
                dict(params, weight=weight is not None, bias=bias is not None))


@spec("layer_norm")
def _layer_norm(d: Drawer) -> Case:
    normalized_ndim = d.draw(st.sampled_from([1, 1, 2]))
    lead = d.draw(S.shapes(0, 2, max_side=3 if d.small else 5, large=False))
    last = d.draw(st.integers(_MIN_GROUP, 4 if d.small else 8))
    shape = lead + (last,)
    if normalized_ndim == 2:
        shape = lead + (d.draw(st.integers(1, 3)), last)
    normalized = shape[-normalized_ndim:]
    eps = d.draw(st.sampled_from([1e-5, 1e-3]))
    x = d.values([shape], [OWN])[0]
    weight, bias = _maybe(d, normalized), _maybe(d, normalized)
    inputs, place = _slots([x, weight, bias])
    params = dict(eps=eps, normalized_ndim=normalized_ndim)

    def torch_call(*ts):
        t, w, b = place(*ts)
        return F.layer_norm(t, normalized, *_torch_affine(w, b, normalized, t), eps=eps)

    return Case(inputs, lambda *ts: d.cls.apply(*place(*ts), **params), torch_call,
                lambda *a: d.reference(*place(*a), **params), d.requires_grad(len(inputs)),
                dict(params, weight=weight is not None, bias=bias is not None))


@spec("group_norm")
def _group_norm(d: Drawer) -> Case:
    num_groups = 2 if d.small else d.draw(st.sampled_from([1, 2, 2, 4]))
    shape = _channel_shape(d, channels=4)
    if 4 // num_groups * math.prod(shape[2:]) < _MIN_GROUP:
        shape = shape[:2] + (_MIN_GROUP,)
    eps = d.draw(st.sampled_from([1e-5, 1e-3]))
    x = d.values([shape], [OWN])[0]
    weight, bias = _maybe(d, (4,)), _maybe(d, (4,))
    inputs, place = _slots([x, weight, bias])
    params = dict(eps=eps, num_groups=num_groups)

    def torch_call(*ts):
        t, w, b = place(*ts)
        return F.group_norm(t, num_groups, *_torch_affine(w, b, (4,), t), eps=eps)

    return Case(inputs, lambda *ts: d.cls.apply(*place(*ts), **params), torch_call,
                lambda *a: d.reference(*place(*a), **params), d.requires_grad(len(inputs)),
                dict(params, weight=weight is not None, bias=bias is not None))


# ------------------------------------------------------------------------------ embedding
@spec("embedding")
def _embedding(d: Drawer) -> Case:
    """Weight (5, 3); the indices (any shape, repeats likely) are a parameter. padding_idx is
    left out: its zero gradient at the padding row is a convention that gradcheck would flag."""
    index_shape = d.shape(max_dims=3)
    indices = np.asarray(d.rng().integers(0, 5, index_shape), dtype=np.int64)
    t_indices = torch.from_numpy(indices)
    (w,) = d.values([(5, 3)], [OWN])
    return Case((w,), lambda t: d.cls.apply(t, indices=indices),
                lambda t: F.embedding(t_indices, t), lambda a: d.reference(a, indices),
                params={"indices": indices.tolist()})


# ------------------------------------------------------------------------------ losses
def _class_problem(d: Drawer):
    """(N, C, d₁, …) for a classification loss: N samples, C classes, 0–2 extra axes."""
    n = d.draw(st.integers(1, 2 if d.small else 4))
    c = d.draw(st.integers(1, 3 if d.small else 5))
    extra = d.draw(S.shapes(0, 1 if d.small else 2, max_side=2 if d.small else 3, large=False))
    return (n, c) + extra


def _class_indices(d: Drawer, shape, rng):
    """Integer targets of shape (N, d₁, …) and an ignore_index: -100 with no target ignored,
    -100 with some targets set to it, or a class index (its targets ignored); at least one
    target is never ignored (a 'mean' over no targets is 0/0)."""
    c = shape[1]
    target_shape = shape[:1] + shape[2:]
    target = rng.integers(0, c, target_shape)
    form = d.draw(st.sampled_from(["none", "none", "negative", "class"]))
    ignore_index = -100
    if form == "negative":
        target = np.where(rng.random(target_shape) < 0.3, -100, target)
    elif form == "class" and c > 1:
        ignore_index = d.draw(st.integers(0, c - 1))
    flat = target.reshape(-1)
    if (flat == ignore_index).all():
        flat[0] = (ignore_index + 1) % c if ignore_index >= 0 else 0
    return np.asarray(target, dtype=np.int64), ignore_index


def _rows(a: np.ndarray) -> np.ndarray:
    """(N, C, d₁, …) as (N·d₁·…, C): one row per prediction."""
    return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def _reduce_reference(losses: np.ndarray, shape, reduction: str, divisor) -> np.ndarray:
    """Per-prediction losses (one per row) reduced as PyTorch does ('mean': Σ/divisor)."""
    if reduction == "none":
        return losses.reshape(shape[:1] + shape[2:])
    total = losses.sum()
    return np.asarray(total if reduction == "sum" else total / divisor)


@spec("softmax_cross_entropy")
def _softmax_cross_entropy(d: Drawer) -> Case:
    shape = _class_problem(d)
    c = shape[1]
    rng = d.rng()
    probabilities = d.draw(st.booleans())
    weight = np.asarray(rng.uniform(0.2, 2.0, c), dtype=d.dtype) if d.draw(st.booleans()) \
        else None
    smoothing = d.draw(st.sampled_from([0.0, 0.0, 0.1, 0.3]))
    reduction = d.draw(st.sampled_from(["mean", "sum", "none"]))
    t_weight = None if weight is None else torch.from_numpy(weight)
    w = np.ones(c) if weight is None else weight.astype(np.float64)

    def reference(z, a):
        """The registered reference −Σₖ aₖ log softmax(z)ₖ (a mean over rows) row by row, with
        a = w ⊙ ((1 − ε)·q + ε/C) the weighted, smoothed target (q one-hot for indices)."""
        zr, ar = _rows(z), _rows(a)
        return np.array([d.reference(zr[i:i + 1], ar[i:i + 1]) for i in range(len(zr))])

    if probabilities:
        xs = d.values([shape, shape], [OWN, "probability"])

        def ref(z, q):
            a = ((1 - smoothing) * q + smoothing / c) * w.reshape((1, c) + (1,) * (len(shape) - 2))
            return _reduce_reference(reference(z, a), shape, reduction, math.prod(shape) // c)

        params = dict(weight=weight, label_smoothing=smoothing, reduction=reduction)
        return Case(xs, lambda z, q: d.cls.apply(z, q, **params),
                    lambda z, q: F.cross_entropy(z, q, weight=t_weight, reduction=reduction,
                                                 label_smoothing=smoothing),
                    ref, d.requires_grad(2),
                    dict(params, weight=weight is not None, target="probabilities"))

    target, ignore_index = _class_indices(d, shape, rng)
    t_target = torch.from_numpy(target)
    (z,) = d.values([shape], [OWN])

    def ref_indices(z):
        valid = target != ignore_index
        safe = np.where(valid, target, 0)
        onehot = np.moveaxis(np.eye(c)[safe], -1, 1)                  # (N, C, d₁, …)
        mask = np.expand_dims(valid, 1)
        a = ((1 - smoothing) * onehot + smoothing / c) * mask
        a = a * w.reshape((1, c) + (1,) * (len(shape) - 2))
        divisor = (w[safe] * valid).sum()
        return _reduce_reference(reference(z, a), shape, reduction, divisor)

    params = dict(weight=weight, ignore_index=ignore_index, label_smoothing=smoothing,
                  reduction=reduction)
    return Case((z,), lambda t: d.cls.apply(t, target, **params),
                lambda t: F.cross_entropy(t, t_target, weight=t_weight, ignore_index=ignore_index,
                                          reduction=reduction, label_smoothing=smoothing),
                ref_indices,
                params=dict(params, weight=weight is not None, target=target.tolist()))


@spec("nll_loss")
def _nll_loss(d: Drawer) -> Case:
    shape = _class_problem(d)
    c = shape[1]
    rng = d.rng()
    target, ignore_index = _class_indices(d, shape, rng)
    t_target = torch.from_numpy(target)
    weight = np.asarray(rng.uniform(0.2, 2.0, c), dtype=d.dtype) if d.draw(st.booleans()) \
        else None
    t_weight = None if weight is None else torch.from_numpy(weight)
    reduction = d.draw(st.sampled_from(["mean", "sum", "none"]))
    (x,) = d.values([shape], [OWN])

    def reference(x):
        """The registered reference −x[y] (a mean over rows), row by row, weighted and masked."""
        valid = (target != ignore_index).reshape(-1)
        safe = np.where(valid, target.reshape(-1), 0)
        xr = _rows(x)
        picked = np.array([d.reference(xr[i:i + 1], safe[i:i + 1]) for i in range(len(xr))])
        w_y = (np.ones(c) if weight is None else weight.astype(np.float64))[safe] * valid
        return _reduce_reference(picked * w_y, shape, reduction, w_y.sum())

    params = dict(weight=weight, ignore_index=ignore_index, reduction=reduction)
    return Case((x,), lambda t: d.cls.apply(t, target, **params),
                lambda t: F.nll_loss(t, t_target, weight=t_weight, ignore_index=ignore_index,
                                     reduction=reduction),
                reference, params=dict(params, weight=weight is not None, target=target.tolist()))


@spec("huber_loss")
def _huber_loss(d: Drawer) -> Case:
    shape = d.shape()
    delta = d.draw(st.sampled_from([1.0, 0.5, 2.0]))
    xs = d.values([shape, shape], [OWN, OWN])
    return Case(xs, lambda x, y: d.cls.apply(x, y, delta=delta),
                lambda x, y: F.huber_loss(x, y, reduction="none", delta=delta),
                lambda x, y: d.reference(x, y, delta=delta), d.requires_grad(2),
                params={"delta": delta})


@spec("soft_margin")
def _soft_margin(d: Drawer) -> Case:
    shape = d.shape()
    xs = d.values([shape, shape], [OWN, OWN])
    # PyTorch refuses a target that needs a gradient: there its own ops compose the same loss
    return Case(xs, lambda x, y: d.cls.apply(x, y),
                lambda x, y: torch.log1p(torch.exp(-x * y)) if y.requires_grad
                else F.soft_margin_loss(x, y, reduction="none"),
                lambda x, y: d.reference(x, y), d.requires_grad(2))


@spec("multi_margin", second_order=False)      # PyTorch has no second derivative here
def _multi_margin(d: Drawer) -> Case:
    n, c = d.draw(st.integers(1, 4)), d.draw(st.integers(2, 5))
    (x,) = d.values([(n, c)], [OWN])
    target = d.rng().integers(0, c, n)
    p = d.draw(st.sampled_from([1, 2]))
    margin = d.draw(st.sampled_from([1.0, 0.5]))
    weight = d.rng().random(c).astype(d.dtype) + 0.5 if d.draw(st.booleans()) else None
    t_target = torch.as_tensor(target)
    t_weight = None if weight is None else torch.as_tensor(weight)
    params = dict(target=target, p=p, margin=margin, weight=weight)
    return Case((x,), lambda t: d.cls.apply(t, **params),
                lambda t: F.multi_margin_loss(t, t_target, p, margin, t_weight,
                                              reduction="none"),
                lambda t: d.reference(t, **params),
                params=dict(p=p, margin=margin, weight=weight is not None,
                            target=target.tolist()))


@spec("multilabel_margin", second_order=False)     # PyTorch has no second derivative here
def _multilabel_margin(d: Drawer) -> Case:
    n, c = d.draw(st.integers(1, 4)), d.draw(st.integers(2, 5))
    (x,) = d.values([(n, c)], [OWN])
    rng = d.rng()
    # each row: some class indices (a repeat allowed), then -1 and anything after it
    target = rng.integers(0, c, (n, c))
    ends = rng.integers(0, c + 1, n)
    ended = ends < c
    target[np.flatnonzero(ended), ends[ended]] = -1
    t_target = torch.as_tensor(target)
    return Case((x,), lambda t: d.cls.apply(t, target=target),
                lambda t: F.multilabel_margin_loss(t, t_target, reduction="none"),
                lambda t: d.reference(t, target=target),
                params=dict(target=target.tolist()))


@spec("adaptive_mean")
def _adaptive_mean(d: Drawer) -> Case:
    """Bins of unequal length, overlapping, or more bins than positions (H′ > H)."""
    shape = (d.draw(st.integers(1, 2)), d.draw(st.integers(1, 3)), d.draw(st.integers(1, 7)),
             d.draw(st.integers(1, 4)))
    (x,) = d.values([shape], [OWN])
    axis = d.draw(st.sampled_from([2, 3]))
    out = d.draw(st.integers(1, 6))
    kept = [None, None]
    kept[axis - 2] = out
    return Case((x,), lambda t: d.cls.apply(t, axis=axis, out=out),
                lambda t: F.adaptive_avg_pool2d(t, tuple(kept)),
                lambda t: d.reference(t, axis=axis, out=out), params=dict(axis=axis, out=out))


def _binary_targets(d: Drawer, shape) -> np.ndarray:
    """Targets in [0, 1]: soft (the 'probability' domain) or hard 0/1 labels."""
    if d.draw(st.booleans()):
        return d.values([shape], ["probability"])[0]
    return np.asarray(d.rng().random(shape) < 0.5, dtype=d.dtype)


@spec("binary_cross_entropy")
def _binary_cross_entropy(d: Drawer) -> Case:
    shape = d.shape()
    (x,) = d.values([shape], [OWN])
    y = _binary_targets(d, shape)
    return Case((x, y), lambda x, y: d.cls.apply(x, y),      # (looked up at call time)
                lambda x, y: F.binary_cross_entropy(x, y, reduction="none"),
                d.reference, d.requires_grad(2))


def _torch_bce_with_logits(z, y, p=None):
    """F.binary_cross_entropy_with_logits; PyTorch does not differentiate it with respect to
    pos_weight, so a pos_weight that needs a gradient goes through the defining formula
    (1 − y)·z + (1 + (p − 1)·y)·softplus(−z) in torch ops instead."""
    if p is None or not p.requires_grad:
        return F.binary_cross_entropy_with_logits(z, y, reduction="none", pos_weight=p)
    softplus_neg = torch.logaddexp(torch.zeros_like(z), -z)
    return (1 - y) * z + (1 + (p - 1) * y) * softplus_neg


@spec("binary_cross_entropy_with_logits")
def _binary_cross_entropy_with_logits(d: Drawer) -> Case:
    shape = d.shape()
    (z,) = d.values([shape], [OWN])
    y = _binary_targets(d, shape)
    if d.draw(st.booleans()):
        (p,) = d.values([d.draw(S.broadcastable(shape))], ["positive"], scale=1.0)

        def reference(z, y, p):
            """ℓ_p = ℓ + (p − 1)·y·(−ln σ(z)), with −ln σ(z) the reference at target 1."""
            return d.reference(z, y) + (p - 1) * y * d.reference(z, np.ones_like(y))

        return Case((z, y, p), lambda z, y, p: d.cls.apply(z, y, p), _torch_bce_with_logits,
                    reference, d.requires_grad(3), params={"pos_weight_shape": p.shape})
    return Case((z, y), lambda z, y: d.cls.apply(z, y), _torch_bce_with_logits, d.reference,
                d.requires_grad(2))


@spec("kl_div")
def _kl_div(d: Drawer) -> Case:
    shape = d.shape()
    log_target = d.draw(st.booleans())
    if log_target:
        x, y = d.values([shape, shape], [OWN, "real"])
        requires_grad = d.requires_grad(2)
    else:
        x, y = d.values([shape, shape], [OWN, "positive"])
        requires_grad = d.requires_grad(2)
        if not requires_grad[1] and d.draw(st.booleans()):
            # zero targets (0·ln 0 = 0), where ∂ℓ/∂y = ln 0 does not exist: y is a constant
            y = np.where(d.rng().random(shape) < 0.4, 0, y).astype(d.dtype)

    def reference(x, y):
        zero = y == 0 if not log_target else np.zeros(y.shape, dtype=bool)
        return np.where(zero, 0.0, d.reference(x, np.where(zero, 1, y), log_target=log_target))

    return Case((x, y), lambda a, b: d.cls.apply(a, b, log_target=log_target),
                lambda a, b: F.kl_div(a, b, reduction="none", log_target=log_target),
                reference, requires_grad, params={"log_target": log_target})


# ------------------------------------------------------------------------------ recurrences
def _reversed_in_length(t: torch.Tensor, lengths) -> torch.Tensor:
    """Each sequence b of a (T, N, ·) tensor reversed in time within its first lengths[b] steps
    (the padding stays in place): reverse-direction recurrence = forward one on this."""
    T, N = t.shape[:2]
    index = np.tile(np.arange(T)[:, None], (1, N))
    for b, length in enumerate(lengths):
        index[:length, b] = np.arange(length)[::-1]
    index_t = torch.from_numpy(index)[:, :, None].expand(T, N, t.shape[2])
    return t.gather(0, index_t)


def _torch_recurrence(module, weights: dict, x, state, lengths, reverse):
    """One layer of ``module`` (torch.nn.RNN/GRU/LSTM) with the given tensors as its parameters,
    over (T, N, I) x; returns the flat [y | h_T | c_T] chainrule's primitives return."""
    T, N = x.shape[:2]
    run_lengths = [T] * N if lengths is None else [int(v) for v in lengths]
    if reverse:
        x = _reversed_in_length(x, run_lengths)
    if lengths is None:
        y, final = functional_call(module, weights, (x, state))
    else:
        packed = pack_padded_sequence(x, torch.from_numpy(np.asarray(lengths)),
                                      enforce_sorted=False)
        y_packed, final = functional_call(module, weights, (packed, state))
        y, _ = pad_packed_sequence(y_packed, total_length=T)
    if reverse:
        y = _reversed_in_length(y, run_lengths)
    finals = final if isinstance(final, tuple) else (final,)
    return torch.cat([y.reshape(-1)] + [f.reshape(-1) for f in finals])


def _recurrence_sizes(d: Drawer):
    T = d.draw(st.integers(1, 3 if d.small else 5))
    N = d.draw(st.integers(1, 2 if d.small else 3))
    I = d.draw(st.integers(1, 2 if d.small else 3))
    H = d.draw(st.integers(1, 2 if d.small else 3))
    lengths = None
    if d.draw(st.booleans()):
        lengths = np.asarray([d.draw(st.integers(1, T)) for _ in range(N)], dtype=np.int64)
    return T, N, I, H, lengths, d.draw(st.booleans())


def _biases(d: Drawer, rows: int, scale: float):
    """Both biases, neither, or one of the two (PyTorch's modules have both or neither: a
    missing one is a zero constant on the torch side)."""
    form = d.draw(st.sampled_from(["both", "none", "ih", "hh"]))
    b_ih = d.values([(rows,)], ["real"], scale)[0] if form in ("both", "ih") else None
    b_hh = d.values([(rows,)], ["real"], scale)[0] if form in ("both", "hh") else None
    return b_ih, b_hh


def _torch_weights(names, tensors, rows: int, dtype) -> dict:
    """Module parameter name → tensor, with zeros for absent biases."""
    out = {}
    for name, t in zip(names, tensors):
        if t is None and name.startswith("bias"):
            t = torch.zeros(rows, dtype=dtype)
        if t is not None:
            out[name] = t
    return out


_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0")


def _rnn_or_gru(d: Drawer, gates: int) -> Case:
    T, N, I, H, lengths, reverse = _recurrence_sizes(d)
    scale = d.draw(st.sampled_from([1.0, 0.5]))
    x, w_ih, w_hh = d.values([(T, N, I), (gates * H, I), (gates * H, H)], [OWN] * 3, scale)
    h0 = _maybe(d, (N, H), scale=scale)
    b_ih, b_hh = _biases(d, gates * H, scale)
    inputs, place = _slots([x, h0, w_ih, w_hh, b_ih, b_hh])
    params = dict(lengths=lengths, reverse=reverse)
    nonlinearity = None
    if gates == 1:
        nonlinearity = d.draw(st.sampled_from(["tanh", "relu"]))
        params["nonlinearity"] = nonlinearity
    tdtype = torch.float64 if d.dtype == np.float64 else torch.float32
    module = torch.nn.RNN(I, H, nonlinearity=nonlinearity, dtype=tdtype) if gates == 1 \
        else torch.nn.GRU(I, H, dtype=tdtype)

    def torch_call(*ts):
        tx, th0, *ws = place(*ts)
        state = None if th0 is None else th0[None]
        weights = _torch_weights(_NAMES, ws, gates * H, tdtype)
        return _torch_recurrence(module, weights, tx, state, lengths, reverse)

    return Case(inputs, lambda *ts: d.cls.apply(*place(*ts), **params), torch_call,
                lambda *a: d.reference(*place(*a), **params), d.requires_grad(len(inputs)),
                dict(params, lengths=None if lengths is None else lengths.tolist(),
                     h0=h0 is not None, b_ih=b_ih is not None, b_hh=b_hh is not None))


@spec("rnn")
def _rnn(d: Drawer) -> Case:
    return _rnn_or_gru(d, 1)


@spec("gru")
def _gru(d: Drawer) -> Case:
    return _rnn_or_gru(d, 3)


@spec("lstm")
def _lstm(d: Drawer) -> Case:
    T, N, I, H, lengths, reverse = _recurrence_sizes(d)
    proj = d.draw(st.integers(1, H - 1)) if H > 1 and d.draw(st.booleans()) else 0   # P < H
    P_ = proj or H
    scale = d.draw(st.sampled_from([1.0, 0.5]))
    x, w_ih, w_hh = d.values([(T, N, I), (4 * H, I), (4 * H, P_)], [OWN] * 3, scale)
    h0, c0 = _maybe(d, (N, P_), scale=scale), _maybe(d, (N, H), scale=scale)
    b_ih, b_hh = _biases(d, 4 * H, scale)
    w_hr = d.values([(P_, H)], [OWN], scale)[0] if proj else None
    inputs, place = _slots([x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr])
    params = dict(lengths=lengths, reverse=reverse)
    tdtype = torch.float64 if d.dtype == np.float64 else torch.float32
    module = torch.nn.LSTM(I, H, proj_size=proj, dtype=tdtype)

    def torch_call(*ts):
        tx, th0, tc0, *ws = place(*ts)
        state = None
        if th0 is not None or tc0 is not None:
            th0 = torch.zeros(N, P_, dtype=tdtype) if th0 is None else th0
            tc0 = torch.zeros(N, H, dtype=tdtype) if tc0 is None else tc0
            state = (th0[None], tc0[None])
        weights = _torch_weights(_NAMES, ws, 4 * H, tdtype)
        return _torch_recurrence(module, weights, tx, state, lengths, reverse)

    return Case(inputs, lambda *ts: d.cls.apply(*place(*ts), **params), torch_call,
                lambda *a: d.reference(*place(*a), **params), d.requires_grad(len(inputs)),
                dict(params, lengths=None if lengths is None else lengths.tolist(), proj=proj,
                     h0=h0 is not None, c0=c0 is not None, b_ih=b_ih is not None,
                     b_hh=b_hh is not None))


# ------------------------------------------------------------------------------ max unpooling
@spec("max_unpool")
def _max_unpool(d: Drawer) -> Case:
    """Indices from PyTorch's own max pooling of a random input, with non-overlapping windows
    (stride = kernel), so that no two inputs share an output position; the output has the pooled
    input's size (a valid output_size: within a stride of the default)."""
    nd = d.draw(st.sampled_from([1, 2, 3]))
    kernel = tuple(d.draw(st.integers(1, 2)) for _ in range(nd))
    stride = kernel
    padding = tuple(d.draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(k + d.draw(st.integers(0, 1 if d.small else 3)) for k in kernel)
    shape = (d.draw(st.integers(1, 2)), d.draw(st.integers(1, 2))) + size
    source = torch.from_numpy(d.rng().standard_normal(shape))
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
    pooled, idx = pool(source, kernel, stride, padding, return_indices=True)
    out = size
    indices = idx.numpy()
    xs = d.values([tuple(pooled.shape)], [OWN])
    unpool = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[nd - 1]
    params = dict(indices=indices, out=out)
    return Case(xs, lambda x: P.MaxUnpool.apply(x, **params),
                lambda x: unpool(x, idx, kernel, stride, padding, output_size=out),
                lambda x: d.reference(x, **params), (True,), params)
