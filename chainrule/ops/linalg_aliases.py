"""PyTorch's top-level and Tensor-method spellings of the ``torch.linalg`` functions (``torch.det``,
``torch.inverse``, ``Tensor.cholesky``, the older ``torch.svd``/``torch.qr`` forms, ...), each
written on ``chainrule.linalg``. They are not exported from here: ``chainrule/__init__.py`` binds
them (the names and the Tensor methods) where the package's public names are listed.
"""
from __future__ import annotations

from .. import return_types
from ..amp.autocast_mode import autocast_op
from ..backend import dtype_kind, xp
from ..tensor import Tensor
from . import linalg_decompositions as _dec
from . import linalg_eigen as _eig
from . import linalg_extra as _extra
from . import linalg_products as _prod
from . import linalg_qr as _qr
from . import linalg_svd as _svd
from .arithmetic import no_out


def det(input):  # noqa: A002
    """``torch.det`` / ``Tensor.det``: ``linalg.det``."""
    return _dec.det(input)


def logdet(input):  # noqa: A002
    """``torch.logdet`` / ``Tensor.logdet``: log det A; NaN (with a zero gradient) where the
    determinant is negative, −inf where it is zero, as PyTorch; complex A: the complex
    log det A = log|det A| + i·arg(det A), differentiable."""
    from .elementwise import where

    if hasattr(input, "_level"):         # a batched tensor inside chainrule.func.vmap
        from ..func.rules_linalg import on_leading_batch

        return on_leading_batch(logdet, input)
    sign, logabsdet = _dec.slogdet(input)
    if dtype_kind(sign._data.dtype) == "c":    # complex A: the principal log, log|det| + i·arg(det)
        from .complex_values import angle

        value = logabsdet + angle(sign) * 1j
        singular = sign._data == 0          # PyTorch's −inf + nan·i there
        if not singular.any():
            return value
        return where(singular, xp.asarray(complex(-xp.inf, xp.nan), sign._data.dtype), value)
    return where(sign._data < 0, xp.asarray(xp.nan, dtype=sign._data.dtype), logabsdet)


def slogdet(input):  # noqa: A002
    """``torch.slogdet`` / ``Tensor.slogdet``: ``(sign, logabsdet)`` as
    ``torch.return_types.slogdet``."""
    result = _dec.slogdet(input)
    return return_types.slogdet(result.sign, result.logabsdet)


@autocast_op("inverse")
def inverse(input, *, out=None):  # noqa: A002
    """``torch.inverse`` / ``Tensor.inverse``: ``linalg.inv``."""
    no_out("inverse", out)
    return _dec.inv(input)


@autocast_op("cholesky")
def cholesky(input, upper: bool = False, *, out=None):  # noqa: A002
    """``torch.cholesky`` / ``Tensor.cholesky`` (deprecated in PyTorch): ``linalg.cholesky``."""
    return _eig.cholesky(input, upper=upper, out=out)


@autocast_op("cholesky_solve")
def cholesky_solve(input, input2, upper: bool = False, *, out=None):  # noqa: A002
    """``torch.cholesky_solve(B, L, upper=False)``: X with (L Lᵀ) X = B (A = Uᵀ U for
    ``upper=True``). Solved as (L Lᵀ) X = B with the general solve: L is taken as given (as in
    PyTorch's gradient, which reaches L's other triangle too)."""
    no_out("cholesky_solve", out)
    if input.ndim < 2:
        raise RuntimeError(f"cholesky_solve: b should have at least 2 dimensions, but has "
                           f"{input.ndim} dimensions instead")
    return _dec.solve_matrices(_gram(input2, upper), input)


def _gram(factor, upper: bool):
    """L Lᵀ (or Uᵀ U): every entry of the factor enters, as in PyTorch's derivative, which does
    not restrict the factor's gradient to its triangle."""
    return _dec._mT(factor) @ factor if upper else factor @ _dec._mT(factor)


