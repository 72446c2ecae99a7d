"""More activation functions (PyTorch's ``torch.nn.functional`` names, arguments and kinks).

Four are primitives, because their derivative at a kink (or their numerics) is a convention of
their own: ``hardtanh`` (relu6 is hardtanh(x, 0, 6)), ``hardsigmoid``, ``hardswish`` and
``logsigmoid``. The others are composites of existing primitives, each stated as its formula, so
their derivatives (and PyTorch's conventions at their kinks) follow from the chain rule:

=============  ==========================================================================
celu           α·elu(x/α)
selu           λ·elu(x, α)       (λ ≈ 1.0507, α ≈ 1.6733, Klambauer et al. 2017)
glu            a ⊙ σ(b), (a, b) the halves of x along ``dim``
mish           x·tanh(softplus(x))
softsign       x/(1 + |x|)
softmin        softmax(−x)
tanhshrink     x − tanh x
softshrink     x − clamp(x, −λ, λ)         (gradient 0 on [−λ, λ], boundaries included)
hardshrink     x where |x| > λ, else 0     (gradient 0 on [−λ, λ])
threshold      x where x > t, else v       (gradient 0 where x ≤ t)
prelu          x where x > 0, else w·x     (w broadcast along the channel dim 1)
rrelu          x where x > 0, else a·x     (a = (l + u)/2 in eval; a ~ U(l, u) per element when
                                            training, drawn for x ≤ 0 as PyTorch)
=============  ==========================================================================

Every functional form takes PyTorch's ``inplace=`` where PyTorch's does: with ``inplace=True``
the result is written into the input (:meth:`Tensor._inplace`, which records the step for
autograd and bumps the version counter) and the input is returned. The functional forms of the
older activations (relu, leaky_relu, elu, silu, dropout…) are wrapped here the same way; the
``nn.functional`` module exports these wrappers.
"""
from __future__ import annotations

import math

from .. import backend, kernels
from .. import random as _random
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import array_namespace, namespace, pass_where, xp
from ..parallel import map_flat
from ..tensor import Tensor
from . import activations as _act
from . import dropout as _drop
from .arithmetic import add, multiply, negative, subtract
from .complex_checks import ORDER, refuse_complex
from .elementwise import abs as _abs
from .elementwise import clip, tanh, where
from .movement import getitem, reshape
from .softmax import softmax as _softmax

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
#: PyTorch's hardsigmoid backward multiplies by 1/6 held as a float32 constant, for every dtype.
_SIXTH_F32 = float(xp.float32(1.0 / 6.0))


def _sigmoid(x):
    return _act._sigmoid(x)


# ------------------------------------------------------------------------------------ primitives
@primitive
class Hardtanh(Function):
    """Hard tanh: the identity clipped to [min_val, max_val].

    Forward:     y = min(max(x, lo), hi)      (lo = min_val = −1, hi = max_val = 1 by default)
    Derivative:  ∂y/∂x = 1[lo < x < hi]
    VJP:         ∂L/∂x = g · 1[lo < x < hi]
    Kinks:       0 at x = lo and x = hi (PyTorch's hardtanh_backward; unlike clamp, whose
                 gradient is 1 on the closed interval). relu6 is hardtanh(x, 0, 6).
    """

    name = "hardtanh"
    array_api = True
    text = ("y = min(max(x, lo), hi)", "∂y/∂x = 1[lo < x < hi]")
    latex = (r"y = \min(\max(x, a), b)",
             r"\frac{\partial y}{\partial x} = \mathbb{1}[a < x < b]")
    explanation = "Hardtanh is the identity between its bounds and constant outside them."
    domain = "real"
    reference = staticmethod(lambda x, min_val=-1.0, max_val=1.0: xp.clip(x, min_val, max_val))

    @staticmethod
    def forward(ctx, x, min_val=-1.0, max_val=1.0):
        refuse_complex("hardtanh", x, reason=ORDER)
        ns = array_namespace(x)
        if ns is not xp:
            y = ns.minimum(ns.maximum(x, float(min_val)), float(max_val))
        else:       # one pass (the mask and two passes took 4x as long: EfficientNet's ReLU6)
            lo, hi = x.dtype.type(min_val), x.dtype.type(max_val)
            y = map_flat(lambda a, out: xp.clip(a, lo, hi, out=out), xp.empty_like(x), x)
        ctx.save(y)
        ctx.bounds = (min_val, max_val)
        return y

    @staticmethod
    def vjp(ctx, g):
        # lo < x < hi exactly where lo < y < hi: y is x there, and lo, hi or NaN elsewhere
        (y,) = ctx.saved
        lo, hi = ctx.bounds
        if isinstance(g, xp.ndarray) and g.shape == y.shape and \
                kernels.takes(g, y, contiguous=True):                  # one pass
            from ..kernels.activations import band_backward

            lo, hi = g.dtype.type(lo), g.dtype.type(hi)
            return map_flat(lambda a, b, out: band_backward(a, b, lo, hi, out),
                            xp.empty_like(g), g, y)
        return pass_where((y > lo) & (y < hi), g)


