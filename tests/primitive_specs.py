"""One test spec per registered primitive: how to draw its inputs, how to call it, its PyTorch twin.

A :class:`Spec` turns a :class:`Drawer` (Hypothesis's ``draw`` plus the dtype and size the test
wants) into a :class:`Case`:

- ``inputs``: the array arguments, one chainrule Tensor / torch tensor each in the tests;
- ``requires_grad``: which of them are differentiated (drawn: sometimes only some of them, so that
  the "this input needs no gradient" paths of the rules are exercised too);
- ``call`` / ``torch_call``: the primitive through chainrule's public function, and the same
  computation in PyTorch 2.13 (the oracle for values, gradients and double backward);
- ``reference``: the primitive's registered NumPy ``reference`` with the case's parameters bound
  (``None`` only where chainrule deliberately follows PyTorch where NumPy raises).

Non-array parameters (axes, shapes, indices, a ``where`` condition, clip bounds, scalar exponents)
are drawn with the case and bound into the three callables.

Inputs are drawn from the primitive's registered ``domain`` (``chainrule.primitives()[name]
.domain``); a spec decides which argument the domain applies to (the divisor of divide, the base
of power). ``Drawer.small`` asks for the few-element shapes that gradcheck can afford.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import strategies as S
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

import chainrule as cr

OWN = "own"          # in a spec's list of input domains: the primitive's registered domain

TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


@dataclass
class Case:
    inputs: tuple[np.ndarray, ...]
    call: Callable
    torch_call: Callable
    reference: Callable | None
    requires_grad: tuple[bool, ...] = ()
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.requires_grad:
            self.requires_grad = (True,) * len(self.inputs)
        assert len(self.requires_grad) == len(self.inputs) and any(self.requires_grad)

    def describe(self) -> str:
        shapes = ", ".join(str(a.shape) for a in self.inputs)
        return f"input shapes {shapes}; requires_grad {self.requires_grad}; params {self.params}"


class Drawer:
    """Hypothesis's ``draw`` with what the test asks for: the dtype, and small (gradcheck) sizes."""

    def __init__(self, draw, name: str, dtype=np.float64, small: bool = False):
        self.draw = draw
        self.name = name
        self.cls = cr.primitives()[name]
        self.domain = self.cls.domain
        self.reference = self.cls.reference
        self.dtype = np.dtype(dtype)
        self.small = small

    def _shape_kwargs(self, min_dims: int, max_dims: int) -> dict:
        if self.small:
            return dict(min_dims=min_dims, max_dims=min(max_dims, 3), max_side=3, max_elements=12,
                        large=False)
        return dict(min_dims=min_dims, max_dims=max_dims)

    def shape(self, min_dims: int = 0, max_dims: int = 4) -> tuple[int, ...]:
        return self.draw(S.shapes(**self._shape_kwargs(min_dims, max_dims)))

    def broadcast(self, count: int = 2, min_dims: int = 0, max_dims: int = 4):
        return self.draw(S.broadcast_shapes(count, **self._shape_kwargs(min_dims, max_dims)))

    def side(self) -> int:
        """One axis length: 1…4, or (not small) now and then a large one."""
        if not self.small and self.draw(st.integers(0, 3)) == 0:
            return self.draw(st.integers(*S.LARGE_SIDE))
        return self.draw(st.integers(1, 3 if self.small else 4))

    def values(self, shapes, domains, scale: float | None = None) -> tuple[np.ndarray, ...]:
        """One array per shape; ``OWN`` stands for the registered domain. The magnitude of "real"
        values varies between draws unless ``scale`` fixes it."""
        domains = [self.domain if d == OWN else d for d in domains]
        if scale is None:
            scale = self.draw(st.sampled_from([1.0, 0.3, 4.0]))
        return self.draw(S.values_in(tuple(shapes), domains, self.dtype, scale))

    def rng(self) -> np.random.Generator:
        return self.draw(S.rngs())

    def requires_grad(self, count: int) -> tuple[bool, ...]:
        """All inputs half of the time, otherwise a non-empty subset."""
        if count == 1 or self.draw(st.booleans()):
            return (True,) * count
        bits = self.draw(st.integers(1, 2**count - 1))
        return tuple(bool(bits >> i & 1) for i in range(count))


