"""``torch.gradient``: estimates of the partial derivatives of a function from its samples
(second-order central differences inside, first- or second-order one-sided differences at the
ends), written operation for operation as ATen's ``gradient_helper`` and
``gradient_helper_float`` so that the values agree with PyTorch's to the bit. A composition of
slices, arithmetic and ``cat``: differentiable in the samples (and in coordinate tensors).
"""
from __future__ import annotations

from ..tensor import Tensor


def _dims(input, dim) -> list:  # noqa: A002
    ndim = input.ndim
    if dim is None:
        return list(range(ndim))
    dims = [dim] if isinstance(dim, int) else list(dim)
    wrapped = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})")
        w = d % max(ndim, 1)
        if w in wrapped:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        wrapped.append(w)
    return wrapped


def _part(x, d: int, start, stop=None):
    """x[..., start:stop, ...] along dim d (PyTorch's at::slice)."""
    return x[(slice(None),) * d + (slice(start, stop),)]


def gradient(input, *, spacing=1, dim=None, edge_order: int = 1):  # noqa: A002
    r"""Estimates of ∂f/∂xᵢ from samples ``input`` of f, one tensor per dimension in ``dim``
    (all by default), as ``torch.gradient``: a tuple of tensors shaped as input.

    Forward (interior, second-order central differences; hₗ, hᵣ the steps to the neighbours):
        f′(x) ≈ (hₗ² f(x+hᵣ) − hᵣ² f(x−hₗ) + (hᵣ² − hₗ²) f(x)) / (hᵣhₗ² + hᵣ²hₗ)
    with uniform steps h this is (f(x+h) − f(x−h)) / 2h. The ends: one-sided differences of
    first order (``edge_order=1``) or second order (``edge_order=2``).

    ``spacing``: a number (the step of every dimension), a list of numbers (one step per
    dimension), or a list of 1-d tensors (the coordinates of the samples along each dimension).
    Derivative: linear in input (and differentiable in coordinate tensors): the operations'
    own. The arithmetic is PyTorch's, operation for operation, so the values agree to the bit.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"gradient(): argument 'input' must be Tensor, not {type(input).__name__}")
    if isinstance(spacing, Tensor):
        raise TypeError("gradient(): spacing must be a number, a list of numbers or a list of "
                        "1-d tensors, not a Tensor")
    dims = _dims(input, dim)
    if spacing is None:
        spacing = 1
    if isinstance(spacing, (int, float)):              # a number (a bool too) for every dim
        spacing = [spacing] * len(dims)
    else:
        spacing = list(spacing)
        if dim is None and len(spacing) != input.ndim:
            raise RuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar, or a list of "
                f"length equal to 'self.dim() = {input.ndim}', since dim argument was not "
                f"given, but got a list of length {len(spacing)}")
        if dim is not None and len(spacing) != len(dims):
            raise RuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and "
                f"dim arguments to have the same length, but got a spacing argument of length "
                f"{len(spacing)} and a dim argument of length {len(dims)}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    tensors = any(isinstance(s, Tensor) for s in spacing)
    if tensors and not all(isinstance(s, Tensor) for s in spacing):
        first = next(i for i, s in enumerate(spacing) if not isinstance(s, Tensor))
        raise TypeError(f"expected Tensor as element {first} in argument 1, but got "
                        f"{type(spacing[first]).__name__}")
    step = _with_coordinates if tensors else _with_step
    return tuple(step(input, d, h, edge_order) for d, h in zip(dims, spacing))


def _with_step(x, d: int, h, edge_order: int):
    """ATen's gradient_helper_float for one dimension (a uniform step h)."""
    from .movement import cat

    center = (_part(x, d, 2) - _part(x, d, 0, -2)) / h
    if edge_order == 1:
        prepend = (_part(x, d, 1, 2) - _part(x, d, 0, 1)) / h
        append = (_part(x, d, -1) - _part(x, d, -2, -1)) / h
    else:
        prepend = (_part(x, d, 0, 1) * -1.5 + _part(x, d, 1, 2) * 2
                   - _part(x, d, 2, 3) * 0.5) / h
        append = (_part(x, d, -3, -2) * 0.5 - _part(x, d, -2, -1) * 2
                  + _part(x, d, -1) * 1.5) / h
    return cat([prepend, center / 2, append], d)


def _with_coordinates(x, d: int, coordinates, edge_order: int):
    """ATen's gradient_helper for one dimension (sample coordinates, steps hᵢ = Δcoordinates)."""
    from .calculus import diff
    from .movement import cat

    if coordinates.ndim != 1:
        raise RuntimeError("torch.gradient expected each element of spacing to have one "
                           f"dimension, but got an element with {coordinates.ndim} dimensions!")
    shape = [1] * x.ndim
    shape[d] = -1
    dx = diff(coordinates, 1, 0)
    dx1, dx2 = dx[0:-1], dx[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * _part(x, d, 0, -2) + b * _part(x, d, 1, -1) + c * _part(x, d, 2)
    if edge_order == 1:
        prepend = (_part(x, d, 1, 2) - _part(x, d, 0, 1)) / dx[0]
        append = (_part(x, d, -1) - _part(x, d, -2, -1)) / dx[-1]
    else:
        a = -(2.0 * dx[0] + dx[1]) / (dx[0] * (dx[0] + dx[1]))
        b = (dx[0] + dx[1]) / (dx[0] * dx[1])
        c = (-dx[0]) / (dx[1] * (dx[0] + dx[1]))
        prepend = a * _part(x, d, 0, 1) + b * _part(x, d, 1, 2) + c * _part(x, d, 2, 3)
        a = dx[-1] / (dx[-2] * (dx[-1] + dx[-2]))
        b = -(dx[-1] + dx[-2]) / (dx[-1] * dx[-2])
        c = (2 * dx[-1] + dx[-2]) / (dx[-1] * (dx[-1] + dx[-2]))
        append = a * _part(x, d, -3, -2) + b * _part(x, d, -2, -1) + c * _part(x, d, -1)
    return cat([prepend, center, append], d)
