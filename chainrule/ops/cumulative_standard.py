"""Cumulative scans with the array API standard's functions, for array libraries other than NumPy.

The standard has ``cumulative_sum`` and ``cumulative_prod`` but no ufunc ``accumulate``, so the
running log-sum-exp that NumPy computes with ``logaddexp.accumulate`` is formed here as a prefix
scan (Hillis and Steele, 1986): after step k each position holds the log-sum-exp of the 2ᵏ
inputs ending at it,

    y⁽ᵏ⁺¹⁾ᵢ = logaddexp(y⁽ᵏ⁾ᵢ, y⁽ᵏ⁾ᵢ₋₂ₖ)   (i ≥ 2ᵏ; unchanged below),

so n inputs need ⌈log₂ n⌉ whole-array steps (O(n log n) work instead of the sequential scan's
O(n), no Python loop over elements). logaddexp never exponentiates a positive number, so nothing
overflows; the additions are grouped differently from NumPy's left-to-right scan, which changes
results by a rounding (~1e-16 relative).
"""
from __future__ import annotations

from ..backend import namespace


def cumulative(kind: str, a, axis: int):
    """The running sum (``kind='sum'``) or product (``'prod'``) of ``a`` along ``axis``: the
    namespace's ``cumsum``/``cumprod`` where it has one (NumPy, CuPy, chainrule's Tensors), else
    the standard's ``cumulative_sum``/``cumulative_prod``."""
    ns = namespace(a)
    scan = getattr(ns, "cum" + kind, None)
    if scan is not None:
        return scan(a, axis)
    return getattr(ns, "cumulative_" + kind)(a, axis=axis)


def logcumsumexp(a, axis: int):
    """yᵢ = ln Σ_{j ≤ i} e^{aⱼ} along ``axis`` by the prefix scan of the module docstring."""
    ns = namespace(a)
    n = a.shape[axis]
    lead = (slice(None),) * axis
    y = a
    shift = 1
    while shift < n:
        head = y[lead + (slice(0, shift), ...)]
        tail = ns.logaddexp(y[lead + (slice(shift, None), ...)],
                            y[lead + (slice(0, n - shift), ...)])
        y = ns.concat([head, tail], axis=axis)
        shift *= 2
    return y
