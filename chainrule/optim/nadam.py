"""NAdam: Adam with Nesterov momentum (Dozat, 2016)."""
from __future__ import annotations

from .. import backend as B
from .optimizer import (
    Optimizer,
    adam_moments_,
    advance,
    bias_correction,
    scalar_tensor,
    state_tensor,
)


class NAdam(Optimizer):
    r"""NAdam, as PyTorch's ``optim.NAdam`` (with its momentum-decay schedule).

    .. code-block:: text

        t ← t + 1;  g ← ∇θ L (+ λθ, or θ ← θ(1 − ηλ) if decoupled)
        μ_t = β₁(1 − ½·0.96^{tψ}),  μ_{t+1} = β₁(1 − ½·0.96^{(t+1)ψ}),  Π_t = Π_{t−1} μ_t
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²;   d = √(v/(1 − β₂ᵗ)) + ε
        θ ← θ − η (1 − μ_t)/(1 − Π_t) · g/d − η μ_{t+1}/(1 − Π_t μ_{t+1}) · m/d
    """

    text = ("m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²",
            "θ ← θ − η[(1−μₜ)/(1−Πₜ) g + μₜ₊₁/(1−Πₜμₜ₊₁) m] / (√v̂ + ε)")
    latex = (r"m \leftarrow \beta_1 m + (1-\beta_1)g,\quad v \leftarrow \beta_2 v + (1-\beta_2)g^2",
             r"\theta \leftarrow \theta - \eta\,\frac{\frac{1-\mu_t}{1-\Pi_t}\,g + "
             r"\frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\,m}{\sqrt{\hat v}+\epsilon}")
    labels = ("Moments", "Update")
    _scalar_state = ("step", "mu_product")
    explanation = ("Nesterov's look-ahead applied to Adam: the update uses the momentum of the "
                   "next step, which reacts sooner when the gradient changes direction.")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"maximize": False, "foreach": None, "capturable": False,
                            "differentiable": False, "decoupled_weight_decay": False}

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False):
        if momentum_decay < 0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update(self, group, param, grad, state):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        eps, wd = group["eps"], group["weight_decay"]
        psi = group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"]
        if not state:
            state["step"] = scalar_tensor(0.0)
            state["mu_product"] = scalar_tensor(1.0)
            state["exp_avg"] = state_tensor(B.zeros_like(param))
            state["exp_avg_sq"] = state_tensor(B.zeros_like(param))
        t = advance(state)
        grad = self._grad(group, param, grad, decoupled=decoupled)
        if wd != 0 and decoupled:
            param *= 1 - lr * wd
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        product = state["mu_product"]._data      # Π ← Π·μ in place, in Π's dtype (PyTorch's
        B.into("multiply", product, product.dtype.type(mu), out=product)   # 0-d tensor *= μ)
        prod = product.item()
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        work, denom = self._work(param, 1), self._work(param, 2)
        adam_moments_(m, v, grad, beta1, beta2, work)   # m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²
        B.into("divide", v, bias_correction(beta2, t), out=denom)  # d = √(v/(1 − β₂ᵗ)) + ε
        B.into("sqrt", denom, out=denom)
        denom += eps
        B.into("divide", grad, denom, out=work)
        work *= lr * (1.0 - mu) / (1.0 - prod)
        param -= work
        B.into("divide", m, denom, out=work)
        work *= lr * mu_next / (1.0 - prod * mu_next)
        param -= work
