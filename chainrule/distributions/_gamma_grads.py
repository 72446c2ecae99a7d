"""PyTorch's reparameterisation gradients of the Gamma and the Dirichlet, formula for formula.

The exact implicit derivative of a Gamma(α, 1) draw z is ∂z/∂α = −(∂F/∂α)(z; α)/p(z; α) (F the
cdf, p the density; :func:`chainrule.distributions._igamma.standard_gamma_grad_array` computes
it). PyTorch does not compute it exactly: its ``_standard_gamma_grad`` and ``_dirichlet_grad``
(ATen's ``standard_gamma_grad_one`` and ``dirichlet_grad_one``) switch between a short Taylor
series, Rice saddle-point (asymptotic) expansions and fitted rational functions, each accurate
to about 1e-3…1e-4 relative. chainrule evaluates the same formulas with the same branch limits
and the same order of operations, so its gradients are PyTorch's numbers, not only the same
quantity in expectation.

Precision, as PyTorch's CPU kernels: ``_standard_gamma_grad`` casts both arguments to double,
computes in double and rounds the result to the input dtype. ``_dirichlet_grad`` mixes: the
branch tests, the two near-boundary series (x near 0 or 1) and the digammas they use run in the
input dtype (float arithmetic for float32, the float32 ``log`` and ``pow`` taken as float64
values rounded to float32); the saddle-point branch and the rational correction run in double,
the correction's two digammas again in the input dtype.

Every function is whole-array NumPy (masked branches, loops over a fixed number of series terms,
never over elements). PyTorch's exp, log and pow are glibc's; chainrule takes them in long double
where the platform has one and rounds once, so nearly all results are PyTorch's bits and the rest
differ by a unit in the last place of an intermediate — magnified only where a formula itself
cancels (ψ(α₀) − ψ(α) for α₀ − α ≪ α, the series for tiny α), as PyTorch's own rounding is there.
Like PyTorch's, both functions have no derivative of their own (their backward raises).
"""
from __future__ import annotations

import math

from ..autograd.function import Function
from ..backend import xp
from ..tensor import Tensor

_PSI_10 = 2.25175258906672110764
# the asymptotic series of ψ (Cephes), highest power first
_PSI_A = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
          -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
          8.33333333333333333333e-2)


def _f32(value: float) -> float:
    """A C ``float`` literal (``0.8f``) as the double the C++ comparison promotes it to."""
    return float(xp.float32(value))


# PyTorch calls glibc's exp, log and pow, correctly rounded in all but rare cases; NumPy's own
# (SIMD) float64 exp and pow are off by one unit in the last place in ~5% of cases, which the
# formulas' cancellations (ψ(α₀) − ψ(α), a series' first terms) can magnify. Where the platform
# has a wider long double (x86-64: 64-bit mantissa) they run in it and round once to double.
_WIDE = xp.longdouble if xp.finfo(xp.longdouble).nmant > xp.finfo(xp.float64).nmant else None


def _exp(v):
    return xp.exp(v) if _WIDE is None else xp.exp(v.astype(_WIDE)).astype(v.dtype)


def _ln(v):
    return xp.log(v) if _WIDE is None else xp.log(v.astype(_WIDE)).astype(v.dtype)


def _power(base, exponent):
    if _WIDE is None:
        return xp.power(base, exponent)
    return xp.power(xp.asarray(base, dtype=_WIDE), xp.asarray(exponent, dtype=_WIDE)
                    ).astype(xp.float64)


def _log(v):
    """``std::log`` in v's precision (float32: the float64 log rounded, as logf rounds)."""
    return _ln(v.astype(xp.float64)).astype(v.dtype)


def _pow(base, exponent):
    """``std::pow`` in the inputs' precision (float32: the float64 power rounded)."""
    dtype = xp.result_type(base, exponent)
    return _power(xp.asarray(base, dtype=xp.float64),
                  xp.asarray(exponent, dtype=xp.float64)).astype(dtype)


