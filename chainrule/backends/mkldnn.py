"""oneDNN (``torch.backends.mkldnn``): chainrule does not use it (NumPy's BLAS and its own
kernels compute instead); the switches are recorded."""
from __future__ import annotations

import types

enabled = True
deterministic = False
allow_tf32 = None
matmul = types.SimpleNamespace(fp32_precision="none")
conv = types.SimpleNamespace(fp32_precision="none")


def is_available() -> bool:
    return False
