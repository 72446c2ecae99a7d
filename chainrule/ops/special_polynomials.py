"""The orthogonal polynomials of ``torch.special``: ``chebyshev_polynomial_t/u/v/w``,
``shifted_chebyshev_polynomial_t/u/v/w``, ``hermite_polynomial_h/he``, ``laguerre_polynomial_l``
and ``legendre_polynomial_p``, each of (x, n), values only (PyTorch gives them no derivative:
their results do not require grad, and a backward through them raises).

Operands: x and n are Tensors, or one of them a Python number (bool, int or float); they
broadcast and promote to their common floating dtype (integers and bools to the default float
dtype), and n is then truncated toward zero to an integer, as PyTorch casts it to int64: n = 3.9
is degree 3, n = −0.5 is degree 0. A degree below 0 gives 0; so does an n that is NaN, ±inf or
at least 2⁶³ in size (PyTorch's cast makes those the most negative int64). float16 and complex
operands are refused, as PyTorch's CPU kernels refuse them.

Each value is computed as PyTorch computes it, in the operands' own dtype (float32 arithmetic for
float32, so that float32 overflows to inf and then NaN where PyTorch's does), branch for branch:

- the three-term recurrence from p₀ = 1 and p₁ (below), for each element its own n − 1 steps.
  The loop runs over the recurrence index on whole arrays, the elements sorted by degree and each
  leaving the loop when its degree is reached (or its value is NaN: once ±inf meets ±inf the
  recurrence can only give NaN, which is PyTorch's value there), so it costs max(n) NumPy steps
  of a few microseconds (≈ 20 µs for a thousand elements). Where no closed form is used
  (Legendre for |x| < 1, Laguerre for x > 0, Chebyshev for |x| just above 1) a degree of 10⁶
  takes tens of seconds; PyTorch, element by element, takes time in proportion to each degree;
- Chebyshev (y = x, or y = 2x − 1 for the shifted forms, θ = arccos y), for |y| < 1 and a degree
  above 6 (T), 8 (U, V, W), 6 (shifted T, U, V) or 4 (shifted W): the trigonometric forms
  Tₙ = cos nθ, Uₙ = sin((n+1)θ)/sin θ, Vₙ = cos((n+½)θ)/cos(θ/2), Wₙ = sin((n+½)θ)/sin(θ/2),
  with PyTorch's replacements where the divisor rounds to 0 (U: (n+1)cos((n+1)θ)/y; V, W: the
  values at the ends: ±(2n+1) for V; 2n+1 (x > 0) or ±1 for W, and ±1 for shifted W); at |x| = 1
  (shifted: x = 1 and x = 0) the exact end values;
- Hermite: NaN above degree 512 (float64) or 128 (float32), as PyTorch;
- Laguerre: 1 at x = 0; Legendre: ±1 at |x| = 1;
- x = NaN: NaN (for n ≥ 2 PyTorch's U, V, W, Laguerre and Legendre return a variable its loop
  never set, NaN or inf from call to call).

Recurrences (k the recurrence index): Chebyshev pₖ = 2y·pₖ₋₁ − pₖ₋₂ with p₁ = y (T), 2y (U),
2y − 1 (V), 2y + 1 (W); Hermite Hₖ = 2x·Hₖ₋₁ − 2(k−1)Hₖ₋₂, Heₖ = x·Heₖ₋₁ − (k−1)Heₖ₋₂; Laguerre
(k+1)Lₖ₊₁ = (2k + 1 − x)Lₖ − k·Lₖ₋₁; Legendre (k+1)Pₖ₊₁ = (2k+1)x·Pₖ − k·Pₖ₋₁ — the forward
recurrences, with PyTorch's order of operations (tests/ops/test_special_round34.py compares them
with PyTorch, and with mpmath where the recurrence is well conditioned).

Rounding: PyTorch's compiled step a·q − b fuses the multiply and the subtraction (one rounding).
chainrule does the same for float32 (through float64, where the product is exact), so float32
overflows to inf and NaN where PyTorch's does and the values agree but for the last bits of the
two libraries' arccos, cos and sin (chainrule's float32 ones are taken in float64 and rounded
once: NumPy's float32 arccos is an ulp off in places). In float64
the step rounds twice, and values differ from PyTorch's by about n·ε of the largest polynomial of
degree ≤ n at x (PyTorch's own values differ that much between processors with and without
fused multiply-add); where that envelope is much larger than the value (near a zero, Hermite and
Laguerre between their zeros) the relative difference is correspondingly larger.
"""
from __future__ import annotations

from ..backend import dtype_kind, numpy_dtype, xp
from ..tensor import Tensor
from .promotion import promote
from .special_common import TORCH_NAMES, on_host

