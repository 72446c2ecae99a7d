"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""
from __future__ import annotations

from .. import backend as B
from .. import kernels
from ..autograd.versions import bump
from .optimizer import Optimizer, state_tensor


class SGD(Optimizer):
    r"""SGD (PyTorch's ``optim.SGD``; its algorithm, step for step).

    .. code-block:: text

        g ← ∇θ L                       (−∇θ L if maximize)
        if λ ≠ 0:  g ← g + λθ          (L2 penalty λ/2‖θ‖² folded into the gradient)
        if μ ≠ 0:
            b ← g at the first step, else b ← μ b + (1 − τ) g
            g ← g + μ b  if nesterov,  else g ← b
        θ ← θ − η g
    """

    text = ("b ← μ b + (1 − τ) g", "θ ← θ − η b   (Nesterov: θ ← θ − η (g + μ b))")
    latex = (r"b \leftarrow \mu b + (1-\tau)\, g",
             r"\theta \leftarrow \theta - \eta\, b \quad(\text{Nesterov: } "
             r"\theta \leftarrow \theta - \eta\,(g + \mu b))")
    labels = ("Momentum", "Update")
    explanation = ("Step against the gradient; momentum averages past gradients so that steps "
                   "along consistent directions grow and oscillating ones cancel.")

    #: what PyTorch's __setstate__ gives a loaded group that lacks these keys, in its order
    _setstate_defaults = {"nesterov": False, "maximize": False, "foreach": None,
                            "differentiable": False, "fused": False}

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _step_group(self, group: dict) -> None:
        if group["momentum"] == 0:      # no state: as PyTorch's, ``state`` gets no entry
            self._step_without_state(group)
        elif not self._step_group_at_once(group):
            super()._step_group(group)

    def _step_without_state(self, group: dict) -> None:
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = p.grad._data
            if grad.shape != p._data.shape:
                raise RuntimeError(f"SGD: gradient of shape {grad.shape} for a parameter of "
                                   f"shape {p._data.shape}")
            self._update(group, p._data, grad, None)
            bump(p._data)   # an in-place change, as in PyTorch: a graph saved before refuses it

    def _step_group_at_once(self, group: dict) -> bool:
        """The group's whole momentum step in one call of the fast extra's kernel, when every
        parameter with a gradient takes the common rule (momentum without dampening, Nesterov,
        weight decay or maximize), has its momentum buffer already (the first step goes
        parameter by parameter) and all arrays are contiguous and of one dtype: the same
        operations as the per-parameter kernel, so the same bits, without ~8 µs of Python per
        parameter (LeNet-5's ten tensors: 88 → 53 µs a step). Returns False where it does not
        apply."""
        mu = group["momentum"]
        if (mu == 0 or group["dampening"] != 0 or group["nesterov"] or group["maximize"]
                or group["weight_decay"] != 0 or not kernels.available()):
            return False
        params = [p for p in group["params"] if p.grad is not None]
        if len(params) < 2:
            return False
        views = self._group_arrays(group, params, ("momentum_buffer",))
        if views is None:
            return False
        _, flat_p, flat_b = views
        grads = [p.grad._data for p in params]
        if any(g.shape != p._data.shape for g, p in zip(grads, params)) or not kernels.takes(
                params[0]._data, *grads, contiguous=True):
            return False
        from ..kernels.sgd import momentum_update_many

        f = params[0]._data.dtype.type
        momentum_update_many(flat_p, tuple(g.reshape(-1) for g in grads), flat_b, f(mu),
                             f(group["lr"]))
        for p in params:
            bump(p._data)   # an in-place change, as in PyTorch: a graph saved before refuses it
        return True

    def _update(self, group, param, grad, state):
        lr, mu = group["lr"], group["momentum"]
        grad = self._grad(group, param, grad)          # −g if maximize, + λθ if weight decay
        work = self._work(param)
        if mu != 0:
            buf = state.get("momentum_buffer")         # None where PyTorch starts it afresh
            if buf is not None:
                buf = buf._data
                if kernels.takes(param, grad, buf, contiguous=True):
                    _fast_update(param, grad, buf, mu, group["dampening"], group["nesterov"], lr)
                    return
            if buf is None:
                buf = B.copy(grad)
                state["momentum_buffer"] = state_tensor(buf)
            else:                                      # b ← μb + (1 − τ)g
                buf *= mu
                if group["dampening"] == 0:
                    buf += grad
                else:
                    B.into("multiply", grad, 1 - group["dampening"], out=work)
                    buf += work
            if group["nesterov"]:                      # step along g + μb
                B.into("multiply", buf, mu, out=work)
                work += grad
                work *= lr
            else:                                      # step along b
                B.into("multiply", buf, lr, out=work)
        else:
            B.into("multiply", grad, lr, out=work)
        param -= work


def _fast_update(param, grad, buf, mu, dampening, nesterov, lr):
    """The momentum step by the one-pass kernel, bit-identical to the NumPy rule."""
    from ..kernels.sgd import momentum_update

    f = param.dtype.type
    momentum_update(param.reshape(-1), grad.reshape(-1), buf.reshape(-1), f(mu),
                    dampening != 0, f(1 - dampening), bool(nesterov), f(lr))
