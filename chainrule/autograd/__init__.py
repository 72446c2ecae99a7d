"""Automatic differentiation: primitives, the reverse-mode engine, transforms and gradcheck."""
from .function import Function, Node, primitive
from .functional import grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "Node", "primitive", "no_grad", "enable_grad", "is_grad_enabled",
           "set_grad_enabled", "grad"]