_INT64_LIMIT = 2.0 ** 63
_HERMITE_LIMIT = {4: 128, 8: 512}               # PyTorch's largest Hermite degree, by itemsize
_NAN_CHECK = 64                                 # steps between dropping NaN elements


# ------------------------------------------------------------------ the recurrence engine
def _recur(step, n, p, q, *consts):
    """q after n − 1 steps of (p, q) ← (q, step(k, p, q, *consts)), k = 1, 2, …, for each
    element (every n ≥ 2), on whole arrays: the elements sorted by n leave from the front."""
    out = xp.empty_like(q)
    order = xp.argsort(n, kind="stable")
    steps = n[order] - 1
    p, q = p[order], q[order]
    consts = [c[order] for c in consts]
    k, last = 1, int(steps[-1]) if steps.size else 0
    while k <= last:
        r = step(k, p, q, *consts)
        p, q = q, r
        done = int(xp.searchsorted(steps, k, side="right"))
        if done:                                # (views: no copies)
            out[order[:done]] = q[:done]
            order, steps, p, q = order[done:], steps[done:], p[done:], q[done:]
            consts = [c[done:] for c in consts]
        if k % _NAN_CHECK == 0 and steps.size:
            nan = xp.isnan(q)
            if nan.any():                       # NaN stays NaN: finish those now
                out[order[nan]] = xp.nan
                keep = ~nan
                order, steps, p, q = order[keep], steps[keep], p[keep], q[keep]
                consts = [c[keep] for c in consts]
        if not steps.size:
            break
        k += 1
    return out


def _degree(n):
    """PyTorch's int64 degree of the floating n: truncated toward zero; NaN, ±inf and
    |n| ≥ 2⁶³ become negative (the cast's result there is the most negative int64)."""
    valid = xp.isfinite(n) & (xp.abs(n) < _INT64_LIMIT)
    return xp.where(valid, n, -1.0).astype(xp.int64)


class _Choice:
    """The result filled in PyTorch's order of branches: the first branch to claim an element
    gives its value."""

    def __init__(self, x, n):
        self.out = xp.zeros_like(x)              # (n < 0: 0)
        self.open = n >= 0

    def take(self, mask, value):
        mask = mask & self.open
        if mask.any():
            self.out[mask] = xp.broadcast_to(value, mask.shape)[mask]
            self.open = self.open & ~mask
        return mask


# ------------------------------------------------------------------ Chebyshev
_TRIG_FROM = {("t", False): 6, ("u", False): 8, ("v", False): 8, ("w", False): 8,
              ("t", True): 6, ("u", True): 6, ("v", True): 6, ("w", True): 4}


def _chebyshev_ends(kind: str, positive, n, dt):
    """The values at y = ±1 (``positive``: y = 1)."""
    one = xp.ones_like(positive, dtype=dt)
    even = n % 2 == 0
    sign = xp.where(even, one, -one)
    plus1, twice = (n + 1).astype(dt), (n + n + 1).astype(dt)
    if kind == "t":
        return xp.where(positive, one, sign)
    if kind == "u":
        return xp.where(positive, plus1, sign * plus1)
    if kind == "v":
        return xp.where(positive, one, sign * twice)
    return xp.where(positive, twice, sign)


def _rounded(fn, v):
    """fn(v) in v's dtype; for float32 computed in float64 and rounded once (NumPy's float32
    arccos is an ulp off in places; PyTorch's float32 functions round correctly there)."""
    if v.dtype == xp.float32:
        return fn(v.astype(xp.float64)).astype(xp.float32)
    return fn(v)


def _chebyshev_trig(kind: str, shifted: bool, x, y, n, dt):
    """The trigonometric forms for |y| < 1, PyTorch's replacements where a divisor rounds."""
    theta = _rounded(xp.arccos, y)
    if kind == "t":
        return _rounded(xp.cos, n.astype(dt) * theta)
    if kind == "u":
        s = _rounded(xp.sin, theta)
        m = (n + 1).astype(dt)
        angle = m * theta
        with xp.errstate(divide="ignore", invalid="ignore"):
            return xp.where(s != 0, _rounded(xp.sin, angle) / s,
                            m * _rounded(xp.cos, angle) / y)
    half = theta / dt.type(2.0)
    angle = (n.astype(dt) + dt.type(0.5)) * theta
    even = n % 2 == 0
    twice = (n + n + 1).astype(dt)
    with xp.errstate(divide="ignore", invalid="ignore"):
        if kind == "v":
            return xp.where(_rounded(xp.sin, half) != 1,
                            _rounded(xp.cos, angle) / _rounded(xp.cos, half),
                            xp.where(even, twice, -twice))
        sign = xp.where(even, dt.type(1.0), dt.type(-1.0))
        end = sign if shifted else xp.where(x > 0, twice, sign)
        return xp.where(_rounded(xp.cos, half) != 1,
                        _rounded(xp.sin, angle) / _rounded(xp.sin, half), end)


