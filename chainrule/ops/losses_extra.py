"""More of torch.nn.functional's losses: Poisson and Gaussian likelihoods, the margin and ranking
losses, triplet losses, and connectionist temporal classification (CTC).

All but CTC are compositions of primitives (their derivatives come from the chain rule, with
PyTorch's conventions at the kinks: a clamp passes the gradient only where it does not clamp).
CTC is a fused primitive (:class:`CTCLoss`): the forward–backward recursions in log space over
the batch and the extended label positions at once, one time step per loop iteration.

Every function takes PyTorch's arguments, including the legacy ``size_average``/``reduce``, and
``reduction='none'|'mean'|'sum'``.
"""
from __future__ import annotations

import math

from .. import backend as B
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import (
    array_namespace,
    asarray_like,
    errstate,
    numpy_dtype,
    to_numpy,
    xp,
)
from ..tensor import Tensor
from .activations_extra import logsigmoid
from .ctc import CTCLoss
from .elementwise import minimum as _minimum
from .elementwise import where as _where
from .losses import (
    _as_tensor,
    _aten_name,
    _index_target_dtype,
    _like,
    _reduce,
    _reduction,
    _target,
    _weight_dtype,
)
from .promotion import cast
from .similarity import pairwise_distance

_COSINE_EPSILON = 1e-12     # PyTorch's guard inside cosine_embedding_loss's norms


def _array(value):
    return value._data if isinstance(value, Tensor) else xp.asarray(value)


def _log_sigmoid(x: Tensor) -> Tensor:
    """ln σ(x), the logsigmoid primitive: no overflow for any x, and the derivative σ(−x) at
    every x (composed from |x| and max(−x, 0), x = 0 would get slope 1 instead of ½)."""
    return logsigmoid(x)


def _check_same_shape(op: str, *tensors) -> None:
    shapes = [tuple(t.shape) for t in tensors]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"{op}: the inputs must have the same shape, got shapes "
                         f"{', '.join(map(str, shapes))}")


# ------------------------------------------------------------------------ likelihood losses
@autocast_op("poisson_nll_loss")
def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of a Poisson target y with rate λ (F.poisson_nll_loss).

    log_input: ℓ = e^{x} − y·x (x = ln λ), ∂ℓ/∂x = e^{x} − y;  else ℓ = x − y·ln(x + ε),
    ∂ℓ/∂x = 1 − y/(x + ε). ``full`` adds Stirling's term y ln y − y + ½ ln(2πy) where y > 1.
    """
    reduction = _reduction("poisson_nll_loss", size_average, reduce, reduction)
    x = _as_tensor(input)
    y = _target(target, x)      # a Tensor keeps its dtype: PyTorch's promotion, step by step
    if log_input:
        loss = x.exp() - y * x
    else:
        loss = x - y * (x + eps).log()
    if full:
        # As PyTorch: the term is formed for every y (in y's dtype; float32 for an integer y)
        # and masked where y ≤ 1, so a target of 0 that requires grad gets 0·ln 0 = nan as its
        # gradient there, as in PyTorch; it is added in place (the loss keeps its dtype).
        with xp.errstate(divide="ignore", invalid="ignore"):
            stirling = y * y.log() - y + 0.5 * (2 * math.pi * y).log()
        small = Tensor._from_op(_array(y) <= 1, None)
        stirling = _where(small, _like(0.0, stirling), stirling)
        loss = cast(loss + stirling, numpy_dtype(loss.dtype))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,  # noqa: A002
                      reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of y under N(x, σ²) (F.gaussian_nll_loss).

    ℓ = ½(ln max(σ², ε) + (x − y)²/max(σ², ε)) (+ ½ ln 2π if full). The clamp at ε is applied to
    the value only, as PyTorch's ``clamp_`` under no_grad: the gradient passes as if unclamped.
    ``var`` has the input's shape, or lacks its last axis (or has size 1 there): one variance
    shared by the last axis (homoscedastic per sample).
    """
    op = "gaussian_nll_loss"
    reduction = _reduction(op, None, None, reduction)
    x = _as_tensor(input)
    y = _target(target, x)
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:     # PyTorch: var * ones_like(input), one variance for every element
            raise ValueError(f"{op}: var has negative entry/entries")
        v = _like(xp.full(tuple(x.shape), float(var)), x)
    else:
        v = _target(var, x)
    if isinstance(var, Tensor) and B.dtype_kind(v.dtype) != "f":
        raise RuntimeError(f"{op}: result type Float can't be cast to the desired output type "
                           f"{_aten_name(v.dtype)}: var is clamped at eps in its own dtype, so "
                           f"it must be floating-point, as in PyTorch (var.float())")
    if tuple(v.shape) != tuple(x.shape):
        if tuple(x.shape[:-1]) == tuple(v.shape):
            v = v.unsqueeze(-1)
        elif not (tuple(x.shape[:-1]) == tuple(v.shape[:-1]) and v.shape[-1] == 1):
            raise ValueError(f"{op}: var is of incorrect size: shape {tuple(v.shape)} for an "
                             f"input of shape {tuple(x.shape)} (expected the input's shape, or "
                             "it without its last axis, or with 1 there)")
    data = _array(v)
    ns = array_namespace(data)
    if ns.any(data < 0):
        raise ValueError(f"{op}: var has negative entry/entries")
    # the value clamped only (an infinite or NaN variance is kept as it is: no ∞ − ∞)
    clamped = v + Tensor._from_op(ns.where(data < eps, eps - data, ns.zeros_like(data)), None)
    loss = 0.5 * (clamped.log() + (x - y) ** 2 / clamped)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ------------------------------------------------------------------------ margin losses
