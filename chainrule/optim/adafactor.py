"""Adafactor: Adam-like steps with a factored second moment (Shazeer & Stern, 2018)."""
from __future__ import annotations

from .. import backend as B
from ..backend import xp
from ..tensor import Tensor
from .optimizer import Optimizer, advance, lerp_, scalar_tensor, state_tensor


class Adafactor(Optimizer):
    r"""Adafactor, as PyTorch's ``optim.Adafactor`` (PyTorch 2.13's algorithm, step for step).

    .. code-block:: text

        t ← t + 1;  G ← ∇θ L  (−∇θ L if maximize)
        β̂₂ = 1 − t^τ                    (τ = beta2_decay ≤ 0: the average's memory grows with t)
        ρ = min(η, 1/√t);   α = max(ε₂, RMS(θ)) · ρ         (RMS of θ before the decay)
        θ ← θ (1 − ηλ)                  decoupled weight decay
        θ of ≥ 2 dimensions (factored over the last two, n × m):
            R ← β̂₂ R + (1 − β̂₂) mean_j G²ᵢⱼ            row factor, shape (…, n, 1)
            C ← β̂₂ C + (1 − β̂₂) mean_i G²ᵢⱼ            column factor, shape (…, 1, m)
            V̂ = R C / max(mean_i Rᵢ, ε₁)                rank-one estimate of E[G²]
        θ of 0 or 1 dimensions:
            V̂ ← β̂₂ V̂ + (1 − β̂₂) G²
        U = G / √max(V̂, ε₁²);   Û = U / max(1, RMS(U)/d)            update clipping
        θ ← θ − α Û

    ``eps = (ε₁, ε₂)``: ε₁ = None means the machine epsilon of the parameters' dtype (taken, as
    PyTorch does, from the group's first parameter with a gradient). The averages are PyTorch's
    ``lerp_`` (same rounding). ``lr`` is not a step size here: it caps ρ and scales the weight
    decay. State per parameter: ``step`` (a 0-d float tensor, as PyTorch's), and ``row_var``
    (shape with the last size 1) and ``col_var`` (the second-to-last size 1) for ≥ 2-d
    parameters, ``variance`` otherwise. ``foreach`` is accepted and changes nothing (every update
    is whole-array).
    """

    text = ("β̂₂ = 1 − t^τ,  ρ = min(η, 1/√t),  α = max(ε₂, RMS(θ)) ρ,  θ ← θ(1 − ηλ)",
            "R ← β̂₂R + (1−β̂₂) mean_j G²,  C ← β̂₂C + (1−β̂₂) mean_i G²,  "
            "V̂ = RC / max(mean R, ε₁)   (vectors: V̂ ← β̂₂V̂ + (1−β̂₂)G²)",
            "U = G/√max(V̂, ε₁²),  Û = U / max(1, RMS(U)/d)",
            "θ ← θ − α Û")
    latex = (r"\hat\beta_{2} = 1 - t^{\tau},\quad \rho = \min(\eta, 1/\sqrt t),\quad "
             r"\alpha = \max(\epsilon_2, \mathrm{RMS}(\theta))\,\rho,\quad "
             r"\theta \leftarrow \theta(1-\eta\lambda)",
             r"R \leftarrow \hat\beta_2 R + (1-\hat\beta_2)\,\overline{G^2}^{\,\mathrm{row}},\ "
             r"C \leftarrow \hat\beta_2 C + (1-\hat\beta_2)\,\overline{G^2}^{\,\mathrm{col}},\ "
             r"\hat V = \frac{R\,C}{\max(\bar R, \epsilon_1)}",
             r"U = \frac{G}{\sqrt{\max(\hat V, \epsilon_1^2)}},\quad "
             r"\hat U = \frac{U}{\max(1, \mathrm{RMS}(U)/d)}",
             r"\theta \leftarrow \theta - \alpha\,\hat U")
    labels = ("Schedules", "Factored second moment", "Clipped update", "Update")
    _scalar_state = ("step",)
    explanation = ("Adam's second moment needs one number per weight; for an n × m matrix "
                   "Adafactor keeps only its row and column means (n + m numbers) and rebuilds "
                   "a rank-one estimate from them. Steps are relative to the weights' RMS, "
                   "shrink as 1/√t, and are clipped when the update's RMS exceeds d.")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"foreach": None}

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps=(None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False):
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize))

    def _validate(self, group: dict) -> None:
        """PyTorch's checks and messages."""
        lr, eps = group["lr"], group["eps"]
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= group["beta2_decay"]:
            raise ValueError(f"beta2_decay should be <= 0 but is: {group['beta2_decay']}")
        if len(eps) != 2:
            raise ValueError(f"Adafactor: eps must be a pair (epsilon1 or None, epsilon2), got "
                             f"{eps!r}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= group["d"]:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {group['d']}")
        if not 0.0 <= group["weight_decay"]:
            raise ValueError(f"weight_decay should be >= 0 but is: {group['weight_decay']}")

    def _step_group(self, group: dict) -> None:
        eps1 = group["eps"][0]
        if eps1 is None:        # PyTorch: the first parameter's dtype decides for the group
            first = next((p for p in group["params"] if p.grad is not None), None)
            if first is None:
                return
            eps1 = float(xp.finfo(B.numpy_dtype(first._data.dtype)).eps)
        self._eps1 = eps1
        super()._step_group(group)

    def _update(self, group, param, grad, state):
        if B.dtype_kind(param.dtype) == "c":
            raise RuntimeError("Adafactor does not support complex parameters")
        ns = B.namespace(param)
        factored = param.ndim > 1
        if not state:
            state["step"] = scalar_tensor(0.0)
            if factored:
                row, col = list(param.shape), list(param.shape)
                row[-1] = col[-2] = 1
                state["row_var"] = state_tensor(ns.zeros(tuple(row), dtype=param.dtype))
                state["col_var"] = state_tensor(ns.zeros(tuple(col), dtype=param.dtype))
            else:
                state["variance"] = state_tensor(B.zeros_like(param))
        t = advance(state)
        lr, eps1, eps2 = float(group["lr"]), self._eps1, group["eps"][1]
        weight = t ** group["beta2_decay"]                      # 1 − β̂₂
        rho = min(lr, 1 / t ** 0.5)
        alpha = max(eps2, _rms(param)) * rho
        grad = self._grad(group, param, grad, decoupled=True)   # −g if maximize
        if group["weight_decay"] != 0:
            param *= 1 - lr * group["weight_decay"]
        v_hat = self._work(param, 1)
        B.into("multiply", grad, grad, out=v_hat)                # G²
        if factored:
            row_var, col_var = state["row_var"]._data, state["col_var"]._data
            row_mean = B.total(v_hat, axis=-1, keepdims=True) / param.shape[-1]
            lerp_(row_var, row_mean, weight, self._work(row_var, 2))
            col_mean = B.total(v_hat, axis=-2, keepdims=True) / param.shape[-2]
            lerp_(col_var, col_mean, weight, self._work(col_var, 3))
            scale = B.total(row_var, axis=-2, keepdims=True) / row_var.shape[-2]
            B.into("clip", scale, eps1, None, out=scale)          # max(mean R, ε₁)
            B.into("divide", row_var @ col_var, scale, out=v_hat)  # V̂ = R C / max(mean R, ε₁)
        else:
            variance = state["variance"]._data
            lerp_(variance, v_hat, weight, self._work(param, 2))
            v_hat[...] = variance
        B.into("clip", v_hat, eps1 * eps1, None, out=v_hat)       # U = G / √max(V̂, ε₁²)
        B.into("sqrt", v_hat, out=v_hat)
        B.into("divide", grad, v_hat, out=v_hat)
        update = v_hat
        clip = max(1.0, _rms(update) / group["d"])
        update *= alpha / clip
        param -= update


def _rms(a) -> float:
    """√(mean a²) of a whole array, as a Python float (PyTorch's ``a.norm()/√numel``)."""
    return float(B.total(a * a)) ** 0.5 / a.size ** 0.5


__all__ = ["Adafactor"]
