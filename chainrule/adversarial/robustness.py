r"""Robustness curves: accuracy under attack as a function of the budget ε, and their plots.

    acc(ε) = (1/N) Σₙ 𝟙[argmax f(x′ₙ(ε)) = yₙ],   x′ₙ(ε) = attack(f, xₙ, yₙ, ε)

acc(0) is the clean accuracy (no attack is run at ε = 0).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from .. import backend
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .attacks import attack as run_attack
from .attacks import check_inputs

xp = backend.xp


@dataclass
class RobustnessCurve:
    """Accuracy (a fraction in [0, 1]) at each ε, with the attack and its settings."""

    eps: list
    accuracy: list
    attack: str
    settings: dict = field(default_factory=dict)
    samples: int = 0
    label: str = ""

    def as_dict(self) -> dict:
        return {"eps": list(self.eps), "accuracy": list(self.accuracy), "attack": self.attack,
                "settings": dict(self.settings), "samples": self.samples, "label": self.label}

    def __getitem__(self, eps: float) -> float:
        for e, a in zip(self.eps, self.accuracy):
            if math.isclose(e, eps, rel_tol=1e-9, abs_tol=1e-12):
                return a
        raise KeyError(f"this curve has no point at eps={eps}; it has eps {self.eps}")

    def __str__(self) -> str:
        rows = [f"{self.label or 'model'}: {self.attack} accuracy on {self.samples} samples"]
        rows += [f"  eps={e:<8g} {100 * a:6.2f}%" for e, a in zip(self.eps, self.accuracy)]
        return "\n".join(rows)


def _batches(data, batch_size: int):
    """(x, y) array batches from a pair of arrays/Tensors or from an iterable of batches."""
    if isinstance(data, (tuple, list)) and len(data) == 2 and getattr(data[0], "ndim", 0) >= 2:
        x, y = data
        x = x._data if isinstance(x, Tensor) else xp.asarray(x)
        y = y._data if isinstance(y, Tensor) else xp.asarray(y)
        if len(x) != len(y):
            raise ValueError(f"robustness_curve: {len(x)} images but {len(y)} labels")
        for start in range(0, len(x), batch_size):
            yield x[start:start + batch_size], y[start:start + batch_size]
        return
    try:
        iterator = iter(data)
    except TypeError:
        raise TypeError("robustness_curve: data must be (images, labels) or an iterable of "
                        f"(images, labels) batches (a DataLoader), got {type(data).__name__}"
                        ) from None
    for batch in iterator:
        x, y = batch
        yield (x._data if isinstance(x, Tensor) else x), (y._data if isinstance(y, Tensor) else y)


def predict_labels(model, x):
    """argmax of the model's logits, in eval mode without a graph (the mode is restored)."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            out = model(x if isinstance(x, Tensor) else Tensor._make(x))
    finally:
        for m, training in modes:
            m.training = training
    return out._data.argmax(axis=1)


def robustness_curve(model, data, eps_values, attack: str = "pgd", *, alpha=None,
                     steps: int = 40, random_start: bool = False, norm: str = "inf",
                     clamp=(0.0, 1.0), batch_size: int = 256,
                     label: str = "", path=None) -> RobustnessCurve:
    r"""Accuracy of ``model`` on ``data`` under ``attack`` at each ε of ``eps_values``.

    .. math:: \mathrm{acc}(\epsilon) = \frac1N\sum_n \mathbb 1\big[\arg\max f(x'_n(\epsilon))
              = y_n\big]

    acc(ε) = (1/N) Σₙ 𝟙[argmax f(x′ₙ(ε)) = yₙ], where x′ₙ(ε) is :func:`fgsm` (``attack="fgsm"``)
    or :func:`pgd` (``"pgd"``: ``steps`` steps of size ``alpha``; ``alpha=None`` takes
    2.5·ε/steps, Madry et al.'s choice) of (xₙ, yₙ). At ε = 0 no attack runs: the clean
    accuracy. ``data`` is (images, labels) (batched by ``batch_size``) or an iterable of such
    batches; the images in ``clamp``'s range ([0, 1]). ``path``: also draw the curve to that PNG
    (:func:`plot_robustness_curve`). Returns a :class:`RobustnessCurve`.
    """
    if attack not in ("fgsm", "pgd"):
        raise ValueError(f"robustness_curve: unknown attack {attack!r}; use 'fgsm' or 'pgd'")
    try:
        eps_list = [float(e) for e in eps_values]
    except (TypeError, ValueError):
        raise ValueError(f"robustness_curve: eps_values must be numbers, got {eps_values!r}"
                         ) from None
    if not eps_list or any(not math.isfinite(e) or e < 0 for e in eps_list):
        raise ValueError(f"robustness_curve: eps_values must be a non-empty list of finite "
                         f"numbers ≥ 0, got {eps_list}")
    if alpha is not None and (not math.isfinite(alpha) or alpha <= 0):
        raise ValueError(f"robustness_curve: alpha must be > 0 (or None for 2.5·ε/steps), got "
                         f"{alpha}")
    correct = [0] * len(eps_list)
    total = 0
    for x, y in _batches(data, batch_size):
        x, y = check_inputs(x, y, clamp, "robustness_curve")
        total += len(y)
        for i, eps in enumerate(eps_list):
            if eps == 0:
                x_adv = x
            elif attack == "fgsm":
                x_adv = run_attack(model, x, y, "fgsm", eps, clamp=clamp)
            else:
                step = alpha if alpha is not None else 2.5 * eps / steps
                x_adv = run_attack(model, x, y, "pgd", eps, alpha=step, steps=steps,
                                   random_start=random_start, norm=norm, clamp=clamp)
            pred = predict_labels(model, x_adv)
            correct[i] += int((pred == y).sum())
    if total == 0:
        raise ValueError("robustness_curve: the data gave no samples")
    settings = {"norm": norm} if attack == "pgd" else {}
    if attack == "pgd":
        settings.update(steps=steps, alpha=alpha if alpha is not None else "2.5·ε/steps",
                        random_start=random_start)
    curve = RobustnessCurve(eps_list, [c / total for c in correct], attack, settings, total,
                            label)
    if path is not None:
        plot_robustness_curve(curve, path)
    return curve


