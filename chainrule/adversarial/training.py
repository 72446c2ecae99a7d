r"""Adversarial training (Madry et al. 2018) as a callback of ``fit``.

Madry et al. train on the worst case inside the ε-ball instead of the clean example:

    min_θ  E₍ₓ,ᵧ₎ [ max_{‖δ‖ ≤ ε} L(f_θ(x + δ), y) ]

The inner maximum is approximated by PGD (:func:`~chainrule.adversarial.pgd`) on every training
batch, and the outer minimum is the usual optimizer step on the adversarial batch.
"""
from __future__ import annotations

from ..mathematics import Formula
from ..tensor import Tensor
from ..training.callbacks import Callback
from .attacks import pgd


class AdversarialTraining(Callback):
    r"""Train on PGD adversarial examples: a callback for ``model.fit``.

    .. math:: \min_\theta\ \mathbb E_{(x,y)}\Big[\max_{\lVert\delta\rVert\le\epsilon}
              L(f_\theta(x+\delta), y)\Big]

    min_θ E[max_{‖δ‖≤ε} L(f_θ(x + δ), y)]: before each training step, the batch's inputs are
    replaced by ``pgd(model, x, y, eps, alpha, steps, random_start, norm, clamp=clamp)`` (the
    attack runs with the model in eval mode, which is then restored to training mode for the
    step), so the step is exactly the one a hand-written loop makes::

        for x, y in batches:
            x_adv = pgd(model, x, y, eps, alpha, steps, random_start, norm, clamp=clamp)
            optimizer.zero_grad(); loss_fn(model(x_adv), y).backward(); optimizer.step()

    The loss and metrics that ``fit`` reports for the training batches are then those on the
    adversarial examples (robust training accuracy); validation stays on clean data.
    ``clamp`` is the valid range of the *inputs as fit sees them* ([0, 1] by default; give the
    normalised range, or None, if the data is normalised before the model). Madry et al. use
    random starts and, for MNIST-like data, α ≈ 2.5·ε/steps.

    Example::

        model.fit(x, y, epochs=5, callbacks=[AdversarialTraining(eps=0.1, alpha=0.035,
                                                                 steps=7)])
    """

    def __init__(self, eps: float, alpha: float, steps: int, random_start: bool = True,
                 norm: str = "inf", clamp=(0.0, 1.0)):
        super().__init__()
        self.eps, self.alpha, self.steps = eps, alpha, steps
        self.random_start, self.norm, self.clamp = random_start, norm, clamp
        # the checks of pgd, at construction rather than at the first batch
        from .attacks import _check_clamp, _check_norm, _check_number

        _check_number(eps, "eps", "AdversarialTraining")
        _check_number(alpha, "alpha", "AdversarialTraining", positive=True)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"AdversarialTraining: steps must be an integer ≥ 1, got {steps!r}")
        _check_norm(norm, "AdversarialTraining")
        _check_clamp(clamp, "AdversarialTraining")

    def transform_train_batch(self, x, y):
        if not isinstance(x, Tensor) or y is None:
            raise TypeError("AdversarialTraining needs batches (x, y) with x one Tensor of "
                            f"inputs and y the labels, got x of type {type(x).__name__} and y "
                            f"{'None' if y is None else type(y).__name__}")
        x_adv = pgd(self.model, x, y, self.eps, self.alpha, self.steps, self.random_start,
                    self.norm, clamp=self.clamp)
        return x_adv, y

    def formula(self) -> Formula:
        return Formula.of(
            "Adversarial training (Madry et al.)",
            [("Objective", "min_θ E₍ₓ,ᵧ₎[max_{‖δ‖≤ε} L(f_θ(x + δ), y)]"),
             ("Inner", f"x_adv = PGD(x, y; ε={self.eps:g}, α={self.alpha:g}, "
                       f"steps={self.steps}, norm={self.norm})"),
             ("Outer", "θ ← optimizer step on ∇_θ L(f_θ(x_adv), y)")],
            [r"\min_\theta \mathbb E_{(x,y)}\Big[\max_{\lVert\delta\rVert\le\epsilon}"
             r" L(f_\theta(x+\delta), y)\Big]",
             rf"x_{{adv}} = \mathrm{{PGD}}(x, y;\ \epsilon={self.eps:g},\ \alpha={self.alpha:g},"
             rf"\ {self.steps}\ \text{{steps}})",
             r"\theta \leftarrow \theta - \eta\,\nabla_\theta L(f_\theta(x_{adv}), y)"],
            "The inner maximisation is approximated by PGD on each batch; the outer "
            "minimisation is the optimizer's step on the adversarial batch.")

    def __repr__(self) -> str:
        return (f"AdversarialTraining(eps={self.eps}, alpha={self.alpha}, steps={self.steps}, "
                f"random_start={self.random_start}, norm={self.norm!r}, clamp={self.clamp})")


__all__ = ["AdversarialTraining"]
