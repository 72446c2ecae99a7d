"""Activation functions: the nonlinearities between layers, each with its derivative."""
from __future__ import annotations

import math

from .. import kernels
from ..autograd.function import Function, primitive
from ..backend import array_namespace, is_array, namespace, xp
from ..parallel import map_flat
from .complex_checks import ORDER, complex_dtype, refuse_complex
from .special import normal_cdf

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_CUBIC = 0.044715


def _sigmoid(x):
    """σ(x) from e = e^{−|x|} ∈ (0, 1]: 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0.

    Both branches are the same function; choosing by sign means e^{…} never overflows and, for
    x ≪ 0, σ(x) ≈ e keeps its full relative accuracy (½(1 + tanh(x/2)) would cancel to 0).
    A complex x (which has no sign) takes 1/(1 + e^{−x}), PyTorch's complex formula.
    """
    ns = namespace(x)
    if complex_dtype(x) is not None:
        return 1.0 / (1.0 + ns.exp(-x))
    e = ns.exp(-ns.abs(x))
    return ns.where(x >= 0, 1.0, e) / (1.0 + e)


@primitive
class Sigmoid(Function):
    """Logistic sigmoid.

    Forward:     y = σ(x) = 1 / (1 + e^{−x})
    Derivative:  ∂σ/∂x = σ(x)(1 − σ(x))
    VJP:         ∂L/∂x = g · y · (1 − y)      (reuses the output y)
    Numerics:    from e = e^{−|x|}: 1/(1 + e) for x ≥ 0, e/(1 + e) for x < 0 — no overflow, and
                 full relative accuracy in the left tail. Complex x: 1/(1 + e^{−x}) (PyTorch's);
                 holomorphic, so the complex gradient is g·conj(y(1 − y)).
    """

    name = "sigmoid"
    array_api = True
    complex_grad = "holomorphic"
    text = ("σ(x) = 1/(1 + e^{−x})", "∂σ/∂x = σ(x)(1 − σ(x))")
    latex = (r"\sigma(x) = \frac{1}{1+e^{-x}}",
             r"\frac{\partial\sigma}{\partial x} = \sigma(x)\,(1-\sigma(x))")
    explanation = "The sigmoid squashes any real number into (0, 1); its slope peaks at ¼ at x = 0."
    reference = staticmethod(lambda x: 1 / (1 + xp.exp(-x)))

    @staticmethod
    def forward(ctx, x):
        y = _sigmoid(x)
        ctx.save(y)
        return y

    @staticmethod
    def vjp(ctx, g):
        (y,) = ctx.saved
        return g * y * (1 - y)


@primitive
class Relu(Function):
    """Rectified linear unit.

    Forward:     y = max(0, x)
    Derivative:  ∂y/∂x = 1[x > 0]
    VJP:         ∂L/∂x = g where y > 0, else 0 (PyTorch's threshold_backward: an infinite or
                 NaN g is blocked where y ≤ 0, not multiplied by 0 into NaN, and passes where
                 y is NaN)
    Kinks:       ReLU′(0) = 0, as PyTorch.
    Numerics:    large arrays are split over the intra-op threads; with the fast kernels the
                 backward is one pass (kernels/activations.py).
    """

    name = "relu"
    array_api = True
    text = ("y = max(0, x)", "∂y/∂x = 1[x > 0]   (0 at x = 0)")
    latex = (r"y = \max(0, x)", r"\frac{\partial y}{\partial x} = \mathbb{1}[x > 0]")
    explanation = "ReLU passes positive inputs unchanged and blocks the gradient of negative ones."
    domain = "away_from_zero"
    reference = staticmethod(lambda x: xp.maximum(x, 0))

    @staticmethod
    def forward(ctx, x):
        refuse_complex("relu", x, reason=ORDER)
        if not is_array(x):            # another array library: the standard's maximum
            y = array_namespace(x).maximum(x, 0.0)
            ctx.save(y)
            return y
        y = map_flat(_relu_into, xp.empty(x.shape, dtype=x.dtype), x)
        ctx.save(y)
        return y

    @staticmethod
    def vjp(ctx, g):
        (y,) = ctx.saved
        if not is_array(g):
            return namespace(g).where(y <= 0, 0.0, g)
        if g.shape == y.shape and kernels.takes(g, y, contiguous=True):
            from ..kernels.activations import relu_backward

            return map_flat(relu_backward, xp.empty(g.shape, dtype=g.dtype), g, y)
        if not (xp.isfinite(g.sum()) and xp.isfinite(y.sum())):
            return xp.where(y <= 0, g.dtype.type(0), g)      # the rare case, exactly
        # All finite: g·1[y > 0] is the same numbers, branch-free (8x faster than where here).
        out = xp.empty(xp.broadcast_shapes(g.shape, y.shape), dtype=g.dtype)
        return map_flat(_pass_positive, out, g, y)


