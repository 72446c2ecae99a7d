"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from __future__ import annotations

from .. import backend as B
from .optimizer import Optimizer, advance, lerp_, scalar_tensor, state_tensor


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012), as PyTorch's ``optim.RMSprop``.

    .. code-block:: text

        g ← ∇θ L (+ λθ)
        s ← α s + (1 − α) g²                       running mean of g²
        centered:  a ← α a + (1 − α) g;  d ← √(s − a²) + ε   else  d ← √s + ε
        momentum:  b ← μ b + g/d;  θ ← θ − η b      else  θ ← θ − η g/d
    """

    text = ("s ← αs + (1−α)g²", "θ ← θ − η g/(√s + ε)")
    latex = (r"s \leftarrow \alpha s + (1-\alpha)\,g^2",
             r"\theta \leftarrow \theta - \eta\,\frac{g}{\sqrt{s} + \epsilon}")
    labels = ("Mean square", "Update")
    _scalar_state = ("step",)
    explanation = ("Each coordinate's step is scaled by the inverse of its recent gradient "
                   "magnitude, so steep and flat directions advance at similar speeds.")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                            "differentiable": False, "capturable": False}

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False):
        if alpha < 0:
            raise ValueError(f"Invalid alpha value: {alpha} (it must be ≥ 0)")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def _update(self, group, param, grad, state):
        lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
        if not state:
            state["step"] = scalar_tensor(0.0)
            state["square_avg"] = state_tensor(B.zeros_like(param))
            if mu > 0:
                state["momentum_buffer"] = state_tensor(B.zeros_like(param))
            if group["centered"]:
                state["grad_avg"] = state_tensor(B.zeros_like(param))
        advance(state)
        grad = self._grad(group, param, grad)          # −g if maximize, + λθ if weight decay
        work = self._work(param)
        s = state["square_avg"]._data                  # s ← αs + (1 − α)g²
        s *= alpha
        B.into("multiply", grad, grad, out=work)
        work *= 1 - alpha
        s += work
        if group["centered"]:                          # a ← αa + (1 − α)g;  d = √(s − a²)
            a = state["grad_avg"]._data
            lerp_(a, grad, 1 - alpha, work)
            B.into("multiply", a, a, out=work)
            B.into("subtract", s, work, out=work)
            B.into("sqrt", work, out=work)
        else:                                          # d = √s
            B.into("sqrt", s, out=work)
        work += eps
        B.into("divide", grad, work, out=work)                # g/(d + ε)
        if mu > 0:                                     # b ← μb + g/(d + ε);  θ ← θ − ηb
            buf = state["momentum_buffer"]._data
            buf *= mu
            buf += work
            B.into("multiply", buf, lr, out=work)
        else:
            work *= lr
        param -= work