@dataclass(frozen=True)
class Spec:
    name: str
    draw: Callable[[Drawer], Case]
    second_order: bool = True          # double backward is compared with PyTorch's

    def case(self, draw, dtype=np.float64, small: bool = False) -> Case:
        return self.draw(Drawer(draw, self.name, dtype, small))


SPECS: dict[str, Spec] = {}


def spec(name: str, second_order: bool = True):
    def register(fn):
        SPECS[name] = Spec(name, fn, second_order)
        return fn
    return register


# ------------------------------------------------------------------------------ torch helpers
def torch_dtype(dtype) -> torch.dtype:
    return TORCH_DTYPES[np.dtype(dtype)]


def torch_reduce(fn, t: torch.Tensor, axis, keepdims: bool, **kwargs) -> torch.Tensor:
    """A PyTorch reduction over chainrule's ``axis`` (None, int or tuple)."""
    dims = S.reduced_axes(axis, t.ndim)
    if t.ndim == 0:
        return fn(t.reshape(1), dim=0, keepdim=False, **kwargs).reshape(())
    return fn(t, dim=dims, keepdim=keepdims, **kwargs)


def torch_prod(t: torch.Tensor, axis, keepdims: bool) -> torch.Tensor:
    """torch.prod reduces one axis at a time: move the reduced axes last and flatten them."""
    if t.ndim == 0:
        return torch.prod(t)
    dims = S.reduced_axes(axis, t.ndim)
    keep = [i for i in range(t.ndim) if i not in dims]
    moved = t.permute(keep + list(dims)).reshape([t.shape[i] for i in keep] + [-1])
    out = moved.prod(dim=-1)
    if keepdims:
        out = out.reshape([1 if i in dims else s for i, s in enumerate(t.shape)])
    return out


def _has_negative_step(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, slice) and p.step is not None and p.step < 0 for p in parts)


def _torch_index(index):
    if isinstance(index, tuple):
        return tuple(_torch_index(p) for p in index)
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index)
    return index


def flat_positions(shape, index) -> np.ndarray:
    """Which flat positions of an array of ``shape`` ``x[index]`` reads (NumPy semantics)."""
    return np.array(np.arange(math.prod(shape)).reshape(shape)[index], order="C", copy=True)


def torch_getitem(t: torch.Tensor, index) -> torch.Tensor:
    """``t[index]`` in PyTorch; slices with negative steps (which PyTorch lacks) as a gather."""
    if _has_negative_step(index):
        return t.reshape(-1)[torch.from_numpy(flat_positions(t.shape, index))]
    return t[_torch_index(index)]


def torch_scatter_add(v: torch.Tensor, shape, index) -> torch.Tensor:
    """zeros(shape) with v added at ``index`` (repeats accumulate): index_add on flat positions."""
    positions = torch.from_numpy(flat_positions(shape, index).reshape(-1))
    out = torch.zeros(math.prod(shape), dtype=v.dtype).index_add(0, positions, v.reshape(-1))
    return out.reshape(shape)


# ------------------------------------------------------------------------------ elementwise
def _unary(name: str, cr_fn, torch_fn, params: dict | None = None,
           scale: float | None = None) -> None:
    def draw_case(d: Drawer) -> Case:
        (x,) = d.values([d.shape()], [OWN], scale)
        p = {k: d.draw(v) for k, v in (params or {}).items()}
        return Case((x,), lambda t: cr_fn(t, **p), lambda t: torch_fn(t, **p),
                    lambda a: d.reference(a, **p), params=p)
    spec(name)(draw_case)


_unary("erf", cr.erf, torch.erf)
_unary("sigmoid", cr.sigmoid, torch.sigmoid)
_unary("relu", cr.relu, torch.relu)
_unary("leaky_relu", cr.leaky_relu, F.leaky_relu,
       {"negative_slope": st.sampled_from([0.01, 0.2, 1.5])})
_unary("elu", cr.elu, F.elu, {"alpha": st.sampled_from([1.0, 0.5, 2.0])})
_unary("gelu", cr.gelu, F.gelu, {"approximate": st.sampled_from(["none", "tanh"])})
_unary("silu", cr.silu, F.silu)
_unary("softplus", cr.softplus, F.softplus,
       {"beta": st.sampled_from([1.0, 0.5, 2.0]), "threshold": st.sampled_from([20.0, 5.0])})
