"""The memory layout of results — ``stride()``, ``is_contiguous()`` and ``is_contiguous(
memory_format=channels_last)`` — against PyTorch's, so that ``.view()`` works (or refuses) where
PyTorch's does and ``.stride()`` answers as PyTorch's.

Strides of dims of size 1 are whatever a library leaves there, and PyTorch does not define them:
only the strides of the other dims are compared (and only ``is_contiguous()`` for empty
tensors).

Three parts:

- ``CASES``: a hand-written list of common ops on row-major, transposed, sliced, permuted and
  channels-last inputs, with the layout of the results and of the inputs' ``.grad``;
- TensorIterator's rule (elementwise results) and advanced indexing on Hypothesis-drawn layouts;
- a sweep over every case of the conformance tables (tests/conformance/table_*.py), run on both
  libraries, whose differences must be exactly the documented ones in ``KNOWN`` (docs/pytorch.md,
  "Memory formats and strides").
"""
from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import layouts

CONFORMANCE = Path(__file__).resolve().parent / "conformance"
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))


# ------------------------------------------------------------------------------ comparing
def signature(t) -> tuple:
    """What PyTorch defines of ``t``'s layout: contiguity (row-major, channels-last) and the
    strides of the dims of size > 1."""
    lib = torch if isinstance(t, torch.Tensor) else cr
    shape, steps = tuple(t.shape), tuple(t.stride())
    cl = t.is_contiguous(memory_format=lib.channels_last) if t.ndim == 4 else None
    cl3 = t.is_contiguous(memory_format=lib.channels_last_3d) if t.ndim == 5 else None
    size = int(np.prod(shape))
    if not size:            # (an empty tensor's strides are whatever its maker chose)
        return t.is_contiguous(), None, None, None
    return t.is_contiguous(), cl, cl3, tuple(s if n > 1 else None for s, n in zip(steps, shape))


def tensors(result) -> list:
    if isinstance(result, (torch.Tensor, cr.Tensor)):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in tensors(r)]
    return []


def layout_differences(expected, actual) -> list:
    """(position, shape, PyTorch's strides, chainrule's) for each result laid out otherwise."""
    out = []
    ts, cs = tensors(expected), tensors(actual)
    if len(ts) != len(cs):
        return out
    for i, (t, c) in enumerate(zip(ts, cs)):
        if not isinstance(c, cr.Tensor) or tuple(t.shape) != tuple(c.shape) or \
                t.layout != torch.strided:
            continue
        if signature(t) != signature(c):
            out.append((i, tuple(t.shape), t.stride(), c.stride()))
    return out


def run_both(fn, arrays, grad: bool) -> list:
    """Run ``fn(L, *tensors)`` on both libraries; the layout differences of the results and, with
    ``grad``, of the inputs' ``.grad`` after backpropagating the sum of the float results."""
    results, inputs = {}, {}
    for L in (torch, cr):
        inputs[L] = [L.tensor(a.copy(), requires_grad=grad) for a in arrays]
        torch.manual_seed(0)
        cr.manual_seed(0)
        results[L] = fn(L, *inputs[L])
    found = layout_differences(results[torch], results[cr])
    if grad:
        for L in (torch, cr):
            outs = [t for t in tensors(results[L]) if t.requires_grad and not t.is_complex()]
            if outs:
                sum((t * 1.5).sum() for t in outs).backward()
        for i, (t, c) in enumerate(zip(inputs[torch], inputs[cr])):
            if t.grad is not None and c.grad is not None:
                found += [("grad", i) + d[1:] for d in layout_differences(t.grad, c.grad)]
    return found


# ------------------------------------------------------------------------------ common ops
def _cl(L, x):
    return x.contiguous(memory_format=L.channels_last)


def _cl3(L, x):
    return x.contiguous(memory_format=L.channels_last_3d)


def _i(L, v):
    return L.tensor(v)


def _f(L):
    return L.nn.functional


CASES: list = []


def case(label, fn, *shapes, grad=True):
    CASES.append(pytest.param(fn, shapes, grad, id=label))


