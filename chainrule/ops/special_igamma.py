"""The incomplete gamma functions and the multivariate log-gamma: ``torch.special.gammainc`` /
``torch.igamma``, ``gammaincc`` / ``torch.igammac`` and ``torch.special.multigammaln`` /
``torch.mvlgamma`` (the Hurwitz zeta function is in special_zeta.py).

Whole-array NumPy in float64; the iterative methods run each element until its own sum has
converged (the unconverged elements are compacted after every step, so one slow element does
not make the others iterate).

- **gammainc** P(a, x) = γ(a, x)/Γ(a) and **gammaincc** Q(a, x) = 1 − P(a, x), in the regimes of
  PyTorch's (Cephes') igam/igamc:
  the series P = x^a e^{−x}/Γ(a+1) · Σₙ xⁿ/((a+1)…(a+n));
  Legendre's continued fraction for Q (x > 1.1 and x ≥ a);
  for x ≤ 1.1 and small a, the series Q = −expm1(a ln x − ln Γ(1+a)) − (x^a/Γ(a)) Σₙ≥₁
  (−x)ⁿ/(n!(a+n)) (DLMF 8.7.3), exact where 1 − P would cancel.
  The prefactor x^a e^{−x}/Γ(a) is a·exp(a ln x − x − ln Γ(1+a)) for a < 10 (ln Γ(1+a) as
  PyTorch's lgamma1p, so that tiny a keep their accuracy); for a ≥ 10 it is
  √(a/2π)·exp(a·(ln(1+d) − d) − S(a)), d = (x − a)/a, S the Stirling series of ln Γ(a)
  (ln(1+d) − d by an atanh series for −0.6 < d < 1.5), which avoids the cancellation of a ln x
  against ln Γ(a) for large a. Where PyTorch switches to Temme's uniform asymptotic expansion
  (a > 20, x ≈ a: good to only ~1e-9 there) chainrule keeps the series / fraction, which
  converge there in O(√a) steps, up to a = 10⁶; from there on (|x/a − 1| < 0.3) it uses
  Temme's expansion with its first two terms, whose remainder is below 1e-15 of the result.
  Edge values as PyTorch's: NaN for a < 0 or x < 0; at a = 0, P = 1 (Q = 0) for x > 0 and NaN
  at x = 0; P(a, 0) = 0; a = inf gives P = 0 (NaN if x = inf too); P(a, inf) = 1.
- **multigammaln** ln Γ_p(a) = p(p−1)/4 · ln π + Σⱼ₌₀^{p−1} ln Γ(a − j/2): a composite of
  lgamma (its derivative Σⱼ ψ(a − j/2) comes from lgamma's), as PyTorch computes it.

Derivatives, as PyTorch: ∂P/∂x = x^{a−1}e^{−x}/Γ(a) = −∂Q/∂x; none in a: asking for one
raises NotImplementedError, as PyTorch's.
"""
from __future__ import annotations

import math

from ..autograd.function import Function, primitive
from ..backend import asarray_like, errstate, namespace, numpy_dtype, special_function, xp
from ..tensor import Tensor, tensor_method
from .gamma import _B2K, _lgamma1p, lgamma, lgamma_array
from .promotion import to_float
from .special_common import TORCH_NAMES, binary_operands, on_host
from .special_ndtr import _erfcx64

_MACHEP = 1.11022302462515654042e-16
_BIG = 4.503599627370496e15
_BIGINV = 2.22044604925031308085e-16
_MAX_STEPS = 1_000_000
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# ------------------------------------------------------------------ the prefactor x^a e^{−x}/Γ(a)
def _log1pmx(d):
    """ln(1 + d) − d for −0.6 < d < 1.5: −d²/(2+d) + 2(u³/3 + u⁵/5 + …), u = d/(2 + d)."""
    u = d / (2.0 + d)
    u2 = u * u
    series = xp.zeros_like(d)
    for k in range(61, 1, -2):                       # 1/61 … 1/3 (|u| < 0.43: 1e-22 at u⁶¹)
        series = series * u2 + 1.0 / k
    return -d * d / (2.0 + d) + 2.0 * u * u2 * series