def _fused(a, b, c):
    """a·b + c as PyTorch's compiled kernels give it (a fused multiply-add, one rounding): for
    float32 through float64, where a·b is exact; for float64 the plain a·b + c (two roundings:
    the module's note on rounding)."""
    if a.dtype == xp.float32:
        wide = xp.asarray(a, dtype=xp.float64) * b + xp.asarray(c, dtype=xp.float64)
        return wide.astype(xp.float32)
    return a * b + c


def _chebyshev_step(k, p, q, c):
    return _fused(c, q, -p)


def _chebyshev(kind: str, shifted: bool, x, n):
    dt = x.dtype
    one = dt.type(1.0)
    y = x + x - one if shifted else x
    choice = _Choice(x, n)
    if shifted:
        ends, positive = (x == 1) | (x == 0), x == 1
    else:
        ends, positive = xp.abs(x) == 1, x > 0
    choice.take(ends, _chebyshev_ends(kind, positive, n, dt))
    trig = (n > _TRIG_FROM[kind, shifted]) & (xp.abs(y) < 1)
    if (trig & choice.open).any():
        choice.take(trig, _chebyshev_trig(kind, shifted, x, y, n, dt))
    first = {"t": y, "u": y + y, "v": y + y - one, "w": y + y + one}[kind]
    choice.take(n == 0, one)
    choice.take(n == 1, first)
    rest = choice.open & (n >= 2)
    if rest.any():
        c = y + y
        choice.out[rest] = _recur(_chebyshev_step, n[rest], xp.ones_like(y[rest]),
                                  first[rest], c[rest])
    return choice.out


# ------------------------------------------------------------------ Hermite, Laguerre, Legendre
def _hermite_h_step(k, p, q, c):
    return _fused(c, q, -(q.dtype.type(2 * k) * p))


def _hermite_he_step(k, p, q, x):
    return _fused(x, q, -(q.dtype.type(k) * p))


def _laguerre_step(k, p, q, omx):
    t = q.dtype.type
    return _fused(t(2 * k) + omx, q, -(t(k) * p)) / t(k + 1)


def _legendre_step(k, p, q, x):
    t = q.dtype.type
    return _fused(t(2 * k + 1) * x, q, -(t(k) * p)) / t(k + 1)


def _hermite(physicists: bool, x, n):
    dt = x.dtype
    choice = _Choice(x, n)
    first = x + x if physicists else x
    choice.take(n == 0, dt.type(1.0))
    choice.take(n == 1, first)
    choice.take(n > _HERMITE_LIMIT[dt.itemsize], dt.type(xp.nan))
    rest = choice.open & (n >= 2)
    if rest.any():
        step, c = (_hermite_h_step, x + x) if physicists else (_hermite_he_step, x)
        choice.out[rest] = _recur(step, n[rest], xp.ones_like(x[rest]), first[rest], c[rest])
    return choice.out


def _laguerre(x, n):
    one = x.dtype.type(1.0)
    choice = _Choice(x, n)
    omx = one - x
    choice.take(x == 0, one)
    choice.take(n == 0, one)
    choice.take(n == 1, omx)
    rest = choice.open & (n >= 2)
    if rest.any():
        choice.out[rest] = _recur(_laguerre_step, n[rest], xp.ones_like(x[rest]), omx[rest],
                                  omx[rest])
    return choice.out


def _legendre(x, n):
    one = x.dtype.type(1.0)
    choice = _Choice(x, n)
    even = n % 2 == 0
    choice.take(xp.abs(x) == 1, xp.where((x > 0) | even, one, -one))
    choice.take(n == 0, one)
    choice.take(n == 1, x)
    rest = choice.open & (n >= 2)
    if rest.any():
        choice.out[rest] = _recur(_legendre_step, n[rest], xp.ones_like(x[rest]), x[rest],
                                  x[rest])
    return choice.out


# ------------------------------------------------------------------ the host functions
def _host(kernel):
    """x, n (arrays of one floating dtype) → kernel(x, degree), broadcast, in that dtype."""
    def host(x, n):
        x, n = xp.broadcast_arrays(xp.asarray(x), xp.asarray(n))
        shape = x.shape
        x, n = x.reshape(-1), n.reshape(-1)
        with xp.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return kernel(x, _degree(n)).reshape(shape)
    return host


def _chebyshev_host(kind: str, shifted: bool):
    return _host(lambda x, n: _chebyshev(kind, shifted, x, n))


