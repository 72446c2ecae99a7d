r"""PyTorch's CPU rejection samplers (gamma, Poisson, binomial) element by element, over a buffer
of uniforms already drawn (``aten/src/ATen/native/Distributions.h`` and ``Distributions.cpp``).

These samplers take a variable number of uniforms per element (a rejection loop, a product of
uniforms), and the gamma sampler's normals come two at a time with the second kept for the next
draw, even the next element's: which uniforms an element uses depends on every element before
it, so the stream is read in order, one element after another, as PyTorch's serial CPU kernels
read it. Each ``*_run`` function reads U[0, 1) doubles from ``buf`` (53-bit, two Mersenne
Twister words each: :meth:`chainrule.Generator._unit`), fills ``out`` from element ``start`` on,
and stops before the first element the rest of the buffer cannot finish; it returns how far it
got (element, position in ``buf`` and, for the gamma sampler, the cached normal) so that the
caller draws more and goes on, or rewinds the generator over the uniforms left unread.

The functions are plain Python, and the same source is the numba kernel (the ``fast`` extra):
:func:`kernel` compiles them when numba is in use, so both paths give the same numbers. Where
PyTorch computes in float (``scalar_t`` = float for a float32 tensor) the functions round to
float32 (``single``); the C library's functions are called on both paths (Python's math module
calls them, except ``lgamma``, which CPython computes itself: that one and ``log1pf`` come
through ctypes here, and numba calls the C library's directly).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math

import numpy

try:
    from numba.extending import overload, register_jitable
except ImportError:                                   # the plain-Python path only
    overload = None

    def register_jitable(function):
        return function

_TWO_PI = 2.0 * math.pi
_THIRD_F = float(numpy.float32(1.0 / 3.0))            # the float constant 1.0f / 3.0f
_C0331_F = float(numpy.float32(0.0331))               # the float constant 0.0331f
_TAIL = numpy.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                     0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                     0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                     0.00833056343336287])            # log k! − Stirling's formula, k ≤ 9


def _c_library():
    name = ctypes.util.find_library("m") or ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name)
        lib.lgamma.restype, lib.lgamma.argtypes = ctypes.c_double, [ctypes.c_double]
        lib.log1pf.restype, lib.log1pf.argtypes = ctypes.c_float, [ctypes.c_float]
        return lib
    except (OSError, AttributeError, TypeError):
        return None


_LIBM = _c_library()


def c_lgamma(x):
    """The C library's lgamma (CPython's math.lgamma is its own and differs in the last bits)."""
    return _LIBM.lgamma(x) if _LIBM is not None else math.lgamma(x)


def c_log1pf(x):
    """The C library's single-precision log1pf (not the rounded double log1p)."""
    if _LIBM is not None:
        return float(_LIBM.log1pf(x))
    return float(numpy.float32(math.log1p(x)))


if overload is not None:
    @overload(c_lgamma)
    def _c_lgamma_jit(x):
        return lambda x: math.lgamma(x)

    @overload(c_log1pf)
    def _c_log1pf_jit(x):
        return lambda x: numpy.float64(math.log1p(numpy.float32(x)))


@register_jitable
def f32(x):
    """x rounded to float32, as a double (exact emulation of one float operation computed in
    double: 53 ≥ 2·24 + 2 bits, so the double rounding is innocuous)."""
    return numpy.float64(numpy.float32(x))


@register_jitable
def _log(x):
    """C's log (−inf at 0, where Python's raises)."""
    return math.log(x) if x > 0.0 else -math.inf


@register_jitable
def _floor(x):
    """C's floor, a double (Python's math.floor gives an int and raises at ±inf)."""
    return float(math.floor(x)) if -4.5e15 < x < 4.5e15 else x


@register_jitable
def _ceil(x):
    """C's ceil, a double."""
    return float(math.ceil(x)) if -4.5e15 < x < 4.5e15 else x