def digamma_one(x, dtype=xp.float64):
    r"""ψ(x) as ATen's ``digamma_one<scalar_t, double>``: recurrence up to x ≥ 10, then the
    asymptotic series; ``dtype`` is scalar_t (float32: x, 1/x, x + 1, log x and 0.5/x in float
    arithmetic, the sum in double, the result rounded to float32)."""
    s = xp.dtype(dtype).type
    x = xp.asarray(x, dtype=dtype).copy()
    one = s(1)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        zero = x == 0
        neg = x < 0
        neg_int = neg & (x == xp.floor(x))
        extra = xp.zeros(x.shape)
        if neg.any():
            pi = s(math.pi)
            extra[neg] = -pi / xp.tan(pi * x[neg]).astype(dtype)
            x = xp.where(neg, one - x, x)
        result = xp.zeros(x.shape)
        for _ in range(12):                       # x ≥ 0 here: at most 11 steps to reach 10
            low = x < 10
            if not low.any():
                break
            result = xp.where(low, result - (one / x).astype(xp.float64), result)
            x = xp.where(low, x + one, x)
        xd = x.astype(xp.float64)
        z = 1.0 / (x * x).astype(xp.float64)
        poly = xp.zeros(x.shape)
        for c in _PSI_A:
            poly = poly * z + c
        y = xp.where(xd < _f32(1.0e17), z * poly, 0.0)
        log_x = _log(x).astype(xp.float64)
        half = (s(0.5) / x).astype(xp.float64)
        out = result + log_x - half - y + extra
        out = xp.where(x == 10, result + _PSI_10 + extra, out)
        out = xp.where(zero | neg_int, xp.inf, out)
    return out.astype(dtype)


# ----------------------------------------------------------------------- the Gamma: ∂z/∂α
def _gamma_grad_small_x(alpha, x):
    """x < 0.8: P(α, x) and ∂P/∂α from six terms of the Taylor series in x, divided by the
    density (nan → 0, as PyTorch)."""
    numer = xp.ones_like(x)
    denom = alpha.copy()
    series1 = numer / denom
    series2 = numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / float(i))
        denom = denom + 1.0
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    pow_x_alpha = _power(x, alpha)
    pdf = _power(x, alpha - 1.0) * _exp(-x)
    cdf = pow_x_alpha * series1
    cdf_alpha = (_ln(x) - digamma_one(alpha)) * cdf - pow_x_alpha * series2
    result = -cdf_alpha / pdf
    return xp.where(xp.isnan(result), 0.0, result)


def _gamma_grad_rice(alpha, x):
    """α > 8, x ≥ 0.8: Rice's saddle-point expansion; near the mode (0.9α ≤ x ≤ 1.1α, where
    it is singular) its polynomial limit."""
    near = (_f32(0.9) * alpha <= x) & (x <= _f32(1.1) * alpha)
    a2 = alpha * alpha
    numer_1 = 1.0 + 24.0 * alpha * (1.0 + 12.0 * alpha)
    numer_2 = (1440.0 * a2 + 6.0 * x * (53.0 - 120.0 * x) - 65.0 * x * x / alpha
               + alpha * (107.0 + 3600.0 * x))
    mode_value = numer_1 * numer_2 / (1244160.0 * a2 * a2)
    denom = xp.sqrt(8.0 * alpha)
    term2 = denom / (alpha - x)
    term3 = _power(x - alpha - alpha * _ln(x / alpha), -1.5)
    term23 = xp.where(x < alpha, term2 - term3, term2 + term3)
    term1 = (_ln(x / alpha) * term23
             - xp.sqrt(2.0 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x)))
    stirling = 1.0 + 1.0 / (12.0 * alpha) * (1.0 + 1.0 / (24.0 * alpha))
    tail_value = -stirling * (x * term1) / denom
    return xp.where(near, mode_value, tail_value)


_GAMMA_UV = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343,
              1.0, 0.32668115, 0.10406089, 0.0014179084),
             (0.53487893, 0.1298071, 0.065735949, -0.0015649758,
              0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
             (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
              0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07))


def _gamma_grad_rational(alpha, x):
    """Otherwise: exp(p/q), p and q cubics in v = log α whose coefficients are quadratics in
    u = log(x/α) (a fit to the exact gradient)."""
    u = _ln(x / alpha)
    v = _ln(alpha)
    c = [_GAMMA_UV[0][i] + u * (_GAMMA_UV[1][i] + u * _GAMMA_UV[2][i]) for i in range(8)]
    p = c[0] + v * (c[1] + v * (c[2] + v * c[3]))
    q = c[4] + v * (c[5] + v * (c[6] + v * c[7]))
    return _exp(p / q)


