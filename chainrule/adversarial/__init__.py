"""Adversarial examples: attacks, robustness curves and adversarial training.

    from chainrule.adversarial import fgsm, pgd, robustness_curve, AdversarialTraining

    x_adv = pgd(model, images, labels, eps=0.1, alpha=0.01, steps=40)
    curve = robustness_curve(model, (images, labels), [0, 0.05, 0.1], path="robustness.png")
    model.fit(x, y, epochs=5, callbacks=[AdversarialTraining(eps=0.1, alpha=0.035, steps=7)])

The attacks follow torchattacks 3.5.1 (``FGSM``, ``PGD``, ``PGDL2``): the same images for the
same weights, settings and random start. Each states its mathematics in its docstring and as a
:class:`~chainrule.Formula`: ``fgsm.formula()``, ``pgd.formula("inf")``, ``pgd.formula("2")``,
``AdversarialTraining(...).formula()``. ``attack_run`` is what ``chainrule attack RUN`` does.
"""
from .attacks import attack, fgsm, pgd
from .robustness import (
    RobustnessCurve,
    plot_examples,
    plot_robustness_curve,
    predict_labels,
    robustness_curve,
)
from .training import AdversarialTraining

__all__ = ["fgsm", "pgd", "attack", "robustness_curve", "RobustnessCurve",
           "plot_robustness_curve", "plot_examples", "predict_labels", "AdversarialTraining"]