# indexing
case("x[:, [2, 0]]", lambda L, x: x[:, [2, 0]], (3, 4, 5))
case("x[[2, 0]]", lambda L, x: x[[2, 0]], (3, 4, 5))
case("x[..., idx]", lambda L, x: x[..., _i(L, [1, 0, 2])], (3, 4, 5))
case("x[i, :, j]", lambda L, x: x[_i(L, [0, 2]), :, _i(L, [1, 3])], (3, 4, 5))
case("x[:, i, j]", lambda L, x: x[:, _i(L, [0, 2]), _i(L, [1, 3])], (3, 4, 5))
case("x[mask]", lambda L, x: x[x > 0], (3, 4, 5))
case("x[:, mask]", lambda L, x: x[:, _i(L, [True, False, True, True])], (3, 4, 5))
case("x[mask2d]", lambda L, x: x[(x > 0)[:, :, 0]], (3, 4, 5))
case("x.permute[:, idx]", lambda L, x: x.permute(2, 0, 1)[:, [1, 0]], (3, 4, 5))
case("x.permute[idx]", lambda L, x: x.permute(2, 0, 1)[[1, 0]], (3, 4, 5))
case("x.t()[idx]", lambda L, x: x.transpose(0, 2)[[1, 0]], (3, 4, 5))
case("channels_last[:, idx]", lambda L, x: _cl(L, x)[:, [1, 0]], (2, 3, 4, 5))
case("x[:, ::2]", lambda L, x: x[:, ::2], (3, 4, 5))
case("flip", lambda L, x: x.flip(1), (3, 4, 5))
case("flip two dims", lambda L, x: x.flip((0, 2)), (3, 4, 5))
case("flip * 2", lambda L, x: x.flip(0) * 2, (3, 4))
case("gather", lambda L, x: x.gather(1, _i(L, [[[0, 1, 0, 2, 1]] * 2] * 3)), (3, 4, 5))
case("gather of x.t()", lambda L, x: x.t().gather(0, _i(L, [[0, 1, 0], [2, 1, 1]])), (3, 4))
case("scatter", lambda L, x: x.scatter(1, _i(L, [[0, 1], [2, 0], [1, 1]]), 5.0), (3, 4))
case("scatter of x.t()", lambda L, x: x.t().scatter(0, _i(L, [[0, 1, 1]]), 5.0), (3, 4))
case("index_select 0", lambda L, x: x.index_select(0, _i(L, [2, 0])), (3, 4, 5))
case("index_select 1", lambda L, x: x.index_select(1, _i(L, [2, 0])), (3, 4, 5))
case("index_select 2", lambda L, x: x.index_select(2, _i(L, [2, 0])), (3, 4, 5))
case("index_select of permuted",
     lambda L, x: x.permute(2, 0, 1).index_select(1, _i(L, [2, 0])), (3, 4, 5))
case("take_along_dim", lambda L, x: L.take_along_dim(x, _i(L, [[[0], [1], [2], [0]]]), 2),
     (3, 4, 5))
case("masked_select", lambda L, x: L.masked_select(x, x > 0), (3, 4))
case("masked_fill of x.t()", lambda L, x: x.t().masked_fill(x.t() > 0, 0.0), (3, 4))
case("where of x.t()", lambda L, x: L.where(x.t() > 0, x.t(), 0.0), (3, 4))
case("take", lambda L, x: L.take(x, _i(L, [[0, 5], [3, 2]])), (3, 4))
case("index_add", lambda L, x: x.index_add(1, _i(L, [0, 2]), L.ones(3, 2, dtype=L.float64)),
     (3, 4))
