"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from __future__ import annotations

from ..backend import xp
from .optimizer import Optimizer


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
    explanation = ("Each coordinate's step is scaled by the inverse of its recent gradient "
                   "magnitude, so steep and flat directions advance at similar speeds.")

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False):
        if alpha < 0:
            raise ValueError(f"Invalid alpha value: {alpha} (it must be ≥ 0)")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, group, param, grad, state):
        lr, alpha, eps, wd, mu = (group[k] for k in ("lr", "alpha", "eps", "weight_decay",
                                                     "momentum"))
        if group["maximize"]:
            grad = -grad
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param)
            if mu > 0:
                state["momentum_buffer"] = xp.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param)
        state["step"] += 1
        if wd != 0:
            grad = grad + wd * param
        s = state["square_avg"]
        s *= alpha
        s += (1 - alpha) * (grad * grad)
        if group["centered"]:
            a = state["grad_avg"]
            a *= alpha
            a += (1 - alpha) * grad
            avg = xp.sqrt(s - a * a)
        else:
            avg = xp.sqrt(s)
        avg += eps
        if mu > 0:
            buf = state["momentum_buffer"]
            buf *= mu
            buf += grad / avg
            param -= lr * buf
        else:
            param -= lr * (grad / avg)