@primitive
class Hardsigmoid(Function):
    """Hard sigmoid, a piecewise-linear σ.

    Forward:     y = min(max(x + 3, 0), 6)/6
    Derivative:  ∂y/∂x = 1/6 · 1[−3 < x < 3]
    VJP:         ∂L/∂x = g · 1/6 · 1[−3 < x < 3]
    Kinks:       0 at x = ±3, as PyTorch.
    Numerics:    PyTorch's backward holds 1/6 as a float32 constant for every dtype
                 (0.1666666716…); chainrule uses the same constant, so float64 gradients agree.
    """

    name = "hardsigmoid"
    array_api = True
    text = ("y = min(max(x + 3, 0), 6)/6", "∂y/∂x = 1/6 · 1[−3 < x < 3]")
    latex = (r"y = \frac{\min(\max(x + 3, 0), 6)}{6}",
             r"\frac{\partial y}{\partial x} = \tfrac16\,\mathbb{1}[-3 < x < 3]")
    explanation = "Hardsigmoid is a cheap sigmoid: a ramp from 0 at x = −3 to 1 at x = 3."
    domain = "real"
    reference = staticmethod(lambda x: xp.clip(x + 3, 0, 6) / 6)

    @staticmethod
    def forward(ctx, x):
        refuse_complex("hardsigmoid", x, reason=ORDER)
        inside = (x > -3) & (x < 3)
        ctx.save(inside)
        ns = array_namespace(x)
        return ns.minimum(ns.maximum(x + 3, 0.0), 6.0) / 6

    @staticmethod
    def vjp(ctx, g):
        (inside,) = ctx.saved
        return pass_where(inside, g * _SIXTH_F32)


@primitive
class Hardswish(Function):
    """Hard swish (MobileNetV3): x times hardsigmoid(x).

    Forward:     y = x · min(max(x + 3, 0), 6)/6
    Derivative:  ∂y/∂x = 0 for x ≤ −3;  x/3 + ½ for −3 < x < 3;  1 for x ≥ 3
    VJP:         ∂L/∂x = g · ∂y/∂x
    Kinks:       0 at x = −3 and 1 at x = 3 (PyTorch 2.13's hardswish_backward).
    """

    name = "hardswish"
    array_api = True
    text = ("y = x·min(max(x + 3, 0), 6)/6", "∂y/∂x = 0 (x ≤ −3), x/3 + ½ (−3 < x < 3), 1 (x ≥ 3)")
    latex = (r"y = x\,\frac{\min(\max(x + 3, 0), 6)}{6}",
             r"\frac{\partial y}{\partial x} = \begin{cases} 0 & x \le -3 \\ x/3 + 1/2 & "
             r"-3 < x < 3 \\ 1 & x \ge 3 \end{cases}")
    explanation = "Hardswish is a piecewise-quadratic swish, cheap on mobile hardware."
    domain = "real"
    reference = staticmethod(lambda x: x * xp.clip(x + 3, 0, 6) / 6)

    @staticmethod
    def forward(ctx, x):
        refuse_complex("hardswish", x, reason=ORDER)
        ctx.save(x)
        ns = array_namespace(x)
        return x * ns.minimum(ns.maximum(x + 3, 0.0), 6.0) / 6

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        ns = namespace(x)
        # PyTorch selects g·(x/3 + ½), g or 0 (an infinite g gives 0 for x ≤ −3, not NaN;
        # x = NaN meets neither comparison and passes g)
        return pass_where(~(x <= -3), ns.where(x < 3, g * (x / 3 + 0.5), g))