def standard_gamma_grad_array(alpha, x):
    """PyTorch's ``_standard_gamma_grad(alpha, x)`` on arrays (broadcast): ∂x/∂α for x ~
    Gamma(α, 1), computed in double, returned in the inputs' dtype."""
    alpha, x = xp.broadcast_arrays(xp.asarray(alpha), xp.asarray(x))
    dtype = xp.result_type(alpha, x)
    a = alpha.astype(xp.float64).reshape(-1)
    z = x.astype(xp.float64).reshape(-1)
    out = xp.empty(a.shape)
    small = z < _f32(0.8)
    rice = ~small & (a > 8.0)
    rational = ~small & ~rice
    with xp.errstate(all="ignore"):
        for mask, branch in ((small, _gamma_grad_small_x), (rice, _gamma_grad_rice),
                             (rational, _gamma_grad_rational)):
            if mask.any():
                out[mask] = branch(a[mask], z[mask])
    return out.reshape(alpha.shape).astype(dtype)


# ------------------------------------------------------------- the Dirichlet: its Beta marginals
def _beta_grad_alpha_small(x, alpha, beta):
    """x near 0: the Taylor series of −(∂I/∂α)/p for Beta(α, β) in x (11 terms, in the input
    dtype; nan → 0)."""
    s = x.dtype.type
    one = s(1)
    factor = digamma_one(alpha, x.dtype) - digamma_one(alpha + beta, x.dtype) - _log(x)
    numer = xp.ones_like(x)
    series = numer / alpha * (factor + one / alpha)
    for i in range(1, 11):
        numer = numer * ((s(i) - beta) * x / s(i))
        denom = alpha + s(i)
        series = series + numer / denom * (factor + one / denom)
    result = x * _pow(one - x, -beta) * series
    return xp.where(xp.isnan(result), s(0), result)


def _beta_grad_beta_small(x, alpha, beta):
    """x near 0: the Taylor series of −(∂I/∂β)/p for Beta(α, β) in x (9 terms, in the input
    dtype; nan → 0)."""
    s = x.dtype.type
    factor = digamma_one(alpha + beta, x.dtype) - digamma_one(beta, x.dtype)
    numer = xp.ones_like(x)
    betas = xp.ones_like(x)
    dbetas = xp.zeros_like(x)
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / s(i))
        dbetas = dbetas * (beta - s(i)) + betas
        betas = betas * (beta - s(i))
        series = series + numer / (alpha + s(i)) * (dbetas + factor * betas)
    result = -_pow(s(1) - x, s(1) - beta) * series
    return xp.where(xp.isnan(result), s(0), result)


def _beta_grad_alpha_mid(x, alpha, beta):
    """α, β > 6 (double): Rice's saddle-point expansion of −(∂I/∂α)/p; within 0.1 standard
    deviations of the mean (its singularity) a polynomial limit."""
    total = alpha + beta
    mean = alpha / total
    std = xp.sqrt(alpha * beta / (total + 1.0)) / total
    near = (mean - 0.1 * std <= x) & (x <= mean + 0.1 * std)
    b2 = beta * beta
    poly = 47.0 * x * b2 * b2 + alpha * (
        (43.0 + 20.0 * (16.0 + 27.0 * beta) * x) * b2 * beta + alpha * (
            3.0 * (59.0 + 180.0 * beta - 90.0 * x) * b2 + alpha * (
                (453.0 + 1620.0 * beta * (1.0 - x) - 455.0 * x) * beta + alpha * (
                    8.0 * (1.0 - x) * (135.0 * beta - 11.0)))))
    prefactor_num = (1.0 + 12.0 * alpha) * (1.0 + 12.0 * beta) / (total * total)
    prefactor_den = 12960.0 * alpha * alpha * alpha * beta * beta * (1.0 + 12.0 * total)
    near_value = prefactor_num / (1.0 - x) * poly / prefactor_den
    prefactor = -x / xp.sqrt(2.0 * alpha * beta / total)
    stirling = ((1.0 + 1.0 / (12.0 * alpha) + 1.0 / (288.0 * alpha * alpha))
                * (1.0 + 1.0 / (12.0 * beta) + 1.0 / (288.0 * beta * beta))
                / (1.0 + 1.0 / (12.0 * total) + 1.0 / (288.0 * total * total)))
    term1_num = 2.0 * (alpha * alpha) * (x - 1.0) + alpha * beta * (x - 1.0) - x * b2
    axbx = alpha * (x - 1.0) + beta * x
    term1_den = xp.sqrt(2.0 * alpha / beta) * _power(total, 1.5) * axbx * axbx
    term1 = term1_num / term1_den
    term2 = 0.5 * _ln(alpha / (total * x))
    term3 = xp.sqrt(8.0 * alpha * beta / total) / (beta * x + alpha * (x - 1.0))
    term4_base = (beta * _ln(beta / (total * (1.0 - x)))
                  + alpha * _ln(alpha / (total * x)))
    term4 = _power(term4_base, -1.5)
    term1234 = term1 + term2 * (term3 + xp.where(x < mean, term4, -term4))
    return xp.where(near, near_value, stirling * prefactor * term1234)