case("nonzero", lambda L, x: L.nonzero(x > 0), (3, 4), grad=False)
# movement
case("roll dim 0", lambda L, x: L.roll(x, 1, 0), (3, 4))
case("roll dim 1", lambda L, x: L.roll(x, 1, 1), (3, 4, 5))
case("roll flat", lambda L, x: L.roll(x, 2), (3, 4))
case("roll two dims", lambda L, x: L.roll(x, (1, 2), (0, 2)), (3, 4, 5))
case("roll of permuted", lambda L, x: L.roll(x.permute(2, 0, 1), 1, 1), (3, 4, 5))
case("roll of channels_last", lambda L, x: L.roll(_cl(L, x), 1, 2), (2, 3, 4, 5))
case("rot90", lambda L, x: L.rot90(x, 1, (0, 1)), (3, 4))
case("rot90 twice", lambda L, x: L.rot90(x, 2, (1, 2)), (3, 4, 5))
case("rot90 thrice", lambda L, x: L.rot90(x, 3, (0, 1)), (3, 4))
case("repeat", lambda L, x: x.repeat(2, 1, 3), (3, 4))
case("repeat of x.t()", lambda L, x: x.t().repeat(2, 1), (3, 4))
case("tile", lambda L, x: L.tile(x, (2,)), (3, 4))
case("tile of 1-d", lambda L, x: L.tile(x[0], (3, 1)), (3, 4))
case("repeat_interleave 0", lambda L, x: x.repeat_interleave(2, dim=0), (3, 4))
case("repeat_interleave 1", lambda L, x: x.repeat_interleave(2, dim=1), (3, 4))
case("repeat_interleave flat", lambda L, x: x.repeat_interleave(2), (3, 4))
case("expand", lambda L, x: x.expand(2, 3, 4), (3, 4))
case("broadcast_to", lambda L, x: L.broadcast_to(x, (2, 3, 4)), (3, 4))
case("cat 0", lambda L, x: L.cat([x, x], 0), (3, 4))
case("cat 1", lambda L, x: L.cat([x, x], 1), (3, 4))
case("cat of x.t()", lambda L, x: L.cat([x.t(), x.t()], 0), (3, 4))
case("cat of channels_last", lambda L, x: L.cat([_cl(L, x), _cl(L, x)], 1), (2, 3, 4, 5))
case("cat of mixed formats", lambda L, x: L.cat([_cl(L, x), x], 1), (2, 3, 4, 5))
case("stack 0", lambda L, x: L.stack([x, x], 0), (3, 4))
case("stack 2", lambda L, x: L.stack([x, x], 2), (3, 4))
case("stack of x.t()", lambda L, x: L.stack([x.t(), x.t()], 0), (3, 4))
case("hstack", lambda L, x: L.hstack([x, x]), (3, 4))
case("dstack", lambda L, x: L.dstack([x, x]), (3, 4))
case("split", lambda L, x: x.split(2, 1), (3, 4))
case("chunk", lambda L, x: x.chunk(2, 0), (4, 4))
case("unbind", lambda L, x: x.unbind(1), (3, 4))
case("narrow", lambda L, x: x.narrow(1, 1, 2), (3, 4))
case("transpose", lambda L, x: x.transpose(0, 1), (3, 4, 5))
case("permute", lambda L, x: x.permute(2, 0, 1), (3, 4, 5))
case("movedim", lambda L, x: L.movedim(x, 0, 2), (3, 4, 5))
case("t", lambda L, x: x.t(), (3, 4))
case("mT", lambda L, x: x.mT, (2, 3, 4))
case("diagonal", lambda L, x: x.diagonal(), (3, 4))
case("diag of 2-d", lambda L, x: L.diag(x), (3, 4))
case("diag of 1-d", lambda L, x: L.diag(x), (3,))
case("diag_embed", lambda L, x: L.diag_embed(x), (2, 3))
case("diag_embed dims", lambda L, x: L.diag_embed(x, 1, 0, 2), (2, 3))
case("tril of x.t()", lambda L, x: x.t().tril(), (3, 4))
case("unsqueeze", lambda L, x: x.unsqueeze(1), (3, 4))
case("flatten of x.t()", lambda L, x: x.t().flatten(), (3, 4))
case("unfold", lambda L, x: x.unfold(1, 2, 1), (3, 5))
# reductions, scans, sorting
case("sum keepdim", lambda L, x: x.sum(1, keepdim=True), (3, 4, 5))
case("sum of permuted", lambda L, x: x.transpose(0, 2).sum(1), (3, 4, 5))
case("sum of permuted keepdim", lambda L, x: x.transpose(0, 2).sum(1, keepdim=True),
     (3, 4, 5))
case("mean of channels_last", lambda L, x: _cl(L, x).mean((2, 3), keepdim=True), (2, 3, 4, 5))
case("mean of channels_last over C", lambda L, x: _cl(L, x).mean(1), (2, 3, 4, 5))
case("max dim of permuted", lambda L, x: x.transpose(0, 2).max(1), (3, 4, 5))
case("std of permuted", lambda L, x: x.transpose(0, 2).std(1), (3, 4, 5))
case("norm of permuted", lambda L, x: x.transpose(0, 2).norm(dim=1), (3, 4, 5))
case("logsumexp of permuted", lambda L, x: x.transpose(0, 2).logsumexp(1), (3, 4, 5))
case("prod of permuted", lambda L, x: x.transpose(0, 2).prod(1), (3, 4, 5))
case("cumsum", lambda L, x: x.cumsum(1), (3, 4, 5))
case("cumsum of x.t()", lambda L, x: x.t().cumsum(1), (3, 4))
case("cumprod of x.t()", lambda L, x: x.t().cumprod(0), (3, 4))
case("logcumsumexp of x.t()", lambda L, x: x.t().logcumsumexp(1), (3, 4))
case("sort", lambda L, x: x.sort(1), (3, 4, 5))
case("sort of x.t()", lambda L, x: x.t().sort(1), (3, 4))
case("sort of permuted", lambda L, x: x.permute(2, 0, 1).sort(1), (3, 4, 5))
case("argsort of x.t()", lambda L, x: x.t().argsort(0), (3, 4), grad=False)
case("topk", lambda L, x: x.topk(2, 0), (3, 4, 5))
case("topk of x.t()", lambda L, x: x.t().topk(2, 1), (3, 4))
case("kthvalue", lambda L, x: x.kthvalue(2, 1), (3, 4, 5))
case("median", lambda L, x: x.median(1), (3, 4, 5))
case("softmax of x.t()", lambda L, x: x.t().softmax(0), (3, 4))
case("softmax of channels_last", lambda L, x: _cl(L, x).softmax(1), (2, 3, 4, 5))
case("log_softmax of x.t()", lambda L, x: x.t().log_softmax(1), (3, 4))
# products
case("matmul", lambda L, x: x @ x.t(), (3, 4))
case("matmul of x.t()", lambda L, x: x.t() @ x, (3, 4))
case("matmul batched", lambda L, x: x @ x.mT, (2, 3, 4))
case("bmm", lambda L, x: L.bmm(x, x.mT), (2, 3, 4))
case("bmm of transposed", lambda L, x: L.bmm(x.transpose(0, 1), x.transpose(0, 1).mT),
     (3, 2, 4))
