"""Covariance and correlation of variables observed together (PyTorch's ``torch.cov`` and
``torch.corrcoef``): compositions of means and a matrix product.

    cov(X)_ij = Σ_k w_k (X_ik − μ_i)(X_jk − μ_j) / (Σ_k w_k − correction·(normaliser)),
    μ_i = Σ_k w_k X_ik / Σ_k w_k,    corrcoef(X)_ij = cov_ij / √(cov_ii cov_jj), clipped to [−1, 1]

with rows of X the variables and columns the observations, and w = fweights·aweights (1 when
neither is given; with aweights the correction term is correction·Σ w a / Σ w, as PyTorch's).
"""
from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor, tensor_method
from .arithmetic import divide, multiply, subtract
from .complex_checks import complex_dtype, refuse_complex
from .complex_grad import make_complex
from .elementwise import clip, sqrt
from .linalg import matmul
from .movement import expand_dims, reshape, swapaxes
from .promotion import to_float
from .reduce import sum as _sum
from .scatter_views import conj, imag, real


@tensor_method
def cov(input, *, correction: int = 1, fweights=None, aweights=None):  # noqa: A002
    """The covariance matrix of the rows of ``input`` (a 1-d input is one variable)."""
    if input.ndim > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an "
                         f"input with {input.ndim} dimensions")
    x = to_float(input)
    real_dtype = _real_dtype(x)
    if x.ndim < 2:
        x = reshape(x, (1, -1))
    n = x.shape[1]
    weights = None
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is None:
            continue
        if w.ndim > 1 or w.shape[0] != n:
            raise ValueError(f"cov(): expected {name} to have one dimension of size {n} (the "
                             f"number of observations), got shape {tuple(w.shape)}")
        if name == "aweights":
            refuse_complex("cov", w, reason="aweights must be real (floating point)",
                           error=RuntimeError)
        w = w.to(real_dtype) if w.dtype != real_dtype else w
        weights = w if weights is None else multiply(weights, w)
    if weights is None:
        total = float(n)
        mean = divide(_sum(x, 1, keepdim=True), total)
        norm = total - correction
    else:
        total = _sum(weights)
        mean = divide(_sum(multiply(x, weights), 1, keepdim=True), total)
        if correction == 0:
            norm = total
        elif aweights is None:
            norm = subtract(total, correction)
        else:
            norm = subtract(total, divide(multiply(_sum(multiply(weights, aweights.to(real_dtype))),
                                                   correction), total))
    centred = subtract(x, mean)
    right = centred if weights is None else multiply(centred, weights)
    if complex_dtype(right) is not None:        # Σ (X_ik − μ_i) conj(X_jk − μ_j), PyTorch's
        right = conj(right)
    out = matmul(centred, swapaxes(right, 0, 1))
    norm = max(norm, 0.0) if not isinstance(norm, Tensor) else clip(norm, 0.0, None)
    out = divide(out, norm)
    # PyTorch squeezes the result: one variable gives a 0-d tensor
    return reshape(out, tuple(s for s in out.shape if s != 1))


@tensor_method
def corrcoef(input):  # noqa: A002
    """Pearson's correlation coefficients of the rows of ``input``: cov_ij / √(cov_ii cov_jj),
    clipped to [−1, 1] (complex inputs: the real and imaginary parts each, as PyTorch's)."""
    c = cov(input)
    if c.ndim == 0:
        return divide(c, c)
    std = sqrt(_diagonal(c))
    out = divide(divide(c, expand_dims(std, 1)), expand_dims(std, 0))
    if complex_dtype(out) is not None:
        return make_complex(clip(real(out), -1.0, 1.0), clip(imag(out), -1.0, 1.0))
    return clip(out, -1.0, 1.0)


def _real_dtype(x):
    """The real dtype of ``x``'s values: float64 for complex128, float32 for complex64."""
    return x.real.dtype if complex_dtype(x) is not None else x.dtype


def _diagonal(m):
    from .movement import getitem

    d = xp.arange(m.shape[0])
    return getitem(m, (d, d))
