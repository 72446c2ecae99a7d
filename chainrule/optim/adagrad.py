"""Adagrad and Adadelta: step sizes from the accumulated history of squared gradients."""
from __future__ import annotations

from .. import backend as B
from .optimizer import Optimizer, advance, full_like, scalar_tensor, state_tensor


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as PyTorch's ``optim.Adagrad``.

    .. code-block:: text

        t ← t + 1;  g ← ∇θ L (+ λθ);  η_t = η / (1 + (t − 1)·decay)
        s ← s + g²                     the sum of every squared gradient so far
        θ ← θ − η_t g / (√s + ε)
    """

    text = ("s ← s + g²", "θ ← θ − η g/(√s + ε)")
    latex = (r"s \leftarrow s + g^2",
             r"\theta \leftarrow \theta - \eta\,\frac{g}{\sqrt{s}+\epsilon}")
    labels = ("Accumulate", "Update")
    _scalar_state = ("step",)
    explanation = ("Coordinates that have seen large gradients get small steps and rare ones "
                   "large steps; the sum only grows, so the step sizes only shrink.")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                            "fused": None}

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        if lr_decay < 0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay} (it must be ≥ 0)")
        if initial_accumulator_value < 0:
            raise ValueError(f"Invalid initial_accumulator_value: {initial_accumulator_value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:             # PyTorch makes the state here (and again
            for p in group["params"]:               # at a step, where it has been emptied)
                self._init_state(self._state_for(p), group, p._data)

    @staticmethod
    def _init_state(state: dict, group: dict, param) -> None:
        state["step"] = scalar_tensor(0.0)
        state["sum"] = state_tensor(full_like(param, group["initial_accumulator_value"]))

    def _update(self, group, param, grad, state):
        if not state:
            self._init_state(state, group, param)
        t = advance(state)
        grad = self._grad(group, param, grad)          # −g if maximize, + λθ if weight decay
        lr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        work = self._work(param)
        s = state["sum"]._data                         # s ← s + g²
        B.into("multiply", grad, grad, out=work)
        s += work
        B.into("sqrt", s, out=work)                           # θ ← θ − η_t g/(√s + ε)
        work += group["eps"]
        B.into("divide", grad, work, out=work)
        work *= lr
        param -= work


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as PyTorch's ``optim.Adadelta``.

    .. code-block:: text

        g ← ∇θ L (+ λθ)
        s ← ρ s + (1 − ρ) g²
        Δ ← √(u + ε) / √(s + ε) · g        the step has the units of θ
        u ← ρ u + (1 − ρ) Δ²
        θ ← θ − η Δ
    """

    text = ("s ← ρs + (1−ρ)g²", "Δ = √(u + ε)/√(s + ε) · g", "u ← ρu + (1−ρ)Δ²", "θ ← θ − ηΔ")
    latex = (r"s \leftarrow \rho s + (1-\rho)\,g^2",
             r"\Delta = \frac{\sqrt{u+\epsilon}}{\sqrt{s+\epsilon}}\,g",
             r"u \leftarrow \rho u + (1-\rho)\,\Delta^2",
             r"\theta \leftarrow \theta - \eta\,\Delta")
    labels = ("Mean square gradient", "Step", "Mean square step", "Update")
    _scalar_state = ("step",)
    explanation = ("The ratio of RMS past steps to RMS gradients makes the update dimensionally "
                   "consistent, so the learning rate can stay at 1.")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                            "capturable": False}

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False, differentiable: bool = False):
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (it must lie in [0, 1])")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable, foreach=foreach,
                                      differentiable=differentiable))

    def _update(self, group, param, grad, state):
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = scalar_tensor(0.0)
            state["square_avg"] = state_tensor(B.zeros_like(param))
            state["acc_delta"] = state_tensor(B.zeros_like(param))
        advance(state)
        grad = self._grad(group, param, grad)          # −g if maximize, + λθ if weight decay
        s, u = state["square_avg"]._data, state["acc_delta"]._data
        delta, work = self._work(param, 1), self._work(param, 2)
        s *= rho                                       # s ← ρs + (1 − ρ)g²
        B.into("multiply", grad, grad, out=work)
        work *= 1 - rho
        s += work
        B.into("add", s, eps, out=work)                       # Δ = √(u + ε)/√(s + ε) · g
        B.into("sqrt", work, out=work)
        B.into("add", u, eps, out=delta)
        B.into("sqrt", delta, out=delta)
        delta /= work
        delta *= grad
        u *= rho                                       # u ← ρu + (1 − ρ)Δ²
        B.into("multiply", delta, delta, out=work)
        work *= 1 - rho
        u += work
        delta *= group["lr"]                           # θ ← θ − ηΔ
        param -= delta
