r"""Normalization: batch, layer and group normalization, each one fused primitive.

All three standardize x over some set of axes S and then apply a learned affine map:

    μ = mean_S(x),  σ² = mean_S((x − μ)²) (biased),  σ̃ = √(σ² + ε),  x̂ = (x − μ)/σ̃,
    y = γ ⊙ x̂ + β.

They differ only in S: batch norm standardizes each channel over (N, spatial), layer norm each
sample over its last D axes, group norm each (sample, group of channels) over (channels of the
group, spatial).

The backward, derived once (n = |S|, g = ∂L/∂y, ĝ = γ ⊙ g). Since
∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/n − x̂ᵢx̂ⱼ/n)/σ̃ (μ and σ̃ depend on every xⱼ of the set),

    ∂L/∂xⱼ = Σᵢ ĝᵢ ∂x̂ᵢ/∂xⱼ = (1/σ̃)·(ĝⱼ − mean_S(ĝ) − x̂ⱼ·mean_S(ĝ ⊙ x̂)),
    ∂L/∂γ = Σ g ⊙ x̂,   ∂L/∂β = Σ g     (summed over the axes γ is shared across).

For batch norm γ is constant over S, so the first line is the familiar
∂L/∂x = (γ/σ̃)·(g − mean(g) − x̂·mean(g·x̂)). This compact form needs two reductions of g and no
n×n Jacobian. Batch norm in evaluation mode uses running statistics, which are constants, so there
∂L/∂x = (γ/σ̃)·g.

Each primitive has two backward paths with the same mathematics: a fast one on arrays (fewest
passes over memory, in-place updates, ``einsum`` for the per-channel sums of products) and, for
``create_graph=True``, :func:`_compact_vjp`, written with operators and reductions only, which
recomputes μ and σ̃ from the saved input so that the backward is itself differentiable.
"""
from __future__ import annotations

import math

from .. import backend as B
from .. import kernels, layouts
from ..autograd.function import Function, primitive
from ..backend import array_namespace, namespace, xp
from ..parallel import parallel_for
from ..tensor import Tensor


# --------------------------------------------------------------------------- shared helpers
def _compact_vjp(x, g, weight, stat_axes, param_axes, w_shape, eps, stats=None):
    """The normalization backward written with shared array methods only (arrays or Tensors).

    ``x`` and ``g`` are views in which the statistics are taken over ``stat_axes`` and ``weight``
    (reshaped to ``w_shape``) broadcasts; ``param_axes`` are the axes summed for ∂L/∂γ and ∂L/∂β.
    ``stats = (μ, 1/σ̃)`` (constants, broadcastable) selects the evaluation-mode rule
    ∂L/∂x = γ g/σ̃. Returns (∂L/∂x in the view's shape, ∂L/∂γ, ∂L/∂β), the parameter gradients
    with ``param_axes`` summed away, for the caller to reshape to the parameters' shapes.
    """
    ns = namespace(g)
    if stats is None:
        mu = x.mean(axis=stat_axes, keepdims=True)
        xc = x - mu
        invstd = 1 / ns.sqrt((xc * xc).mean(axis=stat_axes, keepdims=True) + eps)
    else:
        mu, invstd = stats
        xc = x - mu
    xhat = xc * invstd
    gs = g if weight is None else g * weight.reshape(w_shape)
    if stats is None:
        gx = invstd * (gs - gs.mean(axis=stat_axes, keepdims=True)
                       - xhat * (gs * xhat).mean(axis=stat_axes, keepdims=True))
    else:
        gx = invstd * gs
    gw = (g * xhat).sum(axis=param_axes)
    gb = g.sum(axis=param_axes)
    return gx, gw, gb


def _sum_of_products(a, b):
    """Σ a·b over every axis but 1 for 3-D (N, C, L) or 2-D (N, C) arrays, without a temporary
    (NumPy's einsum; other array libraries: the product, then its sum)."""
    if not isinstance(a, xp.ndarray):
        return B.total(a * b, axis=(0, 2) if a.ndim == 3 else 0)
    return xp.einsum("ncl,ncl->c", a, b) if a.ndim == 3 else xp.einsum("nc,nc->c", a, b)


def _count(x, n: int):
    """The number n in x's dtype for NumPy (as the rule was written), a Python float otherwise."""
    return x.dtype.type(n) if isinstance(x, xp.ndarray) else float(n)


def _row_sum_of_products(a, b):
    if isinstance(a, xp.ndarray):
        return xp.einsum("rd,rd->r", a, b)
    return B.total(a * b, axis=1)


def _channel_view(shape):
    """(N, C, L) with L the product of the spatial sizes, or (N, C) when there are none.

    NumPy broadcasts a per-channel vector fastest over a long contiguous last axis, so spatial
    axes are merged into one; a 2-D input keeps channels last (no axis of length 1 to loop over).
    """
    if len(shape) == 2:
        return shape, (0,), (shape[1],)
    n, c = shape[0], shape[1]
    return (n, c, math.prod(shape[2:])), (0, 2), (c, 1)


