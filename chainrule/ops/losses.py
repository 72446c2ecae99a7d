"""Loss functions with torch.nn.functional's names, arguments and reductions.

The regression losses (mse_loss, l1_loss) are compositions of primitives and need no derivative of
their own. Losses whose clearest or stablest derivative is not the one the chain rule would find
by composition are primitives here, each computing the unreduced loss (``reduction='none'``):
huber_loss (the derivative is a clip), binary_cross_entropy (PyTorch's clamped logarithms),
binary_cross_entropy_with_logits (the stable log-sigmoid form), kl_div (0·log 0 = 0) and nll_loss
(a gather). Softmax–cross-entropy is fused in :mod:`chainrule.ops.softmax_ce`.

'mean' and 'sum' are then the mean and sum primitives, except where PyTorch divides by something
other than the element count: nll_loss and cross_entropy divide by the summed weights of the
targets not ignored, so their primitives reduce themselves.
"""
from __future__ import annotations

import math
import warnings

from .. import backend as B
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import array_namespace, dtype_kind, errstate, namespace, numpy_dtype, to_numpy, xp
from ..tensor import Tensor
from .activations import _sigmoid
from .activations_extra import logsigmoid
from .elementwise import abs as _abs
from .movement import reshape
from .promotion import cast, promote_types
from .reduce import mean as _mean
from .reduce import sum as _sum
from .softmax import log_softmax
from .softmax_ce import (
    expand_class_axis,
    reduce_losses,
    reduction_scale,
    softmax_cross_entropy,
)

# ------------------------------------------------------------------------------------ primitives


@primitive
class HuberLoss(Function):
    """Huber loss of each element (F.huber_loss with reduction='none').

    Forward:     ℓ = ½d² where |d| < δ, else δ(|d| − ½δ),   d = x − y
    Derivative:  ∂ℓ/∂x = clip(d, −δ, δ) = −∂ℓ/∂y
    VJP:         ∂L/∂x = g·clip(x − y, −δ, δ),  ∂L/∂y = −∂L/∂x
    Kinks:       none in ℓ′: both pieces have slope ±δ at |d| = δ (ℓ″ jumps from 1 to 0 there).
    Dtypes:      as PyTorch's kernel, x and y of different dtypes are subtracted in their common
                 dtype and ℓ is stored in x's; the derivative then raises, as PyTorch's
                 huber_loss_backward does ("Found dtype Double but expected Float"). float16 is
                 computed in float32 and rounded once, as PyTorch's CPU half kernel.
    """

    name = "huber_loss"
    array_api = True
    text = ("ℓ = ½(x − y)² if |x − y| < δ, else δ(|x − y| − ½δ)", "∂ℓ/∂x = clip(x − y, −δ, δ)")
    latex = (r"\ell = \begin{cases} \tfrac12 (x-y)^2 & |x-y| < \delta \\ "
             r"\delta\,(|x-y| - \tfrac12\delta) & \text{otherwise} \end{cases}",
             r"\frac{\partial \ell}{\partial x} = \operatorname{clip}(x - y, -\delta, \delta)")
    explanation = ("Quadratic for small errors, linear for large ones: the gradient of an outlier "
                   "is capped at δ.")
    reference = staticmethod(lambda x, y, delta=1.0: xp.where(
        xp.abs(x - y) < delta, 0.5 * (x - y) ** 2, delta * (xp.abs(x - y) - 0.5 * delta)))

    @staticmethod
    def forward(ctx, x, y, delta=1.0):
        ctx.save(x, y)
        ctx.delta = delta
        ns = array_namespace(x, y)
        dtype = x.dtype
        common = promote_types(numpy_dtype(dtype), numpy_dtype(y.dtype))
        if common == xp.float16:    # PyTorch's CPU half kernel: float32 arithmetic, one rounding
            common = xp.dtype(xp.float32)
        if x.dtype != common or y.dtype != common:  # the common dtype; the result in x's
            x, y = B.astype(x, common), B.astype(y, common)
        d = x - y
        a = ns.abs(d)
        out = ns.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))
        return out if out.dtype == dtype else B.astype(out, dtype)

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        if y.dtype != x.dtype:
            raise RuntimeError(
                f"huber_loss backward: Found dtype {_aten_name(y.dtype)} but expected "
                f"{_aten_name(x.dtype)}: as in PyTorch, huber_loss has a derivative only for an "
                "input and a target of the same dtype; cast the target first "
                "(target.to(input.dtype))")
        gx = g * namespace(x).clip(x - y, -ctx.delta, ctx.delta)
        return gx, -gx


#: PyTorch's floor for x(1 − x) in the derivative: 1e-12 held as a float32 constant
#: (9.9999999600e-13), for every dtype; the same constant makes the gradient at x = 0 or 1 agree.
_BCE_EPSILON = float(xp.float32(1e-12))


