"""Integrated gradients (Sundararajan et al., 2017), with Captum's quadrature rules, and the
completeness check Σ_i A_i = f_t(x) − f_t(x′)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..mathematics import Formula
from ..tensor import Tensor
from . import _common as C

METHODS = ("riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle",
           "gausslegendre")

INTEGRATED_GRADIENTS = Formula.of(
    "integrated_gradients",
    [("Attribution", "A_i = (x_i − x′_i) ∫₀¹ ∂f_t(x′ + α(x − x′))/∂x_i dα"),
     ("Quadrature", "A_i ≈ (x_i − x′_i) Σ_{k=1}^{m} w_k ∂f_t(x′ + α_k(x − x′))/∂x_i"),
     ("Completeness", "Σ_i A_i = f_t(x) − f_t(x′)   (exact for the integral)")],
    [r"A_i = (x_i - x'_i)\int_0^1 \frac{\partial f_t(x' + \alpha(x-x'))}{\partial x_i}\,d\alpha",
     r"A_i \approx (x_i - x'_i)\sum_{k=1}^{m} w_k\,"
     r"\frac{\partial f_t(x' + \alpha_k(x-x'))}{\partial x_i}",
     r"\sum_i A_i = f_t(x) - f_t(x')"],
    "The gradient integrated along the straight path from the baseline x′ to the input x. By the "
    "fundamental theorem of calculus for line integrals the attributions add up to the change "
    "of the score; the quadrature's error shows in the convergence delta.",
    notes=("Quadrature nodes α_k and weights w_k (m = steps), as Captum: riemann_left α_k = "
           "(k−1)/m, riemann_right α_k = k/m, riemann_middle α_k = (k−½)/m, all with w_k = 1/m; "
           "riemann_trapezoid α_k = (k−1)/(m−1) with w_k = 1/m, halved at both ends (so Σ w_k = "
           "1 − 1/m, Captum's convention); gausslegendre: the m-point Gauss–Legendre rule "
           "moved to [0, 1].",))


def quadrature(method: str, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(alphas, weights)``: the nodes in [0, 1] and weights of ``method`` with ``steps`` nodes
    (Captum's ``approximation_parameters``)."""
    if method not in METHODS:
        raise ValueError(f"interpret.integrated_gradients: unknown method {method!r}; the methods "
                         f"are {', '.join(METHODS)}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"interpret.integrated_gradients: steps must be an int ≥ 1, got "
                         f"{steps!r}")
    m = int(steps)
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(m)
        return 0.5 * (1 + nodes), 0.5 * weights
    if m < 2:
        raise ValueError(f"interpret.integrated_gradients: method {method!r} needs steps ≥ 2, "
                         f"got {m}")
    w = np.full(m, 1.0 / m)
    if method == "riemann_trapezoid":
        w[0] /= 2
        w[-1] /= 2
        return np.linspace(0.0, 1.0, m), w
    start = {"riemann_left": 0.0, "riemann_right": 1.0 / m, "riemann_middle": 0.5 / m}[method]
    return np.linspace(start, start + (m - 1) / m, m), w


def _baseline(op: str, baseline, a: np.ndarray) -> np.ndarray:
    if baseline is None:
        return np.zeros_like(a)
    if isinstance(baseline, Tensor):
        baseline = baseline.numpy()
    b = np.asarray(baseline, dtype=a.dtype)
    try:
        return np.broadcast_to(b, a.shape).copy()
    except ValueError:
        raise ValueError(f"interpret.{op}: the baseline of shape {b.shape} does not broadcast "
                         f"to x's shape {a.shape}; give a number, one input's shape "
                         f"{a.shape[1:]} or x's shape") from None


class Completeness(NamedTuple):
    """Σ_i A_i against f_t(x) − f_t(x′), per sample (NumPy arrays of shape (N,))."""

    attribution_sum: np.ndarray
    score_difference: np.ndarray
    delta: np.ndarray             # attribution_sum − score_difference (Captum's convergence delta)
    relative_error: np.ndarray    # |delta| / |score_difference|

    def __str__(self) -> str:
        worst = int(np.argmax(self.relative_error))
        return (f"completeness: Σ attributions − (f(x) − f(x′)) over {len(self.delta)} samples: "
                f"max |delta| {np.abs(self.delta).max():.3g}, max relative error "
                f"{100 * self.relative_error[worst]:.3g}% (sample {worst})")