case("einsum", lambda L, x: L.einsum("bij,bkj->bik", x, x), (2, 3, 4))
case("einsum permutation", lambda L, x: L.einsum("bij->bji", x), (2, 3, 4))
case("tensordot", lambda L, x: L.tensordot(x, x, dims=([1], [1])), (3, 4, 2))
case("linear", lambda L, x: _f(L).linear(x, x[0, :2, :], x[0, 0, :2]), (2, 3, 4))
case("outer", lambda L, x: L.outer(x[0], x[1]), (2, 4))
# elementwise (TensorIterator: the operands' layout, the first one winning a conflict)
case("x.t() + 1", lambda L, x: x.t() + 1, (3, 4))
case("x.t() + x.t()", lambda L, x: x.t() + x.t(), (3, 4))
case("transposed + row-major", lambda L, x: x.t() + x.t().contiguous(), (3, 4))
case("row-major + transposed", lambda L, x: x.t().contiguous() + x.t(), (3, 4))
case("x.t() + broadcast column", lambda L, x: x.t() + x[0].unsqueeze(1), (3, 4))
case("relu of x.t()", lambda L, x: x.t().relu(), (3, 4))
case("exp of x.t()", lambda L, x: x.t().exp(), (3, 4))
case("sigmoid of channels_last", lambda L, x: _cl(L, x).sigmoid(), (2, 3, 4, 5))
case("gelu of channels_last", lambda L, x: _f(L).gelu(_cl(L, x)), (2, 3, 4, 5))
case("channels_last + row-major", lambda L, x: _cl(L, x) + x, (2, 3, 4, 5))
case("row-major + channels_last", lambda L, x: x + _cl(L, x), (2, 3, 4, 5))
case("channels_last + bias", lambda L, x: _cl(L, x) + x[0, :, :1, :1], (2, 3, 4, 5))
case("channels_last_3d * 2", lambda L, x: _cl3(L, x) * 2, (2, 3, 2, 3, 4))
case("slice + 1", lambda L, x: x[:, ::2] + 1, (3, 4, 5))
case("permuted * permuted", lambda L, x: x.permute(1, 2, 0) * x.permute(1, 2, 0), (3, 4, 5))
case("clamp of x.t()", lambda L, x: x.t().clamp(-0.5, 0.5), (3, 4))
case("lerp of x.t()", lambda L, x: L.lerp(x.t(), x.t(), 0.3), (3, 4))
case("atan2 of x.t()", lambda L, x: L.atan2(x.t(), x.t() + 3), (3, 4))
case("comparison of x.t()", lambda L, x: x.t() > 0, (3, 4), grad=False)
# conversions, copies, *_like
case("to(float32) of x.t()", lambda L, x: x.t().to(L.float32), (3, 4))
case("to(int64) of x.t()", lambda L, x: x.t().to(L.int64), (3, 4), grad=False)
case("float() of channels_last", lambda L, x: _cl(L, x).float(), (2, 3, 4, 5))
case("float() of a slice", lambda L, x: x[:, ::2].float(), (3, 4))
case("contiguous of x.t()", lambda L, x: x.t().contiguous(), (3, 4))
case("clone of x.t()", lambda L, x: x.t().clone(), (3, 4))
case("clone of channels_last", lambda L, x: _cl(L, x).clone(), (2, 3, 4, 5))
case("zeros_like of permuted", lambda L, x: L.zeros_like(x.permute(2, 0, 1)), (3, 4, 5),
     grad=False)
case("ones_like of channels_last", lambda L, x: L.ones_like(_cl(L, x)), (2, 3, 4, 5),
     grad=False)