@primitive
class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities x against targets y (F.binary_cross_entropy, 'none').

    Forward:     ℓ = (y − 1)·max(ln(1 − x), −100) − y·max(ln x, −100)
                   (= −[y ln x + (1 − y) ln(1 − x)] where no logarithm is clamped)
    Derivative:  ∂ℓ/∂x = (x − y) / (x(1 − x)),   ∂ℓ/∂y = ln(1 − x) − ln x
    VJP:         ∂L/∂x = g·(x − y) / max(x(1 − x), 10⁻¹²),   ∂L/∂y = g·(ln(1 − x) − ln x)
    Numerics:    the logarithms are clamped at −100 so that ℓ stays finite at x = 0 and x = 1, and
                 x(1 − x) is floored at 10⁻¹² (PyTorch's float32 constant), both as PyTorch;
                 ln(1 − x) is log1p(−x), exact for small x (ℓ = x, not 0, at x = 1e−20, y = 0).
                 x and y must lie in [0, 1] (binary_cross_entropy checks, as PyTorch). From
                 logits, use
                 binary_cross_entropy_with_logits: it never forms x at all.
    """

    name = "binary_cross_entropy"
    array_api = True
    text = ("ℓ = −[y ln x + (1 − y) ln(1 − x)]   (logs clamped at −100)",
            "∂ℓ/∂x = (x − y)/(x(1 − x)),  ∂ℓ/∂y = ln(1 − x) − ln x")
    latex = (r"\ell = -\big[y \ln x + (1-y)\ln(1-x)\big]",
             r"\frac{\partial \ell}{\partial x} = \frac{x - y}{x(1-x)},\quad "
             r"\frac{\partial \ell}{\partial y} = \ln(1-x) - \ln x")
    explanation = ("The negative log-likelihood of a Bernoulli outcome y under probability x; its "
                   "slope blows up as x approaches the wrong end of [0, 1].")
    domain = "probability"
    reference = staticmethod(lambda x, y: -(y * xp.log(x) + (1 - y) * xp.log(1 - x)))

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        ns = array_namespace(x, y)
        with errstate(ns, divide="ignore"):
            log_x = ns.maximum(ns.log(x), -100)
            log_1mx = ns.maximum(ns.log1p(-x), -100)
        return (y - 1) * log_1mx - y * log_x

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        ns = namespace(x)
        need = ctx.needs_input_grad
        gx = g * (x - y) / ns.maximum(x * (1 - x), _BCE_EPSILON) if need[0] else None
        gy = None
        if need[1]:
            with errstate(ns, divide="ignore"):
                gy = g * (ns.log(1 - x) - ns.log(x))
        return gx, gy


def _softplus_of_negative(z):
    """softplus(−z) = ln(1 + e^{−z}) = −ln σ(z), as ln(1 + e^{−|z|}) + max(−z, 0): no overflow."""
    ns = namespace(z)
    if ns is xp:
        return xp.log1p(xp.exp(-xp.abs(z))) + xp.maximum(-z, 0)
    if B.is_foreign_array(z):        # the standard's log1p and maximum: NumPy's values
        return ns.log1p(ns.exp(-ns.abs(z))) + ns.maximum(-z, 0.0)
    return ns.log(1 + ns.exp(-ns.abs(z))) + ns.maximum(-z, 0.0)


@primitive
class BinaryCrossEntropyWithLogits(Function):
    """Binary cross-entropy of σ(z) against y, from logits z (F.binary_cross_entropy_with_logits).

    Forward:     ℓ = −[p·y ln σ(z) + (1 − y) ln(1 − σ(z))]
                   = (1 − y)·z + (1 + (p − 1)·y)·softplus(−z)          (p = pos_weight, 1 if absent)
                   = max(z, 0) − z·y + ln(1 + e^{−|z|})                 (p = 1)
    Derivative:  ∂ℓ/∂z = (1 + (p − 1)y)·σ(z) − p·y   (= σ(z) − y for p = 1)
                 ∂ℓ/∂y = p·softplus(−z) − softplus(z)   (= −z for p = 1),   ∂ℓ/∂p = y·softplus(−z)
    VJP:         each derivative times g; pos_weight's gradient is summed over broadcast axes.
                 With pos_weight, ∂ℓ/∂z is formed as (p·y + 1 − y)·σ(z) − p·y and ∂ℓ/∂y from
                 both softpluses, as PyTorch: the same special values (NaN for an infinite y,
                 ±∞ for an infinite z) and no cancellation of −z against softplus(−z).
    Numerics:    softplus(−z) = ln(1 + e^{−|z|}) + max(−z, 0): no exponential of a positive
                 number, so ℓ is finite and exact for logits of any size (σ(z) is never formed in
                 the forward, and 1 − σ(z) never loses digits). The backward's σ(z) is formed from
                 e^{−|z|} (as the sigmoid primitive), so it keeps its relative accuracy for z ≪ 0
                 (½(1 + tanh(z/2)) would round to 0 below z ≈ −37 in float64).
    """

    name = "binary_cross_entropy_with_logits"
    array_api = True
    text = ("ℓ = max(z, 0) − z·y + ln(1 + e^{−|z|})   (pos_weight p: (1 − y)z + (1 + (p − 1)y)"
            "·softplus(−z))",
            "∂ℓ/∂z = σ(z) − y   (pos_weight p: (1 + (p − 1)y)σ(z) − p·y)")
    latex = (r"\ell = \max(z, 0) - z y + \ln\!\left(1 + e^{-|z|}\right)",
             r"\frac{\partial \ell}{\partial z} = \sigma(z) - y")
    explanation = ("Binary cross-entropy taken from the logit directly: the sigmoid and the log "
                   "cancel into a softplus that cannot overflow, and the gradient is σ(z) − y.")
    reference = staticmethod(lambda z, y: -(y * xp.log(1 / (1 + xp.exp(-z)))
                                            + (1 - y) * xp.log(1 - 1 / (1 + xp.exp(-z)))))

    @staticmethod
    def forward(ctx, z, y, pos_weight=None):
        ctx.save(z, y, pos_weight)
        sp = _softplus_of_negative(z)
        if pos_weight is None:
            return (1 - y) * z + sp
        return (1 - y) * z + (1 + (pos_weight - 1) * y) * sp

    @staticmethod
    def vjp(ctx, g):
        z, y, p = ctx.saved
        need = ctx.needs_input_grad
        sig = _sigmoid(z)               # σ(z) without overflow, accurate for z ≪ 0
        gz = gy = gp = None
        if need[0]:
            gz = g * (sig - y) if p is None else g * ((p * y + 1 - y) * sig - p * y)
        if need[1] or (p is not None and need[2]):
            sp = _softplus_of_negative(z)
            if need[1]:
                gy = -g * z if p is None else g * (p * sp - _softplus_of_negative(-z))
            if p is not None and need[2]:
                gp = g * y * sp
        return (gz, gy) if p is None else (gz, gy, gp)


@primitive
class KLDiv(Function):
    """Pointwise Kullback–Leibler divergence term, input x = log q (F.kl_div, reduction 'none').

    Forward:     ℓ = y(ln y − x)   (0 where y = 0);   log_target: ℓ = e^{y}(y − x)
    Derivative:  ∂ℓ/∂x = −y,  ∂ℓ/∂y = ln y + 1 − x;   log_target: −e^{y} and e^{y}(y − x + 1)
    VJP:         each derivative times g, ∂L/∂y summed from the terms as PyTorch's autograd
                 does: xlogy(g, y) (0 at y = 0) + (g·y)/y − g·x (so NaN at y = 0, where
                 ln y + 1 has no limit, and 0 where g = 0 even for y < 0) and
                 g(y − x)e^{y} + g e^{y} (NaN where e^{y} = ∞ and y = x)
    Numerics:    y ln y is taken as 0 at y = 0 (its limit), as PyTorch's xlogy; with log_target
                 the target's log-probabilities are used directly, never exponentiated to 0.
    """

    name = "kl_div"
    array_api = True
    text = ("ℓ = y(ln y − x)   (log_target: e^{y}(y − x))",
            "∂ℓ/∂x = −y,  ∂ℓ/∂y = ln y + 1 − x   (log_target: −e^{y}, e^{y}(y − x + 1))")
    latex = (r"\ell = y\,(\ln y - x)",
             r"\frac{\partial \ell}{\partial x} = -y,\quad "
             r"\frac{\partial \ell}{\partial y} = \ln y + 1 - x")
    explanation = ("Summed over a distribution, y(ln y − ln q) is the extra information needed to "
                   "code y with q; its gradient with respect to log q is just −y.")
    reference = staticmethod(lambda x, y, log_target=False: (
        xp.exp(y) * (y - x) if log_target else y * (xp.log(y) - x)))

    @staticmethod
    def forward(ctx, x, y, log_target=False):
        ctx.save(x, y)
        ctx.log_target = log_target
        ns = array_namespace(x, y)
        if log_target:
            return ns.exp(y) * (y - x)
        with errstate(ns, divide="ignore", invalid="ignore"):
            return ns.where(y == 0, 0, y * ns.log(y)) - y * x

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        ns = namespace(y)
        need = ctx.needs_input_grad
        if ctx.log_target:
            e = ns.exp(y)
            gy = g * (y - x) * e + g * e if need[1] else None
            return (-g * e if need[0] else None), gy
        gy = None
        if need[1]:
            with errstate(ns, divide="ignore", invalid="ignore", over="ignore"):
                # PyTorch differentiates xlogy(y, y) − y·x: ∂/∂(first y) = xlogy(g, y), which
                # is 0 where g = 0 (unless y is NaN) and is set to 0 where y = 0; ∂/∂(second y)
                # = (g·y)/y (∞ where g·y overflows); then −g·x
                a = g * ns.log(y)
                a = ns.where(((g == 0) & ~ns.isnan(y)) | (y == 0), 0.0, a)
                gy = a + (g * y) / y - g * x
        return (-g * y if need[0] else None), gy


@primitive
class NLLLoss(Function):
    """Negative log-likelihood of class indices, given log-probabilities x (F.nll_loss).

    Forward:     ℓₙ = −w_{yₙ}·x_{n,yₙ} (0 where yₙ = ignore_index);  L = Σₙ ℓₙ / D ('mean',
                 D = Σₙ w_{yₙ} over the targets not ignored), Σₙ ℓₙ ('sum'), or ℓ ('none')
    Derivative:  ∂ℓₙ/∂x_{nk} = −w_{yₙ}·1[k = yₙ]
    VJP:         ∂L/∂x = −(g/D)·w_y ⊙ onehot(y)    (one nonzero per sample; the weights get none)
                 An ignored sample's loss is 0 and its gradient row 0, whatever its x holds.
    Numerics:    a gather and a scatter: nothing can overflow. The array API standard has no
                 scatter (put_along_axis): for other array libraries the one-hot is the
                 comparison y == arange(C), O(N·C) like the gradient it fills.
    """

    name = "nll_loss"
    array_api = True
    text = ("ℓₙ = −w_{yₙ} x_{n,yₙ},  L = Σₙ ℓₙ / Σₙ w_{yₙ}", "∂L/∂x_{nk} = −w_{yₙ} 1[k = yₙ] / D")
    latex = (r"\ell_n = -w_{y_n} x_{n, y_n},\quad L = \frac{\sum_n \ell_n}{\sum_n w_{y_n}}",
             r"\frac{\partial L}{\partial x_{nk}} = -\frac{w_{y_n}\,\mathbb{1}[k = y_n]}{D}")
    explanation = ("Picks each sample's log-probability of its true class; the gradient is a "
                   "one-hot vector per sample, negated and weighted.")
    reference = staticmethod(lambda x, y: -xp.take_along_axis(x, y[:, None], axis=1).mean())

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, reduction="mean"):
        ns = array_namespace(x)
        valid = target != ignore_index
        index = expand_class_axis(ns.where(valid, target, 0))
        if weight is None:
            w_y = B.astype(valid, x.dtype)
        elif ns is xp:
            w_y = weight[index[:, 0]] * valid
        else:       # the standard indexes with take (a flat index)
            w_y = (B.reshape(ns.take(weight, B.reshape(index, (-1,))), valid.shape)
                   * B.astype(valid, x.dtype))
        losses = -w_y * ns.take_along_axis(x, index, axis=1)[:, 0, ...]
        # an ignored sample adds 0, even where its log-probability is NaN or ±∞ (as PyTorch)
        losses = ns.where(valid, losses, ns.zeros_like(losses))
        ctx.shape, ctx.index, ctx.w_y, ctx.reduction = x.shape, index, w_y, reduction
        ctx.valid = valid
        ctx.divisor = B.total(w_y)
        return reduce_losses(losses, reduction, ctx.divisor)

    @staticmethod
    def vjp(ctx, g):
        # −w_y·(g/D) at each sample's target, exactly 0 elsewhere (also where g/D is NaN or ∞:
        # a NaN or infinite class weight, as PyTorch's nll_loss_backward), and exactly 0 for an
        # ignored sample, whatever its upstream gradient (∞·0 would be NaN)
        picked = expand_class_axis(-ctx.w_y) * reduction_scale(g, ctx.reduction, ctx.divisor)
        ns = namespace(picked)
        picked = ns.where(expand_class_axis(ctx.valid), picked, ns.zeros_like(picked))
        if not isinstance(picked, xp.ndarray):
            # no scatter in the array API standard, nor on Tensors (a differentiable backward):
            # compare with arange(C)
            ns = namespace(picked)
            n_classes = ctx.shape[1]
            classes = B.reshape(namespace(ctx.w_y).arange(n_classes),
                                (1, n_classes) + (1,) * (len(ctx.shape) - 2))
            return ns.where(ctx.index == classes, picked, 0.0), None
        out = xp.zeros(ctx.shape, dtype=ctx.w_y.dtype)
        xp.put_along_axis(out, ctx.index, xp.broadcast_to(picked, ctx.index.shape), axis=1)
        return out, None


# ------------------------------------------------------------------------------ argument checks

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(op: str, size_average, reduce, reduction: str, allowed=_REDUCTIONS) -> str:
    """The reduction, with PyTorch's legacy ``size_average``/``reduce`` mapped onto it."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if reduce and size_average else "sum" if reduce else "none"
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {', '.join(map(repr, allowed))}, got "
                         f"{reduction!r}")
    return reduction