# ∂x̂ᵢ/∂xⱼ, the same for the three normalizations
_DXHAT_LATEX = (r"\frac{\partial \hat x_i}{\partial x_j} = \frac{1}{\tilde\sigma}\left("
                r"\delta_{ij} - \tfrac1n - \tfrac1n \hat x_i \hat x_j\right)")


def _cast(v, dtype):
    return v.astype(dtype, copy=False) if isinstance(v, xp.ndarray) else B.astype(v, dtype)


# --------------------------------------------------------------------------- batch norm
def _fast(a) -> bool:
    """Whether the numba kernels (chainrule.kernels, the ``fast`` extra) take this array."""
    return a.ndim == 3 and kernels.takes(a)


def _fast_forward(x3, weight, bias, running_mean, running_var, momentum, eps, n):
    """The training forward with the kernels: statistics in two passes (float64 sums), then
    y = (x − μ)·γ/σ̃ + β in one; the running statistics updated as in the reference."""
    dtype = x3.dtype
    mean64, var64 = _fast_moments(x3)
    mean, var = mean64.astype(dtype), var64.astype(dtype)
    invstd = 1 / xp.sqrt(var + eps)
    _update_running(running_mean, running_var, mean, var, momentum, n)
    return _normalized(x3, mean, invstd, weight, bias), mean, invstd


def _fast_moments(x3):
    """Each channel's mean and biased variance in float64 (the numba kernel, two passes)."""
    from ..kernels import batchnorm as K

    mean, var = xp.empty(x3.shape[1]), xp.empty(x3.shape[1])
    parallel_for(x3.shape[1], lambda c0, c1: K.channel_stats(x3, mean, var, c0, c1), x3.nbytes)
    return mean, var


def _normalized(x3, mean, invstd, weight, bias):
    """y = (x − μ)·γ/σ̃ + β, per channel of x3 (N, C, L) or (N, C): one numba pass where the
    kernels take x3, else NumPy's subtract, multiply and add."""
    dtype = x3.dtype
    scale = _cast(invstd if weight is None else invstd * weight, dtype)
    if not _fast(x3):
        shape = (-1, 1) if x3.ndim == 3 else (-1,)
        y = x3 - mean.reshape(shape)
        y *= scale.reshape(shape)
        if bias is not None:
            y += _cast(bias, dtype).reshape(shape)
        return y
    from ..kernels import batchnorm as K

    shift = xp.zeros(x3.shape[1], dtype=dtype) if bias is None else _cast(bias, dtype)
    y = xp.empty(x3.shape, dtype=dtype)
    parallel_for(x3.shape[1], lambda c0, c1: K.normalize(x3, mean, scale, shift, y, c0, c1),
                 y.nbytes)
    return y


def _scaled_shifted(x3, scale, shift, pshape):
    """y = x·a_c + b_c per channel (evaluation mode): one numba pass where the kernels take x3
    (EfficientNet-Lite0's 49 normalizations at batch 16: 9.9 → 6.1 ms for the largest), else
    NumPy's multiply and add — the same bits either way."""
    if not (_fast(x3) and x3.flags.c_contiguous):
        y = x3 * B.reshape(scale, pshape)
        y += B.reshape(shift, pshape)
        return y
    from ..kernels import batchnorm as K

    y = xp.empty(x3.shape, dtype=x3.dtype)
    a, b = xp.ascontiguousarray(scale), xp.ascontiguousarray(shift)
    parallel_for(x3.shape[1], lambda c0, c1: K.scale_shift(x3, a, b, y, c0, c1), y.nbytes)
    return y


def _update_running(running_mean, running_var, mean, var, momentum, n):
    """μ̂ ← (1 − m)μ̂ + mμ,  σ̂² ← (1 − m)σ̂² + m·σ²·n/(n − 1), in place (nothing without them)."""
    if running_mean is None:
        return
    running_mean *= 1 - momentum
    running_mean += momentum * mean
    running_var *= 1 - momentum
    running_var += (momentum * n / max(n - 1, 1)) * var


