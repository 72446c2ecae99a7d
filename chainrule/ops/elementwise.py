"""Elementwise functions of one variable, and the selections maximum, minimum, clip and where."""
from __future__ import annotations

from ..autograd.function import Function, primitive
from ..backend import array_namespace, namespace, pass_where, sgn, xp
from ..tensor import Tensor
from .complex_checks import ORDER, refuse_complex


@primitive
class Exp(Function):
    """Natural exponential.

    Forward:     y = eˣ
    Derivative:  ∂y/∂x = eˣ = y
    VJP:         ∂L/∂x = g · y          (reuses the output)
    Numerics:    overflows to inf for x > 88.7 (float32) or 709.8 (float64).
    """

    name = "exp"
    complex_grad = "holomorphic"
    array_api = True
    text = ("y = eˣ", "∂y/∂x = eˣ = y")
    latex = (r"y = e^{x}", r"\frac{\partial y}{\partial x} = e^{x} = y")
    explanation = "The exponential is its own derivative, so backward reuses the forward's result."
    reference = staticmethod(xp.exp)

    @staticmethod
    def forward(ctx, x):
        y = array_namespace(x).exp(x)
        ctx.save(y)
        return y

    @staticmethod
    def vjp(ctx, g):
        (y,) = ctx.saved
        return g * y