def completeness(model, x, target, attributions, baseline=None,
                 internal_batch_size: int | None = None) -> Completeness:
    r"""Check Σ_i A_i = f_t(x) − f_t(x′) for attributions of ``x`` (integrated gradients' axiom).

    Forward:  delta = Σ_i A_i − (f_t(x) − f_t(x′)),   relative error |delta| / |f_t(x) − f_t(x′)|
    LaTeX:    \delta = \sum_i A_i - (f_t(x) - f_t(x'))
    """
    a = C.as_array("completeness", x)
    b = _baseline("completeness", baseline, a)
    attr = attributions.numpy() if isinstance(attributions, Tensor) else np.asarray(attributions)
    if attr.shape != a.shape:
        raise ValueError(f"interpret.completeness: attributions have shape {attr.shape}, x has "
                         f"{a.shape}")
    bs = C.check_batch_size("completeness", internal_batch_size)
    fx, _ = C.scores("completeness", model, a, target, bs)
    fb, _ = C.scores("completeness", model, b, target, bs)
    total = attr.reshape(len(a), -1).astype(np.float64).sum(1)
    diff = fx.astype(np.float64) - fb.astype(np.float64)
    delta = total - diff
    rel = np.abs(delta) / np.maximum(np.abs(diff), np.finfo(np.float64).tiny)
    return Completeness(total, diff, delta, rel)


@C.with_formula(INTEGRATED_GRADIENTS)
def integrated_gradients(model, x, target, baseline=None, steps: int = 50,
                         method: str = "gausslegendre", internal_batch_size: int | None = None,
                         return_convergence_delta: bool = False):
    r"""Integrated gradients: the gradient averaged along the path from a baseline x′ to x,
    times x − x′.

    Forward:      A_i = (x_i − x′_i) ∫₀¹ ∂f_t(x′ + α(x − x′))/∂x_i dα
                      ≈ (x_i − x′_i) Σ_k w_k ∂f_t(x′ + α_k(x − x′))/∂x_i
    LaTeX:        A_i = (x_i - x'_i)\int_0^1 \partial f_t(x'+\alpha(x-x'))/\partial x_i\,d\alpha
    Completeness: Σ_i A_i = f_t(x) − f_t(x′) for the exact integral.

    ``baseline``: x′, a number, one input or a batch like ``x`` (default zeros, Captum's).
    ``steps`` nodes of ``method`` (see :func:`quadrature`; default "gausslegendre", Captum's
    default). All steps × N points go through the model in one forward and one backward pass;
    ``internal_batch_size`` caps the points per pass when memory requires. With
    ``return_convergence_delta=True`` returns ``(attributions, delta)``, delta = Σ_i A_i −
    (f_t(x) − f_t(x′)) per sample, as Captum's ``IntegratedGradients(model).attribute(x,
    baselines, target, n_steps=steps, method=method, internal_batch_size=…,
    return_convergence_delta=…)``; :func:`completeness` gives the full report.
    """
    a = C.as_array("integrated_gradients", x)
    alphas, weights = quadrature(method, steps)
    b = _baseline("integrated_gradients", baseline, a)
    bs = C.check_batch_size("integrated_gradients", internal_batch_size)
    n = a.shape[0]
    shape = (len(alphas), 1) + (1,) * (a.ndim - 1)
    path = (b[None] + alphas.astype(a.dtype).reshape(shape) * (a - b)[None])
    path = path.reshape((len(alphas) * n,) + a.shape[1:])          # step-major: k·N + i
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        per_point = target
    else:
        per_point = np.tile(C.targets("integrated_gradients", target, n,
                                      np.iinfo(np.int64).max), len(alphas))
    g, _ = C.gradients("integrated_gradients", model, path, per_point, bs)
    g = g.reshape((len(alphas),) + a.shape)
    avg = np.tensordot(weights.astype(a.dtype), g, axes=(0, 0))
    attributions = C.like(x, avg * (a - b))
    if not return_convergence_delta:
        return attributions
    report = completeness(model, a, target, attributions, b, bs)
    return attributions, C.like(x, report.delta.astype(a.dtype))
