"""Arithmetic rounded as PyTorch's compiled CPU kernels round it, for the places where the last
bit decides a result (linspace's values, grid_sample's pixel coordinates): a·b + c in one fused
multiply-add (FMA) instruction, rounded once where NumPy's a * b + c rounds twice."""
from __future__ import annotations

from ..backend import xp


def fused_multiply_add(a, b, c, dtype):
    """a·b + c rounded once to ``dtype`` (float32 or float64), as an FMA instruction gives it
    (random.py's samplers, linspace, grid_sample's coordinates).

    float32: a float32 product is exact in float64, so one correctly rounded float32 sum
    remains (:func:`sum_to_float32`). float64: the product split exactly into p + e (Dekker's
    two-product with Veltkamp's splitting), c + p = s + r exactly (Knuth's two-sum), then
    s + RO(r + e) with the inner sum rounded to odd, which makes the outer rounding the correct
    one (Boldo & Melquiond's emulated FMA: with r + e rounded to nearest instead, a product
    error of exactly half an ulp loses the tie-breaking c); where that overflows, the plain
    sum."""
    a, b, c = (xp.asarray(v, dtype=xp.float64) for v in (a, b, c))
    if xp.dtype(dtype) == xp.float32:
        return sum_to_float32(a * b, c)
    if xp.dtype(dtype) != xp.float64:           # float16: through float64, then rounded
        return (a * b + c).astype(dtype)
    product = a * b
    split = 134217729.0                             # 2²⁷ + 1
    t = split * a
    a_hi = t - (t - a)
    a_lo = a - a_hi
    t = split * b
    b_hi = t - (t - b)
    b_lo = b - b_hi
    error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    total, rounding = _two_sum(product, c)
    with xp.errstate(invalid="ignore"):
        fused = total + _round_to_odd_sum(rounding, error)
    return xp.where(xp.isfinite(fused), fused, total)


def _round_to_odd_sum(a, b):
    """a + b rounded to odd: the exact sum where it is a float64, else whichever of its two
    neighbouring float64 values has an odd last bit."""
    s, err = _two_sum(a, b)
    with xp.errstate(invalid="ignore"):
        even = (xp.ascontiguousarray(s).view(xp.uint64) & xp.uint64(1)) == 0
        inexact = (err != 0) & xp.isfinite(s)
    nudge = inexact & even
    if not nudge.any():
        return s
    return xp.where(nudge, xp.nextafter(s, xp.where(err > 0, xp.inf, -xp.inf)), s)


def _two_sum(a, b):
    """(s, e) with s = fl(a + b) and a + b = s + e exactly."""
    s = a + b
    back = s - a
    with xp.errstate(invalid="ignore"):
        return s, (a - (s - back)) + (b - back)


def sum_to_float32(a, b):
    """a + b (float64 arrays) rounded once to float32: their float64 sum s can land exactly
    halfway between two float32 values while the exact sum (s plus its rounding error) does not;
    there the error decides the side instead of rounding half to even."""
    s = a + b
    r = s.astype(xp.float32)
    # Only a float64 sum that lies exactly halfway between two float32 values (its 29 bits
    # below float32's precision are 1000…0), or one in float32's subnormal range (fewer bits),
    # can round differently from the exact sum: those few take the careful path.
    low = xp.ascontiguousarray(s).view(xp.uint64) & xp.uint64((1 << 29) - 1)
    suspect = (low == xp.uint64(1 << 28)) | (xp.abs(s) < _FLOAT32_TINY)
    if not suspect.any():
        return r
    where = xp.nonzero(suspect)
    r = r.copy() if r.base is not None else r
    r[where] = _careful_sum_to_float32(xp.broadcast_to(a, s.shape)[where],
                                       xp.broadcast_to(b, s.shape)[where])
    return r


_FLOAT32_TINY = 2.0 ** -126                          # float32's smallest normal number


def _careful_sum_to_float32(a, b):
    """:func:`sum_to_float32` by the exact sum's rounding error, for every value."""
    s, err = _two_sum(a, b)
    r = s.astype(xp.float32)
    toward = xp.where(s > r, xp.float32(xp.inf), xp.float32(-xp.inf))
    other = xp.nextafter(r, toward)
    with xp.errstate(invalid="ignore", over="ignore"):
        tie = (r.astype(xp.float64) + other.astype(xp.float64)) / 2 == s
        away = xp.sign(err) == xp.sign(other.astype(xp.float64) - r.astype(xp.float64))
    return xp.where(tie & (err != 0) & away, other, r)