def _pyplot():
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError("the adversarial plots need matplotlib: pip install matplotlib") \
            from err
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_robustness_curve(curves, path, title: str | None = None) -> str:
    """Draw one :class:`RobustnessCurve` or several (a list, or a dict label → curve) as
    accuracy (%) against ε to a PNG at ``path``; returns the path."""
    if isinstance(curves, RobustnessCurve):
        curves = [curves]
    elif isinstance(curves, dict):
        curves = [RobustnessCurve(**{**c.as_dict(), "label": name}) for name, c in curves.items()]
    curves = list(curves)
    if not curves or not all(isinstance(c, RobustnessCurve) for c in curves):
        raise TypeError("plot_robustness_curve: give RobustnessCurve objects (from "
                        "robustness_curve)")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for c in curves:
        ax.plot(c.eps, [100 * a for a in c.accuracy], marker="o", label=c.label or None)
    ax.set_xlabel("ε (L∞ radius, pixel scale 0–1)" if curves[0].settings.get("norm", "inf")
                  == "inf" else "ε (L2 radius)")
    ax.set_ylabel("accuracy under attack (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    first = curves[0]
    detail = first.attack.upper()
    if first.attack == "pgd":
        detail += f"-{first.settings.get('steps')}"
    import textwrap

    ax.set_title(textwrap.fill(title or f"Robustness to {detail} ({first.samples} samples)", 64),
                 fontsize=10)
    if any(c.label for c in curves):
        ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path) -> str:
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)
    return str(path)


def plot_examples(x, x_adv, pred_clean, pred_adv, labels, path, classes=None,
                  title: str | None = None, scale: float = 10.0) -> str:
    """A grid with one row per example: the original (true class, clean prediction), the
    perturbation ×``scale`` (grey = 0) and the adversarial image (its prediction); a PNG."""
    x = x._data if isinstance(x, Tensor) else xp.asarray(x)
    x_adv = x_adv._data if isinstance(x_adv, Tensor) else xp.asarray(x_adv)
    names = (lambda k: str(classes[int(k)])) if classes is not None else (lambda k: str(int(k)))
    plt = _pyplot()
    n = len(x)
    fig, axes = plt.subplots(n, 3, figsize=(6.6, 2.2 * n + 0.6), squeeze=False)

    def image(a):
        a = xp.asarray(a, dtype=float)
        return a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)

    for i in range(n):
        delta = image(x_adv[i]) - image(x[i])
        gray = {"cmap": "gray"} if x.shape[1] == 1 else {}
        axes[i, 0].imshow(xp.clip(image(x[i]), 0, 1), vmin=0, vmax=1, **gray)
        axes[i, 0].set_title(f"true {names(labels[i])}\npredicted {names(pred_clean[i])}",
                             fontsize=8)
        axes[i, 1].imshow(xp.clip(0.5 + scale * delta, 0, 1), vmin=0, vmax=1, **gray)
        axes[i, 1].set_title(f"perturbation ×{scale:g}\nmax |δ| = {abs(delta).max():.3f}",
                             fontsize=8)
        axes[i, 2].imshow(xp.clip(image(x_adv[i]), 0, 1), vmin=0, vmax=1, **gray)
        ok = "✓" if pred_adv[i] == labels[i] else "✗"
        axes[i, 2].set_title(f"adversarial\npredicted {names(pred_adv[i])} {ok}", fontsize=8)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


__all__ = ["RobustnessCurve", "robustness_curve", "plot_robustness_curve", "plot_examples",
           "predict_labels"]
