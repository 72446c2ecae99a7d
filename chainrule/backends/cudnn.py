"""cuDNN's switches (``torch.backends.cudnn``): recorded; chainrule has no autotuner or TF32.
``is_available()`` is true only where chainrule runs on a GPU through CuPy with its cuDNN."""
from __future__ import annotations

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available() -> bool:
    from .. import cuda

    if not cuda.is_available():
        return False
    try:
        from cupy.cuda import cudnn  # noqa: F401
    except Exception:
        return False
    return True


def version():
    """cuDNN's version number through CuPy, or None without it."""
    if not is_available():
        return None
    from cupy.cuda import cudnn

    return int(cudnn.getVersion())
