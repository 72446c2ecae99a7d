"""CUDA switches (``torch.backends.cuda``): TF32 and reduced-precision matmul flags, recorded
(chainrule computes in the dtype it is given)."""
from __future__ import annotations

import types

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)


def is_built() -> bool:
    """Whether chainrule can run on CUDA here (CuPy installed and a GPU present)."""
    from .. import cuda

    return bool(cuda.is_available())


def flash_sdp_enabled() -> bool:
    return False


def mem_efficient_sdp_enabled() -> bool:
    return False


def math_sdp_enabled() -> bool:
    return True


def enable_flash_sdp(enabled: bool) -> None:
    """Recorded only: chainrule's attention is always the plain (math) formula."""


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Recorded only: chainrule's attention is always the plain (math) formula."""


def enable_math_sdp(enabled: bool) -> None:
    """Recorded only: chainrule's attention is always the plain (math) formula."""
