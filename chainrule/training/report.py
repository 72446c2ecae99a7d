"""Run reports: training curves, confusion matrix, misclassified images, sweep comparison (PNG),
and a per-class text report.

The plots use matplotlib (an optional dependency: ``pip install matplotlib``, or
``chainrule[plots]``) with its non-interactive Agg backend, so they work on a machine without a
display; :func:`plots_available` says whether it is installed. Every function writes one PNG and
returns its path; the figures are sized to be read at 100 % (about 1000 pixels wide).

>>> from chainrule.training import report
>>> report.plot_history({"loss": [0.9, 0.5], "val_loss": [0.7, 0.6],
...                      "accuracy": [0.7, 0.8], "val_accuracy": [0.75, 0.79]},
...                     "curves.png")                                   # doctest: +SKIP
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

from ..backend import xp

DPI = 100


def plots_available() -> bool:
    """Whether matplotlib is installed (the plots need it; the text report does not)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("the run plots need matplotlib: pip install matplotlib  (or pip install "
                          "'chainrule[plots]')") from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> str:
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp.png")
    try:
        fig.savefig(tmp, dpi=DPI)
        os.replace(tmp, path)         # a reader never sees a half-written PNG
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _epochs(values: Sequence) -> list[int]:
    return list(range(1, len(values) + 1))


def _floats(values) -> list[float]:
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


# ----------------------------------------------------------------------------------- curves
def plot_history(history: Mapping[str, Sequence], path, title: str | None = None,
                 metric: str = "accuracy") -> str:
    """Training and validation loss (left) and ``metric`` (right) against the epoch.

    ``history`` maps ``loss``, ``val_loss``, ``accuracy``, ``val_accuracy`` (any present) to one
    value per epoch, as :class:`~chainrule.training.History` records them.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, name in zip(axes, ("loss", metric)):
        for key, label, style in ((name, "training", "o-"), (f"val_{name}", "validation", "s--")):
            if key in history and len(history[key]):
                values = _floats(history[key])
                ax.plot(_epochs(values), values, style, label=label, linewidth=2, markersize=5)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name.replace("_", " "))
        ax.set_title(name.replace("_", " ").capitalize())
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if ax.lines:
            ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


# ----------------------------------------------------------------------------------- confusion
def plot_confusion_matrix(cm, classes: Sequence[str], path, title: str | None = None) -> str:
    """The confusion matrix: rows the true classes, columns the predicted ones.

    Each cell shows its count; its colour is the fraction of the true class (the row) that it
    holds, so the diagonal reads as per-class recall whatever the class sizes.
    """
    plt = _pyplot()
    cm = xp.asarray(cm)
    k = cm.shape[0]
    rows = cm.sum(axis=1, keepdims=True)
    fractions = xp.divide(cm, rows, out=xp.zeros(cm.shape), where=rows != 0)
    size = max(5.5, 0.62 * k + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    image = ax.imshow(fractions, cmap="Blues", vmin=0.0, vmax=1.0)
    labels = [str(c) for c in classes]
    ax.set_xticks(range(k), labels=labels, rotation=45, ha="right")
    ax.set_yticks(range(k), labels=labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fontsize = 9 if k <= 12 else 7
    for i in range(k):
        for j in range(k):
            color = "white" if fractions[i, j] > 0.5 else "black"
            ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", color=color,
                    fontsize=fontsize)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of the true class")
    accuracy = float(xp.trace(cm) / cm.sum()) if cm.sum() else 0.0
    ax.set_title(title or f"Confusion matrix (accuracy {100 * accuracy:.2f}%)")
    fig.tight_layout()
    return _save(fig, path)


# ----------------------------------------------------------------------------------- images
def _display(image):
    """An image array as something imshow draws: (H, W) greyscale or (H, W, 3) colour."""
    a = xp.asarray(image)
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = a.transpose(1, 2, 0)                   # channels first → last
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    a = a.astype(xp.float64)
    lo, hi = float(a.min(initial=0.0)), float(a.max(initial=1.0))
    return (a - lo) / (hi - lo) if hi > lo else a * 0


def _name(names: Sequence[str], label: int) -> str:
    return names[label] if 0 <= label < len(names) else str(label)


def plot_misclassified(images, y_true, y_pred, classes: Sequence[str], path,
                       probabilities=None, max_images: int = 25, title: str | None = None) -> str:
    """A grid of the first ``max_images`` misclassified images, each titled "true → predicted".

    ``images``: (N, H, W), (N, 1, H, W) or (N, 3, H, W) in any value range (scaled per image);
    ``y_true``/``y_pred``: labels (N,); ``probabilities``: optional (N,) probability of the
    predicted class, shown beside it. With nothing misclassified the figure says so.
    """
    plt = _pyplot()
    y_true, y_pred = xp.asarray(y_true).reshape(-1), xp.asarray(y_pred).reshape(-1)
    wrong = xp.flatnonzero(y_true != y_pred)[:max_images]
    n = len(wrong)
    cols = min(5, max(n, 1))
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.3 * cols + 0.4, 2.75 * rows + 0.6),
                             squeeze=False)
    names = [str(c) for c in classes]
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(_display(images[i]), cmap="gray", interpolation="nearest")
        t, p = int(y_true[i]), int(y_pred[i])
        label = f"true: {_name(names, t)}\npred: {_name(names, p)}"
        if probabilities is not None:
            label += f" ({100 * float(probabilities[i]):.0f}%)"
        ax.set_title(label, fontsize=9, color="darkred")
    if n == 0:
        axes[0, 0].text(0.5, 0.5, "no misclassified images", ha="center", va="center")
    total = int((y_true != y_pred).sum())
    fig.suptitle(title or f"Misclassified test images: {min(n, total)} of {total} shown "
                          f"(of {len(y_true)})")
    height = fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / height))     # room for the title
    return _save(fig, path)


# ----------------------------------------------------------------------------------- sweep
def plot_sweep(curves: Mapping[str, Mapping[str, Sequence]], path,
               metrics: Sequence[str] = ("val_accuracy", "val_loss"),
               title: str | None = None) -> str:
    """Compare runs: one line per run (``label → history``) in a panel per metric."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(metrics), figsize=(6.2 * len(metrics), 4.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for label, history in curves.items():
            values = _floats(history.get(metric, []))
            if values:
                ax.plot(_epochs(values), values, "o-", label=label, linewidth=1.8, markersize=4)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric.replace("_", " "))
        ax.set_title(metric.replace("val_", "validation ").replace("_", " "))
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=9,
                   frameon=False)
        rows = math.ceil(len(labels) / 4)
        fig.tight_layout(rect=(0, 0.06 * rows + 0.02, 1, 0.95 if title else 1))
    else:
        fig.tight_layout()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