def _stirling_correction(a):
    """S(a) = ln Γ(a) − [(a − ½) ln a − a + ½ ln 2π] for a ≥ 10."""
    inv = 1.0 / a
    inv2 = inv * inv
    series = xp.zeros_like(a)
    for k in range(12, 0, -1):
        series = series * inv2 + _B2K[k - 1] / (2 * k * (2 * k - 1))
    return series * inv


def _prefactor(a, x, over_a: bool = False):
    """x^a e^{−x}/Γ(a) (or that over a, x^a e^{−x}/Γ(a+1)) for a > 0, x > 0 (finite)."""
    out = xp.empty_like(a)
    small = a < 10.0
    av, xv = a[small], x[small]           # x^a e^{−x}/Γ(a+1): no large ln Γ(a) for tiny a
    scaled = xp.exp(av * xp.log(xv) - xv - _lgamma1p64(av))
    out[small] = scaled if over_a else av * scaled
    big = ~small
    if big.any():
        av, xv = a[big], x[big]
        d = (xv - av) / av
        near = (d > -0.6) & (d < 1.5)               # (ln x − ln a would cancel: ε·ln a each)
        dn = xp.where(near, d, 0.0)
        shape = xp.where(near, _log1pmx(dn), xp.log1p(d) - d)
        value = xp.exp(av * shape - _stirling_correction(av)) * xp.sqrt(av / (2.0 * math.pi))
        out[big] = value / av if over_a else value
    return out


# ------------------------------------------------------------------ the three expansions
def _iterate(state, step, done_value, outputs):
    """Run ``step(state) -> converged mask`` until every element has converged, compacting the
    state (a dict of equal-length arrays with the key "index") after each step; converged
    elements write ``done_value(state)[mask]`` into ``outputs`` at their index."""
    for _ in range(_MAX_STEPS):
        if state["index"].size == 0:
            return
        finished = step(state)
        if finished.any():
            outputs[state["index"][finished]] = done_value(state)[finished]
            keep = ~finished
            state = {k: v[keep] for k, v in state.items()}
    outputs[state["index"]] = done_value(state)             # (not reached in practice)


def _p_series(a, x):
    """P(a, x) by the series (PyTorch's _igam_helper_series)."""
    out = xp.empty_like(a)
    state = {"index": xp.arange(a.size), "r": a.copy(), "c": xp.ones_like(a),
             "ans": xp.ones_like(a)}

    def step(s):
        s["r"] = s["r"] + 1.0
        s["c"] = s["c"] * x[s["index"]] / s["r"]
        s["ans"] = s["ans"] + s["c"]
        return ~(s["c"] > _MACHEP * s["ans"])

    _iterate(state, step, lambda s: s["ans"], out)
    return out * _prefactor(a, x, over_a=True)


def _q_fraction(a, x):
    """Q(a, x) by Legendre's continued fraction (PyTorch's _igamc_helper_continued_fraction)."""
    out = xp.empty_like(a)
    y = 1.0 - a
    z = x + y + 1.0
    state = {"index": xp.arange(a.size), "y": y, "z": z, "c": xp.zeros_like(a),
             "pkm2": xp.ones_like(a), "qkm2": x.copy(), "pkm1": x + 1.0, "qkm1": z * x}
    state["ans"] = state["pkm1"] / state["qkm1"]

    def step(s):
        s["c"] = s["c"] + 1.0
        s["y"] = s["y"] + 1.0
        s["z"] = s["z"] + 2.0
        yc = s["y"] * s["c"]
        pk = s["pkm1"] * s["z"] - s["pkm2"] * yc
        qk = s["qkm1"] * s["z"] - s["qkm2"] * yc
        nonzero = qk != 0
        r = pk / xp.where(nonzero, qk, 1.0)
        t = xp.where(nonzero, xp.abs((s["ans"] - r) / xp.where(nonzero, r, 1.0)), 1.0)
        s["ans"] = xp.where(nonzero, r, s["ans"])
        s["pkm2"], s["pkm1"], s["qkm2"], s["qkm1"] = s["pkm1"], pk, s["qkm1"], qk
        scale = xp.where(xp.abs(pk) > _BIG, _BIGINV, 1.0)
        for key in ("pkm2", "pkm1", "qkm2", "qkm1"):
            s[key] = s[key] * scale
        return ~(t > _MACHEP)

    _iterate(state, step, lambda s: s["ans"], out)
    return out * _prefactor(a, x)


