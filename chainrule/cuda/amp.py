"""``chainrule.cuda.amp``: PyTorch's deprecated ``torch.cuda.amp`` spellings, each the
``chainrule.amp`` class for device ``'cuda'`` (without a GPU: disabled with PyTorch's
warning)."""
from __future__ import annotations

import warnings

from ..amp.autocast_mode import autocast as _autocast
from ..amp.grad_scaler import GradScaler as _GradScaler
from ..amp.grad_scaler import OptState  # noqa: F401  (as torch.cuda.amp.grad_scaler)
from ..backend import xp

__all__ = ["GradScaler", "autocast"]


class GradScaler(_GradScaler):
    """``chainrule.amp.GradScaler('cuda', ...)`` under PyTorch's old name."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


class autocast(_autocast):  # noqa: N801
    """``chainrule.autocast('cuda', ...)`` under PyTorch's old name."""

    def __init__(self, enabled: bool = True, dtype=xp.float16, cache_enabled: bool = True):
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)