def _relu_into(x, out):
    return xp.maximum(x, 0, out=out)


def _pass_positive(g, y, out):
    return xp.multiply(g, y > 0, out=out)


@primitive
class LeakyRelu(Function):
    """Leaky ReLU.

    Forward:     y = x if x > 0 else a·x      (a = negative_slope, default 0.01)
    Derivative:  ∂y/∂x = 1 if x > 0 else a
    VJP:         ∂L/∂x = g · (1 if x > 0 else a)
    Kinks:       at x = 0 the slope a is used, as PyTorch.
    """

    name = "leaky_relu"
    array_api = True
    text = ("y = x if x > 0, a·x otherwise", "∂y/∂x = 1 if x > 0, a otherwise")
    latex = (r"y = \begin{cases} x & x > 0 \\ a x & x \le 0 \end{cases}",
             r"\frac{\partial y}{\partial x} = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}")
    explanation = ("A small slope a for negative inputs keeps units from dying (a zero gradient "
                   "forever).")
    domain = "away_from_zero"
    reference = staticmethod(lambda x, negative_slope=0.01: xp.where(x > 0, x, negative_slope * x))

    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        refuse_complex("leaky_relu", x, reason=ORDER)
        positive = x > 0
        ctx.save(positive)
        ctx.slope = negative_slope
        return array_namespace(x).where(positive, x, x * negative_slope)

    @staticmethod
    def vjp(ctx, g):
        (positive,) = ctx.saved
        return namespace(g).where(positive, g, g * ctx.slope)


@primitive
class Elu(Function):
    """Exponential linear unit.

    Forward:     y = x if x > 0 else α(eˣ − 1)
    Derivative:  ∂y/∂x = 1 if x > 0 else α·eˣ (= y + α)
    VJP:         ∂L/∂x = g · (1 if x > 0 else α·eˣ)
    Kinks:       at x = 0 the left slope α is used, as PyTorch.
    Numerics:    the slope is α·eˣ from x, as PyTorch's elu_backward: y + α would round to 0
                 for x < −37 (float64), where α·eˣ is still a normal number. A NaN input has a
                 NaN slope (PyTorch's vectorized kernel; its scalar tail passes g instead).
    """

    name = "elu"
    array_api = True
    text = ("y = x if x > 0, α(eˣ − 1) otherwise", "∂y/∂x = 1 if x > 0, α·eˣ = y + α otherwise")
    latex = (r"y = \begin{cases} x & x > 0 \\ \alpha(e^{x}-1) & x \le 0 \end{cases}",
             r"\frac{\partial y}{\partial x} = \begin{cases} 1 & x > 0 \\ \alpha e^{x} = y + "
             r"\alpha & x \le 0 \end{cases}")
    explanation = ("ELU is smooth for negative inputs and saturates at −α, pushing mean "
                   "activations to 0.")
    domain = "away_from_zero"
    reference = staticmethod(
        lambda x, alpha=1.0: xp.where(x > 0, x, alpha * (xp.exp(xp.minimum(x, 0)) - 1)))

    @staticmethod
    def forward(ctx, x, alpha=1.0):
        refuse_complex("elu", x)
        positive = x > 0
        ns = array_namespace(x)
        y = ns.where(positive, x, alpha * ns.expm1(ns.minimum(x, 0.0)))
        ctx.save(positive, x)
        ctx.alpha = alpha
        return y

    @staticmethod
    def vjp(ctx, g):
        positive, x = ctx.saved
        ns = namespace(g)
        return ns.where(positive, g, g * (ctx.alpha * ns.exp(ns.minimum(x, 0.0))))