def _lgamma1p64(a):
    """ln Γ(1 + a), accurate near a = 0 and a = 1 (PyTorch's lgamma1p)."""
    out = lgamma_array(a + 1.0)
    near0 = xp.abs(a) <= 0.5
    out[near0] = _lgamma1p(a[near0])
    near1 = ~near0 & (xp.abs(a - 1.0) < 0.5)
    out[near1] = xp.log(a[near1]) + _lgamma1p(a[near1] - 1.0)
    return out


def _q_series(a, x):
    """Q(a, x) for small x (PyTorch's _igamc_helper_series, DLMF 8.7.3)."""
    out = xp.empty_like(a)
    state = {"index": xp.arange(a.size), "n": xp.zeros_like(a), "fac": xp.ones_like(a),
             "sum": xp.zeros_like(a)}

    def step(s):
        s["n"] = s["n"] + 1.0
        s["fac"] = s["fac"] * -x[s["index"]] / s["n"]
        term = s["fac"] / (a[s["index"]] + s["n"])
        s["sum"] = s["sum"] + term
        return ~(xp.abs(term) > _MACHEP * xp.abs(s["sum"]))

    _iterate(state, step, lambda s: s["sum"], out)
    log_x = xp.log(x)
    log_power = a * log_x - _lgamma1p64(a)                  # ln(x^a/Γ(1+a))
    return -xp.expm1(log_power) - a * xp.exp(log_power) * out


_TEMME_FROM = 1e6


def _temme(a, x):
    """(P, Q) for a ≥ 10⁶ and |x/a − 1| < 0.3 by Temme's uniform expansion (DLMF 8.12.3–8.12.8):
    Q = ½ erfc(η√(a/2)) + R, P = ½ erfc(−η√(a/2)) − R, R = e^{−aη²/2}/√(2πa) (C₀(η) + C₁(η)/a),
    η = sign(t)√(2(t − ln(1+t))), t = x/a − 1, C₀ = 1/t − 1/η, C₁ = 1/η³ − 1/t³ − 1/t² − 1/(12t)
    (C₂/a² < 1e-15 of R is dropped). η²/t² = s and C₀ = (s − 1)/(√s(√s + 1)) · (1/t) come from
    the series s − 1 = −2t Σₖ (−t)ᵏ/(k+3), and C₁ from its Taylor series −1/540 − η/288 + η²/378
    for |η| < 0.01, so that neither cancels near x = a (where the series for P and the fraction
    for Q would need O(√a) steps)."""
    t = (x - a) / a
    series = xp.zeros_like(t)
    for k in range(40, -1, -1):
        series = series * -t + 1.0 / (k + 3)
    s_minus_1 = -2.0 * t * series
    root = xp.sqrt(1.0 + s_minus_1)
    eta = t * root
    c0 = -2.0 * series / (root * (root + 1.0))
    with xp.errstate(divide="ignore", invalid="ignore"):
        closed = 1.0 / eta ** 3 - 1.0 / t ** 3 - 1.0 / t ** 2 - 1.0 / (12.0 * t)
    c1 = xp.where(xp.abs(eta) < 0.01, -1.0 / 540 - eta / 288 + eta * eta / 378, closed)
    z2 = -a * _log1pmx(t)                                  # aη²/2
    r = (c0 + c1 / a) / xp.sqrt(2.0 * math.pi * a)
    above = t >= 0
    small = xp.exp(-z2) * (0.5 * _erfcx64(xp.sqrt(z2)) + xp.where(above, r, -r))
    return xp.where(above, 1.0 - small, small), xp.where(above, small, 1.0 - small)