@autocast_op("margin_ranking_loss")
def margin_ranking_loss(input1, input2, target, margin: float = 0.0,  # noqa: A002
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """ℓ = max(0, −y(x₁ − x₂) + margin), y ∈ {1, −1} (F.margin_ranking_loss)."""
    reduction = _reduction("margin_ranking_loss", size_average, reduce, reduction)
    x1 = _as_tensor(input1)
    x2, y = _target(input2, x1), _target(target, x1)
    if B.dtype_kind(y.dtype) == "b":
        raise RuntimeError("margin_ranking_loss: Negation, the `-` operator, on a bool tensor is "
                           "not supported (−target), as in PyTorch: give the target as ±1 numbers "
                           "(target.float() * 2 - 1)")
    if not (x1.ndim == x2.ndim == y.ndim):
        raise RuntimeError(f"margin_ranking_loss: All input tensors should have same dimension "
                           f"but got sizes: input1: {tuple(x1.shape)}, input2: "
                           f"{tuple(x2.shape)}, target: {tuple(y.shape)}")
    return _reduce((-y * (x1 - x2) + margin).clamp_min(0), reduction)


@autocast_op("hinge_embedding_loss")
def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None,  # noqa: A002
                         reduce=None, reduction: str = "mean") -> Tensor:
    """ℓ = x where y = 1, max(0, margin − x) where y = −1 (F.hinge_embedding_loss)."""
    reduction = _reduction("hinge_embedding_loss", size_average, reduce, reduction)
    x = _as_tensor(input)
    y = _array(target)
    zero = _like(0.0, x)
    hinge = _where(Tensor._from_op(y != 1, None), (margin - x).clamp_min(0), zero)
    linear = _where(Tensor._from_op(y != -1, None), x, zero)
    return _reduce(hinge + linear, reduction)