@primitive
class Mish(Function):
    """Mish: x times the tanh of softplus.

    Forward:     y = x · tanh(softplus(x)),  softplus(x) = ln(1 + eˣ)  (= x for x > 20)
    Derivative:  ∂y/∂x = t + x σ(x)(1 − t²),  t = tanh(softplus(x))
    VJP:         ∂L/∂x = g · (t + x σ(x)(1 − t²))
    Numerics:    the slope is formed first and then multiplied by g, as PyTorch's kernel does:
                 the product rule term by term gives ∞ − ∞ = NaN for an infinite g where
                 both terms are nonzero.
    """

    name = "mish"
    array_api = True
    text = ("y = x·tanh(softplus(x))", "∂y/∂x = t + x·σ(x)·(1 − t²),  t = tanh(softplus(x))")
    latex = (r"y = x\tanh(\operatorname{softplus}(x))",
             r"\frac{\partial y}{\partial x} = t + x\,\sigma(x)\,(1 - t^2),\quad "
             r"t = \tanh(\operatorname{softplus}(x))")
    explanation = ("Mish is a smooth, non-monotonic ReLU-like curve: x·tanh(softplus(x)) "
                   "dips slightly below zero for negative x.")
    reference = staticmethod(lambda x: x * xp.tanh(xp.log1p(xp.exp(x))))

    @staticmethod
    def forward(ctx, x):
        refuse_complex("mish", x)
        ctx.save(x)
        return x * _tanh_softplus(x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        t = _tanh_softplus(x)           # recomputed: differentiable in a double backward
        return g * (t + x * _sigmoid(x) * (1 - t * t))


def _tanh_softplus(x):
    """tanh(softplus(x)) with softplus's default threshold 20 (arrays or Tensors)."""
    return namespace(x).tanh(_act._softplus(x, x, x > 20.0, 1.0))


@primitive
class Logsigmoid(Function):
    """Log-sigmoid.

    Forward:     y = ln σ(x) = −ln(1 + e^{−x})
    Derivative:  ∂y/∂x = 1 − σ(x) = σ(−x)
    VJP:         ∂L/∂x = g · σ(−x)
    Numerics:    y = min(x, 0) − ln(1 + e^{−|x|}): no overflow, and for x ≪ 0 the result keeps
                 its full relative accuracy (y ≈ x).
    """

    name = "logsigmoid"
    array_api = True
    text = ("y = ln σ(x) = −ln(1 + e^{−x})", "∂y/∂x = σ(−x)")
    latex = (r"y = \ln\sigma(x) = -\ln\left(1 + e^{-x}\right)",
             r"\frac{\partial y}{\partial x} = \sigma(-x)")
    explanation = "Log-sigmoid is the log-probability of the positive class of a logistic model."
    domain = "real"
    reference = staticmethod(lambda x: -xp.logaddexp(0, -x))

    @staticmethod
    def forward(ctx, x):
        refuse_complex("logsigmoid", x)
        ctx.save(x)
        ns = array_namespace(x)
        return ns.minimum(x, 0.0) - ns.log1p(ns.exp(-ns.abs(x)))

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g * _sigmoid(-x)


# ------------------------------------------------------------------------------------ in place
def _apply(fn, input, inplace: bool, *args, **kwargs):  # noqa: A002
    """fn(input, …), or with ``inplace`` the same values written into ``input`` (returned)."""
    if inplace:
        if not isinstance(input, Tensor):
            raise TypeError(f"{fn.__name__}: inplace=True needs a Tensor input, got "
                            f"{type(input).__name__}")
        return input._inplace(fn, *args, **kwargs)
    return fn(input, *args, **kwargs)


# ------------------------------------------------------------------------------------ functions
def _hardtanh(input, min_val=-1.0, max_val=1.0):  # noqa: A002
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    return Hardtanh.apply(input, min_val=float(min_val), max_val=float(max_val))


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):  # noqa: A002
    """y = min(max(x, min_val), max_val); gradient 1 strictly inside, 0 at the bounds."""
    return _apply(_hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0):  # noqa: A002
    return hardtanh(input, min_val, max_val, inplace=True)