@autocast_op("cholesky_inverse")
def cholesky_inverse(input, upper: bool = False, *, out=None):  # noqa: A002
    """``torch.cholesky_inverse(L, upper=False)``: (L Lᵀ)⁻¹ (or (Uᵀ U)⁻¹), from the factor."""
    no_out("cholesky_inverse", out)
    return _dec.inv(_gram(input, upper))


@autocast_op("pinverse")
def pinverse(input, rcond: float = 1e-15):  # noqa: A002
    """``torch.pinverse`` / ``Tensor.pinverse``: ``linalg.pinv(input, rtol=rcond)``."""
    return _svd.pinv(input, rtol=rcond)


def matrix_power(input, n: int):  # noqa: A002
    """``torch.matrix_power`` / ``Tensor.matrix_power``: ``linalg.matrix_power``."""
    return _prod.matrix_power(input, n)


def matrix_exp(input):  # noqa: A002
    """``torch.matrix_exp`` / ``Tensor.matrix_exp``: ``linalg.matrix_exp``."""
    return _extra.matrix_exp(input)


def cross(input, other, dim=None, *, out=None):  # noqa: A002
    """``torch.cross`` / ``Tensor.cross``: ``linalg.cross`` along ``dim``; with ``dim=None``
    (deprecated in PyTorch) the first axis of size 3 of the broadcast shape."""
    no_out("cross", out)
    if dim is None:
        shape = xp.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        sizes = [i for i, s in enumerate(shape) if s == 3]
        if not sizes:
            raise RuntimeError(f"no dimension of size 3 in input (shapes {tuple(input.shape)} and "
                               f"{tuple(other.shape)})")
        dim = sizes[0]
    return _prod.cross(input, other, dim=dim)


def chain_matmul(*matrices, out=None):
    """``torch.chain_matmul`` (deprecated in PyTorch): ``linalg.multi_dot`` of 2-D matrices (one
    matrix is returned as it is)."""
    no_out("chain_matmul", out)
    for i, m in enumerate(matrices):
        if m.ndim != 2:
            raise RuntimeError(f"chain_matmul(): tensor {i} must be 2D, got {m.ndim}D")
    if len(matrices) == 1:
        return matrices[0].clone()
    return _prod.multi_dot(list(matrices))


@autocast_op("svd")
def svd(input, some: bool = True, compute_uv: bool = True, *, out=None):  # noqa: A002
    """``torch.svd`` / ``Tensor.svd`` (the older form): ``(U, S, V)`` with A = U diag(S) Vᵀ
    (V, not Vh); ``some=True``: reduced; ``compute_uv=False``: U and V are zero-filled, of the
    full shapes (m×m, n×n), as PyTorch."""
    no_out("svd", out)
    if not compute_uv:
        s = _svd.svdvals(input)
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        dtype = xp.dtype(input.dtype)
        return return_types.svd(Tensor._make(xp.zeros(batch + (m, m), dtype)), s,
                                Tensor._make(xp.zeros(batch + (n, n), dtype)))
    u, s, vh = _svd.svd(input, full_matrices=not some)
    return return_types.svd(u, s, _dec._mT(vh))


@autocast_op("qr")
def qr(input, some: bool = True, *, out=None):  # noqa: A002
    """``torch.qr`` / ``Tensor.qr`` (the older form): ``linalg.qr`` with mode 'reduced'
    (``some=True``) or 'complete', as ``torch.return_types.qr``."""
    no_out("qr", out)
    q, r = _qr.qr(input, "reduced" if some else "complete")
    return return_types.qr(q, r)


TOP_LEVEL = ("det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve",
             "cholesky_inverse", "pinverse", "matrix_power", "matrix_exp", "cross", "chain_matmul",
             "svd", "qr")
"""The top-level names (``torch.<name>``) defined here."""

TENSOR_METHODS = ("det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve",
                  "cholesky_inverse", "pinverse", "matrix_power", "matrix_exp", "cross", "svd",
                  "qr")
"""The ``Tensor.<name>`` methods (PyTorch has no ``Tensor.chain_matmul``)."""