case("full_like of x.t()", lambda L, x: L.full_like(x.t(), 2.0), (3, 4), grad=False)
case("empty_like of x.t()", lambda L, x: L.empty_like(x.t()).zero_(), (3, 4), grad=False)
case("randn_like of x.t() (values too)", lambda L, x: L.randn_like(x.t()), (3, 4), grad=False)
case("rand_like of channels_last", lambda L, x: L.rand_like(_cl(L, x)), (2, 3, 4, 5),
     grad=False)
case("rfft(...).real", lambda L, x: L.fft.rfft(x).real, (3, 8))
# layers, for row-major and channels-last inputs
case("conv2d", lambda L, x: _f(L).conv2d(x, x[:2, :, :2, :2]), (2, 3, 4, 5))
case("conv2d of channels_last", lambda L, x: _f(L).conv2d(_cl(L, x), x[:2, :, :2, :2]),
     (2, 3, 4, 5))
case("conv2d with channels_last weight",
     lambda L, x: _f(L).conv2d(x, _cl(L, x[:2, :, :2, :2])), (2, 3, 4, 5))
case("conv2d bias padding channels_last",
     lambda L, x: _f(L).conv2d(_cl(L, x), x[:2, :, :2, :2], x[0, :2, 0, 0], padding=1),
     (2, 3, 4, 5))
case("conv1d", lambda L, x: _f(L).conv1d(x, x[:2, :, :2]), (2, 3, 5))
case("conv3d", lambda L, x: _f(L).conv3d(x, x[:2, :, :2, :2, :2]), (2, 3, 3, 3, 4))
case("conv3d of channels_last_3d (float64)",
     lambda L, x: _f(L).conv3d(_cl3(L, x), x[:2, :, :2, :2, :2]), (2, 3, 3, 3, 4))
case("conv3d of channels_last_3d (float32)",
     lambda L, x: _f(L).conv3d(_cl3(L, x.float()), x.float()[:2, :, :2, :2, :2]),
     (2, 3, 3, 3, 4))
case("conv_transpose2d of channels_last",
     lambda L, x, w: _f(L).conv_transpose2d(_cl(L, x), w), (2, 3, 4, 5), (3, 2, 2, 2))
case("max_pool2d", lambda L, x: _f(L).max_pool2d(x, 2), (2, 3, 4, 5))
case("max_pool2d of channels_last",
     lambda L, x: _f(L).max_pool2d(_cl(L, x), 2, return_indices=True), (2, 3, 4, 5))
case("avg_pool2d of channels_last", lambda L, x: _f(L).avg_pool2d(_cl(L, x), 2), (2, 3, 4, 5))
case("max_pool1d", lambda L, x: _f(L).max_pool1d(x, 2), (2, 3, 5))
case("avg_pool1d of channels-last-strided",
     lambda L, x: _f(L).avg_pool1d(x.transpose(1, 2).contiguous().transpose(1, 2), 2),
     (2, 3, 5))
case("max_pool3d of channels_last_3d", lambda L, x: _f(L).max_pool3d(_cl3(L, x), 2),
     (2, 3, 2, 4, 4))
case("avg_pool3d of channels_last_3d", lambda L, x: _f(L).avg_pool3d(_cl3(L, x), 2),
     (2, 3, 2, 4, 4))
case("adaptive_avg_pool2d of channels_last",
     lambda L, x: _f(L).adaptive_avg_pool2d(_cl(L, x), 2), (2, 3, 4, 5))
case("adaptive_max_pool2d of channels_last",
     lambda L, x: _f(L).adaptive_max_pool2d(_cl(L, x), 3, return_indices=True), (2, 3, 4, 5))
case("adaptive_avg_pool1d of channels-last-strided",
     lambda L, x: _f(L).adaptive_avg_pool1d(x.transpose(1, 2).contiguous().transpose(1, 2), 2),
     (2, 3, 5))
case("batch_norm of channels_last",
     lambda L, x: _f(L).batch_norm(_cl(L, x), None, None, training=True), (2, 3, 4, 5))
case("batch_norm of x.t()", lambda L, x: _f(L).batch_norm(x.t(), None, None, training=True),
     (4, 3))
case("layer_norm of channels_last", lambda L, x: _f(L).layer_norm(_cl(L, x), (5,)),
     (2, 3, 4, 5))
case("group_norm of channels_last", lambda L, x: _f(L).group_norm(_cl(L, x), 3), (2, 3, 4, 5))
case("instance_norm of channels_last", lambda L, x: _f(L).instance_norm(_cl(L, x)),
     (2, 3, 4, 5))
case("pad of channels_last", lambda L, x: _f(L).pad(_cl(L, x), (1, 1, 1, 1)), (2, 3, 4, 5))
case("reflect pad of channels_last",
     lambda L, x: _f(L).pad(_cl(L, x), (1, 1, 1, 1), mode="reflect"), (2, 3, 4, 5))