def _reduce(losses, reduction: str):
    if reduction == "mean":
        return _mean(losses)
    if reduction == "sum":
        return _sum(losses)
    return losses


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(xp.asarray(x))


_ATEN_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _aten_name(dtype) -> str:
    """PyTorch's name of a dtype in its error messages (Float, Double, Long …)."""
    name = str(numpy_dtype(dtype))
    return _ATEN_NAMES.get(name, name)


def _target(value, x: Tensor):
    """A target or weight as a loss computes with it. A Tensor is kept as it is, so that its dtype
    takes part in PyTorch's type promotion (``mse_loss`` of a float32 input and a float64 target
    is float64, computed in float64); anything else (a Python number, a list, a NumPy array) is
    taken in x's dtype, chainrule's convenience."""
    return value if isinstance(value, Tensor) else _like(value, x)


def _common_dtype(*tensors):
    """The dtype PyTorch's fused loss kernels compute in: the promotion of the arguments' dtypes
    (after broadcasting, so a 0-d tensor counts as any other)."""
    dtype = numpy_dtype(tensors[0].dtype)
    for t in tensors[1:]:
        dtype = promote_types(dtype, numpy_dtype(t.dtype))
    return dtype


def _promoted(*tensors) -> tuple:
    """The tensors in their common dtype, through the differentiable cast: each gradient comes
    back in its own tensor's dtype, as PyTorch's autograd gives it."""
    dtype = _common_dtype(*tensors)
    return tuple(cast(t, dtype) for t in tensors)