HOSTS = {
    "chebyshev_polynomial_t": _chebyshev_host("t", False),
    "chebyshev_polynomial_u": _chebyshev_host("u", False),
    "chebyshev_polynomial_v": _chebyshev_host("v", False),
    "chebyshev_polynomial_w": _chebyshev_host("w", False),
    "shifted_chebyshev_polynomial_t": _chebyshev_host("t", True),
    "shifted_chebyshev_polynomial_u": _chebyshev_host("u", True),
    "shifted_chebyshev_polynomial_v": _chebyshev_host("v", True),
    "shifted_chebyshev_polynomial_w": _chebyshev_host("w", True),
    "hermite_polynomial_h": _host(lambda x, n: _hermite(True, x, n)),
    "hermite_polynomial_he": _host(lambda x, n: _hermite(False, x, n)),
    "laguerre_polynomial_l": _host(_laguerre),
    "legendre_polynomial_p": _host(_legendre),
}


def _polynomial(name: str, x, n) -> Tensor:
    """PyTorch's operand rules, then the host function of ``name`` as a Tensor outside the
    graph (no derivative)."""
    for position, (arg, value) in enumerate((("x", x), ("n", n)), 1):
        if not isinstance(value, (Tensor, bool, int, float)):
            raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor "
                            f"or a real number, not {type(value).__name__}")
    if not isinstance(x, Tensor) and not isinstance(n, Tensor):
        raise TypeError(f"{name}(): expected x or n to be a Tensor, got two numbers "
                        f"({x!r}, {n!r})")
    (a, b), dtype = promote(x, n, floating=True)
    dtype = numpy_dtype(dtype)
    if dtype_kind(dtype) != "f" or dtype.itemsize < 4:
        torch_name = {"float16": "Half", "complex64": "ComplexFloat",
                      "complex128": "ComplexDouble"}.get(dtype.name, dtype.name)
        raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                  f"'{TORCH_NAMES.get(dtype.name, torch_name)}'")
    def array(v):
        return v._data if isinstance(v, Tensor) else xp.asarray(v, dtype=dtype)

    out = on_host(HOSTS[name], array(a), array(b))
    return Tensor._from_op(out, None)


# ------------------------------------------------------------------ the functions
def chebyshev_polynomial_t(x, n) -> Tensor:
    """Tₙ(x), the Chebyshev polynomial of the first kind (values only); see the module."""
    return _polynomial("chebyshev_polynomial_t", x, n)


def chebyshev_polynomial_u(x, n) -> Tensor:
    """Uₙ(x), the Chebyshev polynomial of the second kind (values only)."""
    return _polynomial("chebyshev_polynomial_u", x, n)


def chebyshev_polynomial_v(x, n) -> Tensor:
    """Vₙ(x), the Chebyshev polynomial of the third kind (values only)."""
    return _polynomial("chebyshev_polynomial_v", x, n)


def chebyshev_polynomial_w(x, n) -> Tensor:
    """Wₙ(x), the Chebyshev polynomial of the fourth kind (values only)."""
    return _polynomial("chebyshev_polynomial_w", x, n)


def shifted_chebyshev_polynomial_t(x, n) -> Tensor:
    """T*ₙ(x) = Tₙ(2x − 1), the shifted Chebyshev polynomial of the first kind (values only)."""
    return _polynomial("shifted_chebyshev_polynomial_t", x, n)


def shifted_chebyshev_polynomial_u(x, n) -> Tensor:
    """U*ₙ(x) = Uₙ(2x − 1) (values only)."""
    return _polynomial("shifted_chebyshev_polynomial_u", x, n)


def shifted_chebyshev_polynomial_v(x, n) -> Tensor:
    """V*ₙ(x) = Vₙ(2x − 1) (values only)."""
    return _polynomial("shifted_chebyshev_polynomial_v", x, n)


def shifted_chebyshev_polynomial_w(x, n) -> Tensor:
    """W*ₙ(x) = Wₙ(2x − 1) (values only)."""
    return _polynomial("shifted_chebyshev_polynomial_w", x, n)


def hermite_polynomial_h(x, n) -> Tensor:
    """Hₙ(x), the physicists' Hermite polynomial (values only; NaN above degree 512 in float64,
    128 in float32, as PyTorch)."""
    return _polynomial("hermite_polynomial_h", x, n)


def hermite_polynomial_he(x, n) -> Tensor:
    """Heₙ(x), the probabilists' Hermite polynomial (values only; NaN above degree 512 in
    float64, 128 in float32)."""
    return _polynomial("hermite_polynomial_he", x, n)


def laguerre_polynomial_l(x, n) -> Tensor:
    """Lₙ(x), the Laguerre polynomial (values only)."""
    return _polynomial("laguerre_polynomial_l", x, n)


def legendre_polynomial_p(x, n) -> Tensor:
    """Pₙ(x), the Legendre polynomial (values only)."""
    return _polynomial("legendre_polynomial_p", x, n)


__all__ = list(HOSTS)
