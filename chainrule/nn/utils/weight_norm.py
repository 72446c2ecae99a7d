r"""Weight normalization by a forward pre-hook (PyTorch's deprecated
``torch.nn.utils.weight_norm`` / ``remove_weight_norm``; the parametrization form is
``nn.utils.parametrizations.weight_norm``).

Salimans & Kingma (2016) write each weight as a length times a direction:

.. code-block:: text

    w = g · v / ‖v‖             ‖v‖ over every axis but ``dim`` (all axes for dim=None)
    ∂L/∂g = Σ (∂L/∂w) · v/‖v‖    (summed over the axes of the norm)
    ∂L/∂v = (g/‖v‖) · (∂L/∂w − (v/‖v‖) · Σ (∂L/∂w) · v/‖v‖)

so the gradient of v is orthogonal to v, and g alone sets the scale. ``weight_norm(module)``
replaces the parameter ``weight`` by ``weight_g`` (the norms, shape (out, 1, …) for dim=0)
and ``weight_v`` (the direction), and a forward pre-hook recomputes ``module.weight`` (a plain
tensor attribute) before every call.
"""
from __future__ import annotations

import warnings

from ... import linalg
from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter, is_lazy

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def _norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """PyTorch's ``torch.norm_except_dim``: ‖v‖_pow over every axis but ``dim``, kept as axes of
    length 1 (dim = −1: over all axes, a 0-d tensor)."""
    if dim == -1:
        return linalg.vector_norm(v, pow)
    axis = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != axis)
    if not others:
        return v.abs() if pow != 0 else (v != 0).to(v.dtype)
    return linalg.vector_norm(v, pow, dim=others, keepdim=True)


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """PyTorch's ``torch._weight_norm``: w = v · (g / ‖v‖), ‖v‖ = norm_except_dim(v, 2, dim)."""
    return v * (g / _norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` = g · v / ‖v‖ before each call."""

    name: str
    dim: int

    def __init__(self, name: str, dim: int) -> None:
        if dim is None:
            dim = -1
        self.name = name
        self.dim = dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int) -> WeightNorm:
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError("Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        if dim is None:
            dim = -1
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if is_lazy(weight):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, 2, dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace ``module.<name>`` by ``<name>_g`` (magnitude) and ``<name>_v`` (direction),
    w = g · v/‖v‖ recomputed before every forward (norm over all axes but ``dim``; ``dim=None``:
    over the whole tensor). Deprecated in PyTorch (FutureWarning) in favour of
    ``nn.utils.parametrizations.weight_norm``; returns ``module``."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`weight_norm`: ``module.<name>`` becomes a Parameter holding g · v/‖v‖."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
