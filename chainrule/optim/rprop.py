"""Rprop: resilient backpropagation, steps driven by the sign of the gradient only."""
from __future__ import annotations

from .. import backend as B
from ..backend import xp
from .optimizer import Optimizer, advance, full_like, scalar_tensor, state_tensor


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993), as PyTorch's ``optim.Rprop``.

    .. code-block:: text

        s = sign(gₜ · gₜ₋₁)                       did the gradient keep its sign?
        Δ ← clip(Δ · {η₊ if s > 0, η₋ if s < 0, 1 if s = 0}, Δ_min, Δ_max)
        gₜ ← 0 where s < 0                        after a sign change: no step, and no
                                                  comparison at the next step
        θ ← θ − sign(gₜ) · Δ;   gₜ₋₁ ← gₜ

    Δ starts at lr for every coordinate; (η₋, η₊) = ``etas``, (Δ_min, Δ_max) = ``step_sizes``.
    """

    text = ("Δ ← clip(Δ·η(sign(g·g_prev)), Δmin, Δmax)", "g ← 0 where g·g_prev < 0",
            "θ ← θ − sign(g)·Δ,  g_prev ← g")
    latex = (r"\Delta \leftarrow \operatorname{clip}\big(\Delta\,\eta_{\operatorname{sign}"
             r"(g\,g_{\mathrm{prev}})},\ \Delta_{\min},\ \Delta_{\max}\big)",
             r"g \leftarrow 0 \text{ where } g\,g_{\mathrm{prev}} < 0",
             r"\theta \leftarrow \theta - \operatorname{sign}(g)\,\Delta")
    labels = ("Step sizes", "Sign change", "Update")
    _scalar_state = ("step",)
    explanation = ("Only the sign of the gradient is used: each coordinate's step grows by η₊ "
                   "while the sign holds and shrinks by η₋ when it flips (an overshoot).")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                            "capturable": False}

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False):
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]} (Rprop needs "
                             "0 < etaminus < 1 < etaplus)")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _update(self, group, param, grad, state):
        etaminus, etaplus = group["etas"]
        step_min, step_max = group["step_sizes"]
        if not state:
            state["step"] = scalar_tensor(0.0)
            state["prev"] = state_tensor(B.zeros_like(param))
            state["step_size"] = state_tensor(full_like(param, group["lr"]))
        advance(state)
        grad = self._grad(group, param, grad)
        prev, delta = state["prev"]._data, state["step_size"]._data
        if type(param) is xp.ndarray:
            s = xp.sign(grad * prev)
            factor = xp.where(s > 0, etaplus, xp.where(s < 0, etaminus, 1.0)).astype(param.dtype)
            g = xp.where(s < 0, 0, grad).astype(param.dtype)
        else:                       # another array library: the standard's where (η's rounded to
            ns = B.namespace(param)     # the parameter's dtype, as NumPy's astype rounds them)
            s = ns.sign(grad * prev)
            factor = ns.where(s > 0, etaplus, ns.where(s < 0, etaminus, ns.ones_like(param)))
            g = ns.where(s < 0, 0.0, grad)
        delta *= factor
        B.into("clip", delta, step_min, step_max, out=delta)
        work = self._work(param)
        B.into("sign", g, out=work)
        work *= delta
        param -= work
        prev[...] = g


__all__ = ["Rprop"]
