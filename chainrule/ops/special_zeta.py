"""The Hurwitz zeta function ``torch.special.zeta(x, q)`` = Σₖ (k + q)^{−x}, in whole-array
NumPy (float64).

PyTorch's (Cephes') algorithm, element by element as there but over arrays: the direct sum
s = q^{−x} + (q+1)^{−x} + … until a term is below ε·s (the sum is then returned) or, past nine
terms and once k + q > 9, the Euler–Maclaurin tail
    s + b·w/(x − 1) − b/2 + Σⱼ (x)₂ⱼ₋₁ b/w^{2j−1} · B₂ⱼ/(2j)!     (w = k + q, b = w^{−x})
with up to 12 Bernoulli terms, stopped once a term is below ε·s. Values as PyTorch's: inf at
x = 1 and at the poles q = 0, −1, −2, …; NaN for x < 1, and for q < 0 with x not an integer
(q < 0 with an integer x is summed directly, through the poles' neighbours).

Derivative: ∂ζ/∂q = −x ζ(x + 1, q); none in x (asking for it raises NotImplementedError, as
PyTorch's). tests/ops/test_special_round33.py compares with mpmath at 80 digits (40 are not
enough for x ≈ 30).
"""
from __future__ import annotations

import math

from ..autograd.function import Function, primitive
from ..backend import errstate, namespace, xp
from ..tensor import Tensor
from .gamma import _B
from .special_common import binary_operands, on_host
from .special_igamma import _MACHEP, _MAX_STEPS, _pair, _result

_ZETA_A = [float(math.factorial(2 * k) / _B[2 * k]) for k in range(1, 13)]   # 12, −720, …


def _zeta64(x, q):
    out = xp.full_like(x, xp.nan)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        pole = (x == 1) | ((x > 1) & (q <= 0) & (q == xp.floor(q)))
        out[pole] = xp.inf
        work = ~pole & ~(x < 1) & ~((q <= 0) & (x != xp.floor(x)))
        if not work.any():
            return out
        xv, qv = x[work], q[work]
        result = xp.empty_like(xv)
        state = {"index": xp.arange(xv.size), "s": qv ** -xv, "a": qv.copy(),
                 "b": xp.zeros_like(xv)}
        tail = []                                           # elements leaving for Euler–Maclaurin
        for i in range(_MAX_STEPS):
            looping = (i < 9) | (state["a"] <= 9.0)
            if not looping.all():
                tail.append({k: v[~looping] for k, v in state.items()})
                state = {k: v[looping] for k, v in state.items()}
            if state["index"].size == 0:
                break
            s_x = xv[state["index"]]
            state["a"] = state["a"] + 1.0
            state["b"] = state["a"] ** -s_x
            state["s"] = state["s"] + state["b"]
            b, s = state["b"], state["s"]
            done = (-_MACHEP * s < b) & (b < _MACHEP * s)
            if done.any():
                result[state["index"][done]] = s[done]
                state = {k: v[~done] for k, v in state.items()}
        for part in tail:
            index, a, b, s = part["index"], part["a"], part["b"], part["s"]
            xs = xv[index]
            w = a
            s = s + b * w / (xs - 1.0)
            s = s - 0.5 * b
            rising = xp.ones_like(s)
            k = 0.0
            live = xp.ones(s.shape, dtype=bool)
            for coefficient in _ZETA_A:
                rising = rising * (xs + k)
                b = b / w
                t = rising * b / coefficient
                s = xp.where(live, s + t, s)
                live = live & ~(xp.abs(t / s) < _MACHEP)
                k += 1.0
                rising = rising * (xs + k)
                b = b / w
                k += 1.0
            result[index] = s
        out[work] = result
    return out


def zeta_array(x, q):
    """ζ(x, q) = Σₖ (k + q)^{−x}, the Hurwitz zeta function, on NumPy arrays (broadcast)."""
    x, q, x64, q64 = _pair(x, q)
    return _result(_zeta64(x64, q64), x, q)


# ------------------------------------------------------------------ the primitive
def _zeta_of(x, q):
    if isinstance(x, Tensor) or isinstance(q, Tensor):
        return Zeta.apply(x, q)
    return on_host(zeta_array, x, q)


@primitive
class Zeta(Function):
    """The Hurwitz zeta function ζ(x, q) (``torch.special.zeta``).

    Forward:     ζ(x, q) = Σ_{k≥0} (k + q)^{−x}
    Derivative:  ∂ζ/∂q = −x ζ(x + 1, q);  ∂ζ/∂x: none
    VJP:         ∂L/∂q = g · (−x) · ζ(x + 1, q);  ∂L/∂x raises NotImplementedError, as PyTorch's
    Numerics:    PyTorch's (Cephes') direct sum and Euler–Maclaurin tail; inf at x = 1 and at
                 q = 0, −1, −2, …; NaN for x < 1 and for q < 0 with x not an integer.
    """

    name = "zeta"
    array_api = True
    text = ("ζ(x, q) = Σₖ (k + q)^{−x}", "∂ζ/∂q = −x ζ(x + 1, q)")
    latex = (r"\zeta(x, q) = \sum_{k\ge0} (k+q)^{-x}",
             r"\frac{\partial\zeta}{\partial q} = -x\,\zeta(x+1, q)")
    explanation = "Each term (k + q)^{−x} has slope −x (k + q)^{−x−1} in q: the next zeta."
    domain = "positive"
    reference = staticmethod(zeta_array)

    @staticmethod
    def forward(ctx, x, q):
        ctx.save(x, q)
        return on_host(zeta_array, x, q)

    @staticmethod
    def vjp(ctx, g):
        x, q = ctx.saved
        if ctx.needs(0):
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        with errstate(namespace(g), over="ignore", invalid="ignore"):
            return None, g * -x * _zeta_of(x + 1.0, q)


def zeta(input, other) -> Tensor:  # noqa: A002
    """ζ(x, q), x = input, q = other (either may be a Python number); differentiable in q only;
    see :class:`Zeta`."""
    return Zeta.apply(*binary_operands("special_zeta", input, other, scalars=True))