_unary("negative", cr.negative, torch.neg)
_unary("exp", cr.exp, torch.exp)
_unary("log", cr.log, torch.log)
_unary("sqrt", cr.sqrt, torch.sqrt)
_unary("abs", cr.abs, torch.abs)
_unary("sin", cr.sin, torch.sin)
_unary("cos", cr.cos, torch.cos)
_unary("tanh", cr.tanh, torch.tanh)
_unary("copy", cr.copy, torch.clone)


def _binary(name: str, cr_fn, torch_fn, domains, scale: float | None = None) -> None:
    def draw_case(d: Drawer) -> Case:
        shapes = d.broadcast(2)
        xs = d.values(shapes, domains, scale)
        return Case(xs, cr_fn, torch_fn, d.reference, d.requires_grad(2))
    spec(name)(draw_case)


_binary("add", cr.add, torch.add, [OWN, OWN])
_binary("subtract", cr.subtract, torch.sub, [OWN, OWN])
_binary("multiply", cr.multiply, torch.mul, [OWN, OWN])
_binary("divide", cr.divide, torch.div, ["real", OWN])
_binary("maximum", cr.maximum, torch.maximum, [OWN, OWN])
_binary("minimum", cr.minimum, torch.minimum, [OWN, OWN])


@spec("power")
def _power(d: Drawer) -> Case:
    if d.draw(st.booleans()):                    # a tensor exponent, broadcast against the base
        shapes = d.broadcast(2)
        xs = d.values(shapes, [OWN, "real"], scale=1.0)
        return Case(xs, cr.power, torch.pow, d.reference, d.requires_grad(2))
    exponent = d.draw(st.sampled_from([0, 1, 2, 3, -1, 0.5, -1.5, 2.5]))   # x**2, x**0.5, …
    (x,) = d.values([d.shape()], [OWN], scale=1.0)
    return Case((x,), lambda t: cr.power(t, exponent), lambda t: torch.pow(t, exponent),
                lambda a: d.reference(a, exponent), params={"exponent": exponent})


@spec("clip")
def _clip(d: Drawer) -> Case:
    shape = d.shape()
    form = d.draw(st.sampled_from(["both", "min", "max", "arrays"]))
    if form == "arrays":                          # bounds as arrays broadcast against x
        bound_shape = d.draw(S.broadcastable(shape))
        x, a, b = d.values([shape, bound_shape, bound_shape], [OWN, OWN, OWN])
        lo, hi = np.asarray(np.minimum(a, b)), np.asarray(np.maximum(a, b))
        lo_t, hi_t = torch.from_numpy(lo), torch.from_numpy(hi)
        return Case((x,), lambda t: cr.clip(t, lo, hi), lambda t: torch.clamp(t, lo_t, hi_t),
                    lambda v: d.reference(v, lo, hi), params={"bound_shape": bound_shape})
    x, a, b = d.values([shape, (), ()], [OWN, OWN, OWN])
    lo, hi = sorted([float(a), float(b)])
    lo = None if form == "max" else lo
    hi = None if form == "min" else hi
    return Case((x,), lambda t: cr.clip(t, lo, hi), lambda t: torch.clamp(t, lo, hi),
                lambda v: d.reference(v, lo, hi), params={"min": lo, "max": hi})


@spec("where")
def _where(d: Drawer) -> Case:
    cond_shape, x_shape, y_shape = d.broadcast(3)
    condition = np.asarray(d.rng().random(cond_shape) < 0.5)
    xs = d.values([x_shape, y_shape], [OWN, OWN])
    cond_t = torch.from_numpy(condition)
    return Case(xs, lambda a, b: cr.where(condition, a, b),
                lambda a, b: torch.where(cond_t, a, b),
                lambda a, b: d.reference(condition, a, b), d.requires_grad(2),
                params={"condition_shape": cond_shape})