def _relu6(input):  # noqa: A002
    return Hardtanh.apply(input, min_val=0.0, max_val=6.0)


def relu6(input, inplace: bool = False):  # noqa: A002
    """y = min(max(x, 0), 6) = hardtanh(x, 0, 6) (gradient 0 at 0 and at 6, as PyTorch)."""
    return _apply(_relu6, input, inplace)


def _hardsigmoid(input):  # noqa: A002
    return Hardsigmoid.apply(input)


def hardsigmoid(input, inplace: bool = False):  # noqa: A002
    """y = min(max(x + 3, 0), 6)/6."""
    return _apply(_hardsigmoid, input, inplace)


def _hardswish(input):  # noqa: A002
    return Hardswish.apply(input)


def hardswish(input, inplace: bool = False):  # noqa: A002
    """y = x·min(max(x + 3, 0), 6)/6."""
    return _apply(_hardswish, input, inplace)


def logsigmoid(input):  # noqa: A002
    """y = ln σ(x), computed without overflow."""
    return Logsigmoid.apply(input)


def _celu(input, alpha=1.0):  # noqa: A002
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides x)")
    return multiply(_act.elu(multiply(input, 1.0 / alpha)), alpha)


def celu(input, alpha: float = 1.0, inplace: bool = False):  # noqa: A002
    """y = max(0, x) + min(0, α(e^{x/α} − 1)) = α·elu(x/α)."""
    return _apply(_celu, input, inplace, alpha)


def celu_(input, alpha: float = 1.0):  # noqa: A002
    return celu(input, alpha, inplace=True)


def _selu(input):  # noqa: A002
    return multiply(_act.elu(input, _SELU_ALPHA), _SELU_SCALE)


def selu(input, inplace: bool = False):  # noqa: A002
    """y = λ·elu(x, α) with λ = 1.0507009873554805, α = 1.6732632423543772 (self-normalizing)."""
    return _apply(_selu, input, inplace)


def selu_(input):  # noqa: A002
    return selu(input, inplace=True)


def glu(input, dim: int = -1):  # noqa: A002
    """y = a ⊙ σ(b), where a and b are the first and second halves of x along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu: glu does not support scalars because halving size must be even")
    axis = dim % input.ndim
    size = input.shape[axis]
    if size % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {axis} is size "
                           f"{size}")
    half = size // 2
    a = getitem(input, (slice(None),) * axis + (slice(0, half),))
    b = getitem(input, (slice(None),) * axis + (slice(half, size),))
    return multiply(a, _act.sigmoid(b))


def mish(input, inplace: bool = False):  # noqa: A002
    """y = x·tanh(softplus(x))."""
    return _apply(_mish, input, inplace)


def _mish(input):  # noqa: A002
    return Mish.apply(input)


def softsign(input):  # noqa: A002
    """y = x/(1 + |x|)."""
    return input / (_abs(input) + 1)


def softmin(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):  # noqa: A002
    """y = softmax(−x) along ``dim`` (None: PyTorch's legacy choice, 0 for 0-, 1-, 3-D input)."""
    if dtype is not None:
        input = input.to(dtype)  # noqa: A001
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return _softmax(negative(input), axis=dim)


def tanhshrink(input):  # noqa: A002
    """y = x − tanh x."""
    return subtract(input, tanh(input))


def softshrink(input, lambd: float = 0.5):  # noqa: A002
    """y = x − λ (x > λ), x + λ (x < −λ), 0 otherwise: x − clamp(x, −λ, λ)."""
    refuse_complex("softshrink", input, reason=ORDER)
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}.")
    data = input._data if isinstance(input, Tensor) else input
    # selected, not x − clamp(x) throughout: inside [−λ, λ] the gradient is 0 even for an
    # infinite upstream gradient (g − g would be ∞ − ∞ = NaN); NaN lies outside, as PyTorch's
    outside = ~((data >= -lambd) & (data <= lambd))
    return where(outside, subtract(input, clip(input, -lambd, lambd)), 0.0)


