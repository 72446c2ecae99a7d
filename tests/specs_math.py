"""Test specs of the elementwise-math, division, cumulative and einsum primitives, in
primitive_specs.py's form (imported at its end, which registers them into ``SPECS``).

Inputs come from each primitive's registered domain, except where a function needs a narrower
one than the registry names: acosh draws x > 1 (1 + a positive value), log1p draws x > −1.
"""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec

import chainrule as cr


def _unary(name: str, cr_fn, torch_fn, shift: float = 0.0, params: dict | None = None,
           second_order: bool = True) -> None:
    def draw_case(d: Drawer) -> Case:
        (x,) = d.values([d.shape()], [OWN])
        x = np.asarray(x + shift, dtype=d.dtype)
        p = {k: d.draw(v) for k, v in (params or {}).items()}
        return Case((x,), lambda t: cr_fn(t, **p), lambda t: torch_fn(t, **p),
                    lambda a: d.reference(a, **p), params=p)
    spec(name, second_order)(draw_case)


_unary("tan", cr.tan, torch.tan)
_unary("asin", cr.asin, torch.asin)
_unary("acos", cr.acos, torch.acos)
_unary("atan", cr.atan, torch.atan)
_unary("sinh", cr.sinh, torch.sinh)
_unary("cosh", cr.cosh, torch.cosh)
_unary("asinh", cr.asinh, torch.asinh)
_unary("acosh", cr.acosh, torch.acosh, shift=1.0)
_unary("atanh", cr.atanh, torch.atanh)
_unary("exp2", cr.exp2, torch.exp2)
_unary("expm1", cr.expm1, torch.expm1)
_unary("log2", cr.log2, torch.log2)
_unary("log10", cr.log10, torch.log10)
_unary("log1p", cr.log1p, torch.log1p, shift=-0.05)
_unary("rsqrt", cr.rsqrt, torch.rsqrt)
_unary("reciprocal", cr.reciprocal, torch.reciprocal)
_unary("sinc", cr.sinc, torch.sinc)
_unary("erfc", cr.erfc, torch.erfc)
_unary("erfinv", cr.erfinv, torch.erfinv)
_unary("floor", cr.floor, torch.floor)
_unary("ceil", cr.ceil, torch.ceil)
_unary("trunc", cr.trunc, torch.trunc)
_unary("sign", cr.sign, torch.sign)
_unary("round", cr.round, torch.round, params={"decimals": st.sampled_from([0, 1, 2])})


def _binary(name: str, cr_fn, torch_fn, domains) -> None:
    def draw_case(d: Drawer) -> Case:
        xs = d.values(d.broadcast(2), domains)
        return Case(xs, cr_fn, torch_fn, d.reference, d.requires_grad(2))
    spec(name)(draw_case)


_binary("atan2", cr.atan2, torch.atan2, [OWN, OWN])
_binary("hypot", cr.hypot, torch.hypot, [OWN, OWN])
_binary("xlogy", cr.xlogy, torch.xlogy, ["real", OWN])
_binary("logaddexp", cr.logaddexp, torch.logaddexp, ["real", "real"])
_binary("copysign", cr.copysign, torch.copysign, ["real", "real"])
_binary("logaddexp2", cr.logaddexp2, torch.logaddexp2, ["real", "real"])


@spec("lerp")
def _lerp(d: Drawer) -> Case:
    """A tensor weight (an input, drawn from −1…2: both of PyTorch's forms meet), or a number
    (a parameter)."""
    if d.draw(st.booleans()):
        shapes = d.broadcast(3)
        a, b = d.values(shapes[:2], ["real", "real"])
        w = np.asarray(d.rng().uniform(-1, 2, shapes[2]), dtype=d.dtype)
        return Case((a, b, w), cr.lerp, torch.lerp, d.reference, d.requires_grad(3))
    weight = d.draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, 1.5, -0.5]))
    a, b = d.values(d.broadcast(2), ["real", "real"])
    return Case((a, b), lambda x, y: cr.lerp(x, y, weight), lambda x, y: torch.lerp(x, y, weight),
                lambda x, y: d.reference(x, y, weight=weight), d.requires_grad(2),
                {"weight": weight})


def _division(name: str, cr_fn, torch_fn) -> None:
    """x = (k + u)·y with an integer k and u ∈ [0.1, 0.9]: x/y stays away from the integers where
    the remainders jump, so central differences never straddle a jump."""
    def draw_case(d: Drawer) -> Case:
        shapes = d.broadcast(2)
        full = np.broadcast_shapes(*shapes)
        (y,) = d.values([shapes[1]], ["away_from_zero"])
        rng = d.rng()
        q = rng.integers(-3, 4, full) + rng.uniform(0.1, 0.9, full)
        x = np.asarray(q * y, dtype=d.dtype)
        return Case((x, y), cr_fn, torch_fn, d.reference, d.requires_grad(2))
    spec(name)(draw_case)


_division("remainder", cr.remainder, torch.remainder)
_division("fmod", cr.fmod, torch.fmod)


@spec("div_rounded")
def _div_rounded(d: Drawer) -> Case:
    mode = d.draw(st.sampled_from(["floor", "trunc"]))
    xs = d.values(d.broadcast(2), ["real", "away_from_zero"])
    return Case(xs, lambda a, b: cr.div(a, b, rounding_mode=mode),
                lambda a, b: torch.div(a, b, rounding_mode=mode),
                lambda a, b: d.reference(a, b, mode=mode), d.requires_grad(2), {"mode": mode})


def _scan(name: str, cr_fn, torch_fn, domain=OWN) -> None:
    def draw_case(d: Drawer) -> Case:
        shape = d.shape(min_dims=1)
        axis = d.draw(st.integers(-len(shape), len(shape) - 1))
        (x,) = d.values([shape], [domain])
        return Case((x,), lambda t: cr_fn(t, axis), lambda t: torch_fn(t, axis),
                    lambda a: d.reference(a, axis % len(shape)), params={"axis": axis})
    spec(name)(draw_case)


_scan("cumsum", cr.cumsum, torch.cumsum)
_scan("logcumsumexp", cr.logcumsumexp, torch.logcumsumexp)


@spec("cumprod")
def _cumprod(d: Drawer) -> Case:
    """Factors of magnitude 0.5…1.5 with random signs, and now and then exact zeros."""
    shape = d.shape(min_dims=1)
    if d.small:
        shape = shape[:1] + tuple(min(s, 3) for s in shape[1:])
    axis = d.draw(st.integers(-len(shape), len(shape) - 1))
    rng = d.rng()
    x = rng.uniform(0.5, 1.5, shape) * np.where(rng.random(shape) < 0.5, -1, 1)
    if d.draw(st.booleans()):
        x = np.where(rng.random(shape) < 0.25, 0.0, x)
    x = np.asarray(x, dtype=d.dtype)
    return Case((x,), lambda t: cr.cumprod(t, axis), lambda t: torch.cumprod(t, axis),
                lambda a: d.reference(a, axis % len(shape)), params={"axis": axis})


_EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 2)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->j", [(3, 4)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
    ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 2, 2)]),
    ("ijk->kji", [(2, 3, 1)]),
]


@spec("einsum")
def _einsum(d: Drawer) -> Case:
    equation, shapes = d.draw(st.sampled_from(_EQUATIONS))
    xs = d.values(shapes, [OWN] * len(shapes))
    return Case(xs, lambda *a: cr.einsum(equation, *a), lambda *a: torch.einsum(equation, *a),
                lambda *a: d.reference(*a, equation=equation), d.requires_grad(len(xs)),
                {"equation": equation})