# ------------------------------------------------------------------ P and Q
def _incomplete_gamma(a, x, upper: bool):
    """P(a, x) (upper=False) or Q(a, x) (upper=True) on float64 arrays of one shape."""
    out = xp.full_like(a, xp.nan)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ok = (a > 0) & (x > 0) & (a < xp.inf) & (x < xp.inf)
        ratio = xp.abs(x - a) / a
        temme = ok & (a >= _TEMME_FROM) & (ratio < 0.3)
        if temme.any():
            out[temme] = _temme(a[temme], x[temme])[1 if upper else 0]
            ok = ok & ~temme
        # PyTorch's asymptotic regimes (Temme), where chainrule uses the series / fraction
        asymptotic = ok & (((a > 20) & (a < 200) & (ratio < 0.3))
                           | ((a > 200) & (ratio < 4.5 / xp.sqrt(xp.where(ok, a, 1.0)))))
        # which expansion computes which element, and whether its result is P or Q
        use_p = xp.zeros(a.shape, dtype=bool)
        use_frac = xp.zeros(a.shape, dtype=bool)
        use_qser = xp.zeros(a.shape, dtype=bool)
        rest = ok & ~asymptotic
        use_frac |= asymptotic & (x > a)
        use_p |= asymptotic & ~(x > a)
        if upper:
            high = rest & (x > 1.1)
            use_p |= high & (x < a)
            use_frac |= high & ~(x < a)
            low = rest & (x <= 0.5)
            p_low = low & (-0.4 / xp.log(xp.where(low, x, 0.5)) < a)
            mid = rest & (x > 0.5) & (x <= 1.1)
            p_mid = mid & (x * 1.1 < a)
            use_p |= p_low | p_mid
            use_qser |= (low & ~p_low) | (mid & ~p_mid)
        else:
            complement = rest & (x > 1.0) & (x > a)            # 1 − Q, Q by igamc's regimes
            use_frac |= complement & (x > 1.1)
            use_qser |= complement & ~(x > 1.1)
            use_p |= rest & ~complement
        value = xp.empty_like(a)
        for mask, method in ((use_p, _p_series), (use_frac, _q_fraction),
                             (use_qser, _q_series)):
            if mask.any():
                value[mask] = method(a[mask], x[mask])
        is_q = use_frac | use_qser
        if upper:
            out[ok] = xp.where(is_q, value, 1.0 - value)[ok]
        else:
            out[ok] = xp.where(is_q, 1.0 - value, value)[ok]
        # PyTorch's edge values
        lower_edge = xp.full_like(a, xp.nan)
        lower_edge[(a == 0) & (x > 0)] = 1.0
        lower_edge[(x == 0) & (a > 0)] = 0.0
        lower_edge[(a == xp.inf) & (x < xp.inf) & (x >= 0)] = 0.0
        lower_edge[(x == xp.inf) & (a > 0) & (a < xp.inf)] = 1.0
        edge = ~ok & ~temme & (a >= 0) & (x >= 0)
        out[edge] = (1.0 - lower_edge[edge]) if upper else lower_edge[edge]
    return out


def _pair(a, x):
    a, x = xp.asarray(a), xp.asarray(x)
    a64, x64 = xp.broadcast_arrays(a.astype(xp.float64), x.astype(xp.float64))
    return a, x, xp.array(a64), xp.array(x64)          # (copies: 0-d stays 0-d)


def _result(out, a, x):
    dtype = xp.result_type(a.dtype, x.dtype)
    return out.astype(dtype if dtype.kind == "f" else xp.float64, copy=False)


def gammainc_array(a, x):
    """P(a, x) = γ(a, x)/Γ(a) on NumPy arrays (broadcast; float64 inside)."""
    a, x, a64, x64 = _pair(a, x)
    return _result(_incomplete_gamma(a64, x64, upper=False), a, x)


def gammaincc_array(a, x):
    """Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x) on NumPy arrays."""
    a, x, a64, x64 = _pair(a, x)
    return _result(_incomplete_gamma(a64, x64, upper=True), a, x)


