"""Grad-CAM (Selvaraju et al., 2017): a layer's feature maps weighted by their average gradient,
upsampled to the input's size (Captum's LayerGradCam + LayerAttribution.interpolate)."""
from __future__ import annotations

import numpy as np

from ..mathematics import Formula
from ..tensor import Tensor
from . import _common as C

GRAD_CAM = Formula.of(
    "grad_cam",
    [("Channel weights", "α_k = (1/(h·w)) Σ_{u,v} ∂f_t/∂A_{k,u,v}"),
     ("Map", "L = ReLU(Σ_k α_k A_k)   (relu=False: Σ_k α_k A_k)"),
     ("Heatmap", "H = bilinear upsampling of L (h, w) → (H, W), align_corners=False")],
    [r"\alpha_k = \frac{1}{hw}\sum_{u,v}\frac{\partial f_t}{\partial A_{k,u,v}}",
     r"L = \mathrm{ReLU}\Big(\sum_k \alpha_k A_k\Big)",
     r"H = \mathrm{upsample}_{\text{bilinear}}(L)"],
    "A are the K feature maps (h × w) that the chosen layer outputs; each channel counts by how "
    "much, on average over its positions, raising it raises the target's score.")


def _layer(op: str, model, layer):
    modules = dict(model.named_modules())
    if isinstance(layer, str):
        if layer not in modules or layer == "":
            names = [n for n in modules if n]
            raise ValueError(f"interpret.{op}: the model has no layer named {layer!r}; the "
                             f"layers (names from model.named_modules()) are: "
                             f"{', '.join(names)}")
        return layer, modules[layer]
    for name, module in modules.items():
        if module is layer:
            return name, module
    raise ValueError(f"interpret.{op}: layer must be a name from model.named_modules() (or "
                     f"one of the model's modules); got {layer!r}")


@C.with_formula(GRAD_CAM)
def grad_cam(model, x, target, layer, relu: bool = True) -> Tensor:
    r"""Grad-CAM heatmaps (N, H, W) for images ``x`` (N, C, H, W).

    Channel weights:  α_k = (1/(h·w)) Σ_{u,v} ∂f_t/∂A_{k,u,v}     (A = the layer's output)
    Map:              L = ReLU(Σ_k α_k A_k)          (``relu=False``: without the ReLU)
    Heatmap:          L upsampled from (h, w) to (H, W), bilinear, align_corners=False
    LaTeX:            L = \mathrm{ReLU}\big(\sum_k \alpha_k A_k\big),\quad
                      \alpha_k = \frac{1}{hw}\sum_{u,v}\partial f_t/\partial A_{k,u,v}

    ``layer``: a name from ``model.named_modules()`` (e.g. ``"features.3"``), whose output is
    (N, K, h, w). Equals Captum's ``LayerGradCam(model, layer).attribute(x, target,
    relu_attributions=relu)`` followed by ``LayerAttribution.interpolate(cam, (H, W),
    interpolate_mode="bilinear")`` and dropping the channel axis. (Captum's own default is
    ``relu_attributions=False``; Grad-CAM's paper applies the ReLU, as ``relu=True`` here.)
    """
    from .. import autograd
    from ..nn import functional as F

    a = C.as_array("grad_cam", x)
    if a.ndim != 4:
        raise ValueError(f"interpret.grad_cam: x must be images (N, C, H, W), got shape "
                         f"{a.shape}")
    name, module = _layer("grad_cam", model, layer)
    captured = []
    handle = module.register_forward_hook(lambda m, args, out: captured.append(out))
    try:
        with C.parameters_frozen(model):
            t, out = C.forward("grad_cam", model, a, requires_grad=True)
    finally:
        handle.remove()
    if len(captured) != 1 or not isinstance(captured[0], Tensor):
        raise ValueError(f"interpret.grad_cam: layer {name!r} ran {len(captured)} times in one "
                         "forward pass (or returned no Tensor); choose a layer that runs once")
    act = captured[0]
    if act.ndim != 4:
        raise ValueError(f"interpret.grad_cam: layer {name!r} outputs shape {tuple(act.shape)}; "
                         "Grad-CAM needs feature maps (N, K, h, w): choose a convolutional "
                         "layer (or the block after one)")
    checked = C.targets("grad_cam", target, a.shape[0], out.shape[1])
    picks = C.one_hot(checked, out.shape[1], out.numpy().dtype)
    (g,) = autograd.grad((out * Tensor._make(picks)).sum(), [act])
    grads, acts = g.numpy(), act.numpy()
    weights = grads.mean(axis=(2, 3), keepdims=True)
    cam = (weights * acts).sum(axis=1, keepdims=True)
    if relu:
        cam = np.maximum(cam, 0)
    heat = F.interpolate(Tensor._make(cam), size=a.shape[2:], mode="bilinear",
                         align_corners=False)
    return C.like(x, heat.numpy()[:, 0])