def _is_floating(t) -> bool:
    return dtype_kind(t.dtype) == "f"


def _require_same_dtype(op: str, x: Tensor, target: Tensor) -> None:
    """PyTorch's kernels that take no mixed dtypes ("Found dtype Double but expected Float")."""
    if numpy_dtype(target.dtype) != numpy_dtype(x.dtype):
        raise RuntimeError(
            f"{op}: Found dtype {_aten_name(target.dtype)} but expected {_aten_name(x.dtype)}: "
            f"the target must have the input's dtype {numpy_dtype(x.dtype)}, as in PyTorch; "
            "cast it first (target.to(input.dtype))")


def _like(value, x: Tensor):
    """``value`` in x's floating dtype: a Tensor that needs a gradient is kept as it is."""
    if isinstance(value, Tensor):
        if value.requires_grad or value.dtype == x.dtype:
            return value
        return Tensor._make(B.astype(value._data, x.dtype))
    return Tensor._make(B.asarray_like(xp.asarray(value, dtype=x.dtype), x._data))


def _constant(value, dtype):
    """An array of ``dtype`` (class weights), or None."""
    if value is None:
        return None
    data = value._data if isinstance(value, Tensor) else xp.asarray(value)
    if B.is_foreign_array(data):
        return data if data.dtype == dtype else B.astype(data, dtype)
    return data.astype(dtype, copy=False)