case("interpolate of channels_last",
     lambda L, x: _f(L).interpolate(_cl(L, x), scale_factor=2), (2, 3, 4, 5))
case("pixel_shuffle", lambda L, x: _f(L).pixel_shuffle(x, 2), (2, 4, 3, 3))
case("unfold (im2col)", lambda L, x: _f(L).unfold(x, 2), (2, 3, 4, 5))
case("cross_entropy of x.t()", lambda L, x: _f(L).cross_entropy(x.t(), _i(L, [0, 1, 2, 0])),
     (3, 4))
case("mse_loss none", lambda L, x: _f(L).mse_loss(x.t(), x.t() * 0, reduction="none"), (3, 4))
case("embedding", lambda L, x: _f(L).embedding(_i(L, [[0, 2], [1, 1]]), x), (3, 4))
case("normalize of x.t()", lambda L, x: _f(L).normalize(x.t(), dim=0), (3, 4))
case("scaled_dot_product_attention",
     lambda L, x: _f(L).scaled_dot_product_attention(x, x, x), (2, 3, 4, 5))
case("cdist", lambda L, x: L.cdist(x, x), (2, 3, 4))
case("linalg.inv", lambda L, x: L.linalg.inv(x + 3 * L.eye(3, dtype=L.float64)), (2, 3, 3))
case("linalg.solve", lambda L, x: L.linalg.solve(x[0] + 3 * L.eye(3, dtype=L.float64), x[1]),
     (2, 3, 3))
case("linalg.cholesky",
     lambda L, x: L.linalg.cholesky(x @ x.mT + L.eye(3, dtype=L.float64)), (2, 3, 3))


