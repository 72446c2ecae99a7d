"""Fractional max pooling (Graham, 2014): max pooling whose windows start at pseudo-random,
increasing positions, so that the output can be any size between the input's and a fixed pool's
(PyTorch's ``F.fractional_max_pool2d`` / ``3d``).

Along an axis of length n pooled with windows of size k into m outputs, one number u ∈ [0, 1)
per sample, channel and axis places the windows:

    α = (n − k)/(m − 1),   startᵢ = ⌊(i + u)·α⌋ − ⌊u·α⌋  (i < m − 1),   start_{m−1} = n − k

and each output is the maximum of its window (the product of the axes' intervals). The
gradient goes to the chosen element, as in max pooling: y = x[index], ∂L/∂x[index] += G.
"""
from __future__ import annotations

from .. import backend as B
from ..amp.autocast_mode import autocast_op
from ..backend import xp
from ..tensor import Tensor
from .indexing import gather
from .movement import reshape


def _tuple(value, n: int, name: str, op: str):
    if value is None:
        return None
    out = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(out) != n:
        raise ValueError(f"{op}: {name} must be one value or {n} values, got {value!r}")
    return out


def _starts(samples, n: int, k: int, m: int, dtype):
    """The windows' first positions, (…, m), from the numbers u (…) in ``dtype`` (PyTorch
    computes α and (i + u)·α in the input's dtype before truncating)."""
    f = xp.dtype(dtype).type
    if m == 1:
        return xp.full(samples.shape + (1,), n - k, dtype=xp.int64)
    alpha = f(n - k) / f(m - 1)
    i = xp.arange(m - 1, dtype=dtype)
    u = samples[..., None].astype(dtype)
    first = ((i + u) * alpha).astype(xp.int64) - (u * alpha).astype(xp.int64)
    last = xp.full(samples.shape + (1,), n - k, dtype=xp.int64)
    return xp.concatenate([first, last], axis=-1)


def _windows(x, kernel, out_size, samples):
    """For x (N, C, *spatial) on the host: the flat index (within each plane) of every output's
    maximum, (N, C, *out_size), chosen as PyTorch's kernel does: scanning the window in order, the
    first maximum, or the last NaN when the window holds NaN."""
    dims = len(kernel)
    spatial = x.shape[2:]
    # PyTorch's order of the numbers u: 2-d (W, H); 3-d (T, H, W)
    axis_of_sample = (1, 0) if dims == 2 else (0, 1, 2)
    positions = []
    for a in range(dims):
        starts = _starts(samples[..., axis_of_sample[a]], spatial[a], kernel[a], out_size[a],
                         x.dtype)
        positions.append(starts[..., :, None] + xp.arange(kernel[a]))     # (N, C, m, k)
    # broadcast every axis's (m, k) into (N, C, m₁, …, m_d, k₁, …, k_d)
    flat = 0
    for a in range(dims):
        shape = [x.shape[0], x.shape[1]] + [1] * (2 * dims)
        shape[2 + a], shape[2 + dims + a] = out_size[a], kernel[a]
        stride = int(xp.prod(spatial[a + 1:])) if a + 1 < dims else 1
        flat = flat + positions[a].reshape(shape) * stride
    flat = flat.reshape(x.shape[0], x.shape[1], *out_size, -1)             # the window, in order
    planes = x.reshape(x.shape[0], x.shape[1], -1)
    values = xp.take_along_axis(planes, flat.reshape(x.shape[0], x.shape[1], -1), axis=2)
    values = values.reshape(flat.shape)
    nan = xp.isnan(values)
    last_nan = flat.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
    first_max = xp.argmax(xp.where(nan, -xp.inf, values), axis=-1)
    pick = xp.where(nan.any(axis=-1), last_nan, first_max)
    return xp.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]


def _fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices,  # noqa: A002
                         _random_samples, dims: int, op: str):
    kernel = _tuple(kernel_size, dims, "kernel_size", op)
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: expected a {dims + 1}-d (C, …) or {dims + 2}-d (N, C, …) input, "
                           f"got shape {tuple(input.shape)}")
    batched = input.ndim == dims + 2
    x = input if batched else input.unsqueeze(0)
    spatial = tuple(x.shape[2:])
    if output_size is None:
        if not isinstance(output_ratio, (tuple, list)):
            raise TypeError(f"{op}: output_ratio must be a tuple of {dims} ratios, got "
                            f"{output_ratio!r} (PyTorch's function takes no single number here; "
                            f"nn.FractionalMaxPool{dims}d does)")
        ratio = _tuple(output_ratio, dims, "output_ratio", op)
        if not all(0 < r < 1 for r in ratio):
            raise ValueError(f"{op}: output_ratio must be between 0 and 1 (got {output_ratio})")
        out_size = tuple(int(n * r) for n, r in zip(spatial, ratio))
    else:
        out_size = _tuple(output_size, dims, "output_size", op)
    names = ("height", "width") if dims == 2 else ("time", "height", "width")
    for n, k, m, name in zip(spatial, kernel, out_size, names):
        # PyTorch's 3-d kernel also refuses windows that exactly fit (m + k − 1 = n)
        if m + k - 1 > n or (dims == 3 and m + k - 1 == n):
            where = f"{op}()" if dims == 2 else f"{op}_out()"
            raise RuntimeError(f"{where}: pool {name} {k} too large relative to input {name} {n} "
                               f"(output {name} {m} + pool {k} − 1 must be "
                               f"{'at most' if dims == 2 else 'less than'} {n})")
    n, c = x.shape[0], x.shape[1]
    if _random_samples is None:
        samples = B.generator().random((n, c, dims))
    else:
        samples = B.to_numpy(_random_samples._data if isinstance(_random_samples, Tensor)
                             else xp.asarray(_random_samples))
        if samples.ndim != 3 or samples.shape[2] != dims:
            raise RuntimeError(f"Expect _random_samples.size(2) equals to {dims}; got "
                               f"{samples.shape[-1] if samples.ndim else 0}.")
        if samples.shape != (n, c, dims):
            raise RuntimeError(f"{op}: _random_samples must have shape ({n}, {c}, {dims}), got "
                               f"{tuple(samples.shape)}")
    host = B.to_numpy(x._data)
    index = _windows(host, kernel, out_size, samples.astype(host.dtype))
    flat_index = Tensor._make(B.asarray_like(index.reshape(n, c, -1), x._data))
    out = reshape(gather(reshape(x, (n, c, -1)), 2, flat_index), (n, c) + out_size)
    indices = Tensor._make(B.asarray_like(index, x._data))
    if not batched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return (out, indices) if return_indices else out


@autocast_op("fractional_max_pool2d")
def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,  # noqa: A002
                          return_indices: bool = False, _random_samples=None):
    """Max pooling over (kh × kw) windows placed at pseudo-random increasing positions, to an
    output of ``output_size`` or ``output_ratio`` × the input's; ``_random_samples`` (N, C, 2)
    in [0, 1) places them (drawn from chainrule's generator when None)."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices,
                                _random_samples, 2, "fractional_max_pool2d")


@autocast_op("fractional_max_pool3d")
def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,  # noqa: A002
                          return_indices: bool = False, _random_samples=None):
    """The 3-d form of :func:`fractional_max_pool2d` (``_random_samples`` (N, C, 3))."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices,
                                _random_samples, 3, "fractional_max_pool3d")


@autocast_op("fractional_max_pool2d")
def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None,  # noqa: A002
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples=None):
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


@autocast_op("fractional_max_pool3d")
def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None,  # noqa: A002
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples=None):
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


__all__ = ["fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]
