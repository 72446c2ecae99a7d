"""Softmax and cross-entropy fused into one primitive: a classifier's loss from its logits.

Composed from log_softmax and a gather, the backward would run through two rules and form the
softmax Jacobian's product twice; fused, the gradient of the whole loss is one line,

    ∂L/∂z = (softmax(z) − y) / N,

computed in :meth:`SoftmaxCrossEntropy.vjp` from the softmax the forward already made. Class
weights, label smoothing and ignored targets change only the target vector y and the divisor N
(the derivation is in the class docstring).
"""
from __future__ import annotations

from .. import backend as B
from .. import kernels
from ..autograd.function import Function, primitive
from ..backend import array_namespace, dtype_kind, errstate, namespace, ndarray, xp
from ..tensor import Tensor


def expand_class_axis(v):
    """A per-sample array of shape (N, d₁, …) as (N, 1, d₁, …), to broadcast over classes."""
    return B.reshape(v, v.shape[:1] + (1,) + v.shape[1:])


def class_view(weight, ndim: int):
    """Class weights of shape (C,) as (1, C, 1, …), to broadcast against an (N, C, d₁, …) input."""
    return B.reshape(weight, (1, weight.shape[0]) + (1,) * (ndim - 2))


def reduce_losses(losses, reduction: str, divisor):
    """The per-sample losses summed, divided by ``divisor`` ('mean'), or left as they are."""
    if reduction == "none":
        return losses
    total = B.total(losses)
    if reduction == "sum":
        return total
    ns = array_namespace(losses)
    with errstate(ns, invalid="ignore", divide="ignore"):  # 0/0 = nan, as PyTorch
        return ns.asarray(total / divisor, dtype=losses.dtype)


def reduction_scale(g, reduction: str, divisor):
    """∂L/∂ℓₙ for each per-sample loss ℓₙ, shaped to broadcast over the class axis.

    'none': gₙ;  'sum': g;  'mean': g/D (0 where D = 0, i.e. every target ignored, as PyTorch).
    """
    if reduction == "none":
        return expand_class_axis(g)
    if reduction == "mean":
        return g / divisor if divisor != 0 else g * 0.0
    return g