# ---------------------------------------------------------------------------------- gamma
@register_jitable
def _gamma_one(alpha, single, buf, pos, cache, cached):
    """One ``sample_gamma`` draw: (value, pos, cache, cached, done); done False when the buffer
    ran out (the caller discards pos and the cache then)."""
    n = buf.shape[0]
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0, pos, cache, cached, True
        if pos >= n:
            return 0.0, pos, cache, cached, False
        u = buf[pos]
        pos += 1
        exponent = f32(1.0 / alpha) if single else 1.0 / alpha
        scale = math.pow(1.0 - u, exponent)
        alpha = f32(alpha + 1.0) if single else alpha + 1.0
    d = f32(alpha - _THIRD_F) if single else alpha - _THIRD_F
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:                       # x ~ N(0, 1) until 1 + c·x > 0
            if cached:
                x = cache
                cached = False
            else:
                if pos + 2 > n:
                    return 0.0, pos, cache, cached, False
                u1 = buf[pos]
                u2 = buf[pos + 1]
                pos += 2
                r = math.sqrt(-2.0 * math.log1p(-u2))
                theta = _TWO_PI * u1
                cache = r * math.sin(theta)
                cached = True
                x = r * math.cos(theta)
            y = 1.0 + c * x
            if y > 0.0:
                break
        v = y * y * y
        if pos >= n:
            return 0.0, pos, cache, cached, False
        u = 1.0 - buf[pos]
        pos += 1
        xx = x * x
        if u < 1.0 - _C0331_F * xx * xx:
            return scale * d * v, pos, cache, cached, True
        if _log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v, pos, cache, cached, True


def gamma_run(alpha, single, out, start, buf, cache, cached):
    """Gamma(alpha[i], 1) draws into out[i] (float64) from i = start on; returns
    (next element, uniforms read, cache, cached)."""
    pos = 0
    i = start
    while i < alpha.shape[0]:
        value, new_pos, new_cache, new_cached, done = _gamma_one(alpha[i], single, buf, pos,
                                                                 cache, cached)
        if not done:
            break
        out[i] = value
        pos, cache, cached = new_pos, new_cache, new_cached
        i += 1
    return i, pos, cache, cached