# ----------------------------------------------------------------------------------- text
def classification_report(cm, classes: Sequence[str]) -> tuple[str, dict]:
    """Per-class precision, recall, F1 and support from a confusion matrix, as text and a dict.

    The dict: ``{"per_class": {name: {precision, recall, f1, support}}, "macro": {…},
    "weighted": {…}, "accuracy": …}`` (scikit-learn's ``classification_report`` layout).
    """
    from .metrics import scores_from_confusion

    cm = xp.asarray(cm)
    p, r, f = scores_from_confusion(cm, average=None)
    support = cm.sum(axis=1)
    names = [str(c) for c in classes]
    width = max([len(n) for n in names] + [12])
    lines = [f"{'class':>{width}}  precision  recall  f1-score  support"]
    per_class = {}
    for i, name in enumerate(names):
        per_class[name] = {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                           "support": int(support[i])}
        lines.append(f"{name:>{width}}  {p[i]:9.4f}  {r[i]:6.4f}  {f[i]:8.4f}  {support[i]:7d}")
    total = int(support.sum())
    accuracy = float(xp.trace(cm) / total) if total else 0.0
    summary = {"accuracy": accuracy, "per_class": per_class}
    lines.append("")
    lines.append(f"{'accuracy':>{width}}  {'':9}  {'':6}  {accuracy:8.4f}  {total:7d}")
    for average in ("macro", "weighted"):
        ap, ar, af = scores_from_confusion(cm, average=average)
        summary[average] = {"precision": ap, "recall": ar, "f1": af}
        lines.append(f"{average + ' avg':>{width}}  {ap:9.4f}  {ar:6.4f}  {af:8.4f}  {total:7d}")
    return "\n".join(lines), summary


def confusion_text(cm, classes: Sequence[str]) -> str:
    """The confusion matrix as a text table (rows true, columns predicted, by class index)."""
    cm = xp.asarray(cm)
    k = cm.shape[0]
    width = max(5, len(str(int(cm.max(initial=0)))) + 1)
    names = [str(c) for c in classes]
    label_width = max(len(n) for n in names) + 4
    head = " " * label_width + "".join(f"{j:>{width}}" for j in range(k)) + "   ← predicted"
    lines = [head]
    for i in range(k):
        lines.append(f"{i:>2} {names[i]:<{label_width - 3}}"
                     + "".join(f"{int(cm[i, j]):>{width}}" for j in range(k)))
    return "\n".join(lines)


__all__ = ["plots_available", "plot_history", "plot_confusion_matrix", "plot_misclassified",
           "plot_sweep", "classification_report", "confusion_text"]