def hardshrink(input, lambd: float = 0.5):  # noqa: A002
    """y = x where |x| > λ, else 0."""
    refuse_complex("hardshrink", input, reason=ORDER)
    data = input._data if isinstance(input, Tensor) else input
    return where(xp.abs(data) > lambd, input, 0.0)


def _threshold(input, threshold, value):  # noqa: A002
    refuse_complex("threshold", input, reason=ORDER)
    data = input._data if isinstance(input, Tensor) else input
    return where(data > threshold, input, float(value))


def threshold(input, threshold: float, value: float, inplace: bool = False):  # noqa: A002
    """y = x where x > threshold, else value (gradient 0 where x ≤ threshold)."""
    return _apply(_threshold, input, inplace, threshold, value)


def threshold_(input, threshold: float, value: float):  # noqa: A002
    return _apply(_threshold, input, True, threshold, value)


@autocast_op("prelu")
def prelu(input, weight):  # noqa: A002
    """y = x where x > 0, else w·x, with one slope per channel (dim 1) or one for all."""
    refuse_complex("prelu", input, weight, reason=ORDER)
    n = weight.numel() if hasattr(weight, "numel") else int(xp.size(weight))
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.ndim != 1 or n != channels:
            raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. "
                               f"Found parameter numbers = {n} and channel size = {channels}.")
        weight = reshape(weight, (n,) + (1,) * (input.ndim - 2))
    elif weight.ndim > input.ndim or (weight.ndim and input.ndim == 0):
        weight = reshape(weight, ())
    data = input._data if isinstance(input, Tensor) else input
    return where(data > 0, input, multiply(weight, input))


def _rrelu(input, lower, upper, training):  # noqa: A002
    if not training:
        return _act.leaky_relu(input, (lower + upper) / 2)
    data = input._data if isinstance(input, Tensor) else input
    dtype = data.dtype if data.dtype.kind == "f" else backend.get_default_dtype()
    # PyTorch's CPU kernel: over the elements in row-major order, one U(lower, upper) double
    # (bounds rounded to the dtype's arithmetic type first) for each x ≤ 0, none for the rest
    host = backend.to_numpy(data)
    negative = host <= 0
    acc = xp.float64 if dtype == xp.float64 else xp.float32
    drawn = backend.generator().uniform_((int(negative.sum()),), xp.float64,
                                         float(acc(lower)), float(acc(upper)))
    noise = xp.ones(host.shape, dtype=dtype)
    noise[negative] = drawn.astype(dtype)
    return multiply(input, backend.asarray_like(noise, data))


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,  # noqa: A002
          inplace: bool = False):
    """Randomized leaky ReLU: slope (lower + upper)/2 in eval; a ~ U(lower, upper) per element of
    x ≤ 0 when training (chainrule's seeded generator, drawn as PyTorch draws them)."""
    if not 0 <= lower <= upper:
        raise ValueError(f"rrelu: expected 0 <= lower <= upper, got lower={lower}, "
                         f"upper={upper}")
    return _apply(_rrelu, input, inplace, lower, upper, training)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):  # noqa: A002
    return rrelu(input, lower, upper, training, inplace=True)


# ------------------------------------------------------- the older activations, with inplace=
def relu(input, inplace: bool = False):  # noqa: A002
    """y = max(0, x); ``inplace=True`` writes into x."""
    return _apply(_act.relu, input, inplace)


def relu_(input):  # noqa: A002
    return _apply(_act.relu, input, True)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):  # noqa: A002
    """y = x if x > 0 else negative_slope·x; ``inplace=True`` writes into x."""
    return _apply(_act.leaky_relu, input, inplace, negative_slope)


def leaky_relu_(input, negative_slope: float = 0.01):  # noqa: A002
    return _apply(_act.leaky_relu, input, True, negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False):  # noqa: A002
    """y = x if x > 0 else α(eˣ − 1); ``inplace=True`` writes into x."""
    return _apply(_act.elu, input, inplace, alpha)


