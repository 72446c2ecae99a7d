"""Gradient attributions: saliency, input × gradient and SmoothGrad (Captum's Saliency,
InputXGradient and NoiseTunnel(Saliency) with nt_type="smoothgrad")."""
from __future__ import annotations

import numpy as np

from ..mathematics import Formula
from ..tensor import Tensor
from . import _common as C

SALIENCY = Formula.of(
    "saliency",
    [("Attribution", "A_i = |∂f_t(x)/∂x_i|   (abs=False: ∂f_t(x)/∂x_i)"),
     ("Target score", "f_t(x): the model's output for class t (the logit, before softmax)")],
    [r"A_i = \left|\frac{\partial f_t(x)}{\partial x_i}\right|",
     r"f_t(x) = \text{model}(x)_t"],
    "Simonyan et al. (2014): how much a small change of each input feature changes the target "
    "class's score, to first order.")

INPUT_X_GRADIENT = Formula.of(
    "input_x_gradient",
    [("Attribution", "A_i = x_i · ∂f_t(x)/∂x_i")],
    [r"A_i = x_i \, \frac{\partial f_t(x)}{\partial x_i}"],
    "Shrikumar et al. (2016): the gradient weighted by the input; for a linear model "
    "f_t(x) = w·x + b it is each feature's term w_i x_i of the score.")

SMOOTHGRAD = Formula.of(
    "smoothgrad",
    [("Attribution", "A_i = (1/n) Σ_{k=1}^{n} |∂f_t(x + ε_k)/∂x_i|,  ε_k ~ N(0, σ² I)"),
     ("Noise level", "σ = sigma · (max_j x_j − min_j x_j)  per sample  (stdevs=s: σ = s)")],
    [r"A_i = \frac{1}{n}\sum_{k=1}^{n}\left|\frac{\partial f_t(x+\varepsilon_k)}{\partial x_i}"
     r"\right|,\quad \varepsilon_k \sim \mathcal{N}(0, \sigma^2 I)",
     r"\sigma = \text{sigma}\,(\max_j x_j - \min_j x_j)"],
    "Smilkov et al. (2017): the saliency map averaged over noisy copies of the input, which "
    "removes the gradient's high-frequency noise. The paper sets σ as a fraction of the "
    "input's range (10–20%).")


@C.with_formula(SALIENCY)
def saliency(model, x, target, abs: bool = True,  # noqa: A002  (Captum's name)
             internal_batch_size: int | None = None) -> Tensor:
    r"""Saliency: the gradient of the target class's score with respect to the input.

    Forward:      A_i = |∂f_t(x)/∂x_i|   (``abs=False``: the signed gradient ∂f_t(x)/∂x_i)
    LaTeX:        A_i = \left|\partial f_t(x) / \partial x_i\right|

    ``x``: a batch (N, …) (Tensor or array); ``target``: one class index or one per sample.
    Returns a Tensor shaped like ``x``. As Captum's ``Saliency(model).attribute(x, target,
    abs=abs)``. ``internal_batch_size``: samples per forward/backward pass (default: all).
    """
    a = C.as_array("saliency", x)
    g, _ = C.gradients("saliency", model, a, target,
                       C.check_batch_size("saliency", internal_batch_size))
    return C.like(x, np.abs(g) if abs else g)


@C.with_formula(INPUT_X_GRADIENT)
def input_x_gradient(model, x, target, internal_batch_size: int | None = None) -> Tensor:
    r"""Input × gradient: each feature's value times the target score's gradient.

    Forward:      A_i = x_i · ∂f_t(x)/∂x_i
    LaTeX:        A_i = x_i \, \partial f_t(x) / \partial x_i

    As Captum's ``InputXGradient(model).attribute(x, target)``; a Tensor shaped like ``x``.
    """
    a = C.as_array("input_x_gradient", x)
    g, _ = C.gradients("input_x_gradient", model, a, target,
                       C.check_batch_size("input_x_gradient", internal_batch_size))
    return C.like(x, a * g)


@C.with_formula(SMOOTHGRAD)
def smoothgrad(model, x, target, samples: int = 50, sigma: float = 0.15, *,
               stdevs: float | None = None, abs: bool = True,  # noqa: A002
               noise=None, internal_batch_size: int | None = None) -> Tensor:
    r"""SmoothGrad: saliency averaged over ``samples`` noisy copies of each input.

    Forward:      A_i = (1/n) Σ_k |∂f_t(x + ε_k)/∂x_i|,  ε_k ~ N(0, σ² I),  n = samples
    LaTeX:        A_i = \frac{1}{n}\sum_k \left|\partial f_t(x+\varepsilon_k)/\partial x_i\right|
    Noise level:  σ = sigma · (max x − min x), the range of each sample's values (the paper's
                  "noise level" σ/(x_max − x_min), 10–20% recommended): sigma=0.15 on images in
                  [0, 1] that span the whole range is σ = 0.15.
                  ``stdevs=s`` gives σ = s directly, an absolute standard deviation: this is
                  Captum's ``NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad",
                  nt_samples=samples, stdevs=s, target=t)``, and equals it given the same noise.

    ``abs=False`` averages the signed gradients. ``noise``: optional draws ε of shape
    (samples, *x.shape) instead of fresh ones from chainrule's generator (to reproduce a
    result). All noisy copies go through the model in one pass (``internal_batch_size`` caps
    the inputs per pass). Returns a Tensor shaped like ``x``.
    """
    a = C.as_array("smoothgrad", x)
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"interpret.smoothgrad: samples must be an int ≥ 1, got {samples!r}")
    if noise is not None:
        eps = noise.numpy() if isinstance(noise, Tensor) else np.asarray(noise)
        if eps.shape != (samples,) + a.shape:
            raise ValueError(f"interpret.smoothgrad: noise must have shape (samples, *x.shape) "
                             f"= {(samples,) + a.shape}, got {eps.shape}")
        eps = eps.astype(a.dtype)
    else:
        if stdevs is not None:
            if not np.isfinite(stdevs) or stdevs < 0:
                raise ValueError(f"interpret.smoothgrad: stdevs must be ≥ 0, got {stdevs}")
            std = np.full((a.shape[0],) + (1,) * (a.ndim - 1), float(stdevs))
        else:
            if not np.isfinite(sigma) or sigma < 0:
                raise ValueError(f"interpret.smoothgrad: sigma must be ≥ 0 (a fraction of the "
                                 f"input's range), got {sigma}")
            flat = a.reshape(a.shape[0], -1)
            std = (sigma * (flat.max(1) - flat.min(1))).reshape((-1,) + (1,) * (a.ndim - 1))
        from .. import randn

        eps = randn(samples, *a.shape, dtype=a.dtype).numpy() * std.astype(a.dtype)
    noisy = (a[None] + eps).reshape((samples * a.shape[0],) + a.shape[1:])
    t = C.targets("smoothgrad", target, a.shape[0], np.iinfo(np.int64).max) \
        if not isinstance(target, (int, np.integer)) else target
    per_copy = np.tile(np.asarray(t), samples) if np.ndim(t) else t
    g, _ = C.gradients("smoothgrad", model, noisy, per_copy,
                       C.check_batch_size("smoothgrad", internal_batch_size))
    g = g.reshape((samples,) + a.shape)
    return C.like(x, (np.abs(g) if abs else g).mean(axis=0))