@primitive
class Gelu(Function):
    """Gaussian error linear unit.

    Forward:     y = x·Φ(x), Φ the standard normal CDF
                 (approximate='tanh': y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))))
    Derivative:  ∂y/∂x = Φ(x) + x·φ(x),  φ(x) = e^{−x²/2}/√(2π)
                 (tanh form: ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²))
    VJP:         ∂L/∂x = g · ∂y/∂x
    Numerics:    Φ(x) = ½ erfc(−x/√2), accurate far into the left tail. Other array libraries:
                 their own erfc, else a host round trip for it (backend.special_function).
    """

    name = "gelu"
    array_api = True
    text = ("y = x·Φ(x)", "∂y/∂x = Φ(x) + x·φ(x)")
    latex = (r"y = x\,\Phi(x)", r"\frac{\partial y}{\partial x} = \Phi(x) + x\,\varphi(x)")
    explanation = "GELU weights each input by the probability that a standard normal is below it."
    reference = staticmethod(lambda x, approximate="none": x * 0.5 * (
        1 + xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x ** 3))) if approximate == "tanh"
        else x * normal_cdf(x))

    @staticmethod
    def forward(ctx, x, approximate="none"):
        refuse_complex("gelu", x)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        ctx.save(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            ns = array_namespace(x)
            return 0.5 * x * (1 + ns.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x ** 3)))
        return x * normal_cdf(x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        ns = namespace(x)
        if ctx.approximate == "tanh":
            t = ns.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x ** 3))
            inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner)
        return g * (normal_cdf(x) + x * (_INV_SQRT_2PI * ns.exp(-0.5 * x * x)))


@primitive
class Silu(Function):
    """Sigmoid-weighted linear unit (swish).

    Forward:     y = x·σ(x)
    Derivative:  ∂y/∂x = σ(x)(1 + x(1 − σ(x)))
    VJP:         ∂L/∂x = g · σ(x)(1 + x(1 − σ(x)))
    Numerics:    σ from e^{−|x|}, as for sigmoid (accurate in the left tail); complex x:
                 x/(1 + e^{−x}) (PyTorch's values).
    """

    name = "silu"
    array_api = True
    text = ("y = x·σ(x)", "∂y/∂x = σ(x)(1 + x(1 − σ(x)))")
    latex = (r"y = x\,\sigma(x)",
             r"\frac{\partial y}{\partial x} = \sigma(x)\,(1 + x(1-\sigma(x)))")
    explanation = "SiLU is a smooth ReLU-like curve that dips slightly below zero for negative x."
    reference = staticmethod(lambda x: x / (1 + xp.exp(-x)))

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return x * _sigmoid(x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        s = _sigmoid(x)
        return g * (s * (1 + x * (1 - s)))


@primitive
class Softplus(Function):
    """Softplus, a smooth ReLU.

    Forward:     y = (1/β)·ln(1 + e^{βx}),  and y = x where βx > threshold
    Derivative:  ∂y/∂x = σ(βx)   (1 where βx > threshold)
    VJP:         ∂L/∂x = g · σ(βx)
    Numerics:    ln(1 + e^{z}) = max(z, 0) + ln(1 + e^{−|z|}): no overflow.
    """

    name = "softplus"
    array_api = True
    text = ("y = (1/β)·ln(1 + e^{βx})", "∂y/∂x = σ(βx)")
    latex = (r"y = \frac{1}{\beta}\ln\left(1 + e^{\beta x}\right)",
             r"\frac{\partial y}{\partial x} = \sigma(\beta x)")
    explanation = "Softplus is the integral of the sigmoid: a ReLU with a rounded corner."
    reference = staticmethod(lambda x, beta=1.0, threshold=20.0: xp.where(
        beta * x > threshold, x, xp.log1p(xp.exp(beta * xp.minimum(x, threshold / beta))) / beta))

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        refuse_complex("softplus", x)
        z = beta * x
        linear = z > threshold
        ctx.save(x, linear)
        ctx.beta = beta
        return _softplus(x, z, linear, beta)

    @staticmethod
    def vjp(ctx, g):
        x, linear = ctx.saved
        return namespace(g).where(linear, g, g * _sigmoid(ctx.beta * x))


def _softplus(x, z, linear, beta):
    """Softplus's values from z = βx: x where ``linear``, else (max(z, 0) + ln(1 + e^{−|z|}))/β
    (on arrays, or on Tensors inside a differentiable backward)."""
    ns = namespace(x)
    smooth = (ns.maximum(z, 0.0) + ns.log1p(ns.exp(-ns.abs(z)))) / beta
    return ns.where(linear, x, smooth)


def sigmoid(x):
    from .promotion import to_float  # an integer tensor gives the default float dtype

    return Sigmoid.apply(to_float(x))


def relu(x):
    return Relu.apply(x)


def leaky_relu(x, negative_slope: float = 0.01):
    return LeakyRelu.apply(x, negative_slope=negative_slope)


def elu(x, alpha: float = 1.0):
    return Elu.apply(x, alpha=alpha)


def gelu(x, approximate: str = "none"):
    return Gelu.apply(x, approximate=approximate)


def silu(x):
    return Silu.apply(x)


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    return Softplus.apply(x, beta=beta, threshold=threshold)
