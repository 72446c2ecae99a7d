"""``chainrule.linalg``: PyTorch's ``torch.linalg`` names (norms so far; see ops/norms.py)."""
from ..ops.norms import linalg_norm as norm
from ..ops.norms import matrix_norm, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm"]
