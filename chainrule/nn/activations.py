"""Activation functions as modules (PyTorch's names and arguments).

Each module is a thin wrapper around one primitive; its ``formula()`` is that primitive's, so the
mathematics is stated once, beside the primitive's code.
"""
from __future__ import annotations

from .. import ops
from ..mathematics import Formula
from ..primitives import formula as primitive_formula
from .module import Module


class _Activation(Module):
    primitive = ""     # the registry name of the primitive this module applies
    options: tuple = ()  # names of the constructor arguments passed on to the function

    def forward(self, x):
        fn = getattr(ops, self.primitive)
        kwargs = {k: getattr(self, k) for k in self.options}
        if getattr(self, "inplace", False):  # PyTorch's inplace=True: write into x, return x
            return x._inplace(fn, **kwargs)
        return fn(x, **kwargs)

    def formula(self) -> Formula:
        return primitive_formula(self.primitive)

    def extra_repr(self) -> str:
        parts = [f"{k}={getattr(self, k)!r}" for k in self.options]
        if getattr(self, "inplace", False):
            parts.append("inplace=True")
        return ", ".join(parts)


class ReLU(_Activation):
    """y = max(0, x)."""

    primitive = "relu"

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class LeakyReLU(_Activation):
    """y = x if x > 0 else negative_slope·x."""

    primitive = "leaky_relu"
    options = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace


class ELU(_Activation):
    """y = x if x > 0 else α(eˣ − 1)."""

    primitive = "elu"
    options = ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace


class GELU(_Activation):
    """y = x·Φ(x) (approximate='tanh' for the tanh form)."""

    primitive = "gelu"
    options = ("approximate",)

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate


class SiLU(_Activation):
    """y = x·σ(x)."""

    primitive = "silu"

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class Sigmoid(_Activation):
    """y = 1/(1 + e^{−x})."""

    primitive = "sigmoid"


class Tanh(_Activation):
    """y = tanh x."""

    primitive = "tanh"


class Softplus(_Activation):
    """y = (1/β) ln(1 + e^{βx})."""

    primitive = "softplus"
    options = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold


class Softmax(_Activation):
    """yᵢ = e^{xᵢ}/Σⱼ e^{xⱼ} along ``dim``."""

    primitive = "softmax"

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ops.softmax(x, axis=_default_dim(self.dim, x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(_Activation):
    """Softmax over the channels at each position: (N, C, H, W) or (C, H, W), along dim −3."""

    primitive = "softmax"

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input of shape (N, C, H, W) or (C, H, W), got "
                             f"a {x.ndim}-D input of shape {tuple(x.shape)}")
        return ops.softmax(x, axis=-3)


class LogSoftmax(_Activation):
    """yᵢ = xᵢ − ln Σⱼ e^{xⱼ} along ``dim``."""

    primitive = "log_softmax"

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ops.log_softmax(x, axis=_default_dim(self.dim, x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def _default_dim(dim, x) -> int:
    """PyTorch's legacy choice when dim is None: 0 for 0-, 1- and 3-D input, else 1."""
    if dim is not None:
        return dim
    return 0 if x.ndim in (0, 1, 3) else 1