@pytest.mark.parametrize(("fn", "shapes", "grad"), CASES)
def test_layout_matches_pytorch(fn, shapes, grad):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(-2, 2, s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = run_both(fn, arrays, grad)
    assert not found, f"layouts differ from PyTorch's (position, shape, PyTorch, chainrule): " \
                      f"{found}"


def test_view_after_indexing_and_roll():
    """The programs of the report: PyTorch runs them, so chainrule must."""
    x = cr.randn(3, 4, 5)
    assert x[:, [2, 0]].view(-1).shape == (30,)
    assert cr.roll(x, 1, 0).view(3, -1).shape == (3, 20)
    assert x.index_select(1, cr.tensor([2, 0])).view(-1).shape == (30,)
    assert cr.fft.rfft(x).real.stride() == torch.fft.rfft(torch.randn(3, 4, 5)).real.stride()


def test_grad_keeps_the_parameters_layout():
    """AccumulateGrad's contract: a dense parameter's .grad has its strides; a transposed or
    channels-last parameter gets a gradient laid out alike."""
    for make in (lambda L: L.randn(4, 3, dtype=L.float64).t(),
                 lambda L: L.randn(2, 3, 4, 5, dtype=L.float64).contiguous(
                     memory_format=L.channels_last)):
        grads = {}
        for L in (torch, cr):
            p = make(L).detach().requires_grad_(True)
            (p.t() if p.ndim == 2 else p.permute(0, 2, 3, 1)).exp().sum().backward()
            grads[L] = p.grad
        assert grads[cr].stride() == grads[torch].stride()


# ------------------------------------------------------------------------------ drawn layouts
def _layout(draw, shape):
    """An array of ``shape`` in a drawn layout: permuted, and maybe sliced with steps."""
    nd = len(shape)
    perm = draw(st.permutations(range(nd)))
    steps = [draw(st.sampled_from([1, 1, 2])) for _ in range(nd)]
    base = np.arange(float(np.prod([shape[p] * steps[i] for i, p in enumerate(perm)])))
    a = base.reshape([shape[p] * steps[i] for i, p in enumerate(perm)])
    a = a[tuple(slice(None, None, s) for s in steps)]
    return a.transpose(np.argsort(perm))


@st.composite
def operands(draw):
    nd = draw(st.integers(2, 4))
    shape = [draw(st.integers(1, 4)) for _ in range(nd)]
    out = []
    for _ in range(draw(st.integers(1, 3))):
        sub = [1 if draw(st.booleans()) and draw(st.booleans()) else n for n in shape]
        lead = draw(st.integers(0, 1)) if nd > 2 else 0
        out.append(_layout(draw, tuple(sub[lead:])))
    return out


@settings(max_examples=300, deadline=None)
@given(operands())
def test_iterator_strides_match_tensoriterator(arrays):
    """layouts.iterator_strides (the rule of every elementwise result) against PyTorch's own
    TensorIterator, on drawn permuted, sliced and broadcast operands."""
    ts = [torch.from_numpy(a) for a in arrays]
    if len(ts) == 1:
        r = ts[0] + 1
    elif len(ts) == 2:
        r = ts[0] + ts[1]
    else:
        r = torch.addcmul(ts[0], ts[1], ts[2])
    mine = layouts.iterator_strides(tuple(r.shape), arrays)
    assert all(n == 1 or a == b for n, a, b in zip(r.shape, mine, r.stride())), \
        (r.shape, [a.strides for a in arrays], mine, r.stride())
    c = [cr.Tensor._make(a) for a in arrays]
    rc = c[0] + 1 if len(c) == 1 else c[0] + c[1] if len(c) == 2 else cr.addcmul(*c)
    assert signature(rc) == signature(r)
    if len(ts) == 3:        # a composition: each op takes its operands' layout
        assert signature(c[0] * c[1] - c[2]) == signature(ts[0] * ts[1] - ts[2])


@st.composite
def indexings(draw):
    nd = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    items, d = [], 0
    while d < nd:
        kind = draw(st.sampled_from(["slice", "array", "array", "mask", "none", "int", "..."]))
        if kind == "slice":
            items.append(slice(None))
            d += 1
        elif kind == "array":
            k = draw(st.integers(1, 2))
            cols = draw(st.sampled_from([(k,), (k, 2)]))
            items.append(np.array(draw(st.lists(st.integers(0, shape[d] - 1),
                                                min_size=int(np.prod(cols)),
                                                max_size=int(np.prod(cols))))).reshape(cols))
            d += 1
        elif kind == "mask":
            items.append(np.array(draw(st.lists(st.booleans(), min_size=shape[d],
                                                max_size=shape[d]))))
            d += 1
        elif kind == "none":
            items.append(None)
        elif kind == "int":
            items.append(draw(st.integers(0, shape[d] - 1)))
            d += 1
        else:
            items.append(Ellipsis)
            break
    return _layout(draw, shape), tuple(items)


@settings(max_examples=300, deadline=None)
@given(indexings())
def test_advanced_indexing_layout(drawn):
    """x[index] for drawn layouts of x and indices of every kind, against PyTorch."""
    a, items = drawn
    def lib(L, p):
        return L.tensor(p) if isinstance(p, np.ndarray) else p
    try:
        expected = torch.from_numpy(a)[tuple(lib(torch, p) for p in items)]
    except (IndexError, RuntimeError):
        return                     # an index PyTorch refuses (a shape mismatch, say)
    actual = cr.Tensor._make(a)[tuple(lib(cr, p) for p in items)]
    assert tuple(actual.shape) == tuple(expected.shape)
    assert signature(actual) == signature(expected), (a.strides, items, expected.stride(),
                                                      actual.stride())


# ------------------------------------------------------------------------------ the sweep
# Conformance entries (table:name) some of whose cases still lay results out otherwise than
# PyTorch (docs/pytorch.md, "Memory formats and strides"), by reason. An entry fixed here must
# leave this list (the test says so).
KNOWN = {
    # LAPACK-style results that PyTorch returns column-major (batched), chainrule row-major;
    # linalg.inv, solve and cholesky are matched, these are not yet
    "column-major factorizations": """
        table_complex:linalg.eig table_linalg:Tensor.lu table_linalg:Tensor.lu_solve
        table_linalg:Tensor.qr table_linalg:cholesky table_linalg:linalg.cholesky
        table_linalg:linalg.cholesky_ex table_linalg:linalg.lstsq table_linalg:linalg.lu_factor
        table_linalg:linalg.lu_factor_ex table_linalg:linalg.lu_solve table_linalg:linalg.qr
        table_linalg:linalg.solve table_linalg:linalg.solve_ex
        table_linalg:linalg.solve_triangular table_linalg:lu table_linalg:lu_solve
        table_linalg:qr table_linalg_round34:Tensor.geqrf table_linalg_round34:Tensor.orgqr
        table_linalg_round34:geqrf table_linalg_round34:linalg.householder_product
        table_linalg_round34:linalg.ldl_factor table_linalg_round34:linalg.ldl_factor_ex
        table_linalg_round34:linalg.ldl_solve table_linalg_round34:orgqr
        table_linalg_round34:ormqr table_toplevel:Tensor.triangular_solve
        table_toplevel:triangular_solve
    """,
    # eigenvalues / singular values handed out as slices of one packed array
    "values sliced from a packed result": """
        table_linalg:linalg.eigh table_linalg:linalg.eigvalsh table_linalg:linalg.svd
        table_linalg:linalg.svdvals
    """,
    # pocketfft's layouts: PyTorch transforms a non-last dim in place of its strides, and
    # stft/istft return transposed views
    "fft layouts": """
        table_complex:Tensor.stft table_complex:istft table_complex:stft
        table_complex_autograd:fft.ihfft2 table_complex_autograd:fft.ihfftn table_fft:fft.fft
        table_fft:fft.fft2 table_fft:fft.fftn table_fft:fft.hfft table_fft:fft.hfft2
        table_fft:fft.hfftn table_fft:fft.ifft table_fft:fft.ifft2 table_fft:fft.ifftn
        table_fft:fft.ihfft table_fft:fft.ihfft2 table_fft:fft.ihfftn table_fft:fft.irfft
        table_fft:fft.irfft2 table_fft:fft.irfftn table_fft:fft.rfft table_fft:fft.rfft2
        table_fft:fft.rfftn
    """,
    # composites whose PyTorch kernel ends in a transposed view or a strided stack
    "transposed views at the end of a PyTorch kernel": """
        table_core_nn:nn.MultiheadAttention table_core_init:nn.utils.rnn.pack_padded_sequence
        table_math:einsum table_nn_utils_more:nn.utils.parametrizations.orthogonal
        table_shape:nanquantile table_shape:quantile table_toplevel_more:unravel_index
    """,
    # chainrule.func (vmap, grad, jacrev, hessian) stack per-sample results its own way
    "func transforms": """
        table_func:func.grad table_func:func.hessian table_func:func.jacrev
    """,
}
KNOWN_ENTRIES = {name: reason for reason, names in KNOWN.items() for name in names.split()}


def _conformance_cases():
    harness = importlib.import_module("harness")
    out = []
    for path in sorted(CONFORMANCE.glob("table_*.py")):
        module = importlib.import_module(path.stem)
        for entry in getattr(module, "ENTRIES", []):
            for i, c in enumerate(entry.cases):
                label = f"{path.stem}:{entry.name}#{i}" + (f"-{c.label}" if c.label else "")
                out.append((label, c))
    return harness, out


def sweep(prefix: str = "") -> dict:
    """Every fixed-shape conformance case (tables whose name starts with ``prefix``) run on both
    libraries: {case: layout differences} for those that differ."""
    harness, cases = _conformance_cases()
    found = {}
    for label, c in cases:
        if not label.startswith(prefix) or c.drawn or c.raises:
            continue
        rng = np.random.default_rng(0)
        arrays = [s.draw(rng, None) if isinstance(s, harness.Spec) else s for s in c.inputs]
        results, inputs = {}, {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for L in (torch, cr):
                    inputs[L] = [harness._to_lib(L, a, i in c.grad) for i, a in enumerate(arrays)]
                    torch.manual_seed(0)
                    cr.manual_seed(0)
                    results[L] = c.fn(L, *inputs[L])
                diffs = layout_differences(results[torch], results[cr])
                if c.grad:
                    for L in (torch, cr):
                        outs = [t for t in tensors(results[L]) if t.requires_grad
                                and not t.is_complex()]
                        if outs:
                            sum((t * 1.5).sum() for t in outs).backward()
                    for i in c.grad:
                        g = (inputs[torch][i].grad, inputs[cr][i].grad)
                        if g[0] is not None and g[1] is not None:
                            diffs += [("grad", i) + d[1:] for d in layout_differences(*g)]
        except Exception:  # noqa: BLE001  (the conformance suite itself reports failures)
            continue
        if diffs:
            found[label] = diffs
    return found


TABLES = sorted(p.stem for p in CONFORMANCE.glob("table_*.py"))


@pytest.mark.parametrize("table", TABLES)
def test_conformance_cases_lay_results_out_as_pytorch(table):
    """Every fixed-shape case of the table, results and gradients: only the KNOWN entries may
    differ, and each KNOWN entry of the table must still differ somewhere."""
    found = sweep(table + ":")
    new = {k: v for k, v in found.items() if k.split("#")[0] not in KNOWN_ENTRIES}
    assert not new, "layouts differ from PyTorch's (position, shape, PyTorch, chainrule):\n" + \
        "\n".join(f"  {k}: {v}" for k, v in new.items())
    still = {k.split("#")[0] for k in found}
    fixed = [n for n in KNOWN_ENTRIES if n.startswith(table + ":") and n not in still]
    assert not fixed, f"{fixed} now match PyTorch's layouts: remove them from KNOWN"


if __name__ == "__main__":        # python tests/test_layouts_vs_pytorch.py [table prefix]
    for label, diffs in sweep(sys.argv[1] if len(sys.argv) > 1 else "").items():
        print(label, diffs)
