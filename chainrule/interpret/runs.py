"""Explain a training run's predictions: what ``chainrule explain-prediction`` does, callable from
a notebook.

    from chainrule.interpret.runs import explain_prediction

    result = explain_prediction("runs/lenet-fashion-mnist-…", ["12", "shoe.png"], method="ig")
    result["path"], result["predictions"]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import _common as C

CLI_METHODS = ("ig", "gradcam", "saliency", "occlusion")


def load_inputs(run, items, invert: bool = False):
    """``(names, model inputs (N, C, H, W) float32, labels or None each)`` for test-set indices
    (``"12"``) and image files (PNG/JPEG/.npy, prepared as ``chainrule predict`` does)."""
    from ..training.runs.data import transform
    from ..training.runs.images import read_images

    config = run.config
    if config.get("text"):
        raise ValueError("explain-prediction explains image runs; this run is a text run "
                         f"({config.get('dataset')})")
    names, batches, labels = [], [], []
    for item in items:
        text = str(item)
        if text.lstrip("-").isdigit() and not Path(text).is_file():
            n = len(run.data.y_test)
            i = int(text)
            if not -n <= i < n:
                raise ValueError(f"test-set index {i} is out of range: the run's test set has "
                                 f"{n} images (0…{n - 1})")
            pixels = np.asarray(run.data.x_test[i:i + 1 if i != -1 else None])
            names.append(f"test[{i % n}]")
            labels.append(int(run.data.y_test[i]))
        else:
            x01 = read_images(text, config)
            if invert:
                x01 = 1.0 - x01
            pixels = (x01 * config["normalize"]["max_value"]).astype(np.float32)
            names += [text] if len(pixels) == 1 else [f"{text}[{k}]" for k in range(len(pixels))]
            labels += [None] * len(pixels)
        batches.append(np.asarray(transform(config)(pixels), np.float32))
    return names, np.concatenate(batches), labels


def black(config: dict, shape) -> np.ndarray:
    """A black image (pixel value 0) as the model sees it (normalised as in training)."""
    norm = config["normalize"]
    mean = np.asarray(norm["mean"], np.float32).reshape(-1, 1, 1)
    std = np.asarray(norm["std"], np.float32).reshape(-1, 1, 1)
    return np.broadcast_to((0 - mean) / std, shape).astype(np.float32)


def last_conv_layer(model, x: np.ndarray) -> str:
    """The name of the last convolution (in execution order) whose output is (N, K, h, w)."""
    from .. import no_grad

    order, handles = [], []
    for name, module in model.named_modules():
        if name and not any(True for _ in module.children()):
            handles.append(module.register_forward_hook(
                lambda m, a, out, name=name: order.append((name, type(m).__name__,
                                                           getattr(out, "ndim", 0)))))
    try:
        with no_grad():
            C.forward("grad_cam", model, x[:1])
    finally:
        for h in handles:
            h.remove()
    maps = [(name, kind) for name, kind, ndim in order if ndim == 4]
    if not maps:
        raise ValueError("grad_cam: no layer of this model outputs feature maps (N, K, h, w)")
    convs = [name for name, kind in maps if kind.startswith("Conv")]
    return convs[-1] if convs else maps[-1][0]


def explain_prediction(run_dir, items, method: str = "ig", *, out=None, target=None,
                       checkpoint: str = "last", top: int = 3, steps: int = 50,
                       layer: str | None = None, window: int = 4, stride: int = 2,
                       invert: bool = False, log=print) -> dict:
    """Attributions of a run's model for test images (indices) or image files, overlaid on them
    in a PNG; returns ``{"path", "predictions": [(name, [(class, probability), …top]), …],
    "targets", "layer", "attributions"}``.

    ``method``: "ig" (integrated gradients from a black image, ``steps`` Gauss–Legendre nodes),
    "gradcam" (``layer``, default the last convolution), "saliency" (|gradient|) or
    "occlusion" (a ``window`` × ``window`` square over all channels, moved by ``stride``,
    replaced by black). The attributions explain ``target`` (a class index) or, by default,
    each image's predicted class. ``out``: the PNG (default RUN/explanations/<first>-<method>.png).
    """
    from .. import no_grad
    from ..training import Run
    from ..training.runs.results import softmax
    from .gradcam import grad_cam
    from .gradients import saliency
    from .integrated import integrated_gradients
    from .occlusion import occlusion
    from .plot import plot

    if method not in CLI_METHODS:
        raise ValueError(f"unknown method {method!r}; the methods are {', '.join(CLI_METHODS)}")
    if top < 1:
        raise ValueError(f"--top must be ≥ 1, got {top}")
    run = Run.open(run_dir, checkpoint, compile=False, log=log)
    model, config = run.model, run.config
    names, x, labels = load_inputs(run, items, invert)
    with no_grad():
        _, scores = C.forward("explain_prediction", model, x)
    probs = softmax(scores.numpy())
    classes = list(config["classes"])
    predicted = probs.argmax(1)
    targets = (predicted if target is None
               else C.targets("explain_prediction", target, len(x), len(classes)))
    used_layer = None
    if method == "ig":
        attr = integrated_gradients(model, x, targets, baseline=black(config, x.shape[1:]),
                                    steps=steps)
    elif method == "saliency":
        attr = saliency(model, x, targets)
    elif method == "occlusion":
        attr = occlusion(model, x, targets, (x.shape[1], window, window),
                         (x.shape[1], stride, stride), black(config, x.shape[1:]))
    else:
        used_layer = layer or last_conv_layer(model, x)
        attr = grad_cam(model, x, targets, used_layer)
    predictions = []
    for name, p in zip(names, probs):
        order = np.argsort(-p, kind="stable")[:top]
        predictions.append((name, [(classes[int(k)], float(p[k])) for k in order]))
    titles = []
    for name, t, p, label in zip(names, targets, probs, labels):
        truth = f", true {classes[label]}" if label is not None else ""
        titles.append(f"{name}\n{classes[int(t)]} {100 * p[int(t)]:.0f}%{truth}")
    if out is None:
        stem = Path(names[0].split("[")[0]).stem if labels[0] is None else names[0]
        stem = stem.replace("[", "").replace("]", "")
        out = run.dir / "explanations" / f"{stem}-{method}.png"
    sign = "positive" if method in ("gradcam", "occlusion") else "absolute"
    path = plot(x, attr, out, titles=titles, sign=sign)
    return {"path": Path(path), "predictions": predictions, "targets": [int(t) for t in targets],
            "layer": used_layer, "attributions": attr}