def _target_array(target):
    """The array of a class-index target: a Tensor's, an array API library's array as it is
    (it stays in the input's library), anything else (lists, NumPy) through NumPy."""
    if isinstance(target, Tensor):
        # inside chainrule.func.vmap a batched target stays a tensor (the primitive's batching
        # rule takes it); reading its array would see the hidden batch dimension
        return target if hasattr(target, "_level") else target._data
    return target if B.is_foreign_array(target) else xp.asarray(target)


def _check_broadcast(op: str, x: Tensor, t: Tensor) -> None:
    """PyTorch's rule for regression losses: a differently shaped target is broadcast (warned)."""
    if x.shape == t.shape:
        return
    try:
        xp.broadcast_shapes(x.shape, t.shape)
    except ValueError:
        raise ValueError(f"{op}: input of shape {x.shape} and target of shape {t.shape} cannot be "
                         f"broadcast together; give the target the input's shape "
                         f"{x.shape}") from None
    warnings.warn(f"{op}: target of shape {t.shape} differs from input of shape {x.shape}; they "
                  f"are broadcast together, which is rarely intended — give the target the "
                  f"input's shape", stacklevel=3)


def _check_same_shape(op: str, x: Tensor, t: Tensor) -> None:
    if x.shape != t.shape:
        raise ValueError(f"{op}: target of shape {t.shape} must have the same shape as the input "
                         f"{x.shape} (one target per prediction)")


def _elementwise_weight(op: str, losses, weight, x: Tensor, divide_by_weight: bool, reduction):
    """PyTorch's optional per-element weight of mse_loss, l1_loss and huber_loss: the losses times
    w, in their common dtype; 'mean' is Σ wℓ / Σ w (Σ w in w's own dtype, as PyTorch's sum)."""
    if weight is None:
        return _reduce(losses, reduction)
    w = _target(weight, x)
    if w.shape != x.shape:
        raise ValueError(f"{op}: weight of shape {w.shape} must have the input's shape {x.shape}")
    weighted = losses * w
    if reduction == "mean" and divide_by_weight:
        return _sum(weighted) / _sum(w)
    return _reduce(weighted, reduction)


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _index_shape_text(x_shape) -> str:
    """'(N,) = (4,)' or '(N, d1, d2) = (4, 5, 6)': the shape of x's class-index target."""
    if len(x_shape) == 1:
        return "() (a single class index, for an unbatched input of shape (C,))"
    names = ("N",) + tuple(f"d{i}" for i in range(1, len(x_shape) - 1))
    expected = x_shape[:1] + x_shape[2:]
    return f"{_shape_text(names)} = {_shape_text(expected)}"


def _class_target(op: str, x_shape: tuple, target, ignore_index: int, probabilities: bool) -> str:
    """Check a classification target against the input; return 'indices' or 'probabilities'.

    The class axis is 1 of an (N, C, d₁, …) input, 0 of an unbatched (C,) one. Class indices have
    the input's shape without the class axis; class probabilities (cross_entropy only) have the
    input's shape and a floating dtype.
    """
    if len(x_shape) == 0:
        raise ValueError(f"{op}: the input must have a class axis, (C,) or (N, C, d1, …), but it "
                         "is a scalar")
    t = _target_array(target)
    axis = 0 if len(x_shape) == 1 else 1
    n_classes = x_shape[axis]
    expected = x_shape[:axis] + x_shape[axis + 1:]
    indices = f"class indices of shape {_index_shape_text(x_shape)}"
    if dtype_kind(t.dtype) == "f":
        if probabilities and t.shape == x_shape:
            if ignore_index >= 0:
                raise ValueError(f"{op}: ignore_index={ignore_index} applies to class indices; "
                                 "it is not supported with class-probability targets")
            return "probabilities"
        if probabilities:
            raise ValueError(
                f"{op}: a floating-point target is read as class probabilities and must have the "
                f"input's shape {x_shape}, but it has shape {t.shape}. Pass {indices} as "
                "integers instead: target.astype(int) (PyTorch: target.long())")
        raise ValueError(f"{op}: expected integer {indices}, got a {t.dtype} target of shape "
                         f"{t.shape}; convert with target.astype(int) (PyTorch: target.long())")
    if dtype_kind(t.dtype) not in "iu":
        raise TypeError(f"{op}: expected integer {indices}, got a target of dtype {t.dtype}")
    if t.shape != expected:
        if t.shape == x_shape:
            alternative = (" (or, to use them as class probabilities, pass "
                           "labels.astype(float))") if probabilities else ""
            raise ValueError(
                f"{op}: the integer target of shape {t.shape} has the input's shape {x_shape}, as "
                f"one-hot labels do, but {indices} were expected. Convert one-hot labels with "
                f"labels.argmax({axis}){alternative}")
        raise ValueError(
            f"{op}: a target of shape {t.shape} does not fit the input of shape {x_shape}: "
            f"{indices} were expected, one integer in 0…{n_classes - 1} per sample (one-hot "
            f"labels convert with labels.argmax({axis}); a trailing axis of size 1 with "
            "labels.reshape(-1))")
    if isinstance(t, Tensor):       # batched under vmap: the primitive checks the labels
        return "indices"
    bad = to_numpy((t != ignore_index) & ((t < 0) | (t >= n_classes)))
    if bad.any():
        position = tuple(int(i) for i in xp.argwhere(bad)[0])
        raise IndexError(
            f"{op}: target label {int(to_numpy(t)[position])} at position {position} is out of "
            f"range for "
            f"{n_classes} classes: labels must lie in 0…{n_classes - 1} (or equal "
            f"ignore_index={ignore_index}); the number of classes is the input's size along axis "
            f"{axis}, shape {x_shape}")
    return "indices"


