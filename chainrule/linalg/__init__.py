"""``chainrule.linalg``: PyTorch's ``torch.linalg`` names: norms (ops/norms.py); determinants,
inverse and solve (ops/linalg_decompositions.py); Cholesky and the symmetric eigendecomposition
(ops/linalg_eigen.py); QR (ops/linalg_qr.py); the LU family (ops/linalg_lu.py); SVD and
pseudo-inverse (ops/linalg_svd.py); and functions composed of those primitives
(ops/linalg_products.py, ops/linalg_extra.py)."""
from ..ops.linalg_decompositions import LinAlgError, det, inv, inv_ex, slogdet, solve
from ..ops.linalg_eigen import cholesky, eigh, eigvalsh
from ..ops.linalg_extra import (
                                cholesky_ex,
                                cond,
                                diagonal,
                                matmul,
                                matrix_exp,
                                solve_ex,
                                solve_triangular,
                                tensorinv,
                                tensorsolve,
                                vander,
)
from ..ops.linalg_householder import householder_product
from ..ops.linalg_ldl import ldl_factor, ldl_factor_ex, ldl_solve
from ..ops.linalg_lu import lu, lu_factor, lu_factor_ex, lu_solve
from ..ops.linalg_products import cross, lstsq, matrix_power, matrix_rank, multi_dot, vecdot
from ..ops.linalg_qr import qr
from ..ops.linalg_svd import pinv, svd, svdvals
from ..ops.norms import linalg_norm as norm
from ..ops.norms import matrix_norm, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv", "inv_ex", "solve",
           "LinAlgError", "cholesky", "eigh", "eigvalsh", "qr", "svd",
           "svdvals", "pinv", "matrix_power", "multi_dot", "cross", "vecdot",
           "matrix_rank", "lstsq", "matmul", "diagonal", "solve_triangular", "solve_ex",
           "cholesky_ex", "matrix_exp", "vander", "tensorinv", "tensorsolve", "cond",
           "lu_factor", "lu_factor_ex", "lu", "lu_solve"]
__all__ += ["householder_product", "ldl_factor", "ldl_factor_ex", "ldl_solve"]  # round 34

from ..ops.complex_values import eig, eigvals  # noqa: E402  (complex values, no gradient)

__all__ += ["eig", "eigvals"]