@primitive
class Log(Function):
    """Natural logarithm.

    Forward:     y = ln x
    Derivative:  ∂y/∂x = 1/x
    VJP:         ∂L/∂x = g / x
    Numerics:    ln 0 = −inf; negative x gives nan.
    """

    name = "log"
    complex_grad = "holomorphic"
    array_api = True
    text = ("y = ln x", "∂y/∂x = 1/x")
    latex = (r"y = \ln x", r"\frac{\partial y}{\partial x} = \frac{1}{x}")
    explanation = ("The logarithm's slope 1/x is large near zero, which is why losses clip "
                   "probabilities.")
    domain = "positive"
    reference = staticmethod(xp.log)

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return array_namespace(x).log(x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g / x


@primitive
class Sqrt(Function):
    """Square root.

    Forward:     y = √x
    Derivative:  ∂y/∂x = 1/(2√x) = 1/(2y)
    VJP:         ∂L/∂x = g / (2y)       (reuses the output)
    Numerics:    the derivative is infinite at x = 0.
    """

    name = "sqrt"
    complex_grad = "holomorphic"
    array_api = True
    text = ("y = √x", "∂y/∂x = 1/(2√x)")
    latex = (r"y = \sqrt{x}", r"\frac{\partial y}{\partial x} = \frac{1}{2\sqrt{x}}")
    explanation = "The square root's slope is half the reciprocal of its value."
    domain = "positive"
    reference = staticmethod(xp.sqrt)

    @staticmethod
    def forward(ctx, x):
        y = array_namespace(x).sqrt(x)
        ctx.save(y)
        return y

    @staticmethod
    def vjp(ctx, g):
        (y,) = ctx.saved
        return g / (2 * y)


@primitive
class Abs(Function):
    """Absolute value.

    Forward:     y = |x|
    Derivative:  ∂y/∂x = sign(x)
    VJP:         ∂L/∂x = g · sgn(x),  sgn(x) = 1[x > 0] − 1[x < 0]
    Kinks:       at x = 0 the subgradient 0 is used (sign(0) = 0), as PyTorch does.
    Numerics:    sgn(NaN) = 0, as PyTorch's sign (NumPy's is NaN): a NaN input gets gradient 0,
                 as PyTorch's abs backward gives (l1_loss of a NaN difference, for one).
    """

    name = "abs"
    complex_grad = "explicit"
    array_api = True
    text = ("y = |x|", "∂y/∂x = sign(x)   (0 at x = 0)")
    latex = (r"y = |x|", r"\frac{\partial y}{\partial x} = \operatorname{sign}(x)")
    explanation = "|x| has slope −1 left of zero and +1 right of it; at the kink 0 is used."
    domain = "away_from_zero"
    reference = staticmethod(xp.abs)

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return array_namespace(x).abs(x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g * sgn(x)


@primitive
class Sin(Function):
    """Sine.

    Forward:     y = sin x
    Derivative:  ∂y/∂x = cos x
    VJP:         ∂L/∂x = g · cos x
    Numerics:    exact to rounding.
    """

    name = "sin"
    complex_grad = "holomorphic"
    array_api = True
    text = ("y = sin x", "∂y/∂x = cos x")
    latex = (r"y = \sin x", r"\frac{\partial y}{\partial x} = \cos x")
    explanation = "The slope of the sine is the cosine."
    reference = staticmethod(xp.sin)

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return array_namespace(x).sin(x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g * namespace(x).cos(x)


@primitive
class Cos(Function):
    """Cosine.

    Forward:     y = cos x
    Derivative:  ∂y/∂x = −sin x
    VJP:         ∂L/∂x = −g · sin x
    Numerics:    exact to rounding.
    """

    name = "cos"
    complex_grad = "holomorphic"
    array_api = True
    text = ("y = cos x", "∂y/∂x = −sin x")
    latex = (r"y = \cos x", r"\frac{\partial y}{\partial x} = -\sin x")
    explanation = "The slope of the cosine is minus the sine."
    reference = staticmethod(xp.cos)

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return array_namespace(x).cos(x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return -g * namespace(x).sin(x)


@primitive
class Tanh(Function):
    """Hyperbolic tangent.

    Forward:     y = tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ)
    Derivative:  ∂y/∂x = 1 − tanh²x = 1 − y²
    VJP:         ∂L/∂x = g · (1 − y²)    (reuses the output)
    Numerics:    saturates to ±1; the gradient vanishes for |x| ≫ 1.
    """

    name = "tanh"
    complex_grad = "holomorphic"
    array_api = True
    text = ("y = tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ)", "∂y/∂x = 1 − tanh²x = 1 − y²")
    latex = (r"y = \tanh x = \frac{e^{x}-e^{-x}}{e^{x}+e^{-x}}",
             r"\frac{\partial y}{\partial x} = 1 - \tanh^2 x = 1 - y^2")
    explanation = "tanh is a rescaled sigmoid centred at 0; its slope is largest (1) at x = 0."
    reference = staticmethod(xp.tanh)

    @staticmethod
    def forward(ctx, x):
        y = array_namespace(x).tanh(x)
        ctx.save(y)
        return y

    @staticmethod
    def vjp(ctx, g):
        (y,) = ctx.saved
        return g * (1 - y * y)


def _share_at_ties(g, winner, other):
    """The winner's part of the gradient, as PyTorch: 0 where winner < other, ½g where they tie,
    g elsewhere — where either is NaN too, so that both operands get g there."""
    ns = namespace(g)
    return ns.where(winner < other, 0.0, ns.where(winner == other, 0.5 * g, g))


@primitive
class Maximum(Function):
    """Elementwise maximum of two tensors.

    Forward:     z = max(x, y)
    Derivative:  ∂z/∂x = 1[x > y],  ∂z/∂y = 1[y > x]
    VJP:         ∂L/∂x = g · 1[x > y],  ∂L/∂y = g · 1[y > x]
    Kinks:       where x = y the gradient is split evenly, ½g to each (as PyTorch); where x or y
                 is NaN (z = NaN) both get g, as PyTorch.
    """

    name = "maximum"
    array_api = True
    text = ("z = max(x, y)", "∂z/∂x = 1[x > y],  ∂z/∂y = 1[y > x]   (½ each at a tie)")
    latex = (r"z = \max(x, y)",
             r"\frac{\partial z}{\partial x} = \mathbb{1}[x > y],\quad \frac{\partial "
             r"z}{\partial y} = \mathbb{1}[y > x]")
    explanation = "The gradient flows to whichever operand is larger; ties share it."
    domain = "distinct"
    reference = staticmethod(xp.maximum)

    @staticmethod
    def forward(ctx, x, y):
        refuse_complex("maximum", x, y, reason=ORDER, error=RuntimeError)
        ctx.save(x, y)
        return array_namespace(x, y).maximum(x, y)

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        return _share_at_ties(g, x, y), _share_at_ties(g, y, x)


@primitive
class Minimum(Function):
    """Elementwise minimum of two tensors.

    Forward:     z = min(x, y)
    Derivative:  ∂z/∂x = 1[x < y],  ∂z/∂y = 1[y < x]
    VJP:         ∂L/∂x = g · 1[x < y],  ∂L/∂y = g · 1[y < x]
    Kinks:       where x = y the gradient is split evenly, ½g to each (as PyTorch); where x or y
                 is NaN (z = NaN) both get g, as PyTorch.
    """

    name = "minimum"
    array_api = True
    text = ("z = min(x, y)", "∂z/∂x = 1[x < y],  ∂z/∂y = 1[y < x]   (½ each at a tie)")
    latex = (r"z = \min(x, y)",
             r"\frac{\partial z}{\partial x} = \mathbb{1}[x < y],\quad \frac{\partial "
             r"z}{\partial y} = \mathbb{1}[y < x]")
    explanation = "The gradient flows to whichever operand is smaller; ties share it."
    domain = "distinct"
    reference = staticmethod(xp.minimum)

    @staticmethod
    def forward(ctx, x, y):
        refuse_complex("minimum", x, y, reason=ORDER, error=RuntimeError)
        ctx.save(x, y)
        return array_namespace(x, y).minimum(x, y)

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        return _share_at_ties(g, y, x), _share_at_ties(g, x, y)


@primitive
class Clip(Function):
    """Clamp into [lo, hi].

    Forward:     y = min(max(x, lo), hi)
    Derivative:  ∂y/∂x = 1[lo ≤ x ≤ hi]
    VJP:         ∂L/∂x = g · 1[lo ≤ x ≤ hi]
    Kinks:       at x = lo or x = hi the gradient passes (1), as PyTorch's clamp.
    Numerics:    array bounds as max then min, so that a NaN bound gives NaN (PyTorch's clamp;
                 NumPy's clip would keep x) and lo > hi gives hi.
    """

    name = "clip"
    array_api = True
    text = ("y = min(max(x, lo), hi)", "∂y/∂x = 1[lo ≤ x ≤ hi]")
    latex = (r"y = \min(\max(x, \mathrm{lo}), \mathrm{hi})",
             r"\frac{\partial y}{\partial x} = \mathbb{1}[\mathrm{lo} \le x \le \mathrm{hi}]")
    explanation = ("Inside the interval clip is the identity; outside it is constant, so no "
                   "gradient.")
    domain = "distinct"
    reference = staticmethod(xp.clip)

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        if lo is None and hi is None:
            raise ValueError("clip needs at least one of min and max")
        refuse_complex("clamp", x, lo, hi, reason=ORDER)
        inside = True
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = inside & (x <= hi)
        ctx.save(inside)
        ns = array_namespace(x)
        if hasattr(lo, "shape") or hasattr(hi, "shape"):     # array bounds: NaN ones propagate
            y = x if lo is None else ns.maximum(x, lo)
            return y if hi is None else ns.minimum(y, hi)
        return ns.clip(x, lo, hi)

    @staticmethod
    def vjp(ctx, g):
        (inside,) = ctx.saved
        return pass_where(inside, g)       # clamp_backward selects: ∞ outside gives 0


@primitive
class Where(Function):
    """Select elementwise: x where the condition holds, else y.

    Forward:     z = c ? x : y
    Derivative:  ∂z/∂x = 1[c],  ∂z/∂y = 1[¬c]
    VJP:         ∂L/∂x = g · 1[c],  ∂L/∂y = g · 1[¬c]   (the condition gets no gradient)
    Numerics:    a nan in the branch not taken still yields a 0 gradient for it.
    """

    name = "where"
    complex_grad = "real_linear"
    array_api = True
    text = ("z = c ? x : y", "∂z/∂x = 1[c],  ∂z/∂y = 1[¬c]")
    latex = (r"z = \begin{cases} x & c \\ y & \neg c \end{cases}",
             r"\frac{\partial z}{\partial x} = \mathbb{1}[c],\quad \frac{\partial z}{\partial y} "
             r"= \mathbb{1}[\neg c]")
    explanation = "Each element's gradient goes to the operand that was selected there."
    reference = staticmethod(xp.where)

    @staticmethod
    def forward(ctx, condition, x, y):
        ns = array_namespace(condition, x, y)
        condition = ns.asarray(condition, dtype=ns.bool)
        ctx.save(condition)
        return ns.where(condition, x, y)

    @staticmethod
    def vjp(ctx, g):
        (condition,) = ctx.saved
        ns = namespace(g)
        return None, ns.where(condition, g, 0.0), ns.where(condition, 0.0, g)


def _to_float(x):
    """Integer and bool tensors in the default float dtype (PyTorch: exp(int_tensor) is float32)."""
    from .promotion import to_float
    return to_float(x)


def exp(x):
    return Exp.apply(_to_float(x))


def log(x):
    return Log.apply(_to_float(x))


def sqrt(x):
    return Sqrt.apply(_to_float(x))


def abs(x):  # noqa: A001  (NumPy's name)
    return Abs.apply(x)


def sin(x):
    return Sin.apply(_to_float(x))


def cos(x):
    return Cos.apply(_to_float(x))


def tanh(x):
    return Tanh.apply(_to_float(x))


def maximum(x, y):
    from .promotion import promote
    return Maximum.apply(*promote(x, y)[0])


def minimum(x, y):
    from .promotion import promote
    return Minimum.apply(*promote(x, y)[0])


def clip(x, min=None, max=None):  # noqa: A002  (PyTorch's argument names)
    """Clamp into [min, max] (PyTorch's clamp): the bounds are numbers, arrays or tensors
    (broadcast), promoted with x as PyTorch does (an integer tensor with a float bound gives
    float32). Bounds that are tensors requiring grad receive the gradient where they are the
    value taken (x < min for min, the result > max for max); x keeps it where min ≤ x ≤ max."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    from .promotion import promote
    (x, lo, hi), _ = promote(x, min, max)
    if any(isinstance(b, Tensor) and b.requires_grad for b in (lo, hi)):
        # PyTorch's rule: x where lo ≤ x ≤ hi, lo where x < lo < hi, hi where x > hi or hi < lo;
        # elsewhere (x or a bound NaN, or x outside lo = hi) the value, with no gradient
        value = Clip.apply(x.detach() if isinstance(x, Tensor) else x, _raw(lo), _raw(hi))
        xr, lr, hr = _raw(x), _raw(lo), _raw(hi)
        inside = take_lo = take_hi = None
        if lo is not None:
            inside, take_lo = xr >= lr, xr < lr
            if hi is not None:
                take_lo = take_lo & (lr < hr)
        if hi is not None:
            inside = xr <= hr if inside is None else inside & (xr <= hr)
            take_hi = xr > hr if lo is None else (xr > hr) | (hr < lr)
        y = value
        if take_hi is not None:
            y = where(take_hi, hi, y)
        if take_lo is not None:
            y = where(take_lo, lo, y)
        return where(inside, x, y)
    return Clip.apply(x, _raw(lo), _raw(hi))


def _raw(v):
    return v._data if isinstance(v, Tensor) else v



clamp = clip


def where(condition, x, y):
    """``x`` where ``condition`` holds, else ``y`` (broadcast together)."""
    if isinstance(condition, Tensor) and not hasattr(condition, "_level"):
        condition = condition._data     # (a batched condition inside vmap stays a Tensor)
    return Where.apply(condition, x, y)


def sign(x):
    """−1, 0 or +1 elementwise; piecewise constant, so it carries no gradient."""
    data = x._data if isinstance(x, Tensor) else x
    return Tensor._from_op(xp.asarray(xp.sign(data)), None)