@primitive
class SoftMargin(Function):
    """The soft margin loss of each element (F.soft_margin_loss with reduction='none').

    Forward:     ℓ = ln(1 + z),  z = e^{−x·y}
    Derivative:  ∂ℓ/∂x = −y·z/(1 + z) = −y·σ(−x·y),  ∂ℓ/∂y = −x·z/(1 + z)
    VJP:         ∂L/∂x = ((y·z)·(−1))/(1 + z)·g, in PyTorch's order (soft_margin_loss_backward):
                 the upstream gradient multiplies last, so a tiny g is not lost to underflow in
                 g/(1 + z) when z is huge (−x·y = 120, g = −1e-300: 3e-300, not 0)
    Numerics:    z = ∞ (−x·y above ~709 in float64) gives ∞/∞ = NaN in the derivative, as
                 PyTorch's; the loss is then ∞. PyTorch gives the target no gradient; chainrule
                 differentiates it by the same rule with x and y exchanged. ``bool_target``: the
                 target was bool (taken as 0/1), which PyTorch's backward refuses: so does this.
    """

    name = "soft_margin"
    array_api = True
    text = ("ℓ = ln(1 + e^{−x·y})", "∂ℓ/∂x = −y·e^{−x·y}/(1 + e^{−x·y}) = −y σ(−x·y)")
    latex = (r"\ell = \ln\left(1 + e^{-x y}\right)",
             r"\frac{\partial \ell}{\partial x} = \frac{-y\,e^{-x y}}{1 + e^{-x y}}"
             r" = -y\,\sigma(-x y)")
    explanation = ("A smooth hinge: the loss falls towards 0 as the margin x·y grows, and its "
                   "slope is the probability σ(−x·y) that the sign is wrong.")
    reference = staticmethod(lambda x, y: xp.log1p(xp.exp(-x * y)))

    @staticmethod
    def forward(ctx, x, y, bool_target=False):
        ns = array_namespace(x, y)
        ctx.bool_target = bool_target
        with errstate(ns, over="ignore", invalid="ignore"):
            z = ns.exp(-x * y)
            ctx.save(x, y, z)
            return ns.log1p(z)

    @staticmethod
    def vjp(ctx, g):
        x, y, z = ctx.saved
        if ctx.bool_target:
            raise RuntimeError("soft_margin_loss backward: Negation, the `-` operator, on a bool "
                               "tensor is not supported (PyTorch's backward forms exp(−target·"
                               "input)): give the target as ±1 numbers (target.float() * 2 - 1)")
        need = ctx.needs_input_grad
        if isinstance(x, Tensor) or isinstance(y, Tensor):   # create_graph: z made again,
            # differentiably (a saved z would be a constant there)
            z = (-x * y).exp()
            ns = None
        else:
            ns = array_namespace(x, y)
        with errstate(ns, over="ignore", invalid="ignore", under="ignore"):
            denominator = 1 + z
            gx = -(y * z) / denominator * g if need[0] else None
            gy = -(x * z) / denominator * g if len(need) > 1 and need[1] else None
        return gx, gy


@autocast_op("soft_margin_loss")
def soft_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                     reduction: str = "mean") -> Tensor:
    """ℓ = ln(1 + e^{−y·x}) (F.soft_margin_loss); ∂ℓ/∂x = −y σ(−y x)."""
    reduction = _reduction("soft_margin_loss", size_average, reduce, reduction)
    x = _as_tensor(input)
    y = _target(target, x)
    boolean = B.dtype_kind(y.dtype) == "b"
    # PyTorch computes into a tensor of x's dtype: the loss has x's dtype, the target is taken in
    # it; its backward negates the target, so a bool target has no derivative (it raises)
    y = cast(y, numpy_dtype(x.dtype))
    return _reduce(SoftMargin.apply(x, y, bool_target=boolean), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None,  # noqa: A002
                                reduce=None, reduction: str = "mean") -> Tensor:
    """ℓₙ = −(1/C) Σ_c w_c [y_c ln σ(x_c) + (1 − y_c) ln σ(−x_c)]
    (F.multilabel_soft_margin_loss)."""
    reduction = _reduction("multilabel_soft_margin_loss", size_average, reduce, reduction)
    x = _as_tensor(input)
    y = _target(target, x)      # PyTorch's composite: each product in its operands' common dtype
    loss = -(y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    if weight is not None:
        loss = loss * _target(weight, x)
    loss = loss.sum(dim=x.ndim - 1) / x.shape[-1]
    return _reduce(loss, reduction)


def _class_axis_input(op: str, x: Tensor, target, allow_2d_target: bool = False):
    """(N, C) input and the target's integer array, with PyTorch's shape rules of the margin
    losses: input (C,) or (N, C). The target's class indices are read on the host (a NumPy
    array, whatever library holds the input): the masks built from them are moved into the
    input's library where they meet it."""
    if x.ndim not in (1, 2) or (x.ndim == 2 and x.shape[1] == 0) or x.shape[-1:] == (0,):
        raise ValueError(f"{op}: expected a non-empty input of shape (C,) or (N, C), got "
                         f"{tuple(x.shape)}")
    t = to_numpy(_array(target))
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected integer class indices as the target, got dtype "
                        f"{t.dtype}")
    return t


