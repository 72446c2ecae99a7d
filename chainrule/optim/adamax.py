"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from .. import backend as B
from .optimizer import Optimizer, advance, bias_correction, lerp_, scalar_tensor, state_tensor


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, §7.1), as PyTorch's ``optim.Adamax``.

    .. code-block:: text

        t ← t + 1;  g ← ∇θ L  (+ λθ if weight_decay; −g if maximize)
        m ← β₁ m + (1 − β₁) g             first moment
        u ← max(β₂ u, |g| + ε)            exponentially weighted infinity norm
        θ ← θ − η/(1 − β₁ᵗ) · m / u

    The L^p generalisation of Adam's v = β₂v + (1 − β₂)|g|² tends, as p → ∞, to a running maximum
    of |g| that needs no bias correction. ε sits inside the maximum (PyTorch's placement), so u > 0.
    """

    text = ("m ← β₁m + (1−β₁)g", "u ← max(β₂u, |g| + ε)", "θ ← θ − η/(1−β₁ᵗ) · m/u")
    latex = (r"m \leftarrow \beta_1 m + (1-\beta_1)\,g",
             r"u \leftarrow \max(\beta_2 u,\ |g| + \epsilon)",
             r"\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\,\frac{m}{u}")
    labels = ("First moment", "Infinity norm", "Update")
    _scalar_state = ("step",)
    explanation = ("Adam's second moment is replaced by a decaying maximum of |g|: each coordinate "
                   "moves at most about η per step, whatever the gradient's scale.")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                            "capturable": False}

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, group, param, grad, state):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        if not state:
            state["step"] = scalar_tensor(0.0)
            state["exp_avg"] = state_tensor(B.zeros_like(param))
            state["exp_inf"] = state_tensor(B.zeros_like(param))
        t = advance(state)
        grad = self._grad(group, param, grad)
        m, u = state["exp_avg"]._data, state["exp_inf"]._data
        work = self._work(param)
        lerp_(m, grad, 1 - beta1, work)                 # m ← β₁m + (1 − β₁)g
        u *= beta2                                      # u ← max(β₂u, |g| + ε)
        B.into("abs", grad, out=work)
        work += eps
        B.into("maximum", u, work, out=u)
        B.into("divide", m, u, out=work)                       # θ ← θ − η/(1 − β₁ᵗ) · m/u
        work *= lr / bias_correction(beta1, t)
        param -= work


__all__ = ["Adamax"]