# c[k][i][j][m]: p (k = 0) and q (k = 1) = Σᵢⱼ uⁱ aʲ (c₀ + b(c₁ + b(c₂ + b c₃)))
_DIRICHLET_C = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1.0, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))),
)


def _dirichlet_grad_rational(x, alpha, total, dtype):
    """Otherwise (double): x(ψ(α₀) − ψ(α))/β, the gradient's analytic approximation, times a
    fitted rational correction p/q in u = log x, a = log α − u, b = log α₀ − a."""
    u = _ln(x)
    a = _ln(alpha) - u
    b = _ln(total) - a
    pow_u = (1.0, u, u * u)
    pow_a = (1.0, a, a * a)
    p = xp.zeros_like(x)
    q = xp.zeros_like(x)
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            cp, cq = _DIRICHLET_C[0][i][j], _DIRICHLET_C[1][i][j]
            p = p + ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q = q + ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    psi_diff = (digamma_one(total, dtype) - digamma_one(alpha, dtype)).astype(xp.float64)
    approx = x * psi_diff / (total - alpha)
    return p / q * approx


def dirichlet_grad_array(x, alpha, total):
    """PyTorch's ``_dirichlet_grad(x, alpha, total)`` on arrays (broadcast): for x ~ Beta(α,
    α₀ − α), −(∂I_x(α, α₀ − α)/∂α) / p(x) / (1 − x) (I the Beta cdf, p its density), in the
    inputs' dtype."""
    x, alpha, total = xp.broadcast_arrays(xp.asarray(x), xp.asarray(alpha), xp.asarray(total))
    dtype = xp.result_type(x, alpha, total)
    s = dtype.type
    xs, als, tot = (v.astype(dtype).reshape(-1) for v in (x, alpha, total))
    out = xp.empty(xs.shape, dtype=dtype)
    with xp.errstate(all="ignore"):
        beta = tot - als
        boundary = tot * xs * (s(1) - xs)
        near0 = (xs <= s(0.5)) & (boundary < s(2.5))
        near1 = ~near0 & (xs >= s(0.5)) & (boundary < s(0.75))
        mid = ~near0 & ~near1 & (als > 6) & (beta > 6)
        rest = ~near0 & ~near1 & ~mid
        if near0.any():
            out[near0] = _beta_grad_alpha_small(xs[near0], als[near0], beta[near0])
        if near1.any():
            out[near1] = -_beta_grad_beta_small(s(1) - xs[near1], beta[near1], als[near1])
        xd, ad, td = (v.astype(xp.float64) for v in (xs, als, tot))
        if mid.any():
            out[mid] = _beta_grad_alpha_mid(xd[mid], ad[mid], td[mid] - ad[mid])
        if rest.any():
            out[rest] = _dirichlet_grad_rational(xd[rest], ad[rest], td[rest], dtype)
    return out.reshape(x.shape)


# ------------------------------------------------------------------ torch's two functions
_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
          "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "bool": "Bool"}