@autocast_op("multi_margin_loss")
def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0,  # noqa: A002
                      weight=None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss (F.multi_margin_loss):

    ℓₙ = (1/C) Σ_{i ≠ yₙ} w_{yₙ} max(0, margin − x_{n,yₙ} + x_{n,i})^p,   p ∈ {1, 2}.
    """
    op = "multi_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got p={p}")
    x = _as_tensor(input)
    _index_target_dtype(op, target, ("int64",))
    _weight_dtype(op, weight, x)
    t = _class_axis_input(op, x, target)
    xb = x.reshape(1, -1) if x.ndim == 1 else x
    tb = t.reshape(-1)
    n, c = xb.shape
    if tb.shape != (n,):
        raise ValueError(f"{op}: inconsistent target size: {t.shape} for an input of shape "
                         f"{tuple(x.shape)}")
    if ((tb < 0) | (tb >= c)).any():
        raise IndexError(f"{op}: target out of range: labels must lie in 0…{c - 1}")
    w = None if weight is None else to_numpy(_array(weight)).astype(numpy_dtype(xb.dtype))
    loss = MultiMargin.apply(xb, target=tb, p=p, margin=margin, weight=w)
    if x.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


@primitive
class MultiMargin(Function):
    """The multi-class hinge loss of each sample (F.multi_margin_loss with reduction='none').

    Forward:     ℓₙ = (1/C) Σ_{i ≠ yₙ} w_{yₙ} hᵢ^p,  hᵢ = max(0, margin − x_{n,yₙ} + x_{n,i}),
                 p ∈ {1, 2}; a term is added only where margin − x_{n,yₙ} + x_{n,i} > 0 (a NaN
                 there, as from ∞ − ∞, adds nothing), as PyTorch's kernel
    Derivative:  ∂ℓₙ/∂x_{n,i} = w_{yₙ}·(1/C)·(1 or 2hᵢ) for an active term i ≠ yₙ, 0 for an
                 inactive one; ∂ℓₙ/∂x_{n,yₙ} = −Σᵢ ∂ℓₙ/∂x_{n,i}
    VJP:         that local gradient times gₙ, last, as PyTorch's multi_margin_loss_backward: an
                 inactive term gets 0·gₙ (NaN for an infinite or NaN gₙ, as PyTorch)
    Numerics:    class indices and weights are fixed parameters (no gradient), as in PyTorch;
                 PyTorch has no second derivative here, nor has chainrule.
    """

    name = "multi_margin"
    array_api = True
    twice_differentiable = False
    text = ("ℓₙ = (1/C) Σ_{i ≠ yₙ} w_{yₙ} max(0, margin − x_{yₙ} + xᵢ)^p",
            "∂ℓₙ/∂xᵢ = (w_{yₙ}/C)·(1 or 2hᵢ) on active terms,  ∂ℓₙ/∂x_{yₙ} = −Σᵢ ∂ℓₙ/∂xᵢ")
    latex = (r"\ell_n = \frac{1}{C}\sum_{i \ne y_n} w_{y_n}"
             r"\max(0,\ \text{margin} - x_{y_n} + x_i)^p",
             r"\frac{\partial \ell_n}{\partial x_i} = \frac{w_{y_n}}{C}\,"
             r"(1 \text{ or } 2h_i)\ \text{(active terms)},\quad "
             r"\frac{\partial \ell_n}{\partial x_{y_n}} = "
             r"-\sum_{i} \frac{\partial \ell_n}{\partial x_i}")
    explanation = ("Every wrong class whose score comes within the margin of the right one adds a "
                   "penalty; the gradient pushes those scores down and the right one up.")
    reference = staticmethod(lambda x, target, p=1, margin=1.0, weight=None: (
        (xp.where(xp.arange(x.shape[1]) != xp.asarray(target)[:, None],
                  xp.maximum(0, margin - x[xp.arange(x.shape[0]), target][:, None] + x), 0) ** p
         * (1.0 if weight is None else xp.asarray(weight)[target][:, None])).sum(1)
        / x.shape[1]))

    @staticmethod
    def forward(ctx, x, target=None, p=1, margin=1.0, weight=None):
        ns = array_namespace(x)
        n, c = x.shape
        t = to_numpy(target).astype(xp.int64)
        rows = xp.arange(n)
        onehot = xp.zeros((n, c), dtype=bool)
        onehot[rows, t] = True
        flat = asarray_like(rows * c + t, x)
        picked = ns.reshape(ns.take(ns.reshape(x, (-1,)), flat), (n, 1))
        with errstate(ns, invalid="ignore", over="ignore"):
            m = margin - picked + x
            keep = (m > 0) & asarray_like(~onehot, x)
            z = ns.where(keep, m, ns.zeros_like(m))
            if p == 2:
                z = z * z
            w_t = None
            if weight is not None:
                w_t = asarray_like(xp.asarray(weight)[t].reshape(n, 1), x)
                z = z * ns.where(keep, w_t, ns.zeros_like(z))
        ctx.save(m)
        ctx.keep, ctx.onehot, ctx.w_t, ctx.p = keep, asarray_like(onehot, x), w_t, p
        return B.total(z, axis=1) / c

    @staticmethod
    def vjp(ctx, g):
        (m,) = ctx.saved
        ns = array_namespace(m)
        c = m.shape[1]
        s = float(numpy_dtype(m.dtype).type(1.0 / c))      # 1/C rounded to m's dtype
        with errstate(ns, invalid="ignore", over="ignore"):
            h = ns.ones_like(m) * s if ctx.p == 1 else (2 * s) * m
            if ctx.w_t is not None:
                h = h * ctx.w_t
            h = ns.where(ctx.keep, h, ns.zeros_like(h))
            grad = ns.where(ctx.onehot, -B.total(h, axis=1, keepdims=True), h)
            return grad * ns.reshape(g, (-1, 1))


@autocast_op("multilabel_margin_loss")
def multilabel_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss (F.multilabel_margin_loss): the target row lists class indices,
    ended by the first −1; with J that set,

    ℓₙ = (1/C) Σ_{j ∈ J} Σ_{i ∉ J} max(0, 1 − (x_{n,j} − x_{n,i})).
    """
    op = "multilabel_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    x = _as_tensor(input)
    _index_target_dtype(op, target, ("int64",))
    t = _class_axis_input(op, x, target)
    if t.shape != tuple(x.shape):
        raise ValueError(f"{op}: inconsistent target size: {t.shape} for input of size "
                         f"{tuple(x.shape)}")
    xb = x.reshape(1, -1) if x.ndim == 1 else x
    tb = t.reshape(xb.shape)
    n, c = xb.shape
    listed = xp.cumprod(tb != -1, axis=1).astype(bool)           # before the first −1
    if (listed & ((tb < 0) | (tb >= c))).any():
        raise IndexError(f"{op}: target out of range: labels must lie in 0…{c - 1} (or -1)")
    loss = MultilabelMargin.apply(xb, target=tb)
    if x.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


