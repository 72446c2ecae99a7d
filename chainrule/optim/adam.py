"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""
from __future__ import annotations

import math

from .. import backend as B
from .. import kernels
from ..autograd.versions import bump
from .optimizer import (
    Optimizer,
    adam_moments_,
    advance,
    bias_correction,
    scalar_tensor,
    state_tensor,
)


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), as PyTorch's ``optim.Adam``.

    .. code-block:: text

        t ← t + 1;  g ← ∇θ L  (+ λθ if weight_decay)
        m ← β₁ m + (1 − β₁) g            first moment (mean of g)
        v ← β₂ v + (1 − β₂) g²           second moment (uncentred variance of g)
        m̂ ← m / (1 − β₁ᵗ);  v̂ ← v / (1 − β₂ᵗ)          bias correction
        (amsgrad: v̂ ← max(v̂_max, v̂), the running maximum)
        θ ← θ − η m̂ / (√v̂ + ε)

    ``decoupled_weight_decay=True`` (PyTorch 2.13) steps as AdamW: the decay θ ← θ(1 − ηλ) is
    applied to the weights instead of adding λθ to g. ``foreach``, ``fused`` and ``capturable``
    are stored and change nothing (see ``optimizer.py``); ``differentiable=True`` is refused.
    """

    text = ("m ← β₁m + (1−β₁)g", "v ← β₂v + (1−β₂)g²", "m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)",
            "θ ← θ − η m̂/(√v̂ + ε)")
    latex = (r"m \leftarrow \beta_1 m + (1-\beta_1)\,g",
             r"v \leftarrow \beta_2 v + (1-\beta_2)\,g^2",
             r"\hat m = \frac{m}{1-\beta_1^t},\quad \hat v = \frac{v}{1-\beta_2^t}",
             r"\theta \leftarrow \theta - \eta\,\frac{\hat m}{\sqrt{\hat v} + \epsilon}")
    labels = ("First moment", "Second moment", "Bias correction", "Update")
    explanation = ("Averages of g and g² start at zero, so early estimates are too small: dividing "
                   "by 1−βᵗ corrects that bias. Dividing by √v̂ gives every coordinate its own "
                   "step size, about η regardless of the gradient's scale.")
    _scalar_state = ("step",)

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"amsgrad": False, "maximize": False, "foreach": None,
                            "capturable": False, "differentiable": False,
                            "decoupled_weight_decay": False, "fused": None}

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _step_group(self, group: dict) -> None:
        if not self._step_group_at_once(group):
            super()._step_group(group)

    def _step_group_at_once(self, group: dict) -> bool:
        """The group's whole step in one call of the fast extra's kernel, when every parameter
        with a gradient takes the common rule (no weight decay, amsgrad or maximize; β₁ > ½), has
        state already (the first step goes parameter by parameter) and the same step count, and
        all arrays are contiguous and of one dtype: the same operations as the per-parameter
        kernel, so the same bits, without ~15 µs of Python per parameter (LeNet-5's ten
        tensors: 0.075 ms against 0.20 ms). Returns False where it does not apply.

        The flat views of the parameters and moments are kept between steps
        (``Optimizer._group_arrays``): only the gradients, new at every step, are checked and
        flattened each time."""
        beta1, beta2 = group["betas"]
        if (group["amsgrad"] or group["maximize"] or group["weight_decay"] != 0
                or 1 - beta1 >= 0.5 or not kernels.available()):
            return False
        params = [p for p in group["params"] if p.grad is not None]
        if len(params) < 2:
            return False
        views = self._group_arrays(group, params, ("exp_avg", "exp_avg_sq"), ("step",))
        if views is None:
            return False
        states, flat_p, flat_m, flat_v, steps = views
        grads = [p.grad._data for p in params]
        t = steps[0].item()
        if any(s.item() != t for s in steps) or any(
                g.shape != p._data.shape for g, p in zip(grads, params)) or not kernels.takes(
                params[0]._data, *grads, contiguous=True):
            return False
        from ..kernels.adam import adam_update_many

        t += 1                              # every step tensor += 1 in place, as PyTorch's
        for s in steps:
            s[...] = t
        t = steps[0].item()
        f = params[0]._data.dtype.type
        adam_update_many(flat_p, tuple(g.reshape(-1) for g in grads), flat_m, flat_v,
                         f(1 - beta1), f(beta2), f(1 - beta2),
                         f(math.sqrt(bias_correction(beta2, t))), f(group["eps"]),
                         f(group["lr"] / bias_correction(beta1, t)))
        for p in params:
            bump(p._data)   # an in-place change, as in PyTorch: a graph saved before refuses it
        return True

    def _update(self, group, param, grad, state):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        eps, wd = group["eps"], group["weight_decay"]
        if not state:
            state["step"] = scalar_tensor(0.0)
            state["exp_avg"] = state_tensor(B.zeros_like(param))
            state["exp_avg_sq"] = state_tensor(B.zeros_like(param))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = state_tensor(B.zeros_like(param))
        t = advance(state)
        decoupled = group["decoupled_weight_decay"]
        grad = self._grad(group, param, grad, decoupled=decoupled)
        if wd != 0 and decoupled:
            param *= 1 - lr * wd
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        vmax = state["max_exp_avg_sq"]._data if group["amsgrad"] else None
        if kernels.takes(param, grad, m, v, contiguous=True) and (
                vmax is None or kernels.takes(param, vmax, contiguous=True)):
            _fast_update(param, grad, m, v, vmax, group["amsgrad"], lr, beta1, beta2, eps, t)
            return
        work = self._work(param)
        adam_moments_(m, v, grad, beta1, beta2, work)   # m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²
        if group["amsgrad"]:
            B.into("maximum", vmax, v, out=vmax)
            v = vmax
        B.into("sqrt", v, out=work)                            # √v̂ + ε = √v/√(1 − β₂ᵗ) + ε
        work /= math.sqrt(bias_correction(beta2, t))
        work += eps
        B.into("divide", m, work, out=work)                    # θ ← θ − η/(1 − β₁ᵗ) · m/(√v̂ + ε)
        work *= lr / bias_correction(beta1, t)
        param -= work


def _fast_update(param, grad, m, v, vmax, amsgrad, lr, beta1, beta2, eps, t):
    """Adam's step by the one-pass kernel, with every constant rounded to the parameter's dtype
    exactly as the NumPy rule's operations round them (bit-identical results)."""
    from ..kernels.adam import adam_update

    f = param.dtype.type
    w1 = 1 - beta1
    flat = [a.reshape(-1) for a in (param, grad, m, v)]
    vmax = flat[3] if vmax is None else vmax.reshape(-1)
    adam_update(*flat, vmax, bool(amsgrad), f(w1), w1 >= 0.5, f(1.0 - w1), f(beta2),
                f(1 - beta2), f(math.sqrt(bias_correction(beta2, t))), f(eps),
                f(lr / bias_correction(beta1, t)))


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

    .. code-block:: text

        θ ← θ (1 − ηλ)                  decay applied to the weights, not mixed into g
        then Adam's update with g = ∇θ L
    """

    text = ("θ ← θ(1 − ηλ)",) + Adam.text
    latex = (r"\theta \leftarrow \theta\,(1 - \eta\lambda)",) + Adam.latex
    labels = ("Decoupled decay",) + Adam.labels
    explanation = ("With Adam, an L2 term in the gradient is divided by √v̂ and so decays "
                   "weights unevenly; AdamW shrinks every weight by the same factor instead.")

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)

    def _fill_group_defaults(self, group: dict) -> None:
        """As PyTorch's AdamW ``__setstate__``: a loaded group's ``decoupled_weight_decay`` is
        True whatever was saved."""
        super()._fill_group_defaults(group)
        group["decoupled_weight_decay"] = True
