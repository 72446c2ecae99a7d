"""Attacking a trained run (what ``chainrule attack RUN`` does), in pixel space.

A run's model sees normalised images, (x/max_value − mean)/std (and, for LeNet on the 8×8
digits, upsampled by repeating pixels). The attack's budget ε is meant in pixel units of [0, 1],
so the run's preprocessing goes *inside* the attacked model (:class:`PixelModel`), where it is
differentiable, and the attack clips to [0, 1].
"""
from __future__ import annotations

from pathlib import Path

from .. import backend, nn
from ..tensor import Tensor
from .attacks import attack
from .robustness import plot_examples, predict_labels

xp = backend.xp


class PixelModel(nn.Module):
    """``model`` preceded by a run's preprocessing: x ∈ [0, 1] ↦ model((resize(x) − μ)/σ)."""

    def __init__(self, model, config: dict):
        super().__init__()
        self.model = model
        norm = config["normalize"]
        channels = int(config["image_shape"][0])
        mean = xp.asarray(norm["mean"], dtype=xp.float64).reshape(-1)
        std = xp.asarray(norm["std"], dtype=xp.float64).reshape(-1)
        shape = (1, channels, 1, 1) if max(mean.size, std.size) > 1 else ()
        self._mean = mean.reshape(shape) if shape else mean[0]
        self._std = std.reshape(shape) if shape else std[0]
        size = list(config["input_shape"][1:])
        stored = list(config["image_shape"][1:])
        self._rows = self._cols = None
        if size != stored:          # the run's Resize: nearest neighbour, pixel (⌊iH/h⌋, ⌊jW/w⌋)
            (H, W), (h, w) = stored, size
            self._rows = (xp.arange(h) * H) // h
            self._cols = (xp.arange(w) * W) // w

    def forward(self, x):
        if self._rows is not None:
            x = x[:, :, self._rows[:, None], self._cols[None, :]]
        dtype = x._data.dtype
        mean = xp.asarray(self._mean, dtype=dtype)
        std = xp.asarray(self._std, dtype=dtype)
        return self.model((x - Tensor._make(mean)) / Tensor._make(std))


def attack_run(run_dir, method: str = "pgd", eps: float = 0.1, alpha: float | None = None,
               steps: int = 40, n: int | None = None, checkpoint: str = "last",
               random_start: bool = True, norm: str = "inf", seed: int = 0,
               examples: int = 6, batch_size: int = 250, path=None) -> dict:
    """Clean and robust accuracy of a run's model on its test set (or its first ``n`` images)
    under ``method`` ('fgsm' or 'pgd', α = 2.5·ε/steps unless given), and a PNG of
    ``examples`` attacked images (original, perturbation ×10, adversarial, both predictions),
    written to ``path`` (default ``RUN/attack-<method>-eps<ε>.png``). Returns the numbers."""
    import chainrule as cr

    from ..training import Run

    if method not in ("fgsm", "pgd"):
        raise ValueError(f"--method must be 'fgsm' or 'pgd', got {method!r}")
    from .attacks import _check_number

    eps = _check_number(eps, "eps", "chainrule attack")
    if alpha is not None:
        _check_number(alpha, "alpha", "chainrule attack", positive=True)
    if n is not None and n < 1:
        raise ValueError(f"--n must be ≥ 1, got {n}")
    if steps < 1:
        raise ValueError(f"--steps must be ≥ 1, got {steps}")
    run = Run.open(run_dir, checkpoint, compile=False)
    config = run.config
    if config.get("text"):
        raise ValueError(f"{run_dir} is a text run ({config['dataset']}): the attacks perturb "
                         "images (a run of an image dataset)")
    data = run.data
    x, y = data.x_test, data.y_test
    if n is not None:
        x, y = x[:n], y[:n]
    x01 = x.astype(xp.float32) / xp.float32(config["normalize"]["max_value"])
    y = xp.asarray(y, dtype=xp.int64)
    model = PixelModel(run.model, config)
    model.eval()
    options = {}
    if method == "pgd":
        options = {"alpha": alpha if alpha is not None else 2.5 * eps / steps, "steps": steps,
                   "random_start": random_start, "norm": norm}
    cr.manual_seed(seed)
    clean, adv_pred, chunks = [], [], []
    for start in range(0, len(y), batch_size):
        xb, yb = x01[start:start + batch_size], y[start:start + batch_size]
        clean.append(predict_labels(model, xb))
        x_adv = attack(model, xb, yb, method, eps, **options)._data if eps > 0 else xb
        adv_pred.append(predict_labels(model, x_adv))
        chunks.append(x_adv)
    clean, adv_pred, x_adv = (xp.concatenate(a) for a in (clean, adv_pred, chunks))
    fooled = xp.flatnonzero((clean == y) & (adv_pred != y))
    others = xp.flatnonzero(~((clean == y) & (adv_pred != y)))
    shown = xp.concatenate([fooled, others])[:examples]
    name = f"attack-{method}-eps{eps:g}.png"
    path = Path(path) if path is not None else Path(run_dir) / name
    what = (f"{method.upper()} ε={eps:g}" + (f", α={options['alpha']:.4g}, {steps} steps, "
                                             f"L{'∞' if norm in ('inf', 'Linf') else '2'}"
                                             if method == "pgd" else ""))
    written = None
    if examples > 0:
        written = plot_examples(x01[shown], x_adv[shown], clean[shown], adv_pred[shown],
                                y[shown], path, classes=config["classes"],
                                title=f"{config['model']} on {config['dataset']}: {what}")
    return {"run": str(run_dir), "model": config["model"], "dataset": config["dataset"],
            "method": method, "eps": eps, **options, "samples": int(len(y)),
            "clean_accuracy": float((clean == y).mean()),
            "robust_accuracy": float((adv_pred == y).mean()),
            "fooled": int(len(fooled)), "examples_png": written, "attack": what}


__all__ = ["PixelModel", "attack_run"]