@primitive
class MultilabelMargin(Function):
    """The multi-label hinge loss of each sample (F.multilabel_margin_loss, reduction='none').

    Forward:     ℓₙ = (1/C) Σ_{j ∈ Jₙ} Σ_{i ∉ Jₙ} max(0, 1 − x_{n,j} + x_{n,i}), Jₙ the classes
                 listed in row n of the target before its first −1 (a class listed twice counts
                 twice, as PyTorch); a pair adds only where 1 − x_{n,j} + x_{n,i} > 0 (a NaN there,
                 as from ∞ − ∞, adds nothing), as PyTorch's kernel
    Derivative:  ∂ℓₙ/∂x_{n,i} = (1/C)·#{j: pair (j, i) active} for i ∉ Jₙ,
                 ∂ℓₙ/∂x_{n,j} = −(1/C)·#{i: pair (j, i) active} for j ∈ Jₙ
    VJP:         that local gradient times gₙ, last, as PyTorch's multilabel_margin_loss_backward:
                 a class with no active pair gets 0·gₙ (NaN for an infinite or NaN gₙ, as PyTorch)
    Numerics:    the target is a fixed parameter (no gradient); PyTorch has no second derivative
                 here, nor has chainrule.
    """

    name = "multilabel_margin"
    array_api = True
    twice_differentiable = False
    text = ("ℓₙ = (1/C) Σ_{j ∈ J} Σ_{i ∉ J} max(0, 1 − x_j + x_i)",
            "∂ℓₙ/∂xᵢ = (1/C)·#{j: active},  ∂ℓₙ/∂xⱼ = −(1/C)·#{i: active}")
    latex = (r"\ell_n = \frac{1}{C}\sum_{j \in J}\sum_{i \notin J}\max(0,\ 1 - x_j + x_i)",
             r"\frac{\partial \ell_n}{\partial x_i} = \frac{1}{C}\,\#\{j: \text{active}\},"
             r"\quad \frac{\partial \ell_n}{\partial x_j} = -\frac{1}{C}\,\#\{i: \text{active}\}")
    explanation = ("Every class that is not a label and scores within 1 of a label's score adds a "
                   "penalty; the gradient pushes those scores down and the labels' scores up.")
    reference = staticmethod(lambda x, target: _multilabel_reference(x, target))

    @staticmethod
    def forward(ctx, x, target=None):
        ns = array_namespace(x)
        n, c = x.shape
        listed, is_target, position = _multilabel_masks(to_numpy(target), c)
        # pair (k, i): k a listed position of the row (its class tₙₖ), i a class that is no label
        flat = asarray_like((xp.arange(n)[:, None] * c + position).reshape(-1), x)
        picked = ns.reshape(ns.take(ns.reshape(x, (-1,)), flat), (n, -1, 1))     # (n, K, 1)
        pairs = asarray_like(listed[:, :, None] & ~is_target[:, None, :], x)
        with errstate(ns, invalid="ignore", over="ignore"):
            m = 1 - picked + ns.reshape(x, (n, 1, c))                                # (n, K, C)
            keep = (m > 0) & pairs
            z = ns.where(keep, m, ns.zeros_like(m))
        ctx.keep = keep
        ctx.hot = asarray_like((position[:, :, None] == xp.arange(c)) & listed[:, :, None], x)
        return B.total(B.total(z, axis=2), axis=1) / c

    @staticmethod
    def vjp(ctx, g):
        keep, hot = ctx.keep, ctx.hot
        ns = array_namespace(g)
        n, _, c = keep.shape
        dtype = g.dtype
        s = float(numpy_dtype(dtype).type(1.0 / c))        # 1/C rounded to g's dtype
        h = ns.astype(keep, dtype)
        active = B.total(h, axis=2, keepdims=True)                                 # (n, K, 1)
        labels = B.total(ns.astype(hot, dtype) * active, axis=1)                   # (n, C)
        with errstate(ns, invalid="ignore", over="ignore"):
            local = (B.total(h, axis=1) - labels) * s
            return local * ns.reshape(g, (-1, 1))


