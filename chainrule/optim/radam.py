"""RAdam: Adam with its variance rectified (Liu et al., 2020)."""
from __future__ import annotations

import math

from .. import backend as B
from .optimizer import (
    Optimizer,
    adam_moments_,
    advance,
    bias_correction,
    scalar_tensor,
    state_tensor,
)


class RAdam(Optimizer):
    r"""RAdam, as PyTorch's ``optim.RAdam``.

    .. code-block:: text

        t ← t + 1;  g ← ∇θ L (+ λθ, or θ ← θ(1 − ηλ) if decoupled)
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²;   m̂ = m/(1 − β₁ᵗ)
        ρ∞ = 2/(1 − β₂) − 1,   ρₜ = ρ∞ − 2t β₂ᵗ/(1 − β₂ᵗ)
        ρₜ > 5:  r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)),
                 θ ← θ − η m̂ · r · √(1 − β₂ᵗ)/(√v + ε)
        else:    θ ← θ − η m̂          (too few steps for a trustworthy variance: plain momentum)
    """

    text = ("m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  m̂ = m/(1−β₁ᵗ)",
            "ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ),  r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ))",
            "θ ← θ − η m̂ r √(1−β₂ᵗ)/(√v+ε)  if ρₜ > 5,  else θ ← θ − η m̂")
    latex = (r"m \leftarrow \beta_1 m + (1-\beta_1)g,\quad v \leftarrow \beta_2 v + "
             r"(1-\beta_2)g^2,\quad \hat m = \frac{m}{1-\beta_1^t}",
             r"\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t},\quad r = \sqrt{\frac{"
             r"(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}",
             r"\theta \leftarrow \theta - \eta\,\hat m\,r\,\frac{\sqrt{1-\beta_2^t}}{\sqrt v + "
             r"\epsilon}\ (\rho_t > 5),\quad \theta \leftarrow \theta - \eta\,\hat m\ "
             r"\text{otherwise}")
    labels = ("Moments", "Rectification", "Update")
    _scalar_state = ("step",)
    explanation = ("Adam's adaptive step divides by an estimate of the gradient's spread that is "
                   "unreliable in the first steps; RAdam multiplies it by r, which grows from 0 "
                   "to 1 as ρₜ (the length of the average's memory) grows, and uses plain "
                   "momentum until ρₜ > 5. A built-in warm-up.")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                            "decoupled_weight_decay": False, "capturable": False}

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def _update(self, group, param, grad, state):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        eps, wd = group["eps"], group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        if not state:
            state["step"] = scalar_tensor(0.0)
            state["exp_avg"] = state_tensor(B.zeros_like(param))
            state["exp_avg_sq"] = state_tensor(B.zeros_like(param))
        t = advance(state)
        grad = self._grad(group, param, grad, decoupled=decoupled)
        if wd != 0 and decoupled:
            param *= 1 - lr * wd
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        work, step = self._work(param, 1), self._work(param, 2)
        adam_moments_(m, v, grad, beta1, beta2, work)   # m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²
        correction2 = bias_correction(beta2, t)
        B.into("divide", m, bias_correction(beta1, t), out=step)   # m̂
        step *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            B.into("sqrt", v, out=work)                 # √(1 − β₂ᵗ)/(√v + ε)
            work += eps
            B.into("divide", correction2 ** 0.5, work, out=work)
            step *= work
            step *= rect
        param -= step


__all__ = ["RAdam"]