def _whole_batch_statistics(x3, axes, shared):
    r"""μ and σ² (float64, per channel) of the whole batch when x3 is one part of it and the
    other parts run at once on other threads (``shared = (parallel.Exchange, this part's
    index)``), and the whole batch's count n. Each part posts its count nᵢ, mean μᵢ and sum of
    squared deviations Mᵢ = Σ(x − μᵢ)²; they combine as (Chan, Golub and LeVeque's pairwise rule)

        n = Σnᵢ,   μ = Σnᵢμᵢ / n,   σ² = (Σ Mᵢ + Σnᵢ(μᵢ − μ)²) / n,

    two-pass within each part, so no cancellation for data far from zero, and added in the
    parts' order, so every part gets the same bits."""
    exchange, index = shared
    count = x3.size // x3.shape[1]
    if _fast(x3):
        mean, var = _fast_moments(x3)
        squares = var * count
    else:
        shape = (-1, 1) if x3.ndim == 3 else (-1,)
        centre = (x3.sum(axis=axes, dtype=xp.float64) / count).astype(x3.dtype)
        mean = centre.astype(xp.float64)        # the deviations below are from this value
        xc = x3 - centre.reshape(shape)
        squares = _sum_of_products(xc, xc).astype(xp.float64)
    posted = exchange.exchange(index, (count, mean, squares))
    n = sum(c for c, _, _ in posted)
    mu = sum(c * m for c, m, _ in posted) / n
    spread = sum(q + c * (m - mu) ** 2 for c, m, q in posted)
    return mu, spread / n, n


def _combined_sums(shared, *sums):
    """Per-channel sums over the whole batch: this part's ``sums`` added to the other parts'
    (float64, in the parts' order, so every part gets the same bits)."""
    exchange, index = shared
    posted = exchange.exchange(index, tuple(xp.asarray(v, dtype=xp.float64) for v in sums))
    return tuple(sum(p[k] for p in posted) for k in range(len(sums)))


def _fast_backward(x, g3, weight, mean, invstd, n, need, view, shared=None):
    """The training backward with the kernels: Σg and Σg(x − μ) in one pass, then
    ∂L/∂x = k·g − k·Σg/n − (x − μ)·k·σ̃⁻²·Σg(x − μ)/n in one (k = γ/σ̃). ``shared``: x is one
    part of the batch (see :func:`_whole_batch_statistics`); ∂L/∂x takes the whole batch's sums,
    ∂L/∂γ and ∂L/∂β are this part's share."""
    from ..kernels import batchnorm as K

    dtype = g3.dtype
    x3 = x.reshape(view)
    channels = x3.shape[1]
    sg64, sgxc64 = xp.empty(channels), xp.empty(channels)
    parallel_for(channels, lambda c0, c1: K.grad_sums(g3, x3, mean, sg64, sgxc64, c0, c1),
                 g3.nbytes)
    sg, sgx = sg64.astype(dtype), (sgxc64 * invstd).astype(dtype)   # Σg, Σg·x̂
    gx = None
    if need[0]:
        k = invstd if weight is None else invstd * _cast(weight, invstd.dtype)
        gx = xp.empty(x.shape, dtype=dtype)
        whole_sg, whole_sgx = (sg, sgx) if shared is None else (
            total.astype(dtype) for total in _combined_sums(shared, sg64, sgxc64 * invstd))
        k, u, v = (_cast(k, dtype), _cast(k * whole_sg / n, dtype),
                   _cast(k * invstd * whole_sgx / n, dtype))
        gx3 = gx.reshape(view)
        parallel_for(channels, lambda c0, c1: K.input_grad(g3, x3, mean, k, u, v, gx3, c0, c1),
                     gx.nbytes)
    return gx, (sgx if need[1] else None), (sg if need[2] else None)