@primitive
class SoftmaxCrossEntropy(Function):
    """Cross-entropy between softmax(z) and a target, over the class axis 1 (F.cross_entropy).

    Forward:     ℓₙ = −Σₖ aₙₖ log softmax(zₙ)ₖ,   aₙₖ = wₖ·q̃ₙₖ,   q̃ = (1 − ε)·qₙ + ε/C
                 qₙ is the one-hot vector of the class index yₙ (aₙ = 0 where yₙ = ignore_index)
                 or the given class probabilities; w are the class weights (1 when absent) and ε
                 the label smoothing. L = Σₙ ℓₙ / D ('mean'), Σₙ ℓₙ ('sum') or ℓ ('none'), with
                 D = Σₙ w_{yₙ} over the targets not ignored (class indices; their count when
                 unweighted) or D = the number of samples (class probabilities), as PyTorch.
    Derivative:  ∂ℓₙ/∂zₙ = (Σₖ aₙₖ)·softmax(zₙ) − aₙ, because ∂ log softmax(z)ₖ/∂zⱼ = δₖⱼ −
                 softmax(z)ⱼ. For one-hot targets without weights or smoothing Σₖ aₙₖ = 1, so
                 ∂L/∂z = (softmax(z) − y)/N.
    VJP:         ∂L/∂zₙ = (g/D)·((Σₖ aₙₖ)·softmax(zₙ) − aₙ)
                 ∂L/∂qₙ = −(g/D)·(1 − ε)·w ⊙ log softmax(zₙ)     (probability targets only)
                 (g/D becomes g for 'sum' and gₙ for 'none'; the class weights get no gradient)
    Numerics:    log-softmax with the maximum subtracted: finite for logits of any size; the
                 softmax made by the forward is reused by the backward; no log(0) is formed.
                 log softmax(z)ₖ is taken as (zₖ − m) − ln Σⱼ e^{zⱼ − m} (m = maxⱼ zⱼ), never as
                 zₖ − (m + ln Σ…), as PyTorch: for logits of 1e300 the latter rounds ln 4 away.
    """

    name = "softmax_cross_entropy"
    array_api = True
    text = ("ℓₙ = −Σₖ aₙₖ log softmax(zₙ)ₖ,  L = (1/D) Σₙ ℓₙ   (one-hot a = y: L = −(1/N) Σₙ "
            "log softmax(zₙ)_{yₙ})",
            "∂L/∂zₙ = ((Σₖ aₙₖ) softmax(zₙ) − aₙ)/D   (one-hot, unweighted: (softmax(z) − y)/N)")
    latex = (r"\ell_n = -\sum_k a_{nk} \log \operatorname{softmax}(z_n)_k,\quad "
             r"L = \frac{1}{D}\sum_n \ell_n",
             r"\frac{\partial L}{\partial z_n} = \frac{1}{D}\Big(\big(\textstyle\sum_k a_{nk}\big)"
             r"\operatorname{softmax}(z_n) - a_n\Big) \;\overset{a = y}{=}\; "
             r"\frac{\operatorname{softmax}(z) - y}{N}")
    explanation = ("Fusing softmax with the cross-entropy collapses the chain rule through both to "
                   "one difference: the predicted probabilities minus the target ones.")
    reference = staticmethod(lambda z, q: -(q * (z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))))
                             .sum(axis=1).mean())

    @classmethod
    def explain_error(cls, exc, arrays, params):
        """A label out of range (a replayed compiled step, where cross_entropy's own check of
        the target does not run): the same explanation as cross_entropy gives."""
        if isinstance(exc, IndexError) and len(arrays) > 1 and \
                dtype_kind(getattr(arrays[1], "dtype", xp.dtype(float))) in "iu":
            from .losses import _class_target

            try:
                _class_target("cross_entropy", tuple(arrays[0].shape), arrays[1],
                              params.get("ignore_index", -100), False)
            except (IndexError, ValueError) as explained:
                return explained
        return super().explain_error(exc, arrays, params)

    @staticmethod
    def forward(ctx, z, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                reduction="mean"):
        n_classes = z.shape[1]
        ctx.fast = _fast(z, target, weight, label_smoothing, reduction)
        if ctx.fast:
            return _fast_forward(ctx, z, target, ignore_index, reduction)
        ns = array_namespace(z)
        m = ns.max(z, axis=1, keepdims=True)
        with errstate(ns, invalid="ignore"):   # a maximum of ±∞: NaN throughout, as PyTorch
            shifted = z - m
            p = ns.exp(shifted)
            total = B.total(p, axis=1, keepdims=True)
            p /= total
            log_total = ns.log(total)
        w = None if weight is None else class_view(weight, z.ndim)
        eps = label_smoothing
        ctx.weight, ctx.eps, ctx.n_classes, ctx.reduction = w, eps, n_classes, reduction
        ctx.probabilities = dtype_kind(target.dtype) == "f"
        if ctx.probabilities:
            a = SoftmaxCrossEntropy.coefficients(ctx, target)
            losses = B.total(-(a * (shifted - log_total)), axis=1)
            divisor = losses.size
        else:
            ctx.ignore_index = ignore_index
            valid_f = _index_terms(ctx, z, target, ns)
            logp_y = (ns.take_along_axis(shifted, ctx.index, axis=1)[:, 0, ...]
                      - log_total[:, 0, ...])
            losses = -(1 - eps) * ctx.w_y * logp_y
            if eps:
                logp = shifted - log_total
                smooth = -B.total(logp if w is None else logp * w, axis=1)
                losses += (eps / n_classes) * smooth * (ctx.valid if ns is xp else valid_f)
            # an ignored sample adds 0, even where its log-probabilities are NaN (as PyTorch)
            losses = ns.where(ctx.valid, losses, ns.zeros_like(losses))
            divisor = B.total(ctx.w_y)
        ctx.divisor = divisor
        ctx.save(z, target, p, m, log_total)
        return reduce_losses(losses, reduction, divisor)

    @staticmethod
    def coefficients(ctx, target):
        """aₙₖ = wₖ·q̃ₙₖ: the weighted, smoothed target distribution of each sample."""
        eps, w = ctx.eps, ctx.weight
        if ctx.probabilities:
            q = target * (1 - eps) + eps / ctx.n_classes if eps else target
            return q if w is None else q * w
        shape = ctx.index.shape[:1] + (ctx.n_classes,) + ctx.index.shape[2:]
        if not isinstance(ctx.w_y, ndarray):
            return _standard_coefficients(ctx, shape)
        valid = expand_class_axis(ctx.valid)
        if eps:
            a = (eps / ctx.n_classes) * (valid if w is None else valid * w)
            a = xp.array(xp.broadcast_to(a, shape), dtype=ctx.w_y.dtype)
        else:
            a = xp.zeros(shape, dtype=ctx.w_y.dtype)
        picked = xp.take_along_axis(a, ctx.index, axis=1) + expand_class_axis((1 - eps) * ctx.w_y)
        xp.put_along_axis(a, ctx.index, picked, axis=1)
        return a

    @staticmethod
    def vjp(ctx, g):
        z, target, p, m, log_total = ctx.saved
        if not isinstance(z, Tensor):
            logp = None
        else:  # create_graph: the same rule on Tensors, with softmax made differentiable
            ns = namespace(z)
            logp = ns.log_softmax(z, axis=1)
            p = ns.exp(logp)
        scale = reduction_scale(g, ctx.reduction, ctx.divisor)
        need = ctx.needs_input_grad
        if ctx.fast:
            if logp is None and need[0] and type(g) is ndarray:
                from ..kernels.softmax_ce import softmax_ce_backward

                gz = xp.empty(p.shape, dtype=p.dtype)
                one = p.dtype.type(1)
                softmax_ce_backward(p, target, ctx.ignore_index, one * scale, one, gz)
                return gz, None
            # the NumPy rule below needs the index terms (a differentiable backward: the
            # saved values are Tensors now)
            _index_terms(ctx, getattr(z, "_data", z), getattr(target, "_data", target), xp)
        a = SoftmaxCrossEntropy.coefficients(ctx, target)
        gz = None
        if need[0]:
            # PyTorch's order: the NLL loss's backward d = −scale·a, then log-softmax's,
            # d − p·Σₖ d. For class indices d is an exact 0 where PyTorch writes one instead of
            # a product (the other classes without smoothing, every class of an ignored
            # sample), so an infinite upstream gradient gives 0 there, not ∞·0 = NaN
            d = -(scale * a)
            if not ctx.probabilities:
                ns = namespace(a)
                kept = expand_class_axis(ctx.valid)
                if not ctx.eps:
                    classes = B.reshape(ns.arange(ctx.n_classes),
                                        (1, ctx.n_classes) + (1,) * (a.ndim - 2))
                    kept = kept & (ctx.index == classes)
                d = ns.where(kept, d, ns.zeros_like(d))
            gz = d - p * B.total(d, axis=1, keepdims=True)
        gq = None
        if ctx.probabilities and need[1]:
            if logp is None:
                logp = (z - m) - log_total
            gq = -(1 - ctx.eps) * scale * (logp if ctx.weight is None else logp * ctx.weight)
        return gz, gq