def _index_target_dtype(op: str, target, accepted=("int64", "uint8")) -> None:
    """PyTorch's dtypes for a Tensor of class indices (int64 or uint8 for nll_loss and
    cross_entropy, int64 for the margin losses); a list or a NumPy array of any integer dtype
    stays accepted (chainrule's convenience)."""
    if not isinstance(target, Tensor) or dtype_kind(target.dtype) == "f":
        return                  # a float Tensor is class probabilities, or gets its own error
    name = str(numpy_dtype(target.dtype))
    if name in accepted:
        return
    if accepted == ("int64",):
        raise RuntimeError(f"{op}: expected scalar type Long but found {_aten_name(name)}: a "
                           f"Tensor of class indices must be int64, as in PyTorch (target.long())")
    raise RuntimeError(f"{op}: expected target dtype to be Long or Byte, but got "
                       f"{_aten_name(name)}: a Tensor of class indices must be int64 or uint8, as "
                       "in PyTorch (target.long())")


def _weight_dtype(op: str, weight, x: Tensor) -> None:
    """PyTorch's class-weight rule of nll_loss, cross_entropy (class indices) and
    multi_margin_loss: a Tensor weight has the input's dtype ("expected scalar type Float but
    found Double"); a list or a NumPy array is taken in the input's dtype."""
    if isinstance(weight, Tensor) and numpy_dtype(weight.dtype) != numpy_dtype(x.dtype):
        raise RuntimeError(f"{op}: expected scalar type {_aten_name(x.dtype)} but found "
                           f"{_aten_name(weight.dtype)}: the class weights must have the input's "
                           f"dtype {numpy_dtype(x.dtype)}, as in PyTorch (weight.to(input.dtype))")


def _class_weight(op: str, weight, x: Tensor):
    _weight_dtype(op, weight, x)
    w = _constant(weight, x.dtype)
    n_classes = x.shape[0 if x.ndim == 1 else 1]
    if w is not None and w.shape != (n_classes,):
        raise ValueError(f"{op}: weight of shape {w.shape} must hold one weight per class, shape "
                         f"({n_classes},), for an input of shape {x.shape}")
    return w


def _unbatched(x: Tensor, target, kind: str):
    """An unbatched (C,) input and its target as a batch of one."""
    x = reshape(x, (1,) + x.shape)
    if kind == "probabilities":
        return x, reshape(target, (1,) + tuple(target.shape))
    return x, B.reshape(_target_array(target), (1,))


# ------------------------------------------------------------------------------ functional forms


@autocast_op("mse_loss")
def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",  # noqa: A002
             weight=None) -> Tensor:
    """Mean squared error: L = (1/N) Σᵢ (xᵢ − yᵢ)², ∂L/∂xᵢ = 2(xᵢ − yᵢ)/N (PyTorch's F.mse_loss).

    A target Tensor of another dtype is promoted as PyTorch promotes (float32 input, float64
    target: computed in float64, the input's gradient float32); a list or NumPy array is taken in
    the input's dtype.

    >>> mse_loss(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 4.0]))   # (1 + 4)/2 = 2.5
    """
    reduction = _reduction("mse_loss", size_average, reduce, reduction)
    x = _as_tensor(input)
    t = _target(target, x)
    _check_broadcast("mse_loss", x, t)
    if weight is None:          # PyTorch's kernel: both in their common dtype (a bool target too)
        x, t = _promoted(x, t)
    d = x - t                   # with a weight, PyTorch's composite: a bool target raises here
    return _elementwise_weight("mse_loss", d * d, weight, x, True, reduction)


@autocast_op("l1_loss")
def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",  # noqa: A002
            weight=None) -> Tensor:
    """Mean absolute error: L = (1/N) Σᵢ |xᵢ − yᵢ|, ∂L/∂xᵢ = sign(xᵢ − yᵢ)/N (0 at xᵢ = yᵢ)."""
    reduction = _reduction("l1_loss", size_average, reduce, reduction)
    x = _as_tensor(input)
    t = _target(target, x)
    _check_broadcast("l1_loss", x, t)
    return _elementwise_weight("l1_loss", _abs(x - t), weight, x, True, reduction)