# ------------------------------------------------------------------ the primitives
def _lgamma_of(a):
    if isinstance(a, Tensor):
        return lgamma(a)
    return special_function("lgamma", lgamma_array, a)


def _density(g, a, x, ns):
    """g · x^{a−1} e^{−x}/Γ(a), PyTorch's exp((a − 1) ln x − x − ln Γ(a)) form."""
    return g * ns.exp((a - 1) * ns.log(x) - x - _lgamma_of(a))


def _igamma_vjp(ctx, g, sign: float, what: str):
    a, x = ctx.saved
    if ctx.needs(0):
        raise NotImplementedError(f"the derivative for '{what}: input' is not implemented.")
    ns = namespace(g)
    with errstate(ns, divide="ignore", invalid="ignore", over="ignore"):
        return None, _density(g, a, x, ns) if sign > 0 else -_density(g, a, x, ns)


@primitive
class Igamma(Function):
    """The regularised lower incomplete gamma function P(a, x) (``gammainc``, ``igamma``).

    Forward:     P(a, x) = γ(a, x)/Γ(a) = (1/Γ(a)) ∫₀ˣ t^{a−1} e^{−t} dt
    Derivative:  ∂P/∂x = x^{a−1} e^{−x}/Γ(a)  (the Gamma(a, 1) density);  ∂P/∂a: none
    VJP:         ∂L/∂x = g · exp((a − 1) ln x − x − ln Γ(a)), PyTorch's form;  ∂L/∂a raises
                 NotImplementedError, as PyTorch's
    Numerics:    PyTorch's regimes: series for P, Legendre's fraction or the small-x series for
                 Q = 1 − P (module docstring); PyTorch's values at a = 0, x = 0 and infinities.
                 Other array libraries: a host round trip.
    """

    name = "igamma"
    array_api = True
    text = ("P(a, x) = γ(a, x)/Γ(a) = (1/Γ(a)) ∫₀ˣ t^{a−1} e^{−t} dt",
            "∂P/∂x = x^{a−1} e^{−x}/Γ(a)")
    latex = (r"P(a, x) = \frac{1}{\Gamma(a)}\int_0^x t^{a-1} e^{-t}\,dt",
             r"\frac{\partial P}{\partial x} = \frac{x^{a-1} e^{-x}}{\Gamma(a)}")
    explanation = "The Gamma(a, 1) cdf; its slope in x is the Gamma density."
    domain = "positive"
    reference = staticmethod(gammainc_array)

    @staticmethod
    def forward(ctx, a, x):
        ctx.save(a, x)
        return on_host(gammainc_array, a, x)

    @staticmethod
    def vjp(ctx, g):
        return _igamma_vjp(ctx, g, 1.0, "igamma")


@primitive
class Igammac(Function):
    """The regularised upper incomplete gamma function Q(a, x) (``gammaincc``, ``igammac``).

    Forward:     Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x) = (1/Γ(a)) ∫ₓ^∞ t^{a−1} e^{−t} dt
    Derivative:  ∂Q/∂x = −x^{a−1} e^{−x}/Γ(a);  ∂Q/∂a: none
    VJP:         ∂L/∂x = −g · exp((a − 1) ln x − x − ln Γ(a));  ∂L/∂a raises
                 NotImplementedError, as PyTorch's
    Numerics:    as :class:`Igamma`; Q itself is computed where it is small (fraction, small-x
                 series), never as 1 − P there.
    """

    name = "igammac"
    array_api = True
    text = ("Q(a, x) = Γ(a, x)/Γ(a) = (1/Γ(a)) ∫ₓ^∞ t^{a−1} e^{−t} dt",
            "∂Q/∂x = −x^{a−1} e^{−x}/Γ(a)")
    latex = (r"Q(a, x) = \frac{1}{\Gamma(a)}\int_x^\infty t^{a-1} e^{-t}\,dt",
             r"\frac{\partial Q}{\partial x} = -\frac{x^{a-1} e^{-x}}{\Gamma(a)}")
    explanation = "The Gamma(a, 1) survival function; its slope in x is minus the density."
    domain = "positive"
    reference = staticmethod(gammaincc_array)

    @staticmethod
    def forward(ctx, a, x):
        ctx.save(a, x)
        return on_host(gammaincc_array, a, x)

    @staticmethod
    def vjp(ctx, g):
        return _igamma_vjp(ctx, g, -1.0, "igammac")