def _fast(z, target, weight, label_smoothing, reduction) -> bool:
    """Whether the kernels (kernels/softmax_ce.py) take this call: an (N, C) input of NumPy
    floats, integer class indices, no weights or smoothing, a 'mean' or 'sum' reduction."""
    return (weight is None and not label_smoothing and reduction != "none" and z.ndim == 2
            and type(target) is ndarray and target.ndim == 1 and dtype_kind(target.dtype) in "iu"
            and kernels.takes(z, contiguous=True))


def _fast_forward(ctx, z, target, ignore_index, reduction):
    from ..kernels.softmax_ce import softmax_ce_forward

    n, c = z.shape
    p = xp.empty((n, c), dtype=z.dtype)
    m = xp.empty((n, 1), dtype=z.dtype)
    log_total = xp.empty((n, 1), dtype=z.dtype)
    losses = xp.empty(n, dtype=z.dtype)
    counted = softmax_ce_forward(z, target, ignore_index, z.dtype.type(0), p, m[:, 0],
                                 log_total[:, 0], losses)
    if counted < 0:         # explain_error turns this into cross_entropy's message
        row = -counted - 1
        raise IndexError(f"softmax_cross_entropy: target {target[row]} of sample {row} is out "
                         f"of bounds for {c} classes")
    ctx.weight, ctx.eps, ctx.n_classes, ctx.reduction = None, 0.0, c, reduction
    ctx.probabilities, ctx.ignore_index = False, ignore_index
    ctx.divisor = z.dtype.type(counted)
    ctx.save(z, target, p, m, log_total)
    return reduce_losses(losses, reduction, ctx.divisor)


def _index_terms(ctx, z, target, ns):
    """For class-index targets: each target as an (N, 1, …) index (ignored ones at class 0),
    whether it counts, and its weight w_y (0 where ignored)."""
    valid = target != ctx.ignore_index
    ctx.index = expand_class_axis(ns.where(valid, target, 0))
    ctx.valid = valid
    weight = None if ctx.weight is None else B.reshape(ctx.weight, (-1,))
    valid_f = B.astype(valid, z.dtype)
    if weight is None:
        ctx.w_y = valid_f
    elif ns is xp:
        ctx.w_y = weight[ctx.index[:, 0]] * valid
    else:       # the standard indexes with take (a flat index)
        ctx.w_y = B.reshape(ns.take(weight, B.reshape(ctx.index, (-1,))), valid.shape) * valid_f
    return valid_f


def _standard_coefficients(ctx, shape):
    """``coefficients`` for class-index targets with the array API's functions (it has no
    ``put_along_axis``): the one-hot matrix of the targets, scaled by (1 − ε)·w_y, plus the
    smoothing ε/C·w (valid samples)."""
    ns = namespace(ctx.w_y)
    classes = B.reshape(ns.arange(ctx.n_classes), (1, ctx.n_classes) + (1,) * (len(shape) - 2))
    one_hot = B.astype(ctx.index == classes, ctx.w_y.dtype)
    a = one_hot * expand_class_axis((1 - ctx.eps) * ctx.w_y)
    if ctx.eps:
        valid = expand_class_axis(B.astype(ctx.valid, ctx.w_y.dtype))
        a = a + (ctx.eps / ctx.n_classes) * (valid if ctx.weight is None else valid * ctx.weight)
    return a


def softmax_cross_entropy(z, target, weight=None, ignore_index: int = -100,
                          label_smoothing: float = 0.0, reduction: str = "mean"):
    """The fused primitive on an (N, C, d₁, …) input; ``F.cross_entropy`` checks and calls it."""
    return SoftmaxCrossEntropy.apply(z, target, weight=weight, ignore_index=ignore_index,
                                     label_smoothing=label_smoothing, reduction=reduction)