# -------------------------------------------------------------------------------- Poisson
@register_jitable
def _poisson_one(lam, buf, pos):
    """One ``sample_poisson`` draw: (k, pos, done)."""
    n = buf.shape[0]
    if lam >= 10.0:                        # transformed rejection (Hörmann 1993)
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2.0)
        while True:
            if pos + 2 > n:
                return 0.0, pos, False
            u = buf[pos] - 0.5
            v = buf[pos + 1]
            pos += 2
            us = 0.5 - abs(u)
            k = _floor((2.0 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k, pos, True
            if k < 0.0 or (us < 0.013 and v > us):
                continue
            if (_log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - c_lgamma(k + 1.0)):
                return k, pos, True
    if lam == 0.0:
        return 0.0, pos, True
    enlam = math.exp(-lam)                 # the product of uniforms, until it falls to e^{−λ}
    count = 0.0
    prod = 1.0
    while True:
        if pos >= n:
            return 0.0, pos, False
        prod *= buf[pos]
        pos += 1
        if prod > enlam:
            count += 1.0
        else:
            return count, pos, True


def poisson_run(lam, out, start, buf):
    """Poisson(lam[i]) draws into out[i] from i = start on; returns (next element, uniforms
    read)."""
    pos = 0
    i = start
    while i < lam.shape[0]:
        k, new_pos, done = _poisson_one(lam[i], buf, pos)
        if not done:
            break
        out[i] = k
        pos = new_pos
        i += 1
    return i, pos


# ------------------------------------------------------------------------------- binomial
@register_jitable
def _stirling_tail(k):
    """log k! − (k + ½) log(k + 1) + (k + 1) − ½ log 2π, tabulated for k ≤ 9."""
    if k <= 9.0:
        return _TAIL[int(k)]
    kp1sq = (k + 1.0) * (k + 1.0)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1.0)


@register_jitable
def _binomial_inversion(count, prob, single, buf, pos):
    """The number of geometric waiting times that fit in ``count`` trials: (k, pos, done)."""
    n = buf.shape[0]
    logprob = c_log1pf(-prob) if single else math.log1p(-prob)
    geom_sum = 0.0
    k = 0.0
    while True:
        if pos >= n:
            return 0.0, pos, False
        u = buf[pos]
        pos += 1
        geom_sum += _ceil(_log(u) / logprob)
        if geom_sum > count:
            return k, pos, True
        k += 1.0


@register_jitable
def _btrs(count, prob, single, buf, pos):
    """Hörmann's BTRS transformed rejection (as TensorFlow and PyTorch write it): (k, pos,
    done). With ``single``, the products of count and prob are float products."""
    n = buf.shape[0]
    if single:
        stddev = f32(math.sqrt(f32(f32(count * prob) * f32(1.0 - prob))))
        c = f32(count * prob) + 0.5
        r = f32(prob / f32(1.0 - prob))
        m = _floor(f32(f32(count + 1.0) * prob))
    else:
        stddev = math.sqrt(count * prob * (1.0 - prob))
        c = count * prob + 0.5
        r = prob / (1.0 - prob)
        m = _floor((count + 1.0) * prob)
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    v_r = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * stddev
    while True:
        if pos + 2 > n:
            return 0.0, pos, False
        u = buf[pos] - 0.5
        v = buf[pos + 1]
        pos += 2
        us = 0.5 - abs(u)
        k = _floor((2.0 * a / us + b) * u + c)
        if single:
            k = f32(k)
        if k < 0.0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k, pos, True
        v = _log(v * alpha / (a / (us * us) + b))
        upper = ((m + 0.5) * math.log((m + 1.0) / (r * (count - m + 1.0)))
                 + (count + 1.0) * math.log((count - m + 1.0) / (count - k + 1.0))
                 + (k + 0.5) * math.log(r * (count - k + 1.0) / (k + 1.0))
                 + _stirling_tail(m) + _stirling_tail(count - m)
                 - _stirling_tail(k) - _stirling_tail(count - k))
        if v <= upper:
            return k, pos, True


@register_jitable
def _binomial_one(count, prob, single, buf, pos):
    """One ``sample_binomial`` draw: (k, pos, done)."""
    if count <= 0.0 or prob <= 0.0:
        return 0.0, pos, True
    if prob >= 1.0:
        return count, pos, True
    if prob <= 0.5:
        mean = f32(count * prob) if single else count * prob
        if mean >= 10.0:
            return _btrs(count, prob, single, buf, pos)
        return _binomial_inversion(count, prob, single, buf, pos)
    if prob > 0.5:
        q = f32(1.0 - prob) if single else 1.0 - prob
        mean = f32(count * q) if single else count * q
        if mean >= 10.0:
            k, pos, done = _btrs(count, q, single, buf, pos)
        else:
            k, pos, done = _binomial_inversion(count, q, single, buf, pos)
        return count - k, pos, done
    return math.nan, pos, True             # prob is nan


def binomial_run(count, prob, single, out, start, buf):
    """Binomial(count[i], prob[i]) draws into out[i] from i = start on; returns (next element,
    uniforms read)."""
    pos = 0
    i = start
    while i < count.shape[0]:
        k, new_pos, done = _binomial_one(count[i], prob[i], single, buf, pos)
        if not done:
            break
        out[i] = k
        pos = new_pos
        i += 1
    return i, pos


_COMPILED: dict = {}


def kernel(name: str):
    """The sampler ``name`` (``gamma_run``, ``poisson_run``, ``binomial_run``): numba-compiled
    when the fast kernels are in use, else the plain Python function (the same numbers)."""
    from . import available

    function = globals()[name]
    if not available():
        return function
    if name not in _COMPILED:
        import numba

        _COMPILED[name] = numba.njit(cache=True, nogil=True)(function)
    return _COMPILED[name]