# ------------------------------------------------------------------ the functions
def _integer_refusal(kernel: str, input, other) -> None:  # noqa: A002
    """PyTorch's igamma/igammac kernels take floating dtypes only: two integer (or bool)
    tensors raise NotImplementedError; an integer beside a float is promoted."""
    kinds = [numpy_dtype(t._data.dtype) for t in (input, other) if isinstance(t, Tensor)]
    if kinds and all(k.kind in "biu" for k in kinds):
        from .promotion import result_type

        dtype = numpy_dtype(result_type(input, other))
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{TORCH_NAMES.get(dtype.name, dtype.name)}'")


@tensor_method(inplace=True)
def igamma(input, other) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    """P(a, x) = γ(a, x)/Γ(a) with a = input, x = other (``torch.igamma``,
    ``torch.special.gammainc``); differentiable in x only; see :class:`Igamma`."""
    _integer_refusal("igamma_cpu", input, other)
    return Igamma.apply(*binary_operands("igamma", input, other, scalars=False))


@tensor_method(inplace=True)
def igammac(input, other) -> Tensor:  # noqa: A002
    """Q(a, x) = 1 − P(a, x) with a = input, x = other (``torch.igammac``,
    ``torch.special.gammaincc``); differentiable in x only; see :class:`Igammac`."""
    _integer_refusal("igammac_cpu", input, other)
    return Igammac.apply(*binary_operands("igammac", input, other, scalars=False))


def gammainc(input, other) -> Tensor:  # noqa: A002
    """``torch.special.gammainc``: :func:`igamma`."""
    _integer_refusal("igamma_cpu", input, other)
    return Igamma.apply(*binary_operands("special_gammainc", input, other, scalars=False))


def gammaincc(input, other) -> Tensor:  # noqa: A002
    """``torch.special.gammaincc``: :func:`igammac`."""
    _integer_refusal("igammac_cpu", input, other)
    return Igammac.apply(*binary_operands("special_gammaincc", input, other, scalars=False))


def _check_p(p) -> int:
    if isinstance(p, bool) or not isinstance(p, int):
        raise TypeError(f"multigammaln(): argument 'p' must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return p


@tensor_method(inplace=True)
def mvlgamma(input, p: int) -> Tensor:  # noqa: A002
    """ln Γ_p(a) = p(p−1)/4 · ln π + Σⱼ₌₀^{p−1} ln Γ(a − j/2), the multivariate log-gamma
    function (``torch.mvlgamma``, ``torch.special.multigammaln``): a composite of lgamma, as
    PyTorch computes it (so its derivative is Σⱼ ψ(a − j/2)). Integer inputs become the default
    float dtype. (PyTorch 2.13 no longer checks a > (p − 1)/2: below it the result is that of
    the formula, inf at its poles.)"""
    p = _check_p(p)
    x = to_float(input)
    dtype = numpy_dtype(x._data.dtype)
    offsets = xp.arange(-p * 0.5 + 0.5, 0.5, 0.5).astype(dtype)   # −(p−1)/2, …, −½, 0
    offsets = Tensor._from_op(asarray_like(offsets, x._data), None)
    args = offsets + x.unsqueeze(-1)
    constant = float(p * (p - 1)) * math.log(math.pi) * 0.25
    return lgamma(args).sum(-1) + constant


def multigammaln(input, p: int) -> Tensor:  # noqa: A002
    """``torch.special.multigammaln``: :func:`mvlgamma`."""
    return mvlgamma(input, p)


__all__ = ["igamma", "igammac", "gammainc", "gammaincc", "mvlgamma", "multigammaln"]
