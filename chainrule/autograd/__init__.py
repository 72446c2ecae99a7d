"""Automatic differentiation: primitives, the reverse-mode engine, transforms and gradcheck."""
from .custom import FunctionCtx, once_differentiable
from .function import Function, Node, primitive
from .functional import grad
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .hooks import detect_anomaly, is_anomaly_enabled, set_detect_anomaly

__all__ = ["Function", "Node", "primitive", "no_grad", "enable_grad", "is_grad_enabled",
           "set_grad_enabled", "grad", "inference_mode",
           "is_inference_mode_enabled", "FunctionCtx", "once_differentiable", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled"]
