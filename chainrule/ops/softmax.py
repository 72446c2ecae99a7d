"""softmax and log_softmax along one axis, each stable for logits of any size."""
from __future__ import annotations

from ..autograd.function import Function, primitive
from ..backend import array_namespace, errstate, namespace, total, xp
from .complex_checks import refuse_complex


def _shifted(x, axis):
    """x − max(x) along ``axis``: the largest entry becomes 0, so e^{…} ≤ 1 never overflows.
    An empty input is returned as it is (there is nothing to shift, and max has no identity).
    A slice whose maximum is +∞ or NaN, or that is −∞ throughout, gets a NaN here (∞ − ∞), so
    its softmax and log_softmax are NaN everywhere, as PyTorch's."""
    if x.size == 0:
        return x
    ns = array_namespace(x)
    m = ns.max(x, axis=axis, keepdims=True)
    with errstate(ns, invalid="ignore"):
        return x - m


@primitive
class Softmax(Function):
    """Softmax along an axis.

    Forward:     yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ}
    Derivative:  ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ)
    VJP:         ∂L/∂x = y ⊙ (g − Σⱼ gⱼyⱼ)          (reuses the output; no n×n Jacobian built)
    Numerics:    the maximum is subtracted before exponentiating (softmax is shift-invariant).
    """

    name = "softmax"
    array_api = True
    text = ("yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ}", "∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ)", "∂L/∂x = y ⊙ (g − ⟨g, y⟩)")
    latex = (r"y_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
             r"\frac{\partial y_i}{\partial x_j} = y_i(\delta_{ij} - y_j)",
             r"\frac{\partial L}{\partial x} = y \odot \left(g - \langle g, y\rangle\right)")
    explanation = ("Softmax turns scores into probabilities; raising one score takes mass from "
                   "all others.")
    reference = staticmethod(lambda x, axis=-1: xp.exp(x) / xp.exp(x).sum(axis=axis, keepdims=True))

    @staticmethod
    def forward(ctx, x, axis=-1):
        if x.size:     # (PyTorch answers an empty complex tensor)
            refuse_complex("softmax", x)
        e = array_namespace(x).exp(_shifted(x, axis))
        y = e / total(e, axis, keepdims=True)
        ctx.save(y)
        ctx.axis = axis
        return y

    @staticmethod
    def vjp(ctx, g):
        (y,) = ctx.saved
        return y * (g - total(g * y, ctx.axis, keepdims=True))


@primitive
class LogSoftmax(Function):
    """Log-softmax along an axis.

    Forward:     yᵢ = xᵢ − ln Σⱼ e^{xⱼ}
    Derivative:  ∂yᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ
    VJP:         ∂L/∂x = g − e^{y} Σⱼ gⱼ                (reuses the output: e^{y} = softmax)
    Numerics:    the log-sum-exp is taken after subtracting the maximum: finite at logits ±1e4.
    """

    name = "log_softmax"
    array_api = True
    text = ("yᵢ = xᵢ − ln Σⱼ e^{xⱼ}", "∂yᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ", "∂L/∂x = g − softmax(x)·Σⱼ gⱼ")
    latex = (r"y_i = x_i - \ln\sum_j e^{x_j}",
             r"\frac{\partial y_i}{\partial x_j} = \delta_{ij} - \operatorname{softmax}(x)_j",
             r"\frac{\partial L}{\partial x} = g - \operatorname{softmax}(x)\sum_j g_j")
    explanation = ("Log-probabilities without forming tiny probabilities first: the stable input "
                   "to NLL.")
    reference = staticmethod(lambda x, axis=-1: x - xp.log(xp.exp(x).sum(axis=axis, keepdims=True)))

    @staticmethod
    def forward(ctx, x, axis=-1):
        if x.size:
            refuse_complex("log_softmax", x)
        z = _shifted(x, axis)
        ns = array_namespace(x)
        y = z - ns.log(total(ns.exp(z), axis, keepdims=True))
        ctx.save(y)
        ctx.axis = axis
        return y

    @staticmethod
    def vjp(ctx, g):
        (y,) = ctx.saved
        return g - namespace(y).exp(y) * total(g, ctx.axis, keepdims=True)


def softmax(x, axis: int = -1, dtype=None, *, dim: int | None = None):
    """softmax along ``axis`` (PyTorch's ``dim``); ``dtype``: cast the input to it first."""
    if dtype is not None:
        x = x.to(dtype)
    return Softmax.apply(x, axis=axis if dim is None else dim)


def log_softmax(x, axis: int = -1, dtype=None, *, dim: int | None = None):
    """log-softmax along ``axis`` (PyTorch's ``dim``); ``dtype``: cast the input to it first."""
    if dtype is not None:
        x = x.to(dtype)
    return LogSoftmax.apply(x, axis=axis if dim is None else dim)


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1):
    """A sample from the Gumbel-softmax (Concrete) distribution over the classes along ``dim``
    (PyTorch's ``F.gumbel_softmax``): y = softmax((logits + G)/τ), G ~ Gumbel(0, 1) drawn from
    chainrule's seeded generator as PyTorch draws it; ``hard``: the one-hot of y's argmax in
    value, with y's gradient (the straight-through estimator: one_hot − y.detach() + y)."""
    from ..backend import drawn_like, generator, numpy_dtype
    from ..tensor import Tensor
    from .arithmetic import add, divide, subtract

    if tau <= 0:
        raise ValueError(f"gumbel_softmax: tau must be positive, got {tau}")
    data = logits._data
    # PyTorch's G = −log(e), e = empty_like(logits).exponential_() (row-major, logits' dtype)
    dtype = numpy_dtype(data.dtype)
    dtype = dtype if dtype.kind == "f" else xp.dtype(xp.float32)
    with xp.errstate(divide="ignore"):
        gumbels = -xp.log(generator().exponential_(tuple(data.shape), dtype))
    noise = Tensor._from_op(drawn_like(gumbels, data), None)
    soft = softmax(divide(add(logits, noise), tau), axis=dim)
    if not hard:
        return soft
    ns = namespace(soft._data)
    axis = dim % soft.ndim
    index = ns.argmax(soft._data, axis=axis, keepdims=True)
    positions = ns.reshape(ns.arange(soft.shape[axis]),
                           tuple(-1 if a == axis else 1 for a in range(soft.ndim)))
    one_hot = Tensor._from_op(ns.astype(positions == index, soft._data.dtype), None)
    return add(subtract(one_hot, soft.detach()), soft)
