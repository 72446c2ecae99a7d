"""ASGD: stochastic gradient descent with a decaying step and Polyak–Ruppert averaging."""
from __future__ import annotations

from .. import backend as B
from ..backend import get_default_dtype, xp
from .optimizer import Optimizer


def _scalar(value: float) -> float:
    """``value`` rounded as PyTorch stores η and μ: 0-d tensors of the default dtype (float32
    unless the default is float64), whatever the parameters' dtype."""
    dtype = xp.float64 if xp.dtype(get_default_dtype()) == xp.float64 else xp.float32
    return float(xp.asarray(value, dtype=dtype))


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992; the schedule of Bottou, 2012), as PyTorch's
    ``optim.ASGD``.

    .. code-block:: text

        t ← t + 1;  g ← ∇θ L  (+ λ_wd θ; −g if maximize)
        θ ← θ (1 − λ ηₜ) − ηₜ g                   decayed SGD step
        θ̄ ← θ̄ + μₜ (θ − θ̄)                      running average (θ̄ = θ while μₜ = 1)
        ηₜ₊₁ = η₀ / (1 + λ η₀ t)^α,   μₜ₊₁ = 1 / max(1, t − t₀)

    The averaged iterate θ̄ is kept in the state as ``ax``; the parameters themselves follow the
    plain SGD iterate, as PyTorch.
    """

    text = ("θ ← θ(1 − λη) − η g", "θ̄ ← θ̄ + μ(θ − θ̄)", "η ← η₀/(1 + λη₀t)^α,  μ ← 1/max(1, t − t₀)")
    latex = (r"\theta \leftarrow \theta\,(1 - \lambda\eta_t) - \eta_t\, g",
             r"\bar\theta \leftarrow \bar\theta + \mu_t\,(\theta - \bar\theta)",
             r"\eta_{t+1} = \frac{\eta_0}{(1 + \lambda\eta_0 t)^{\alpha}},\quad "
             r"\mu_{t+1} = \frac{1}{\max(1,\ t - t_0)}")
    labels = ("Update", "Average", "Schedules")
    explanation = ("SGD with a slowly decaying step; after t₀ steps the average of the iterates, "
                   "which converges at the optimal rate, is accumulated in ax.")

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0.0, foreach=None,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False):
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, group, param, grad, state):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        if not state:
            state["step"] = 0
            state["eta"] = _scalar(lr)
            state["mu"] = 1.0
            state["ax"] = B.zeros_like(param)
        state["step"] += 1
        grad = self._grad(group, param, grad)
        eta, mu = float(state["eta"]), float(state["mu"])
        work = self._work(param)
        param *= 1 - lambd * eta                       # θ ← θ(1 − λη) − ηg
        B.into("multiply", grad, eta, out=work)
        param -= work
        ax = state["ax"]
        if mu != 1:                                     # θ̄ ← θ̄ + μ(θ − θ̄)
            B.into("subtract", param, ax, out=work)
            work *= mu
            ax += work
        else:
            ax[...] = param
        t = state["step"]
        state["eta"] = _scalar(lr / (1 + lambd * lr * t) ** alpha)
        state["mu"] = _scalar(1 / max(1, t - t0))


__all__ = ["ASGD"]