@autocast_op("huber_loss")
def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight=None) -> Tensor:
    """Huber loss: ½d² for |d| < δ, else δ(|d| − ½δ); ∂/∂x = clip(d, −δ, δ) (d = x − y)."""
    reduction = _reduction("huber_loss", None, None, reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x = _as_tensor(input)
    t = _target(target, x)      # computed in the common dtype, the result in x's (as PyTorch)
    _check_broadcast("huber_loss", x, t)
    return _elementwise_weight("huber_loss", HuberLoss.apply(x, t, delta=delta), weight, x,
                               False, reduction)


@autocast_op("smooth_l1_loss")
def smooth_l1_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ½d²/β for |d| < β, else |d| − ½β; ∂/∂x = clip(d/β, −1, 1). Huber(δ=β)/β."""
    reduction = _reduction("smooth_l1_loss", size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    x = _as_tensor(input)
    t = _target(target, x)
    _check_broadcast("smooth_l1_loss", x, t)
    if beta == 0:               # PyTorch's l1_loss: a bool target raises in the subtraction
        return _reduce(_abs(x - t), reduction)
    x, t = _promoted(x, t)
    return _reduce(HuberLoss.apply(x, t, delta=beta) / beta, reduction)


@autocast_op("binary_cross_entropy")
def binary_cross_entropy(input, target, weight=None, size_average=None,  # noqa: A002
                         reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities: −w[y ln x + (1 − y) ln(1 − x)], logs clamped at −100.

    ∂ℓ/∂x = w(x − y)/(x(1 − x)). For raw scores use :func:`binary_cross_entropy_with_logits`.
    """
    reduction = _reduction("binary_cross_entropy", size_average, reduce, reduction)
    x = _as_tensor(input)
    t = _target(target, x)
    _check_same_shape("binary_cross_entropy", x, t)
    _require_same_dtype("binary_cross_entropy", x, t)
    ns = namespace(x._data)
    lo, hi = (float(ns.min(x._data)), float(ns.max(x._data))) if x._data.size else (0.0, 1.0)
    if not (lo >= 0 and hi <= 1):
        raise ValueError(
            f"binary_cross_entropy: the input must hold probabilities in [0, 1], but its values "
            f"range from {lo:.4g} to {hi:.4g}; for raw scores (logits) use "
            "binary_cross_entropy_with_logits (BCEWithLogitsLoss), which applies the sigmoid "
            "stably")
    t_data = t._data
    if t_data.size and not bool(ns.all((t_data >= 0) & (t_data <= 1))):
        host = to_numpy(t_data)
        bad = host[~((host >= 0) & (host <= 1))]
        raise ValueError(
            f"binary_cross_entropy: the target must hold probabilities in [0, 1] (as PyTorch "
            f"requires), but it holds {float(bad[0]):.4g}; for targets outside [0, 1] no "
            "Bernoulli likelihood is defined")
    losses = BinaryCrossEntropy.apply(x, t)
    if weight is not None:      # PyTorch multiplies in place: the losses keep x's dtype
        losses = cast(losses * _target(weight, x), numpy_dtype(x.dtype))
    return _reduce(losses, reduction)


@autocast_op("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,  # noqa: A002
                                     reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Binary cross-entropy from logits z: max(z, 0) − z·y + ln(1 + e^{−|z|}); ∂ℓ/∂z = σ(z) − y.

    ``pos_weight`` p multiplies the positive term: ℓ = −[p·y ln σ(z) + (1 − y) ln(1 − σ(z))],
    broadcast along the last axis (one weight per class); ``weight`` multiplies each element.

    Dtypes, as PyTorch's: the loss has the TARGET's dtype (z float32, y float64 → float64; z
    float64, y float32 → float32), whatever the weights' dtypes; an integer or bool target raises.
    Where the dtypes differ the loss is PyTorch's composite, step by step in its dtypes: ln σ(z)
    in z's dtype (times the pos_weight factor (p − 1)y + 1, kept in z's dtype), then (1 − y)·z −
    that, times the weight, each kept in y's dtype; where they agree, the fused primitive.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(op, size_average, reduce, reduction)
    x = _as_tensor(input)
    t = _target(target, x)
    _check_same_shape(op, x, t)
    if dtype_kind(t.dtype) == "b":
        raise RuntimeError(f"{op}: Subtraction, the `-` operator, with two bool tensors is not "
                           "supported (1 - target), as in PyTorch: give the target as floats "
                           "(target.float())")
    if not _is_floating(t):
        raise RuntimeError(f"{op}: result type {_aten_name(x.dtype)} can't be cast to the "
                           f"desired output type {_aten_name(t.dtype)}: the loss takes the "
                           f"target's dtype, so an integer target raises, as in PyTorch; give "
                           f"the target as floats (target.to(input.dtype))")
    p = None
    if pos_weight is not None:
        p = _target(pos_weight, x)
        try:
            xp.broadcast_shapes(p.shape, t.shape)
        except ValueError:
            raise ValueError(f"{op}: pos_weight of shape {p.shape} cannot be broadcast to the "
                             f"target's shape {t.shape}; give one weight per class, shape "
                             f"({t.shape[-1] if t.ndim else 1},)") from None
    dtype = numpy_dtype(t.dtype)
    if numpy_dtype(x.dtype) == dtype and (p is None or numpy_dtype(p.dtype) == dtype):
        losses = BinaryCrossEntropyWithLogits.apply(x, t) if p is None else \
            BinaryCrossEntropyWithLogits.apply(x, t, p)
    else:
        log_sigmoid = logsigmoid(x)
        if p is not None:
            log_sigmoid = cast(log_sigmoid * ((p - 1) * t + 1), numpy_dtype(x.dtype))
        losses = cast(cast((1 - t) * x, dtype) - log_sigmoid, dtype)
    if weight is not None:
        losses = cast(losses * _target(weight, x), dtype)
    return _reduce(losses, reduction)


@autocast_op("cross_entropy_loss")
def cross_entropy(input, target, weight=None, size_average=None,  # noqa: A002
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy from logits, PyTorch's ``F.cross_entropy``.

    ``input``: logits of shape (C,), (N, C) or (N, C, d₁, …). ``target``: integer class indices of
    shape (), (N,) or (N, d₁, …), or class probabilities of the input's shape. L = −(1/N) Σₙ
    log softmax(zₙ)_{yₙ}, ∂L/∂z = (softmax(z) − y)/N; see :class:`SoftmaxCrossEntropy` for
    ``weight`` (D = Σₙ w_{yₙ} in 'mean'), ``ignore_index`` and ``label_smoothing`` ε.

    >>> cross_entropy(cr.zeros(2, 3), [0, 2])     # ln 3 for uniform logits
    """
    op = "cross_entropy"
    reduction = _reduction(op, size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must lie in [0, 1], got {label_smoothing}")
    x = _as_tensor(input)
    if isinstance(target, Tensor) and tuple(target.shape) == tuple(x.shape) and \
            not _is_floating(target):
        raise RuntimeError(f"{op}: Expected floating point type for target with class "
                           f"probabilities, got {_aten_name(target.dtype)}: a target of the "
                           f"input's shape {tuple(x.shape)} is read as class probabilities, as "
                           "in PyTorch; pass class indices of shape (N, …) instead (one-hot "
                           f"labels convert with labels.argmax({0 if x.ndim == 1 else 1}))")
    _index_target_dtype(op, target)
    kind = _class_target(op, x.shape, target, ignore_index, probabilities=True)
    if kind == "probabilities":
        t = _target(target, x)
        w = None if weight is None else _target(weight, x)
        dtype = numpy_dtype(x.dtype)
        if numpy_dtype(t.dtype) != dtype or (w is not None and (
                numpy_dtype(w.dtype) != dtype or w.requires_grad)):
            return _cross_entropy_probabilities(x, t, w, label_smoothing, reduction)
        target = t
    w = _class_weight(op, weight, x)
    if kind != "probabilities":
        target = _target_array(target)
    if x.ndim == 1:
        xb, tb = _unbatched(x, target, kind)
        out = softmax_cross_entropy(xb, tb, w, ignore_index, label_smoothing, reduction)
        return reshape(out, ()) if reduction == "none" else out
    return softmax_cross_entropy(x, target, w, ignore_index, label_smoothing, reduction)


def _cross_entropy_probabilities(x: Tensor, t: Tensor, w, label_smoothing: float,
                                 reduction: str) -> Tensor:
    """PyTorch's composite for class probabilities of another dtype than the logits (or a class
    weight of another dtype, or one that requires grad): −Σ log_softmax(z)·y·w, log_softmax in
    z's dtype, the products in their common dtype; 'mean' divides by the number of samples."""
    axis = 0 if x.ndim == 1 else 1
    n_classes = x.shape[axis]
    if label_smoothing > 0:
        t = t * (1 - label_smoothing) + label_smoothing / n_classes
    terms = log_softmax(x, axis) * t
    if w is not None:
        terms = terms * reshape(w, tuple(n_classes if i == axis else 1 for i in range(x.ndim)))
    if reduction == "none":
        return -_sum(terms, axis)
    total = -_sum(terms)
    if reduction == "sum":
        return total
    samples = math.prod(x.shape) // n_classes
    return total / samples if samples else total * float("nan")


@autocast_op("nll_loss")
def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,  # noqa: A002
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities (PyTorch's F.nll_loss).

    ℓₙ = −w_{yₙ} x_{n,yₙ}; 'mean' divides by Σₙ w_{yₙ} over the targets not ignored.
    ``nll_loss(log_softmax(z, 1), y)`` equals ``cross_entropy(z, y)``.
    """
    op = "nll_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    x = _as_tensor(input)
    _index_target_dtype(op, target)
    _class_target(op, x.shape, target, ignore_index, probabilities=False)
    w = _class_weight(op, weight, x)
    target = _target_array(target)
    params = dict(weight=w, ignore_index=ignore_index, reduction=reduction)
    if x.ndim == 1:
        xb, tb = _unbatched(x, target, "indices")
        out = NLLLoss.apply(xb, tb, **params)
        return reshape(out, ()) if reduction == "none" else out
    return NLLLoss.apply(x, target, **params)


@autocast_op("kl_div")
def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",  # noqa: A002
           log_target: bool = False) -> Tensor:
    """Kullback–Leibler divergence KL(y ‖ q) with input x = log q: Σ y(ln y − x) (F.kl_div).

    'batchmean' divides the sum by the batch size (the mathematical KL per sample); 'mean', as
    PyTorch, divides by the number of elements. ``log_target=True`` takes the target as ln y.

    Tensors of different floating dtypes are computed in their common dtype (PyTorch's result
    dtype); PyTorch rounds y·ln y (e^{y} with log_target) to the target's dtype first, so a
    target narrower than the input agrees with PyTorch to the target's precision. Integer and
    bool tensors raise, as in PyTorch.
    """
    op = "kl_div"
    reduction = _reduction(op, size_average, reduce, reduction, _REDUCTIONS + ("batchmean",))
    x = _as_tensor(input)
    t = _target(target, x)
    if not (_is_floating(x) and _is_floating(t)):
        raise RuntimeError(f"{op}: Integral inputs not supported: the input has dtype "
                           f"{numpy_dtype(x.dtype)} and the target {numpy_dtype(t.dtype)}, as in "
                           "PyTorch; give floating-point tensors (target.float())")
    x, t = _promoted(x, t)      # PyTorch: computed in their common dtype
    try:
        xp.broadcast_shapes(x.shape, t.shape)
    except ValueError:
        raise ValueError(f"{op}: input of shape {x.shape} and target of shape {t.shape} cannot be "
                         "broadcast together; give the target the input's shape") from None
    losses = KLDiv.apply(x, t, log_target=log_target)
    if reduction == "batchmean":
        total = _sum(losses)
        return total / x.shape[0] if x.ndim else total
    return _reduce(losses, reduction)


__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div"]