@primitive
class BatchNorm(Function):
    r"""Batch normalization of each channel over the batch and spatial axes (fused).

    Forward:     training: μ_c = mean(x_{:,c}), σ_c² = mean((x_{:,c} − μ_c)²) over the
                 n = N·L values of channel c (biased), x̂ = (x − μ_c)/√(σ_c² + ε),
                 y = γ_c x̂ + β_c. Evaluation: μ_c, σ_c² are the running statistics.
    Derivative:  ∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/n − x̂ᵢx̂ⱼ/n)/σ̃ within a channel (σ̃ = √(σ² + ε)), hence
    VJP:         ∂L/∂x = (γ/σ̃)·(g − mean(g) − x̂·mean(g·x̂)) per channel (training),
                 ∂L/∂x = (γ/σ̃)·g (evaluation); ∂L/∂γ = Σ g·x̂,  ∂L/∂β = Σ g (over N and spatial).
    Numerics:    two-pass variance (mean first, then the mean of squared deviations): no
                 cancellation for data far from zero. Running statistics are updated in place
                 during a training forward: μ̂ ← (1 − m)μ̂ + mμ, σ̂² ← (1 − m)σ̂² + m·σ²·n/(n − 1)
                 (unbiased), as PyTorch does.
    """

    name = "batch_norm"
    array_api = True
    text = ("y = γ (x − μ_B)/√(σ²_B + ε) + β,  μ_B, σ²_B per channel over (N, spatial)",
            "∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/n − x̂ᵢ x̂ⱼ/n)/σ̃",
            "∂L/∂x = (γ/σ̃)(g − mean(g) − x̂ mean(g x̂)),  ∂L/∂γ = Σ g x̂,  ∂L/∂β = Σ g")
    latex = (r"y = \gamma\,\frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta",
             _DXHAT_LATEX,
             r"\frac{\partial L}{\partial x} = \frac{\gamma}{\tilde\sigma}\left(g - \overline{g}"
             r" - \hat x\,\overline{g \hat x}\right),\quad \frac{\partial L}{\partial \gamma} = "
             r"\textstyle\sum g \hat x,\quad \frac{\partial L}{\partial \beta} = \sum g")
    explanation = ("Each channel is standardized with the statistics of the current batch, then "
                   "scaled and shifted; because the mean and variance depend on every element, "
                   "the gradient of one element subtracts the batch-average gradient and its "
                   "projection onto x̂.")
    reference = staticmethod(
        lambda x, weight=None, bias=None, running_mean=None, running_var=None, training=True,
        momentum=0.1, eps=1e-5, shared=None: _reference(
            x, weight, bias, eps, None if training else (running_mean, running_var)))

    @staticmethod
    def forward(ctx, x, weight=None, bias=None, running_mean=None, running_var=None,
                training=True, momentum=0.1, eps=1e-5, shared=None):
        """``shared``: x is one part of a batch split over threads that run at once (a compiled
        step's data-parallel replay): a (``parallel.Exchange``, part index) pair through which
        the parts combine the whole batch's statistics (see :func:`_whole_batch_statistics`);
        the first part updates the running statistics."""
        view, axes, pshape = _channel_view(x.shape)
        x3 = B.reshape(x, view)
        n = x3.size // view[1]
        ns = array_namespace(x)
        ctx.shared = shared if training else None
        if ctx.shared is not None:
            mean64, var64, n = _whole_batch_statistics(x3, axes, shared)
            mean, var = mean64.astype(x.dtype), var64.astype(x.dtype)
            invstd = 1 / xp.sqrt(var + eps)
            if shared[1] == 0:
                _update_running(running_mean, running_var, mean, var, momentum, n)
            y = _normalized(x3, mean, invstd, weight, bias)
        elif training and _fast(x3):
            y, mean, invstd = _fast_forward(x3, weight, bias, running_mean, running_var,
                                            momentum, eps, n)
        elif training:
            mean = B.total(x3, axis=axes) / _count(x, n)
            xc = x3 - B.reshape(mean, pshape)                 # becomes y, in place
            var = _sum_of_products(xc, xc) / _count(x, n)
            invstd = 1 / ns.sqrt(var + eps)
            _update_running(running_mean, running_var, mean, var, momentum, n)
            scale = invstd if weight is None else invstd * weight
            xc *= B.reshape(_cast(scale, x.dtype), pshape)
            if bias is not None:
                xc += B.reshape(_cast(bias, x.dtype), pshape)
            y = xc
        else:
            mean = B.astype(running_mean, x.dtype)  # a copy: a later training step updates it
            invstd = _cast(1 / ns.sqrt(running_var + eps), x.dtype)
            scale = invstd if weight is None else invstd * weight
            shift = -mean * scale if bias is None else bias - mean * scale
            y = _scaled_shifted(x3, _cast(scale, x.dtype), _cast(shift, x.dtype), pshape)
        ctx.save(x, weight, mean, invstd)
        ctx.training, ctx.eps = training, eps
        ctx.view, ctx.axes, ctx.pshape, ctx.n = view, axes, pshape, n
        return B.reshape(y, x.shape)

    @staticmethod
    def vjp(ctx, g):
        x, weight, mean, invstd = ctx.saved
        if isinstance(g, Tensor):
            if ctx.shared is not None:
                raise RuntimeError("batch_norm: a part of a batch split over threads has no "
                                   "differentiable backward (create_graph=True needs the whole "
                                   "batch's graph)")
            stats = None if ctx.training else (mean.reshape(ctx.pshape),
                                               invstd.reshape(ctx.pshape))
            gx, gw, gb = _compact_vjp(x.reshape(ctx.view), g.reshape(ctx.view), weight,
                                      ctx.axes, ctx.axes, ctx.pshape, ctx.eps, stats)
            return gx.reshape(x.shape), gw, gb
        need = ctx.needs_input_grad + (False,) * 3
        pshape, n = ctx.pshape, ctx.n
        g3 = B.reshape(g, ctx.view)
        shared = getattr(ctx, "shared", None)
        if ctx.training and _fast(g3):
            return _fast_backward(x, g3, weight, mean, invstd, n, need, ctx.view, shared)
        sg = B.total(g3, axis=ctx.axes)                             # Σ g        = ∂L/∂β
        gw = gb = gx = None
        k = invstd if weight is None else invstd * _cast(weight, invstd.dtype)   # γ/σ̃
        if (ctx.training and need[0]) or need[1]:
            xc = B.reshape(x, ctx.view) - B.reshape(mean, pshape)
            sgx = _sum_of_products(g3, xc) * invstd                 # Σ g·x̂     = ∂L/∂γ
            gw = sgx if need[1] else None
        whole_sg = sg
        if need[0]:
            if ctx.training:
                whole_sgx = sgx
                if shared is not None:      # the whole batch's sums; gw, gb stay this part's
                    whole_sg, whole_sgx = (total.astype(sg.dtype)
                                           for total in _combined_sums(shared, sg, sgx))
                # ∂L/∂x = k·(g − Σg/n − x̂·Σ(g x̂)/n),  x̂ = (x − μ)·(1/σ̃), with k = γ/σ̃
                xc *= B.reshape(k * invstd * whole_sgx / n, pshape)
            if isinstance(g3, xp.ndarray):
                # gx is allocated in x's shape (the reshaped view is only written through), so
                # the engine can keep it as the gradient without copying it
                gx = xp.empty(x.shape, dtype=g.dtype)
                gx3 = gx.reshape(ctx.view)
                xp.multiply(g3, k.reshape(pshape), out=gx3)
            else:
                gx3 = g3 * B.reshape(k, pshape)
            if ctx.training:
                gx3 -= xc
                gx3 -= B.reshape(k * whole_sg / n, pshape)
            if not isinstance(g3, xp.ndarray):
                gx = B.reshape(gx3, x.shape)
        if need[2]:
            gb = sg
        return gx, gw, gb