def _multilabel_masks(t, c: int):
    """For an (n, C) target of class indices ended by −1: listed (n, C), true before the row's
    first −1; is_target (n, C), true for the classes listed; position (n, C), each listed class
    index (0 where not listed)."""
    n = t.shape[0]
    listed = xp.cumprod(t != -1, axis=1).astype(bool)
    is_target = xp.zeros((n, c), dtype=bool)
    rows = xp.broadcast_to(xp.arange(n)[:, None], t.shape)
    is_target[rows[listed], t[listed]] = True
    return listed, is_target, xp.where(listed, t, 0)


def _multilabel_reference(x, target):
    """A plain NumPy rendering of the forward, pair by pair (the spec's oracle)."""
    x, t = xp.asarray(x), xp.asarray(target)
    listed, is_target, position = _multilabel_masks(t, x.shape[1])
    xj = xp.take_along_axis(x, position, axis=1)[:, :, None]
    pairs = listed[:, :, None] & ~is_target[:, None, :]
    return xp.where(pairs, xp.maximum(0, 1 - xj + x[:, None, :]), 0).sum((1, 2)) / x.shape[1]


@autocast_op("cosine_embedding_loss")
def cosine_embedding_loss(input1, input2, target, margin: float = 0.0,  # noqa: A002
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """ℓ = 1 − cos(x₁, x₂) where y = 1, max(0, cos(x₁, x₂) − margin) where y = −1
    (F.cosine_embedding_loss); cos = x₁·x₂ / √((‖x₁‖² + 10⁻¹²)(‖x₂‖² + 10⁻¹²)) as PyTorch."""
    op = "cosine_embedding_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    x1 = _as_tensor(input1)
    x2 = _target(input2, x1)
    y = _array(target)
    if x1.ndim not in (1, 2) or tuple(x1.shape) != tuple(x2.shape):
        raise RuntimeError(f"{op}: expected input1 and input2 of the same shape, (D,) or (N, D), "
                           f"got {tuple(x1.shape)} and {tuple(x2.shape)}")
    if y.ndim != x1.ndim - 1:
        raise RuntimeError(f"{op}: {x1.ndim}D target tensor expected, multi-target not "
                           f"supported; got target of shape {y.shape}")
    dim = x1.ndim - 1
    prod = (x1 * x2).sum(dim=dim)
    mag1 = (x1 * x1).sum(dim=dim) + _COSINE_EPSILON
    mag2 = (x2 * x2).sum(dim=dim) + _COSINE_EPSILON
    cos = prod / (mag1 * mag2).sqrt()
    zero = _like(0.0, x1)
    pos = _where(Tensor._from_op(y == 1, None), 1 - cos, zero)
    neg = _where(Tensor._from_op(y == -1, None), (cos - margin).clamp_min(0), zero)
    return _reduce(pos + neg, reduction)


# ------------------------------------------------------------------------ triplet losses
@autocast_op("triplet_margin_loss")
def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """ℓ = max(0, d(a, p) − d(a, n) + margin), d(u, v) = ‖u − v + ε‖_p (F.triplet_margin_loss);
    ``swap``: d(a, n) ← min(d(a, n), d(p, n)) (Balntas et al., 2016)."""
    op = "triplet_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    a = _as_tensor(anchor)
    pos, neg = _target(positive, a), _target(negative, a)
    if not (a.ndim == pos.ndim == neg.ndim) or a.ndim not in (1, 2):
        raise RuntimeError(f"{op}: the anchor, positive and negative must all be 1-D (D,) or "
                           f"2-D (N, D), got shapes {tuple(a.shape)}, {tuple(pos.shape)} and "
                           f"{tuple(neg.shape)}")
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = _minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """ℓ = max(0, d(a, p) − d(a, n) + margin) with any distance function d (default: the
    Euclidean pairwise distance) (F.triplet_margin_with_distance_loss)."""
    op = "triplet_margin_with_distance_loss"
    reduction = _reduction(op, None, None, reduction)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    a = _as_tensor(anchor)
    pos, neg = _target(positive, a), _target(negative, a)
    dist = distance_function or (lambda u, v: pairwise_distance(u, v, 2, 1e-6))
    d_pos, d_neg = dist(a, pos), dist(a, neg)
    if swap:
        d_neg = _minimum(d_neg, dist(pos, neg))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


# ------------------------------------------------------------------------------- CTC
def _lengths(op: str, name: str, value, n: int):
    if isinstance(value, Tensor) and B.dtype_kind(value.dtype) not in "iu":
        raise RuntimeError(f"{op}: {name} must be integral, as in PyTorch: a Tensor of lengths "
                           f"has an integer dtype, not {numpy_dtype(value.dtype)} (.long())")
    a = xp.asarray(to_numpy(_array(value))).reshape(-1)
    if a.dtype.kind not in "iu":
        if a.size and not (a == xp.round(a)).all():
            raise TypeError(f"{op}: {name} must hold integers, got {a}")
        a = a.astype(xp.int64)
    if a.shape != (n,):
        raise RuntimeError(f"{op}: {name} must have one length per sequence, {n} in all, got "
                           f"{a.shape[0]}")
    if (a < 0).any():
        raise RuntimeError(f"{op}: {name} must be non-negative, got {a}")
    return a.astype(xp.int64)


@autocast_op("ctc_loss")
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss (F.ctc_loss); see :mod:`chainrule.ops.ctc`.

    ``log_probs`` (T, N, C) or unbatched (T, C), normally log_softmax outputs; ``targets`` padded
    (N, S) or all target sequences concatenated (Σ target_lengths,); ``input_lengths`` and
    ``target_lengths`` (N,). 'mean' divides each loss by its target length (at least 1), then
    averages over the batch, as PyTorch.
    """
    op = "ctc_loss"
    reduction = _reduction(op, None, None, reduction)
    lp = _as_tensor(log_probs)
    unbatched = lp.ndim == 2
    if lp.ndim not in (2, 3):
        raise ValueError(f"{op}: log_probs must have shape (T, N, C) or (T, C), got "
                         f"{tuple(lp.shape)}")
    if unbatched:
        lp = lp.unsqueeze(1)
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise ValueError(f"{op}: blank must be in label range 0…{C - 1}, got {blank}")
    in_len = _lengths(op, "input_lengths", input_lengths, N)
    tg_len = _lengths(op, "target_lengths", target_lengths, N)
    if (in_len > T).any():
        raise RuntimeError(f"{op}: input_lengths {in_len.tolist()} must not exceed the "
                           f"sequence length T = {T} of log_probs")
    t = xp.asarray(_array(targets))
    if unbatched and t.ndim == 1 and tg_len[0] <= t.shape[0]:
        t = t.reshape(1, -1)
    if t.ndim == 2:                                       # padded (N, S)
        if t.shape[0] != N or (tg_len > t.shape[1]).any():
            raise RuntimeError(f"{op}: padded targets of shape {t.shape} do not fit {N} "
                               f"sequences of target_lengths {tg_len.tolist()}")
        padded = t[:, :max(int(tg_len.max(initial=0)), 0)]
    else:                                                 # concatenated (Σ L,)
        if t.shape[0] != tg_len.sum():
            raise RuntimeError(f"{op}: concatenated targets hold {t.shape[0]} labels but the "
                               f"target_lengths add up to {int(tg_len.sum())}")
        width = int(tg_len.max(initial=0))
        starts = xp.concatenate([[0], xp.cumsum(tg_len)[:-1]]).astype(xp.int64)
        pos = starts[:, None] + xp.arange(width)[None, :]
        padded = t[xp.minimum(pos, max(t.shape[0] - 1, 0))] if t.shape[0] else \
            xp.zeros((N, width), dtype=xp.int64)
    inside = xp.arange(padded.shape[1])[None, :] < tg_len[:, None]
    padded = xp.where(inside, padded, blank).astype(xp.int64)
    if ((padded < 0) | (padded >= C)).any():
        raise IndexError(f"{op}: target labels must lie in 0…{C - 1}")
    loss = CTCLoss.apply(lp, targets=padded, input_lengths=in_len, target_lengths=tg_len,
                         blank=blank, zero_infinity=zero_infinity)
    if reduction == "mean":
        scale = xp.maximum(tg_len, 1).astype(numpy_dtype(lp._data.dtype))
        scale = Tensor._from_op(asarray_like(scale, lp._data), None)   # lp's array library
        return (loss / scale).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(()) if unbatched else loss


__all__ = ["ctc_loss", "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
           "multi_margin_loss",
           "multilabel_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss"]
