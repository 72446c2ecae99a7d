"""Test specs of the torch.special primitives of ops/special_*.py (ndtr, ndtri, log_ndtr, erfcx,
i0, i0e, i1, i1e, entr, xlog1py, igamma, igammac, zeta) and of the float utilities frexp,
ldexp and nextafter, in primitive_specs.py's form (imported at its end, which registers them
into ``SPECS``).

Inputs come from each primitive's registered domain; the incomplete gamma functions and zeta are
differentiated in their second argument only (PyTorch has no derivative in the first: asking
raises, tests/ops/test_special_round33.py checks that), zeta draws x = 1 + a positive value.
ldexp draws an integer exponent in 0…10 (PyTorch's gradient for a negative integer exponent is
0, a bug chainrule does not copy: tested separately) or a floating one.
"""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec

import chainrule as cr


def _unary(name: str, cr_fn, torch_fn) -> None:
    def draw_case(d: Drawer) -> Case:
        (x,) = d.values([d.shape()], [OWN])
        return Case((np.asarray(x, dtype=d.dtype),), cr_fn, torch_fn, d.reference)
    spec(name)(draw_case)


_unary("ndtr", cr.special.ndtr, torch.special.ndtr)
_unary("ndtri", cr.special.ndtri, torch.special.ndtri)


@spec("log_ndtr")
def _log_ndtr(d: Drawer) -> Case:
    """float32 draws stay within |x| ≤ 8: beyond, PyTorch's float32 gradient e^{−(y + x²/2)}
    cancels (2e-5 relative error at x = −14; chainrule's is 1.5e-7 there)."""
    (x,) = d.values([d.shape()], [OWN])
    if d.dtype == np.float32:
        x = np.clip(x, -8.0, 8.0)
    return Case((np.asarray(x, dtype=d.dtype),), cr.special.log_ndtr, torch.special.log_ndtr,
                d.reference)


_unary("erfcx", cr.special.erfcx, torch.special.erfcx)
_unary("i0", cr.i0, torch.i0)
_unary("i0e", cr.special.i0e, torch.special.i0e)
_unary("i1", cr.special.i1, torch.special.i1)
_unary("i1e", cr.special.i1e, torch.special.i1e)
_unary("entr", cr.special.entr, torch.special.entr)


@spec("xlog1py")
def _xlog1py(d: Drawer) -> Case:
    xs = d.values(d.broadcast(2), ["real", OWN])
    return Case(xs, cr.special.xlog1py, torch.special.xlog1py, d.reference, d.requires_grad(2))


def _second_only(name: str, cr_fn, torch_fn, shift: float = 0.0) -> None:
    def draw_case(d: Drawer) -> Case:
        a, x = d.values(d.broadcast(2), [OWN, OWN])
        a = np.asarray(a + shift, dtype=d.dtype)
        return Case((a, x), cr_fn, torch_fn, d.reference, (False, True))
    spec(name)(draw_case)


_second_only("igamma", cr.igamma, torch.igamma)
_second_only("igammac", cr.igammac, torch.igammac)
_second_only("zeta", cr.special.zeta, torch.special.zeta, shift=1.0)


@spec("frexp")
def _frexp(d: Drawer) -> Case:
    (x,) = d.values([d.shape()], ["real"])
    return Case((x,), lambda t: cr.frexp(t)[0], lambda t: torch.frexp(t)[0],
                lambda a: d.reference(a))


@spec("ldexp")
def _ldexp(d: Drawer) -> Case:
    shapes = d.broadcast(2)
    if d.draw(st.booleans()):
        x, e = d.values(shapes, ["real", "real"])
        return Case((x, e), cr.ldexp, torch.ldexp, d.reference, d.requires_grad(2))
    (x,) = d.values(shapes[:1], ["real"])
    e = d.rng().integers(0, 11, shapes[1])
    return Case((x, e), cr.ldexp, torch.ldexp, d.reference, (True, False))


@spec("nextafter")
def _nextafter(d: Drawer) -> Case:
    xs = d.values(d.broadcast(2), ["real", "real"])
    return Case(xs, cr.nextafter, torch.nextafter, d.reference, d.requires_grad(2))