def _reference(x, weight, bias, eps, running=None):
    """Batch norm in plain NumPy (the registry's forward reference): batch statistics, or the
    running ones when ``running = (mean, var)`` is given. Running statistics are not updated."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if running is None:
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    else:
        mean, var = running[0].reshape(shape), running[1].reshape(shape)
    y = (x - mean) / xp.sqrt(var + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


# --------------------------------------------------------------------------- layer and group norm
def _standardize_rows(x2, eps):
    """(x̂, μ, 1/σ̃) with the statistics of each row of the 2-D array ``x2``."""
    ns = array_namespace(x2)
    d = x2.dtype.type(x2.shape[1]) if ns is xp else float(x2.shape[1])
    mean = B.total(x2, axis=1) / d
    xhat = x2 - mean[:, None]
    invstd = 1 / ns.sqrt(_row_sum_of_products(xhat, xhat) / d + eps)
    xhat *= invstd[:, None]
    return xhat, mean, invstd


def _rows_backward(gs2, xhat2, invstd):
    """(1/σ̃)·(ĝ − mean(ĝ) − x̂·mean(ĝ x̂)) for each row, ĝ = γ ⊙ g already applied."""
    d = gs2.dtype.type(gs2.shape[1]) if isinstance(gs2, xp.ndarray) else float(gs2.shape[1])
    a = _row_sum_of_products(gs2, xhat2) / d
    b = B.total(gs2, axis=1) / d
    gx = xhat2 * (-a * invstd)[:, None]
    gx += gs2 * invstd[:, None]
    gx -= (b * invstd)[:, None]
    return gx


class _RowNorm(Function):
    """The forward and backward shared by layer norm and group norm.

    A subclass defines ``_view(shape, params) -> (view, w_shape, param_axes, k)``: a shape of x
    whose last ``len(view) − k`` axes are those the statistics are taken over (so that x is
    standardized as the rows of a 2-D array), in which γ and β, reshaped to ``w_shape``,
    broadcast, and whose ``param_axes`` are summed for ∂L/∂γ and ∂L/∂β.
    """

    @staticmethod
    def _view(shape, params):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x, weight=None, bias=None, eps=1e-5, **params):
        view, w_shape, param_axes, k = cls._view(x.shape, params)
        rows = (math.prod(view[:k]), math.prod(view[k:]))
        xhat, mean, invstd = _standardize_rows(B.reshape(x, rows), eps)
        y = B.reshape(xhat, view)                                 # y = γ x̂ + β, in place
        if weight is not None:
            y *= B.reshape(_cast(weight, x.dtype), w_shape)
        if bias is not None:
            y += B.reshape(_cast(bias, x.dtype), w_shape)
        ctx.save(x, weight, mean, invstd)
        ctx.view, ctx.rows, ctx.w_shape, ctx.param_axes, ctx.eps = (view, rows, w_shape,
                                                                   param_axes, eps)
        ctx.stat_axes = tuple(range(k, len(view)))
        ctx.b_shape = None if bias is None else bias.shape
        return B.reshape(y, x.shape)

    @classmethod
    def vjp(cls, ctx, g):
        x, weight, mean, invstd = ctx.saved
        if isinstance(g, Tensor):
            gx, gw, gb = _compact_vjp(x.reshape(ctx.view), g.reshape(ctx.view), weight,
                                      ctx.stat_axes, ctx.param_axes, ctx.w_shape, ctx.eps)
            return (gx.reshape(x.shape), None if weight is None else gw.reshape(weight.shape),
                    None if ctx.b_shape is None else gb.reshape(ctx.b_shape))
        need = ctx.needs_input_grad + (False,) * 3
        xhat2 = B.reshape(x, ctx.rows) - mean[:, None]
        xhat2 *= invstd[:, None]
        gv = B.reshape(g, ctx.view)
        gx = gw = gb = None
        if need[0]:
            gs = gv if weight is None else gv * B.reshape(_cast(weight, g.dtype), ctx.w_shape)
            gx = B.reshape(_rows_backward(B.reshape(gs, ctx.rows), xhat2, invstd), x.shape)
        if need[1]:
            gw = B.reshape(B.total(gv * B.reshape(xhat2, ctx.view), axis=ctx.param_axes),
                           weight.shape)
        if need[2]:
            gb = B.reshape(B.total(gv, axis=ctx.param_axes), ctx.b_shape)
        return gx, gw, gb


@primitive
class LayerNorm(_RowNorm):
    r"""Layer normalization of each sample over its last D axes (fused).

    Forward:     μ = mean(x), σ² = mean((x − μ)²) over the normalized axes (biased),
                 x̂ = (x − μ)/√(σ² + ε), y = γ ⊙ x̂ + β with γ, β of the normalized shape.
    Derivative:  ∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/n − x̂ᵢx̂ⱼ/n)/σ̃ within a sample (n = number of normalized
                 elements, σ̃ = √(σ² + ε))
    VJP:         with ĝ = γ ⊙ g:  ∂L/∂x = (1/σ̃)·(ĝ − mean(ĝ) − x̂·mean(ĝ x̂)) per sample;
                 ∂L/∂γ = Σ g ⊙ x̂,  ∂L/∂β = Σ g (over the leading axes).
    Numerics:    two-pass variance per sample; statistics never mix samples, so training and
                 evaluation are the same computation.
    """

    name = "layer_norm"
    array_api = True
    text = ("y = γ ⊙ (x − μ)/√(σ² + ε) + β,  μ, σ² over the last D axes of each sample",
            "∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/n − x̂ᵢ x̂ⱼ/n)/σ̃",
            "∂L/∂x = (1/σ̃)(ĝ − mean(ĝ) − x̂ mean(ĝ x̂)), ĝ = γ ⊙ g;  ∂L/∂γ = Σ g x̂,  ∂L/∂β = Σ g")
    latex = (r"y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta",
             _DXHAT_LATEX,
             r"\frac{\partial L}{\partial x} = \frac{1}{\tilde\sigma}\left(\hat g - "
             r"\overline{\hat g} - \hat x\,\overline{\hat g \hat x}\right),\quad "
             r"\hat g = \gamma \odot g")
    explanation = ("Each sample is standardized over its own features, so the result does not "
                   "depend on the batch; the gradient removes the components along the mean and "
                   "along x̂, which standardization cannot change.")
    reference = staticmethod(
        lambda x, weight=None, bias=None, eps=1e-5, normalized_ndim=1:
        _layer_reference(x, weight, bias, eps, normalized_ndim))

    @staticmethod
    def _view(shape, params):
        k = len(shape) - params["normalized_ndim"]
        d = math.prod(shape[k:])
        return (math.prod(shape[:k]), d), (d,), (0,), 1


@primitive
class GroupNorm(_RowNorm):
    r"""Group normalization: each sample's channels in G groups, each group standardized (fused).

    Forward:     x of shape (N, C, *): for each sample and group of C/G channels, μ and σ² over
                 the group's channels and spatial positions (biased), x̂ = (x − μ)/√(σ² + ε),
                 y = γ_c x̂ + β_c (one γ, β per channel).
    Derivative:  ∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/n − x̂ᵢx̂ⱼ/n)/σ̃ within a (sample, group) (n = (C/G)·L)
    VJP:         with ĝ = γ ⊙ g:  ∂L/∂x = (1/σ̃)·(ĝ − mean(ĝ) − x̂·mean(ĝ x̂)) per group;
                 ∂L/∂γ = Σ g x̂,  ∂L/∂β = Σ g (over N and spatial).
    Numerics:    two-pass variance per group; independent of the batch, like layer norm.
    """

    name = "group_norm"
    array_api = True
    text = ("y = γ_c (x − μ_{n,g})/√(σ²_{n,g} + ε) + β_c,  μ, σ² over each group's channels and "
            "positions",
            "∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/n − x̂ᵢ x̂ⱼ/n)/σ̃",
            "∂L/∂x = (1/σ̃)(ĝ − mean(ĝ) − x̂ mean(ĝ x̂)), ĝ = γ ⊙ g;  ∂L/∂γ = Σ g x̂,  ∂L/∂β = Σ g")
    latex = (r"y = \gamma_c \frac{x - \mu_{n,g}}{\sqrt{\sigma_{n,g}^2 + \epsilon}} + \beta_c",
             _DXHAT_LATEX,
             r"\frac{\partial L}{\partial x} = \frac{1}{\tilde\sigma}\left(\hat g - "
             r"\overline{\hat g} - \hat x\,\overline{\hat g \hat x}\right),\quad "
             r"\hat g = \gamma \odot g")
    explanation = ("Channels are standardized in groups within each sample, between layer norm "
                   "(one group) and instance norm (one channel a group), independent of the "
                   "batch size.")
    reference = staticmethod(
        lambda x, weight=None, bias=None, eps=1e-5, num_groups=1:
        _group_reference(x, weight, bias, eps, num_groups))

    @staticmethod
    def _view(shape, params):
        n, c, g = shape[0], shape[1], params["num_groups"]
        return (n, g, c // g, math.prod(shape[2:])), (g, c // g, 1), (0, 3), 2


def _layer_reference(x, weight, bias, eps, normalized_ndim):
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / xp.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return y * (1 if weight is None else weight) + (0 if bias is None else bias)


def _group_reference(x, weight, bias, eps, num_groups):
    n, c = x.shape[:2]
    xg = x.reshape(n, num_groups, -1)
    y = ((xg - xg.mean(axis=2, keepdims=True))
         / xp.sqrt(xg.var(axis=2, keepdims=True) + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


# --------------------------------------------------------------------------- functional forms
def _data(t):
    return t._data if isinstance(t, Tensor) else t


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _check_param(op: str, name: str, p, shape) -> None:
    if p is not None and tuple(p.shape) != tuple(shape):
        raise ValueError(f"{op}: {name} has shape {_shape_text(p.shape)}, expected "
                         f"{_shape_text(shape)}")


def batch_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5):
    """Batch normalization (PyTorch's ``F.batch_norm``); see :class:`BatchNorm` for the math.

    ``input`` is (N, C, *). In training the batch statistics are used and, if running_mean and
    running_var are given, updated in place with ``momentum``; otherwise the running statistics
    are used.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, *), got "
                         f"{_shape_text(input.shape)}")
    c = input.shape[1]
    for name, p in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_param("batch_norm", name, p, (c,))
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if training:
        count = math.prod(input.shape) // max(c, 1)
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {_shape_text(input.shape)}")
    elif running_mean is None:
        raise ValueError("batch_norm: evaluation mode (training=False) needs running_mean and "
                         "running_var")
    if not training and any(hasattr(t, "_level") for t in (running_mean, running_var)):
        # inside chainrule.func.vmap with per-example statistics (an ensemble's stacked
        # buffers): the same affine map, y = x·α + (β − μα) with α = γ/√(σ² + ε), composed of
        # primitives that have batching rules
        shape = (1, c) + (1,) * (input.ndim - 2)
        alpha = (running_var + eps).rsqrt()
        alpha = alpha if weight is None else alpha * weight
        shift = -running_mean * alpha if bias is None else bias - running_mean * alpha
        return input * alpha.reshape(shape) + shift.reshape(shape)
    # (per-example running statistics inside vmap stay tensors: vmap's rule updates each row)
    rm, rv = (s if hasattr(s, "_level") else _data(s) for s in (running_mean, running_var))
    return BatchNorm.apply(input, weight, bias, running_mean=rm, running_var=rv,
                           training=bool(training), momentum=momentum, eps=eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):  # noqa: A002
    """Layer normalization over the last ``len(normalized_shape)`` axes (PyTorch's
    ``F.layer_norm``); see :class:`LayerNorm` for the math."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"layer_norm: normalized_shape={_shape_text(shape)} expects input of "
                         f"shape (*, {', '.join(str(s) for s in shape)}), got "
                         f"{_shape_text(input.shape)}")
    _check_param("layer_norm", "weight", weight, shape)
    _check_param("layer_norm", "bias", bias, shape)
    return LayerNorm.apply(input, weight, bias, eps=eps, normalized_ndim=k)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):  # noqa: A002
    """Group normalization of (N, C, *) input in ``num_groups`` groups of channels (PyTorch's
    ``F.group_norm``); see :class:`GroupNorm` for the math."""
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected input of shape (N, C, *), got "
                         f"{_shape_text(input.shape)}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(f"group_norm: the {c} channels of input {_shape_text(input.shape)} cannot "
                         f"be split into num_groups={num_groups} equal groups")
    _check_param("group_norm", "weight", weight, (c,))
    _check_param("group_norm", "bias", bias, (c,))
    return GroupNorm.apply(input, weight, bias, eps=eps, num_groups=num_groups)


# --------------------------------------------------------------------------- instance norm
def instance_norm(input, running_mean=None, running_var=None, weight=None,  # noqa: A002
                  bias=None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5):
    """Instance normalization of (N, C, *) input (PyTorch's ``F.instance_norm``): each (sample,
    channel) standardized over its spatial positions, y = γ_c x̂ + β_c.

    With ``use_input_stats`` this is group normalization with one channel a group (the same
    primitive, :class:`GroupNorm`); running statistics, if given, are updated in place with the
    batch average of the per-instance mean and unbiased variance: μ̂ ← (1 − m)μ̂ + m·mean_n μ_{n,c},
    σ̂² ← (1 − m)σ̂² + m·mean_n σ²_{n,c}·L/(L − 1). Without it, the running statistics normalize
    every instance (batch normalization in evaluation mode).
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *) with at least one "
                         f"spatial axis, got {_shape_text(input.shape)}")
    c = input.shape[1]
    for name, p in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_param("instance_norm", name, p, (c,))
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                             "running_var")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = math.prod(input.shape[2:])
    if spatial <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, "
                         f"got input of shape {_shape_text(input.shape)}")
    if running_mean is not None or running_var is not None:
        x = B.reshape(_data(input), (input.shape[0], c, -1))
        m = float(momentum)
        if type(x) is xp.ndarray:
            mean, var = x.mean(axis=2).mean(axis=0), x.var(axis=2, ddof=1).mean(axis=0)
        else:                                   # another array library: its own mean and var
            ns = namespace(x)
            mean = ns.mean(ns.mean(x, axis=2), axis=0)
            var = ns.mean(ns.var(x, axis=2, correction=1), axis=0)
        if running_mean is not None:
            rm = _data(running_mean)
            rm[...] = (1 - m) * rm + m * B.astype(mean, rm.dtype)
        if running_var is not None:
            rv = _data(running_var)
            rv[...] = (1 - m) * rv + m * B.astype(var, rv.dtype)
    # (PyTorch normalizes a (1, N·C, …) view with batch norm: a row-major result)
    return layouts.relaid(GroupNorm.apply(input, weight, bias, eps=eps, num_groups=c))