def _check_dtypes(op: str, arrays) -> None:
    first = arrays[0].dtype
    if first.kind != "f" or first.itemsize < 4:
        raise NotImplementedError(f'"{op}_cpu" not implemented for '
                                  f"'{_NAMES.get(first.name, first.name)}' (float32 or float64 "
                                  f"only)")
    for a in arrays[1:]:
        if a.dtype != first:
            raise RuntimeError(f"{op}: found dtype {_NAMES.get(a.dtype.name, a.dtype.name)} "
                               f"but expected {_NAMES.get(first.name, first.name)} (all "
                               f"arguments must have the same dtype)")


class _StandardGammaGrad(Function):
    r"""PyTorch's approximation of ∂z/∂α for a draw z ~ Gamma(α, 1) (``_standard_gamma_grad``).

    Forward:     ≈ −(∂F/∂α)(z; α) / p(z; α), F the Gamma(α, 1) cdf and p its density:
                 z < 0.8: six terms of the Taylor series of F in z; α > 8: Rice's saddle-point
                 expansion (its polynomial limit for 0.9α ≤ z ≤ 1.1α); otherwise exp(p/q), p, q
                 polynomials in log α and log(z/α); in double, rounded to the input dtype
    Derivative:  not implemented in α (as PyTorch: backward raises); z is not differentiated
                 through (PyTorch's output does not require grad for z)
    Numerics:    accurate to about 1e-4 relative against the exact implicit derivative
    """

    name = "standard_gamma_grad"

    @staticmethod
    def forward(ctx, alpha, z):
        _check_dtypes("_standard_gamma_grad", (alpha, z))
        return standard_gamma_grad_array(alpha, z)

    @staticmethod
    def vjp(ctx, g):
        raise RuntimeError("the derivative for '_standard_gamma_grad' is not implemented.")


class _DirichletGrad(Function):
    r"""PyTorch's approximation of the Dirichlet's reparameterisation gradient
    (``_dirichlet_grad``): for x ~ Beta(α, α₀ − α), −(∂I_x(α, α₀ − α)/∂α) / p(x) / (1 − x).

    Forward:     x ≤ ½ and α₀x(1 − x) < 2.5: Taylor series in x (x near 0); x ≥ ½ and
                 α₀x(1 − x) < 0.75: the series in 1 − x (x near 1); α, α₀ − α > 6: Rice's
                 saddle-point expansion; otherwise x(ψ(α₀) − ψ(α))/(α₀ − α) times a fitted
                 rational correction
    Derivative:  not implemented (as PyTorch: backward raises)
    Numerics:    the series in the input dtype, the expansion and the correction in double
    """

    name = "dirichlet_grad"

    @staticmethod
    def forward(ctx, x, alpha, total):
        _check_dtypes("_dirichlet_grad", (x, alpha, total))
        return dirichlet_grad_array(x, alpha, total)

    @staticmethod
    def vjp(ctx, g):
        raise RuntimeError("derivative for aten::_dirichlet_grad is not implemented")


def _as_tensor(value, name: str, op: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(value).__name__}")
    return value


def _standard_gamma_grad(input: Tensor, output: Tensor) -> Tensor:  # noqa: A002
    """``torch._standard_gamma_grad(input, output)``: PyTorch's approximation of ∂z/∂α at the
    draws ``output`` of Gamma(``input``, 1), broadcast, in their (common) dtype."""
    alpha = _as_tensor(input, "input", "_standard_gamma_grad")
    z = _as_tensor(output, "output", "_standard_gamma_grad")
    return _StandardGammaGrad.apply(alpha, z.detach())


def _dirichlet_grad(x: Tensor, alpha: Tensor, total: Tensor) -> Tensor:
    """``torch._dirichlet_grad(x, alpha, total)``: PyTorch's approximation of ∂x/∂α for x the
    first coordinate of a draw of Beta(α, total − α), broadcast, in their (common) dtype; the
    Dirichlet's rsample gradient is it times (ḡ − Σ x ḡ)."""
    args = [_as_tensor(v, n, "_dirichlet_grad") for v, n in ((x, "x"), (alpha, "alpha"),
                                                              (total, "total"))]
    return _DirichletGrad.apply(*args)