def elu_(input, alpha: float = 1.0):  # noqa: A002
    return _apply(_act.elu, input, True, alpha)


def silu(input, inplace: bool = False):  # noqa: A002
    """y = x·σ(x); ``inplace=True`` writes into x."""
    return _apply(_act.silu, input, inplace)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Inverted dropout; ``inplace=True`` writes the result into x (PyTorch's)."""
    return _apply(_drop.dropout, input, inplace, p, training)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Channel dropout; ``inplace=True`` writes the result into x (PyTorch's)."""
    return _apply(_drop.dropout2d, input, inplace, p, training)


def _channel_dropout(op: str, nd: int, input, p, training, inplace):  # noqa: A002
    p = _drop._check_p(op, p)
    if input.ndim not in (nd + 1, nd + 2):
        layout = "L" if nd == 1 else "D, H, W"
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D input (C, {layout}) or "
                           f"(N, C, {layout}), but received a {input.ndim}D input of shape "
                           f"{tuple(input.shape)}")

    def drop(x):
        if not training or p == 0.0:
            return x
        lead = x.shape[:x.ndim - nd]
        return multiply(x, _drop._scaled_mask(lead + (1,) * nd, p, x.dtype))

    drop.__name__ = op
    return _apply(drop, input, inplace)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Zero whole channels of (N, C, L) or (C, L) input with probability p, scale the rest by
    1/(1 − p)."""
    return _channel_dropout("dropout1d", 1, input, p, training, inplace)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p, scale the
    rest by 1/(1 − p)."""
    return _channel_dropout("dropout3d", 3, input, p, training, inplace)


_SELU_NEG_SATURATION = _SELU_ALPHA * _SELU_SCALE   # −λα: SELU's value at −∞ (1.7580993408…)


def _alpha_dropout(op: str, input, p, training, inplace, feature: bool):  # noqa: A002
    p = _drop._check_p(op, p)
    if feature and input.ndim < 2:
        raise RuntimeError(f"{op}: Feature dropout requires at least 2 dimensions in the input, "
                           f"got shape {tuple(input.shape)}")

    def drop(x):
        if not training or p == 0.0:
            return x
        if p == 1.0:
            return multiply(x, 0.0)
        shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2) if feature else tuple(x.shape)
        data = x._data if isinstance(x, Tensor) else x
        dtype = data.dtype if data.dtype.kind == "f" else backend.get_default_dtype()
        # PyTorch's noise: bernoulli_(1 − p) of empty_like(input) (of the (N, C, 1, …) shape
        # for the feature form), so the same seed drops the same units
        keep = _random.drawn_in_order(shape, _drop.mask_order(shape, data),
                                      lambda s: backend.generator().bernoulli_(s, 1.0 - p))
        keep = keep.astype(dtype)
        alpha = _SELU_NEG_SATURATION
        a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
        shift = (keep - 1) * (alpha * a) + alpha * a * p
        return add(multiply(x, keep * dtype.type(a)), shift.astype(dtype))

    drop.__name__ = op
    return _apply(drop, input, inplace)


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):  # noqa: A002
    """Alpha dropout (for SELU networks): a dropped unit takes SELU's saturation value −λα, and
    y = a·(m ⊙ x + (1 − m)(−λα)) + b with a = ((1 − p)(1 + pλ²α²))^{−½}, b = a·λα·p keeps
    zero mean and unit variance. The identity unless ``training`` (PyTorch's default False)."""
    return _alpha_dropout("alpha_dropout", input, p, training, inplace, False)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False):
    """Alpha dropout of whole channels (one mask entry per (sample, channel))."""
    return _alpha_dropout("feature_alpha_dropout", input, p, training, inplace, True)

__all__ = ["hardtanh", "hardtanh_", "relu6", "hardsigmoid", "hardswish", "logsigmoid", "celu",
           "celu_", "selu", "selu_", "glu", "mish", "softsign", "softmin", "tanhshrink",
           "softshrink", "hardshrink", "threshold", "threshold_", "prelu", "rrelu", "rrelu_",
           "relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "silu", "dropout",
           "dropout2d", "dropout1d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]