# ------------------------------------------------------------------------------ linear algebra
@spec("matmul")
def _matmul(d: Drawer) -> Case:
    n, k, m = d.side(), d.side(), d.side()
    while n * k + k * m > 2 * S.MAX_ELEMENTS:      # at most one large side at a time
        n, k, m = (max(1, s // 4) if s == max(n, k, m) else s for s in (n, k, m))
    form = d.draw(st.sampled_from(["vv", "mv", "vm", "mm", "batched", "bv", "vb"]))
    batch_a, batch_b = d.draw(S.broadcast_shapes(2, min_dims=1, max_dims=2, max_side=3,
                                                 large=False))
    shapes = {"vv": ((k,), (k,)), "mv": ((n, k), (k,)), "vm": ((k,), (k, m)),
              "mm": ((n, k), (k, m)), "batched": (batch_a + (n, k), batch_b + (k, m)),
              "bv": (batch_a + (n, k), (k,)), "vb": ((k,), batch_b + (k, m))}[form]
    xs = d.values(shapes, [OWN, OWN])
    return Case(xs, cr.matmul, torch.matmul, d.reference, d.requires_grad(2),
                params={"form": form})


@spec("linear")
def _linear(d: Drawer) -> Case:
    lead = d.draw(S.shapes(0, 2, max_side=3, large=False))
    n_in, n_out = d.side(), d.side()
    while n_in * n_out > S.MAX_ELEMENTS:
        n_in, n_out = (max(1, s // 4) if s == max(n_in, n_out) else s for s in (n_in, n_out))
    shapes = [lead + (n_in,), (n_out, n_in)]
    with_bias = d.draw(st.booleans())
    if with_bias:
        shapes.append((n_out,))
    xs = d.values(shapes, [OWN] * len(shapes))
    return Case(xs, cr.linear, F.linear, d.reference, d.requires_grad(len(xs)),
                params={"bias": with_bias})


# ------------------------------------------------------------------------------ reductions
def _reduction(name: str, cr_fn, torch_fn, scale: float | None = None) -> None:
    def draw_case(d: Drawer) -> Case:
        shape = d.shape()
        axis = d.draw(S.axes(len(shape)))
        keep = d.draw(S.keepdims())
        (x,) = d.values([shape], [OWN], scale)
        return Case((x,), lambda t: cr_fn(t, axis, keep), lambda t: torch_fn(t, axis, keep),
                    lambda a: d.reference(a, axis=axis, keepdims=keep),
                    params={"axis": axis, "keepdims": keep})
    spec(name)(draw_case)


_reduction("sum", cr.sum, lambda t, a, k: torch_reduce(torch.sum, t, a, k))
_reduction("nansum", cr.nansum, lambda t, a, k: torch_reduce(torch.nansum, t, a, k))
_reduction("mean", cr.mean, lambda t, a, k: torch_reduce(torch.mean, t, a, k))
_reduction("max", cr.amax, lambda t, a, k: torch_reduce(torch.amax, t, a, k))
_reduction("min", cr.amin, lambda t, a, k: torch_reduce(torch.amin, t, a, k))
_reduction("logsumexp", cr.logsumexp, lambda t, a, k: torch_reduce(torch.logsumexp, t, a, k))


@spec("prod")
def _prod(d: Drawer) -> Case:
    shape = d.shape()
    axis = d.draw(S.axes(len(shape)))
    keep = d.draw(S.keepdims())
    # Factors of magnitude 0.5…1.5 with random signs keep products of hundreds of factors normal.
    rng = d.rng()
    x = np.asarray(rng.uniform(0.5, 1.5, shape) * np.where(rng.random(shape) < 0.5, -1, 1),
                   dtype=d.dtype)
    return Case((x,), lambda t: cr.prod(t, axis, keep), lambda t: torch_prod(t, axis, keep),
                lambda a: d.reference(a, axis=axis, keepdims=keep),
                params={"axis": axis, "keepdims": keep})


def _moments(name: str, cr_fn, torch_fn) -> None:
    def draw_case(d: Drawer) -> Case:
        shape = d.shape()
        if math.prod(shape) < 2:
            shape = shape + (2,)
        axis = d.draw(S.axes(len(shape)))
        keep = d.draw(S.keepdims())
        correction = d.draw(st.sampled_from([0, 1]))
        count = math.prod(shape[a] for a in S.reduced_axes(axis, len(shape)))
        if count < 2:                              # N − c > 0, and no std of a single value
            axis = None
        (x,) = d.values([shape], [OWN])
        return Case((x,), lambda t: cr_fn(t, axis, keep, correction=correction),
                    lambda t: torch_reduce(torch_fn, t, axis, keep, correction=correction),
                    lambda a: d.reference(a, axis=axis, keepdims=keep, correction=correction),
                    params={"axis": axis, "keepdims": keep, "correction": correction})
    spec(name)(draw_case)


_moments("var", cr.var, torch.var)
_moments("std", cr.std, torch.std)


def _softmax(name: str, cr_fn, torch_fn) -> None:
    def draw_case(d: Drawer) -> Case:
        shape = d.shape(min_dims=1)
        axis = d.draw(S.axes(len(shape), allow_none=False, allow_tuple=False))
        (x,) = d.values([shape], [OWN])
        return Case((x,), lambda t: cr_fn(t, axis), lambda t: torch_fn(t, dim=axis),
                    lambda a: d.reference(a, axis=axis), params={"axis": axis})
    spec(name)(draw_case)


_softmax("softmax", cr.softmax, torch.softmax)
_softmax("log_softmax", cr.log_softmax, torch.log_softmax)


# ------------------------------------------------------------------------------ movement
@spec("reshape")
def _reshape(d: Drawer) -> Case:
    shape = d.shape()
    target = d.draw(S.same_size_shape(shape))
    (x,) = d.values([shape], [OWN])
    return Case((x,), lambda t: cr.reshape(t, target), lambda t: torch.reshape(t, target),
                lambda a: d.reference(a, target), params={"shape": target})


@spec("transpose")
def _transpose(d: Drawer) -> Case:
    shape = d.shape()
    ndim = len(shape)
    axes = None
    if d.draw(st.integers(0, 3)):
        axes = tuple(a - ndim if d.draw(st.booleans()) else a
                     for a in d.draw(st.permutations(range(ndim))))
    order = tuple(range(ndim))[::-1] if axes is None else axes
    (x,) = d.values([shape], [OWN])
    return Case((x,), lambda t: cr.transpose(t, axes), lambda t: t.permute(order),
                lambda a: d.reference(a, axes), params={"axes": axes})


@spec("broadcast_to")
def _broadcast_to(d: Drawer) -> Case:
    target = d.shape()
    shape = d.draw(S.broadcastable(target))
    (x,) = d.values([shape], [OWN])
    return Case((x,), lambda t: cr.broadcast_to(t, target), lambda t: t.expand(target),
                lambda a: d.reference(a, target), params={"shape": target})


@spec("squeeze")
def _squeeze(d: Drawer) -> Case:
    shape = list(d.shape())
    for _ in range(d.draw(st.integers(0, 2))):          # make sure there is something to squeeze
        shape.insert(d.draw(st.integers(0, len(shape))), 1)
    shape = tuple(shape)
    ndim = len(shape)
    ones = [i for i, s in enumerate(shape) if s == 1]
    form = d.draw(st.sampled_from(["none", "one", "tuple", "not_one"]))
    if form == "one" and ones:
        axis = d.draw(st.sampled_from(ones))
        axis = axis - ndim if d.draw(st.booleans()) else axis
    elif form == "tuple" and ones:
        axis = tuple(d.draw(st.lists(st.sampled_from(ones), min_size=1, unique=True)))
    elif form == "not_one" and len(ones) < ndim:
        # PyTorch leaves an axis whose size is not 1 in place (NumPy raises): chainrule follows
        # PyTorch, so there is no NumPy reference for this case.
        axis = d.draw(st.sampled_from([i for i in range(ndim) if shape[i] != 1]))
    else:
        axis = None
    (x,) = d.values([shape], [OWN])
    reference = None if form == "not_one" and axis is not None else \
        (lambda a: d.reference(a, axis))
    return Case((x,), lambda t: cr.squeeze(t, axis),
                lambda t: t.squeeze() if axis is None else t.squeeze(axis),
                reference, params={"axis": axis})


@spec("expand_dims")
def _expand_dims(d: Drawer) -> Case:
    shape = d.shape()
    axis = d.draw(st.integers(-len(shape) - 1, len(shape)))
    (x,) = d.values([shape], [OWN])
    return Case((x,), lambda t: cr.expand_dims(t, axis), lambda t: t.unsqueeze(axis),
                lambda a: d.reference(a, axis), params={"axis": axis})


@spec("concatenate")
def _concatenate(d: Drawer) -> Case:
    shape = d.shape(min_dims=1)
    ndim = len(shape)
    axis = d.draw(st.integers(-ndim, ndim - 1))
    count = d.draw(st.integers(1, 3))
    shapes = [shape[: axis % ndim] + (d.draw(st.integers(1, 4)),) + shape[axis % ndim + 1:]
              for _ in range(count)]
    xs = d.values(shapes, [OWN] * count)
    return Case(xs, lambda *ts: cr.concatenate(list(ts), axis),
                lambda *ts: torch.cat(ts, dim=axis),
                lambda *arrays: d.reference(*arrays, axis=axis), d.requires_grad(count),
                params={"axis": axis})


@spec("stack")
def _stack(d: Drawer) -> Case:
    shape = d.shape(max_dims=3)
    axis = d.draw(st.integers(-len(shape) - 1, len(shape)))
    count = d.draw(st.integers(1, 3))
    xs = d.values([shape] * count, [OWN] * count)
    return Case(xs, lambda *ts: cr.stack(list(ts), axis), lambda *ts: torch.stack(ts, dim=axis),
                lambda *arrays: d.reference(*arrays, axis=axis), d.requires_grad(count),
                params={"axis": axis})


@spec("pad")
def _pad(d: Drawer) -> Case:
    shape = d.shape(min_dims=1)
    ndim = len(shape)
    width = st.integers(0, 3)
    form = d.draw(st.sampled_from(["per_axis", "per_axis", "pair", "int"]))
    if form == "int":
        pad_width = d.draw(width)
    elif form == "pair":
        pad_width = (d.draw(width), d.draw(width))
    else:
        pad_width = tuple((d.draw(width), d.draw(width)) for _ in range(ndim))
    widths = np.broadcast_to(np.asarray(pad_width), (ndim, 2))
    flat = [int(w) for pair in widths[::-1] for w in pair]   # F.pad: last axis first
    value = d.draw(st.sampled_from([0.0, 1.5, -2.0]))
    (x,) = d.values([shape], [OWN])
    return Case((x,), lambda t: cr.pad(t, pad_width, constant_values=value),
                lambda t: F.pad(t, flat, mode="constant", value=value),
                lambda a: d.reference(a, pad_width, value=value),
                params={"pad_width": pad_width, "value": value})


@spec("getitem")
def _getitem(d: Drawer) -> Case:
    shape = d.shape()
    index = d.draw(S.indices(shape))
    (x,) = d.values([shape], [OWN])
    return Case((x,), lambda t: cr.getitem(t, index), lambda t: torch_getitem(t, index),
                lambda a: d.reference(a, index), params={"index": index})


@spec("scatter_add")
def _scatter_add(d: Drawer) -> Case:
    """getitem's adjoint: v (shaped like x[index]) added into zeros(shape) at ``index``."""
    shape = d.shape()
    index = d.draw(S.indices(shape))
    basic = S.is_basic_index(index)
    v_shape = np.empty(shape)[index].shape
    (v,) = d.values([v_shape], [OWN])
    scatter = cr.primitives()["scatter_add"]
    return Case((v,), lambda t: scatter.apply(t, shape=shape, index=index, basic=basic),
                lambda t: torch_scatter_add(t, shape, index),
                lambda a: d.reference(a, shape, index, basic),
                params={"shape": shape, "index": index, "basic": basic})


@spec("astype")
def _astype(d: Drawer) -> Case:
    """float32 ↔ float64 (gradcheck, which needs float64 out of float64 in, casts to float64)."""
    other = np.float32 if d.dtype == np.float64 else np.float64
    target = np.dtype(np.float64 if d.small else d.draw(st.sampled_from([other, d.dtype])))
    (x,) = d.values([d.shape()], [OWN])
    return Case((x,), lambda t: cr.astype(t, target), lambda t: t.to(torch_dtype(target)),
                lambda a: d.reference(a, target), params={"dtype": target.name})


import nn_primitive_specs  # noqa: E402, F401  (specs of the nn layers' fused primitives)
import specs_complex  # noqa: E402, F401  (complex parts, views, angle, sgn, the fft primitives)
import specs_core  # noqa: E402, F401  (index_put: item assignment while recording)
import specs_functional  # noqa: E402, F401  (hardtanh, hardsigmoid, hardswish, logsigmoid, im2col/col2im)
import specs_gamma  # noqa: E402, F401  (lgamma, digamma, polygamma)
import specs_linalg  # noqa: E402, F401  (torch.linalg's decompositions and solvers)
import specs_losses  # noqa: E402, F401  (ctc_loss)
import specs_math  # noqa: E402, F401  (elementwise math, division, cumulative, einsum)
import specs_sampling  # noqa: E402, F401  (affine_grid, grid_sample)
import specs_shape  # noqa: E402, F401  (vector_norm: ops/norms.py)
import specs_special_round33  # noqa: E402, F401  (torch.special: ops/special_*.py)
import specs_strided  # noqa: E402, F401  (as_strided, as_strided_scatter)
from nn import attention_specs  # noqa: E402, F401  (the attention primitive's spec)
