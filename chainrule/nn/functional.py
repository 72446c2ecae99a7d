"""The stateless form of every layer (PyTorch's ``torch.nn.functional``).

Layers call these; these call primitives. Each family's functions live beside its primitives in
chainrule/ops/ and are gathered here.
"""
from ..ops import elu, gelu, leaky_relu, linear, relu, sigmoid, silu, softplus, tanh
from ..ops import log_softmax as _log_softmax
from ..ops import softmax as _softmax


def softmax(input, dim: int = -1):  # noqa: A002  (PyTorch's argument name)
    return _softmax(input, axis=dim)


def log_softmax(input, dim: int = -1):  # noqa: A002
    return _log_softmax(input, axis=dim)


__all__ = ["elu", "gelu", "leaky_relu", "linear", "relu", "sigmoid", "silu", "softplus", "tanh",
           "softmax", "log_softmax"]
