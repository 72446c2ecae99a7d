"""Attributions: which parts of an input a model's prediction depends on (the methods of Captum,
with the same definitions).

Each method is a function ``(model, x, target, …)`` of a model returning scores (N, K), a batch
``x`` (N, …) and a target class (one int, or one per sample); it returns a Tensor shaped like
``x`` (Grad-CAM: heatmaps (N, H, W)). Each states its mathematics in its docstring and answers
``formula()`` with a :class:`chainrule.Formula`::

    import chainrule as cr
    from chainrule import interpret

    model.eval()
    attr, delta = interpret.integrated_gradients(model, images, target=labels, steps=128,
                                                 return_convergence_delta=True)
    interpret.plot(images, attr, path="ig.png")
    print(interpret.integrated_gradients.formula())

- :func:`saliency`, :func:`input_x_gradient`, :func:`smoothgrad` (gradients);
- :func:`integrated_gradients` (with :func:`completeness`, :func:`quadrature`);
- :func:`grad_cam` (a layer by its name in ``model.named_modules()``);
- :func:`occlusion` (a sliding window replaced by a baseline);
- :func:`plot` (heatmaps over images, to PNG).

``METHODS`` maps each name to its function (``chainrule explain-prediction`` uses it).
"""
from .gradcam import grad_cam
from .gradients import input_x_gradient, saliency, smoothgrad
from .integrated import Completeness, completeness, integrated_gradients, quadrature
from .occlusion import occlusion
from .plot import heatmap, plot

METHODS = {f.__name__: f for f in (saliency, input_x_gradient, smoothgrad, integrated_gradients,
                                   grad_cam, occlusion)}

__all__ = ["saliency", "input_x_gradient", "smoothgrad", "integrated_gradients", "completeness",
           "Completeness", "quadrature", "grad_cam", "occlusion", "plot", "heatmap", "METHODS"]
