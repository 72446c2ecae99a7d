"""Vector normalization, similarity and distance, and one-hot encoding (PyTorch's
``F.normalize``, ``F.cosine_similarity``, ``F.pairwise_distance``, ``F.one_hot``).

All are composites of the p-norm primitive (``vector_norm``, whose gradient at x = 0 is 0, as
PyTorch's), arithmetic and clamping, so their derivatives follow from the chain rule:

    normalize(x)            = x / max(‖x‖_p, ε)                          (along ``dim``)
    cosine_similarity(a, b) = Σ (a / ⌈‖a‖⌉_ε) ⊙ (b / ⌈‖b‖⌉_ε)            (along ``dim``)
    pairwise_distance(a, b) = ‖a − b + ε‖_p                             (along the last dim)

In cosine_similarity, ⌈n⌉_ε is max(n, ε) in value but n in derivative: PyTorch clamps the norms
in place under no_grad, so the gradient flows through the norm as if it had not been clamped.
"""
from __future__ import annotations

import math

from .. import backend as B
from ..amp.autocast_mode import autocast_op
from ..backend import xp
from ..tensor import Tensor, tensor_method
from .arithmetic import add, divide, multiply, subtract
from .binary import clamp_min
from .elementwise import abs, clip, sqrt  # noqa: A004  (the primitive's name)
from .linalg import matmul
from .movement import broadcast_to, concatenate, expand_dims, swapaxes
from .norms import vector_norm
from .promotion import promote
from .reduce import amax
from .reduce import sum as _sum


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):  # noqa: A002
    """x / max(‖x‖_p, eps) along ``dim`` (PyTorch's ``F.normalize``)."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    norm = vector_norm(input, p, dim, True)
    return divide(input, clip(norm, eps, None))


def _clamped_value(norm, eps: float):
    """max(norm, eps) in value, the identity in derivative (PyTorch's in-place no_grad clamp)."""
    data = norm._data
    if type(data) is not xp.ndarray and B.is_foreign_array(data):
        ns = B.namespace(data)
        shift = ns.maximum(data, ns.asarray(eps, dtype=data.dtype, device=data.device)) - data
        if not bool(ns.any(shift)):
            return norm
        return add(norm, Tensor._from_op(shift, None))
    shift = xp.maximum(data, data.dtype.type(eps)) - data
    if not shift.any():
        return norm
    return add(norm, Tensor._from_op(shift, None))


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """Σ_dim (x₁/‖x₁‖)(x₂/‖x₂‖), the norms clamped below at ``eps`` (PyTorch's formula)."""
    if not isinstance(x1, Tensor) or not isinstance(x2, Tensor):
        raise TypeError("cosine_similarity: x1 and x2 must be Tensors")
    try:
        shape = xp.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise RuntimeError(f"cosine_similarity: the shapes of x1 {tuple(x1.shape)} and x2 "
                           f"{tuple(x2.shape)} cannot be broadcast together") from None
    from .movement import broadcast_to
    if tuple(x1.shape) != shape:
        x1 = broadcast_to(x1, shape)
    if tuple(x2.shape) != shape:
        x2 = broadcast_to(x2, shape)
    n1 = _clamped_value(vector_norm(x1, 2, dim, True), eps)
    n2 = _clamped_value(vector_norm(x2, 2, dim, True), eps)
    return _sum(multiply(divide(x1, n1), divide(x2, n2)), dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """‖x₁ − x₂ + eps‖_p along the last dim (PyTorch's ``F.pairwise_distance``)."""
    diff = add(subtract(x1, x2), eps)
    if diff.ndim == 0:
        return vector_norm(diff, p, None, keepdim)
    return vector_norm(diff, p, -1, keepdim)


def one_hot(tensor, num_classes: int = -1):
    """(*) int64 class indices → (*, num_classes) int64 with a 1 at each index (no gradient);
    ``num_classes=-1`` takes max + 1."""
    data = tensor._data if isinstance(tensor, Tensor) else xp.asarray(tensor)
    if type(data) is not xp.ndarray and B.is_foreign_array(data):
        return _one_hot_standard(data, num_classes)
    if data.dtype != xp.int64:
        raise RuntimeError("one_hot: one_hot is only applicable to index tensor of type "
                           f"LongTensor (int64), got {data.dtype}")
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty "
                               "tensor.")
        num_classes = int(data.max()) + 1
    elif num_classes < -1:
        raise RuntimeError(f"one_hot: num_classes should be positive or -1, got {num_classes}")
    if data.size:
        if data.min() < 0:
            raise RuntimeError("one_hot: Class values must be non-negative.")
        if data.max() >= num_classes:
            raise RuntimeError(f"one_hot: Class values must be smaller than num_classes "
                               f"({num_classes}), got {int(data.max())}.")
    out = (data[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._from_op(out, None)


def _one_hot_standard(data, num_classes: int):
    """one_hot of another library's int64 array, with the standard's functions (the same checks
    and messages as the NumPy path)."""
    ns = B.namespace(data)
    if B.numpy_dtype(data.dtype) != xp.int64:
        raise RuntimeError("one_hot: one_hot is only applicable to index tensor of type "
                           f"LongTensor (int64), got {B.numpy_dtype(data.dtype)}")
    size = math.prod(data.shape)
    if num_classes == -1:
        if size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty "
                               "tensor.")
        num_classes = int(ns.max(data)) + 1
    elif num_classes < -1:
        raise RuntimeError(f"one_hot: num_classes should be positive or -1, got {num_classes}")
    if size:
        if int(ns.min(data)) < 0:
            raise RuntimeError("one_hot: Class values must be non-negative.")
        if int(ns.max(data)) >= num_classes:
            raise RuntimeError(f"one_hot: Class values must be smaller than num_classes "
                               f"({num_classes}), got {int(ns.max(data))}.")
    classes = ns.arange(num_classes, dtype=ns.int64, device=data.device)
    return Tensor._from_op(ns.astype(data[..., None] == classes, ns.int64), None)


__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "one_hot"]


# ------------------------------------------------------------------------ distances
_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


@tensor_method
def dist(input, other, p: float = 2) -> Tensor:  # noqa: A002
    """‖input − other‖_p over all elements (broadcast), a 0-d tensor (PyTorch's ``torch.dist``):
    the p-norm of the difference, with the p-norm's gradient (0 at a zero difference)."""
    a, b = promote(input, other, floating=True)[0]
    return vector_norm(subtract(a, b), float(p))


@autocast_op("cdist")
def cdist(x1, x2, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of x1 (…, P, M) and each row of x2 (…, R, M):
    (…, P, R), batch dimensions broadcast (PyTorch's ``torch.cdist``).

    d_ij = (Σ_k |x1_ik − x2_jk|^p)^{1/p};  p = ∞: max_k |x1_ik − x2_jk|;  p = 0: the count of
    differing coordinates. For p = 2 with more than 25 rows on either side (or
    ``compute_mode='use_mm_for_euclid_dist'``) it is PyTorch's matrix-product form,
    d_ij = √max(‖x1_i‖² + ‖x2_j‖² − 2 x1_i·x2_j, 10⁻³⁰), fast but inexact for nearby points, as in
    PyTorch; otherwise the differences themselves. For p = ∞ each coordinate that attains the
    maximum receives the whole gradient g·sign, as PyTorch's backward gives it.
    """
    op = "cdist"
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{op}: {compute_mode!r} is not a valid value for compute_mode; "
                         f"expected one of {_CDIST_MODES}")
    a, b = promote(x1, x2, floating=True)[0]
    if a.ndim < 2 or b.ndim < 2:
        raise RuntimeError(f"{op} only supports at least 2D tensors, X1 got: {a.ndim}D, X2 got: "
                           f"{b.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"{op}: X1 and X2 must have the same number of columns. X1: "
                           f"{a.shape[-1]} X2: {b.shape[-1]} (shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)})")
    if not p >= 0:
        raise RuntimeError(f"{op} only supports non-negative p values, got {p}")
    batch = xp.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    a = broadcast_to(a, batch + tuple(a.shape[-2:]))
    b = broadcast_to(b, batch + tuple(b.shape[-2:]))
    rows1, rows2, width = a.shape[-2], b.shape[-2], a.shape[-1]
    if p == 2 and width and (compute_mode == "use_mm_for_euclid_dist" or (
            compute_mode == _CDIST_MODES[0] and (rows1 > 25 or rows2 > 25))):
        return _euclidean_dist(a, b)
    diff = subtract(expand_dims(a, -2), expand_dims(b, -3))            # (…, P, R, M)
    if p == math.inf:
        return _max_coordinate(diff)
    return vector_norm(diff, float(p), -1)


def _euclidean_dist(a, b):
    """PyTorch's matrix-product form of the Euclidean distances, operation for operation:
    [−2·x1, ‖x1‖², 1] · [x2, 1, ‖x2‖²]ᵀ, clamped at 10⁻³⁰, square-rooted."""
    norm1 = _sum(multiply(a, a), -1, keepdim=True)
    norm2 = _sum(multiply(b, b), -1, keepdim=True)
    left = concatenate([multiply(a, -2.0), norm1, _ones(norm1)], -1)
    right = concatenate([b, _ones(norm2), norm2], -1)
    squared = matmul(left, swapaxes(right, -1, -2))
    return sqrt(clamp_min(squared, 1e-30))


def _ones(t):
    """A constant tensor of ones shaped like ``t``, in t's array library."""
    return Tensor._from_op(B.asarray_like(xp.ones(tuple(t.shape), dtype=B.numpy_dtype(t.dtype)),
                                          t._data), None)


def _max_coordinate(diff):
    """max_k |diff_k| over the last axis, each coordinate at the maximum receiving g·sign(diff_k)
    (PyTorch's cdist backward for p = ∞; a norm's would share g among them)."""
    from .selection import _ValueWithGradientOf

    size = abs(diff)
    largest = amax(size, -1)
    at_max = B.asarray_like(size._data == expand_dims(largest, -1)._data, size._data)
    linear = _sum(multiply(size, Tensor._from_op(B.astype(at_max, size._data.dtype), None)), -1)
    return _ValueWithGradientOf.apply(linear, value=largest._data)


def pdist(input, p: float = 2.0) -> Tensor:  # noqa: A002
    """The p-norm distances between every pair of rows i < j of an (N, M) input, row-major
    (PyTorch's ``F.pdist``): the upper triangle of cdist(x, x), without its diagonal."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D (shape "
                           f"{tuple(input.shape)})")
    if not p >= 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    from .movement import getitem

    x = promote(input, floating=True)[0][0]
    i, j = xp.triu_indices(x.shape[0], 1)
    diff = subtract(getitem(x, i), getitem(x, j))                 # (N(N−1)/2, M)
    if p == math.inf:
        return _max_coordinate(diff)
    return vector_norm(diff, float(p), -1)


def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """y_k = x₁ᵀ W_k x₂ + b_k for each output k (PyTorch's ``F.bilinear``): input1 (…, in1),
    input2 (…, in2), weight (out, in1, in2), bias (out,)."""
    from .products import einsum

    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or \
            input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear: expected weight (out, in1, in2) matching input1 (…, "
                           f"{input1.shape[-1]}) and input2 (…, {input2.shape[-1]}), got "
                           f"weight {tuple(weight.shape)}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear: input1 {tuple(input1.shape)} and input2 "
                           f"{tuple(input2.shape)} must have the same leading dimensions")
    y = einsum("...i,kij,...j->...k", input1, weight, input2)
    return y if bias is None else add(y, bias)


@tensor_method(inplace=True)
def renorm(input, p: float, dim: int, maxnorm: float) -> Tensor:  # noqa: A002
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to it (PyTorch's
    ``torch.renorm``): x · maxnorm/(‖x‖_p + 10⁻⁷) where ‖x‖_p > maxnorm, x elsewhere; the
    gradient flows through the norm, as PyTorch's renorm_backward."""
    from .selection import where

    if not p > 0:
        raise RuntimeError(f"renorm: non-positive norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim}")
    d = dim % input.ndim
    others = tuple(a for a in range(input.ndim) if a != d)
    norm = vector_norm(input, float(p), others, True)
    scaled = multiply(input, divide(float(maxnorm), add(norm, 1e-7)))
    big = Tensor._from_op(norm._data > maxnorm, None)
    return where(big, scaled, input)
