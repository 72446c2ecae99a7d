"""Heatmaps of attributions over their images, written as a PNG (matplotlib, imported lazily)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..tensor import Tensor


def _array(v) -> np.ndarray:
    if isinstance(v, Tensor):
        return v.numpy()
    if hasattr(v, "detach") and hasattr(v, "numpy"):
        return v.detach().cpu().numpy()
    return np.asarray(v)


def heatmap(attributions, sign: str = "absolute", outlier_percent: float = 1.0) -> np.ndarray:
    """One map (N, H, W) per image, scaled to [0, 1] (``sign="all"``: to [−1, 1]).

    Attributions (N, C, H, W) are summed over channels (a (N, H, W) map, Grad-CAM's, is used as
    it is); ``sign``: "absolute" (|A|), "positive" (max(A, 0)) or "all" (signed). Each map is
    divided by its (100 − outlier_percent)th percentile of |A| and clipped, so a few extreme
    pixels do not wash out the rest (Captum's visualisation does the same).
    """
    a = _array(attributions).astype(np.float64)
    if a.ndim == 4:
        a = a.sum(axis=1)
    if a.ndim != 3:
        raise ValueError(f"interpret.plot: attributions must be (N, C, H, W) or (N, H, W), got "
                         f"shape {a.shape}")
    if sign == "absolute":
        a = np.abs(a)
    elif sign == "positive":
        a = np.maximum(a, 0)
    elif sign != "all":
        raise ValueError(f"interpret.plot: sign must be 'absolute', 'positive' or 'all', got "
                         f"{sign!r}")
    scale = np.percentile(np.abs(a).reshape(len(a), -1), 100 - outlier_percent, axis=1)
    scale = np.where(scale > 0, scale, 1.0).reshape(-1, 1, 1)
    return np.clip(a / scale, -1 if sign == "all" else 0, 1)


def plot(x, attributions, path=None, *, titles=None, sign: str = "absolute",
         alpha: float = 0.8, cmap: str | None = None, dpi: int = 110):
    """Each image beside its heatmap overlaid on it; writes a PNG to ``path`` (returned) or, with
    ``path=None``, returns the matplotlib Figure.

    ``x``: images (N, C, H, W) with C = 1 or 3 (values shown rescaled to [0, 1]);
    ``attributions``: shaped like ``x`` or heatmaps (N, H, W) (Grad-CAM); ``titles``: one line
    per image (e.g. the predicted class); ``sign``: see :func:`heatmap`; ``alpha``: the
    heatmap's opacity where |A| is largest (it fades with √|A|, so the image shows through
    where the attribution is small).
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    images = _array(x).astype(np.float64)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"interpret.plot: x must be images (N, C, H, W) with 1 or 3 channels, "
                         f"got shape {images.shape}")
    maps = heatmap(attributions, sign)
    if maps.shape[0] != images.shape[0] or maps.shape[1:] != images.shape[2:]:
        raise ValueError(f"interpret.plot: {maps.shape[0]} heatmaps of {maps.shape[1:]} for "
                         f"{images.shape[0]} images of {images.shape[2:]}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"interpret.plot: {len(titles)} titles for {len(images)} images")
    lo = images.reshape(len(images), -1).min(1).reshape(-1, 1, 1, 1)
    hi = images.reshape(len(images), -1).max(1).reshape(-1, 1, 1, 1)
    shown = (images - lo) / np.where(hi > lo, hi - lo, 1.0)
    cmap = cmap or ("bwr" if sign == "all" else "inferno")
    # the heatmap's colour, opaque in proportion to |A|: the image shows where A is small
    overlay = plt.get_cmap(cmap)((maps + 1) / 2 if sign == "all" else maps)
    overlay[..., 3] = alpha * np.abs(maps) ** 0.5
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.9 * n + 0.4, 4.0), squeeze=False)
    for i in range(n):
        picture = shown[i, 0] if shown.shape[1] == 1 else shown[i].transpose(1, 2, 0)
        grey = dict(cmap="gray", vmin=0, vmax=1) if shown.shape[1] == 1 else {}
        axes[0, i].imshow(picture, **grey)
        axes[1, i].imshow(picture, **grey)
        axes[1, i].imshow(overlay[i])
        if titles is not None:
            axes[0, i].set_title(str(titles[i]), fontsize=8)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("input", fontsize=8)
    axes[1, 0].set_ylabel("attribution", fontsize=8)
    fig.tight_layout()
    if path is None:
        return fig
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
