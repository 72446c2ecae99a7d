"""ASGD: stochastic gradient descent with a decaying step and Polyak–Ruppert averaging."""
from __future__ import annotations

from .. import backend as B
from .optimizer import Optimizer, advance, scalar_dtype, scalar_tensor, state_tensor


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992; the schedule of Bottou, 2012), as PyTorch's
    ``optim.ASGD``.

    .. code-block:: text

        t ← t + 1;  g ← ∇θ L  (+ λ_wd θ; −g if maximize)
        θ ← θ (1 − λ ηₜ) − ηₜ g                   decayed SGD step
        θ̄ ← θ̄ + μₜ (θ − θ̄)                      running average (θ̄ = θ while μₜ = 1)
        ηₜ₊₁ = η₀ / (1 + λ η₀ t)^α,   μₜ₊₁ = 1 / max(1, t − t₀)

    The averaged iterate θ̄ is kept in the state as ``ax``; the parameters themselves follow the
    plain SGD iterate, as PyTorch. η and μ are kept, as PyTorch keeps them, in 0-d tensors of the
    default dtype (float32 unless the default is float64; ``load_state_dict`` casts them to the
    parameters' dtype, as PyTorch's does), each new value rounded to the default dtype first.
    """

    text = ("θ ← θ(1 − λη) − η g", "θ̄ ← θ̄ + μ(θ − θ̄)", "η ← η₀/(1 + λη₀t)^α,  μ ← 1/max(1, t − t₀)")
    latex = (r"\theta \leftarrow \theta\,(1 - \lambda\eta_t) - \eta_t\, g",
             r"\bar\theta \leftarrow \bar\theta + \mu_t\,(\theta - \bar\theta)",
             r"\eta_{t+1} = \frac{\eta_0}{(1 + \lambda\eta_0 t)^{\alpha}},\quad "
             r"\mu_{t+1} = \frac{1}{\max(1,\ t - t_0)}")
    labels = ("Update", "Average", "Schedules")
    _scalar_state = ("step", "eta", "mu")
    explanation = ("SGD with a slowly decaying step; after t₀ steps the average of the iterates, "
                   "which converges at the optimal rate, is accumulated in ax.")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                            "capturable": False}

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False):
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, group, param, grad, state):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        if not state:
            state["step"] = scalar_tensor(0.0)
            state["eta"] = scalar_tensor(lr)
            state["mu"] = scalar_tensor(1.0)
            state["ax"] = state_tensor(B.zeros_like(param))
        t = advance(state)
        grad = self._grad(group, param, grad)
        eta, mu = state["eta"].item(), state["mu"].item()
        work = self._work(param)
        param *= 1 - lambd * eta                       # θ ← θ(1 − λη) − ηg
        B.into("multiply", grad, eta, out=work)
        param -= work
        ax = state["ax"]._data
        if mu != 1:                                     # θ̄ ← θ̄ + μ(θ − θ̄)
            B.into("subtract", param, ax, out=work)
            work *= mu
            ax += work
        else:
            ax[...] = param
        rounded = scalar_dtype().type          # PyTorch's eta.copy_(as_tensor(…)), mu.copy_(…):
        state["eta"]._data[...] = rounded(lr / (1 + lambd * lr * t) ** alpha)   # in place, the
        state["mu"]._data[...] = rounded(1 / max(1, t - t0))    # value in the default dtype first


__all__ = ["ASGD"]
