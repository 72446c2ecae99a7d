r"""Gradient attacks: FGSM and PGD (L∞ and L2), as torchattacks 3.5.1 defines them.

Both look for a small change δ of an input x that makes a classifier f wrong: they climb the
cross-entropy loss L(f(x + δ), y) (torchattacks' ``nn.CrossEntropyLoss()``, mean over the batch)
along its gradient with respect to the *input*, keeping δ inside a ball of radius ε and x + δ
inside the valid pixel range [lo, hi] ([0, 1] by default).

- FGSM (Goodfellow et al. 2015): one step of size ε along the sign of the gradient,
  x′ = clip₍lo,hi₎(x + ε · sign(∇ₓL(f(x), y))).
- PGD (Madry et al. 2018): ``steps`` steps of size α, each followed by the projection back onto
  the ε-ball around x and onto the pixel range. L∞: the step is α · sign(g) and the projection
  clips δ to [−ε, ε] element by element. L2: the step is α · g / (‖g‖₂ + 10⁻¹⁰) and the
  projection rescales δ to norm ε when it is longer (δ ← δ · min(1, ε / ‖δ‖₂)), per example.

Targeted attacks (``targeted=True``) take ``y`` as the *target* labels and descend the loss
toward them (the loss is −L(f(x′), y_target)), as torchattacks' ``set_mode_targeted_by_label``.

Model mode: torchattacks puts the model in evaluation mode for the attack and, if it was in
training mode before, calls ``model.train()`` afterwards. chainrule does the same, but restores
the mode of *every* submodule exactly as it was (a model with some layers frozen in eval mode
keeps them so) and also when the attack raises. The parameters' ``requires_grad`` flags are
switched off during the attack (so no weight gradient is computed) and restored; their ``.grad``
is never touched.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from numbers import Integral, Real

from .. import backend
from ..autograd.grad_mode import enable_grad
from ..mathematics import Formula
from ..tensor import Tensor

xp = backend.xp
_DIVISION_EPS = 1e-10           # torchattacks' eps_for_division in PGDL2


# ----------------------------------------------------------------------------- formulas
def _fgsm_formula() -> Formula:
    return Formula.of(
        "FGSM (fast gradient sign method)",
        [("Attack", "x′ = clip₍lo,hi₎(x + ε · sign(∇ₓ L(f(x), y)))"),
         ("Targeted", "x′ = clip₍lo,hi₎(x − ε · sign(∇ₓ L(f(x), t)))"),
         ("Loss", "L(f(x), y) = −(1/N) Σₙ log softmax(f(xₙ))_{yₙ}")],
        [r"x' = \operatorname{clip}_{[lo,hi]}\big(x + \epsilon\,\operatorname{sign}"
         r"(\nabla_x L(f(x), y))\big)",
         r"x' = \operatorname{clip}_{[lo,hi]}\big(x - \epsilon\,\operatorname{sign}"
         r"(\nabla_x L(f(x), t))\big)",
         r"L(f(x), y) = -\frac{1}{N}\sum_n \log \operatorname{softmax}(f(x_n))_{y_n}"],
        "One step of size ε in the direction that increases the loss fastest under an L∞ "
        "budget: the sign of the input gradient. The result is within ε of x in every pixel.",
        notes=("sign(0) = 0: a pixel whose gradient is exactly zero is not changed.",))


def _pgd_formula(norm: str = "inf") -> Formula:
    if norm == "2":
        pairs = [("Step", "x̃ = xₖ + α · g / (‖g‖₂ + 10⁻¹⁰),  g = ∇ₓ L(f(xₖ), y)"),
                 ("Projection", "δ = (x̃ − x) · min(1, ε / ‖x̃ − x‖₂);  xₖ₊₁ = clip₍lo,hi₎(x + δ)"),
                 ("Start", "x₀ = clip₍lo,hi₎(x + r·ε·u/‖u‖₂), u ~ N(0, I), r ~ U(0, 1)  "
                           "(random_start; else x₀ = x)")]
        latex = [r"\tilde x = x_k + \alpha \frac{g}{\lVert g\rVert_2 + 10^{-10}},\quad "
                 r"g = \nabla_x L(f(x_k), y)",
                 r"\delta = (\tilde x - x)\min\!\Big(1, \frac{\epsilon}{\lVert\tilde x - x"
                 r"\rVert_2}\Big),\quad x_{k+1} = \operatorname{clip}_{[lo,hi]}(x + \delta)",
                 r"x_0 = \operatorname{clip}_{[lo,hi]}\big(x + r\,\epsilon\,u/\lVert u\rVert_2"
                 r"\big),\ u\sim\mathcal N(0, I),\ r\sim U(0,1)"]
        what = "L2"
    else:
        pairs = [("Step", "x̃ = xₖ + α · sign(∇ₓ L(f(xₖ), y))"),
                 ("Projection", "xₖ₊₁ = clip₍lo,hi₎(x + clip₍−ε,ε₎(x̃ − x))"),
                 ("Start", "x₀ = clip₍lo,hi₎(x + u), u ~ U(−ε, ε) per pixel (random_start; "
                           "else x₀ = x)")]
        latex = [r"\tilde x = x_k + \alpha\,\operatorname{sign}(\nabla_x L(f(x_k), y))",
                 r"x_{k+1} = \operatorname{clip}_{[lo,hi]}\big(x + \operatorname{clip}_"
                 r"{[-\epsilon,\epsilon]}(\tilde x - x)\big)",
                 r"x_0 = \operatorname{clip}_{[lo,hi]}(x + u),\ u \sim U(-\epsilon, \epsilon)"]
        what = "L∞"
    pairs.append(("Targeted", "the loss is −L(f(xₖ), t) for target labels t"))
    latex.append(r"L \to -L(f(x_k), t)")
    return Formula.of(
        f"PGD ({what} projected gradient descent)", pairs, latex,
        f"Projected gradient ascent on the loss inside the {what} ball of radius ε around x: "
        "each step moves along the steepest direction for that norm, then projects back onto "
        "the ball and the pixel range. The result after `steps` steps is returned.",
        notes=("The projection onto the ball comes before the clip to the pixel range, as in "
               "torchattacks; the result lies in both.",))


def _with_formula(builder):
    def attach(fn):
        fn.formula = builder
        return fn
    return attach


# ----------------------------------------------------------------------------- checks
def _array(value, name: str, op: str):
    if isinstance(value, Tensor):
        return value._data
    try:
        return xp.asarray(value)
    except Exception:               # noqa: BLE001 - reported in words below
        raise TypeError(f"{op}: {name} must be a Tensor or an array, got "
                        f"{type(value).__name__}") from None


def _check_number(value, name: str, op: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{op}: {name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{op}: {name} must be > 0 (the size of a step), got {value}")
    if not positive and value < 0:
        raise ValueError(f"{op}: {name} must be ≥ 0 (the radius of the allowed perturbation), "
                         f"got {value}")
    return float(value)


def _check_clamp(clamp, op: str):
    if clamp is None:
        return None
    try:
        lo, hi = (float(c) for c in clamp)
    except (TypeError, ValueError):
        raise ValueError(f"{op}: clamp must be a pair (lo, hi) or None, got {clamp!r}") from None
    if not lo < hi:
        raise ValueError(f"{op}: clamp=(lo, hi) needs lo < hi, got ({lo}, {hi})")
    return lo, hi


def check_inputs(x, y, clamp, op: str):
    """``(images, labels)`` as arrays after checking them; ``clamp`` is the (lo, hi) or None."""
    images = _array(x, "x (the images)", op)
    labels = _array(y, "y (the labels)", op)
    if images.dtype.kind != "f":
        raise TypeError(f"{op}: the images must be floating point (pixel values in the valid "
                        f"range), got dtype {images.dtype}; convert with x.float() / 255")
    if images.ndim < 2:
        raise ValueError(f"{op}: expected a batch of images of shape (N, C, H, W) (or (N, "
                         f"features)), got shape {tuple(images.shape)}; add the batch axis with "
                         "x.unsqueeze(0)")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(f"{op}: expected one label per image, labels of shape "
                         f"({images.shape[0]},) for images of shape {tuple(images.shape)}, got "
                         f"labels of shape {tuple(labels.shape)}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: the labels must be integer class indices, got dtype "
                        f"{labels.dtype}")
    if not bool(xp.isfinite(images).all()):
        raise ValueError(f"{op}: the images contain NaN or infinite values")
    if clamp is not None and images.size:
        lo, hi = clamp
        low, high = float(images.min()), float(images.max())
        if low < lo or high > hi:
            raise ValueError(
                f"{op}: the images must lie in the valid range [{lo:g}, {hi:g}] that the attack "
                f"clips to, but their values span [{low:.4g}, {high:.4g}]. Were they normalised? "
                "Attack the images in pixel range and put the normalisation inside the model, or "
                "give clamp=(lo, hi) (clamp=None: no clipping)")
    return images, labels.astype(xp.int64, copy=False)


def _check_labels(labels, num_classes: int, op: str, targeted: bool) -> None:
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        what = "target labels" if targeted else "labels"
        raise ValueError(f"{op}: the {what} must be class indices in [0, {num_classes - 1}] "
                         f"(the model has {num_classes} outputs), got values in "
                         f"[{int(labels.min())}, {int(labels.max())}]")


# ----------------------------------------------------------------------------- the model
@contextmanager
def attack_mode(model):
    """Evaluation mode and frozen parameters for the duration of an attack; both restored
    exactly afterwards (every submodule's ``training`` flag, every ``requires_grad``)."""
    modes = [(m, m.training) for m in model.modules()]
    frozen = [p for p in model.parameters() if p.requires_grad]
    model.eval()
    for p in frozen:
        p.requires_grad = False
    try:
        yield
    finally:
        for p in frozen:
            p.requires_grad = True
        for m, training in modes:
            m.training = training


def _loss_and_grad(model, images, labels, targeted: bool, op: str, checked: list):
    """∇ₓ of the (mean) cross-entropy, negated when targeted; checks labels on the first call."""
    from ..autograd import grad
    from ..nn.functional import cross_entropy

    x = Tensor._make(images, requires_grad=True)
    with enable_grad():
        out = model(x)
        if not isinstance(out, Tensor) or out.ndim != 2 or out.shape[0] != images.shape[0]:
            shape = getattr(out, "shape", type(out).__name__)
            raise ValueError(f"{op}: the model must return logits of shape (N, classes) = "
                             f"({images.shape[0]}, classes), got {shape}")
        if not checked:
            _check_labels(labels, out.shape[1], op, targeted)
            checked.append(True)
        loss = cross_entropy(out, Tensor._make(labels))
        if targeted:
            loss = -loss
        (g,) = grad(loss, x)
    return g._data


def _clip(a, clamp):
    return a if clamp is None else xp.clip(a, clamp[0], clamp[1])


def _result(a, like) -> Tensor:
    return Tensor._make(xp.ascontiguousarray(a, dtype=like.dtype))


# ----------------------------------------------------------------------------- attacks
@_with_formula(_fgsm_formula)
def fgsm(model, x, y, eps: float, *, targeted: bool = False, clamp=(0.0, 1.0)) -> Tensor:
    r"""Fast gradient sign method: one signed-gradient step of size ``eps``.

    .. math:: x' = \operatorname{clip}_{[lo,hi]}\big(x + \epsilon\,\operatorname{sign}
              (\nabla_x L(f(x), y))\big)

    x′ = clip₍lo,hi₎(x + ε · sign(∇ₓL(f(x), y))), with L the mean cross-entropy. With
    ``targeted=True``, ``y`` holds the target labels and the step goes down the loss:
    x′ = clip(x − ε · sign(∇ₓL(f(x), y))). Same images as ``torchattacks.FGSM(model, eps)``
    (``set_mode_targeted_by_label`` for targeted).

    Parameters: ``model`` maps images (N, C, H, W) to logits (N, classes); ``x`` the images, in
    ``clamp`` = (lo, hi) ([0, 1] by default; None: no clipping and no range check); ``y`` integer
    labels (N,); ``eps`` ≥ 0. The model is evaluated in eval mode and its modes are restored.
    Returns the adversarial images as a Tensor without gradient history, in x's dtype.
    ``fgsm.formula()`` gives the mathematics as a :class:`~chainrule.Formula`.

    Example::

        x_adv = fgsm(model, images, labels, eps=0.1)
    """
    op = "fgsm"
    eps = _check_number(eps, "eps", op)
    clamp = _check_clamp(clamp, op)
    images, labels = check_inputs(x, y, clamp, op)
    with attack_mode(model):
        g = _loss_and_grad(model, images, labels, targeted, op, [])
    return _result(_clip(images + eps * xp.sign(g), clamp), images)


@_with_formula(_pgd_formula)
def pgd(model, x, y, eps: float, alpha: float, steps: int, random_start: bool = True,
        norm: str = "inf", *, targeted: bool = False, clamp=(0.0, 1.0)) -> Tensor:
    r"""Projected gradient descent (Madry et al.): ``steps`` steps of size ``alpha``, each
    projected back onto the ε-ball around x (L∞ or L2) and onto the pixel range.

    L∞ (``norm="inf"``, torchattacks' ``PGD``):

    .. math:: x_{k+1} = \operatorname{clip}_{[lo,hi]}\Big(x + \operatorname{clip}_{[-\epsilon,
              \epsilon]}\big(x_k + \alpha\operatorname{sign}(\nabla_x L(f(x_k), y)) - x\big)\Big)

    xₖ₊₁ = clip₍lo,hi₎(x + clip₍−ε,ε₎(xₖ + α · sign(∇ₓL(f(xₖ), y)) − x)).

    L2 (``norm="2"``, torchattacks' ``PGDL2``), per example with g = ∇ₓL(f(xₖ), y):

    .. math:: \tilde x = x_k + \alpha \frac{g}{\lVert g\rVert_2 + 10^{-10}},\quad
              x_{k+1} = \operatorname{clip}_{[lo,hi]}\Big(x + (\tilde x - x)\min\big(1,
              \tfrac{\epsilon}{\lVert \tilde x - x\rVert_2}\big)\Big)

    x̃ = xₖ + α · g/(‖g‖₂ + 10⁻¹⁰),  xₖ₊₁ = clip₍lo,hi₎(x + (x̃ − x) · min(1, ε/‖x̃ − x‖₂)).

    ``random_start``: x₀ = clip(x + u) with u ~ U(−ε, ε) per pixel (L∞), or u = r·ε·z/‖z‖₂ with
    z ~ N(0, I), r ~ U(0, 1) (L2, as torchattacks); drawn from chainrule's global generator
    (``chainrule.manual_seed``). Otherwise x₀ = x. ``targeted=True``: ``y`` are target labels
    and the loss is −L. Checks, model mode and result as :func:`fgsm`; ``pgd.formula(norm)``
    gives the mathematics. One deliberate difference: with ``norm="2"``, ε = 0 and an example
    whose gradient is exactly zero, torchattacks' projection divides 0 by 0 and returns NaN
    for that example; here δ = 0 is kept (the factor is 1 whenever ‖δ‖₂ ≤ ε).

    Example::

        x_adv = pgd(model, images, labels, eps=0.1, alpha=0.01, steps=40, random_start=False)
    """
    op = "pgd"
    eps = _check_number(eps, "eps", op)
    alpha = _check_number(alpha, "alpha", op, positive=True)
    if isinstance(steps, bool) or not isinstance(steps, Integral) or steps < 1:
        raise ValueError(f"{op}: steps must be an integer ≥ 1, got {steps!r}")
    norm = _check_norm(norm, op)
    clamp = _check_clamp(clamp, op)
    images, labels = check_inputs(x, y, clamp, op)
    n = images.shape[0]
    per_example = (n,) + (1,) * (images.ndim - 1)
    adv = images.copy()
    if random_start:
        from .. import rand, randn

        if norm == "inf":
            u = rand(*images.shape, dtype=images.dtype)._data
            adv = _clip(adv + (2 * u - 1) * eps, clamp)
        else:
            z = randn(*images.shape, dtype=images.dtype)._data
            r = rand(*per_example, dtype=images.dtype)._data
            length = _norms(z, per_example)
            adv = _clip(adv + z * (r / length * eps), clamp)
    checked: list = []
    with attack_mode(model):
        for _ in range(int(steps)):
            g = _loss_and_grad(model, adv, labels, targeted, op, checked)
            if norm == "inf":
                adv = adv + alpha * xp.sign(g)
                delta = xp.clip(adv - images, -eps, eps)
            else:
                adv = adv + alpha * (g / (_norms(g, per_example) + _DIVISION_EPS))
                delta = adv - images
                length = _norms(delta, per_example)
                with xp.errstate(divide="ignore", invalid="ignore"):
                    factor = xp.where(length > eps, eps / length, 1.0)
                delta = delta * factor.astype(images.dtype)
            adv = _clip(images + delta, clamp)
    return _result(adv, images)


def _norms(a, shape):
    return xp.sqrt((a.reshape(a.shape[0], -1) ** 2).sum(axis=1)).reshape(shape)


def _check_norm(norm, op: str) -> str:
    spelled = {"inf": "inf", "linf": "inf", "l∞": "inf", "2": "2", "l2": "2"}
    key = str(norm).lower() if not isinstance(norm, Real) or isinstance(norm, bool) else (
        "inf" if norm == math.inf else "2" if norm == 2 else None)
    if key not in spelled:
        raise ValueError(f"{op}: norm must be 'inf' (L∞ ball) or '2' (L2 ball), got {norm!r}")
    return spelled[key]


def attack(model, x, y, method: str = "pgd", eps: float = 0.1, **options) -> Tensor:
    """``fgsm`` or ``pgd`` by name (``method``), with PGD's options in ``options``; for
    :func:`robustness_curve` and the command line."""
    if method == "fgsm":
        return fgsm(model, x, y, eps, **options)
    if method == "pgd":
        return pgd(model, x, y, eps, **options)
    raise ValueError(f"unknown attack {method!r}: the attacks are 'fgsm' and 'pgd'")


__all__ = ["fgsm", "pgd", "attack", "attack_mode", "check_inputs"]