# --------------------------------------------------------------------------- local response
def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,  # noqa: A002
                        k: float = 1.0):
    """Local response normalization across channels (PyTorch's ``F.local_response_norm``):

        y[n,c] = x[n,c] / (k + (α/size) Σ_{c′ = c − ⌊size/2⌋}^{c + ⌊(size−1)/2⌋} x[n,c′]²)^β

    (channels outside 0…C−1 count as zero, the divisor is always ``size``, as PyTorch's
    average pooling with count_include_pad). A composite of slices, sums and powers: autograd
    differentiates it (∂y/∂x has the diagonal term 1/D^β and the cross-channel term
    −2αβ x[c] x[c′] / (size · D^{β+1})).
    """
    from .indexing import getitem
    from .movement import concatenate

    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input "
                         f"(N, C, *), got {input.ndim} dimensions {_shape_text(input.shape)}")
    if math.prod(input.shape) == 0:
        return input
    size = int(size)
    if size < 1:
        raise ValueError(f"local_response_norm: size must be ≥ 1, got {size}")
    c = input.shape[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    rest = tuple(input.shape[2:])

    def zeros(width):                           # the zero channels beyond either edge
        shape, data = (input.shape[0], width) + rest, sq._data
        if type(data) is xp.ndarray:
            return Tensor._make(xp.zeros(shape, data.dtype))
        return Tensor._make(namespace(data).zeros(shape, dtype=data.dtype, device=data.device))

    pieces = ([zeros(before)] if before else []) + [sq] + ([zeros(after)] if after else [])
    padded = concatenate(pieces, axis=1) if len(pieces) > 1 else sq
    total = None
    for i in range(size):                       # a loop over the window's offsets only
        part = getitem(padded, (slice(None), slice(i, i + c)))
        total = part if total is None else total + part
    div = (total * (alpha / size) + k) ** beta
    return input / div


# --------------------------------------------------------------------------- RMS norm
def rms_norm(input, normalized_shape, weight=None, eps: float | None = None):  # noqa: A002
    """Root-mean-square normalization over the last ``len(normalized_shape)`` axes (PyTorch's
    ``F.rms_norm``): y = x / √(mean(x²) + ε) ⊙ γ, with ε = the dtype's machine epsilon when
    None. A composite (autograd differentiates it): ∂L/∂x = (ĝ − x̂·mean(ĝ x̂))/r with
    r = √(mean(x²) + ε), x̂ = x/r, ĝ = γ ⊙ g."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"rms_norm: normalized_shape={_shape_text(shape)} expects input of "
                           f"shape (*, {', '.join(str(s) for s in shape)}), got "
                           f"{_shape_text(input.shape)}")
    _check_param("rms_norm", "weight", weight, shape)
    if eps is None:
        eps = float(xp.finfo(B.numpy_dtype(input.dtype)).eps)
    axes = tuple(range(input.ndim - k, input.ndim))
    y = input * ((input * input).mean(axis=axes, keepdims=True) + eps) ** -0.5
    return y if weight is None else y * weight
