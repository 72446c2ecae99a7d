"""``chainrule.amp``: automatic mixed precision, as PyTorch's ``torch.amp``.

:class:`autocast` (also ``chainrule.autocast``) runs the operations on PyTorch's CPU autocast
lists in float16 or float32 (chainrule/amp/autocast_mode.py, where the lists are data);
:class:`GradScaler` scales the loss so that float16 gradients do not underflow, and skips the
steps whose gradients overflowed (chainrule/amp/grad_scaler.py).
"""
from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler, OptState

__all__ = ["autocast", "GradScaler", "OptState", "is_autocast_available", "autocast_mode",
           "grad_scaler"]
