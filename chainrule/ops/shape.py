"""Rearranging values with PyTorch's signatures: repeat, tile, flip, roll, rot90, diagonals,
triangles, moving and splitting dimensions, stacking, meshgrid and broadcasting.

Each function is a composite of the movement primitives (reshape, transpose, broadcast_to,
concatenate) and getitem, so its gradient moves g back to where each value came from; a value
used several times (repeat, tile, broadcast) receives the sum of its copies' gradients.
"""
from __future__ import annotations

import builtins

from .. import layouts
from ..amp.autocast_mode import autocast_op
from ..backend import asarray_like, is_foreign_array, to_numpy, xp
from ..tensor import Size, Tensor, tensor_method
from . import elementwise as _ew
from .indexing import diagonal_view, getitem, index_put, windows_view
from .movement import _along, broadcast_to, copy, reshape, transpose
from .movement import concatenate as _concatenate
from .movement import squeeze as _squeeze
from .selection import _arr, _wrap


def _sizes(sizes) -> tuple:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list, Size)):
        return tuple(int(s) for s in sizes[0])
    return tuple(int(s) for s in sizes)


def _dims_tuple(dims, ndim, op) -> tuple:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    out = tuple(_wrap(d, ndim, op) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}(): dims {dims} has a repeated dimension")
    return out


# ------------------------------------------------------------------------- repetition
@tensor_method(name="repeat")
def _repeat(input, *sizes):  # noqa: A002
    """``input`` repeated ``sizes[d]`` times along each dim (PyTorch's Tensor.repeat; sizes may
    have more entries than input has dims). As a broadcast: y = reshape(expand(x)), and the
    gradient sums the copies."""
    sizes = _sizes(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat(): number of dimensions of repeat dims ({len(sizes)}) can not "
                           f"be smaller than number of dimensions of tensor ({input.ndim})")
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    inter = tuple(v for s in shape for v in (1, s))
    target = tuple(v for r, s in zip(sizes, shape) for v in (r, s))
    x = broadcast_to(reshape(input, inter), target)
    # (a copy of its own, as PyTorch's: never the broadcast view a reshape may leave)
    return reshape(x, tuple(r * s for r, s in zip(sizes, shape))).contiguous()


@tensor_method
def tile(input, dims):  # noqa: A002
    """``repeat`` with ``dims`` padded with leading 1s to input's number of dims."""
    dims = tuple(dims) if isinstance(dims, (tuple, list, Size)) else (dims,)
    return _repeat(input, (1,) * (input.ndim - len(dims)) + dims)


@tensor_method
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place; with a single
    tensor argument, the indices 0, 1, … repeated by its values (in its integer dtype, as
    PyTorch)."""
    if repeats is None:     # (counts read on the host: the result's size depends on them)
        r = _arr(input)
        like = r
        if type(r) is not xp.ndarray and is_foreign_array(r):
            r = to_numpy(r)
        return Tensor._from_op(asarray_like(
            xp.repeat(xp.arange(r.size, dtype=r.dtype), r), like), None)
    if dim is None:
        input, dim = reshape(input, (-1,)), 0
    base = reshape(input, (1,)) if input.ndim == 0 else input
    dim = _wrap(dim, base.ndim, "repeat_interleave")
    r = _arr(repeats) if isinstance(repeats, Tensor) else xp.asarray(repeats)
    if type(r) is not xp.ndarray and is_foreign_array(r):
        r = to_numpy(r)     # the repeat counts set the result's size: read on the host
    r = r.reshape(-1) if isinstance(repeats, Tensor) else r
    if r.size and (r < 0).any():
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    n = base.shape[dim]
    if r.ndim == 1 and r.size not in (1, n):
        raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input along "
                           f"dim {dim} ({n}), got {r.size}")
    idx = xp.repeat(xp.arange(n), r.reshape(-1) if r.size == n else int(r.reshape(-1)[0]))
    return layouts.relaid(getitem(base, _along(dim, idx)))     # row-major, as PyTorch's


# ------------------------------------------------------------------------- views by shape
@tensor_method
def view_as(input, other):  # noqa: A002
    return reshape(input, tuple(other.shape))


@tensor_method
def reshape_as(input, other):  # noqa: A002
    return reshape(input, tuple(other.shape))


@tensor_method
def narrow(input, dim: int, start, length: int):  # noqa: A002
    """The slice ``start : start + length`` along ``dim`` (start may be negative)."""
    dim = _wrap(dim, input.ndim, "narrow")
    size = input.shape[dim]
    start = int(start)
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}) of dim {dim}")
    return getitem(input, _along(dim, start, start + length))


@tensor_method(name="t")
def t(input):  # noqa: A002
    """The transpose of a matrix; 0-d and 1-d tensors are returned as they are."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return transpose(input) if input.ndim == 2 else reshape(input, tuple(input.shape))


@tensor_method(name="unfold")
def _unfold(input, dimension: int, size: int, step: int):  # noqa: A002
    """Sliding windows: dim ``dimension`` becomes the window count (L − size)//step + 1 and a new
    last dim of length ``size`` holds each window (Tensor.unfold)."""
    base = reshape(input, (1,)) if input.ndim == 0 else input
    d = _wrap(dimension, base.ndim, "unfold")
    length = base.shape[d]
    if size > length or size < 0:
        raise RuntimeError(f"unfold(): maximum size for tensor at dimension {d} is {length} but "
                           f"size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold(): step is {step} but must be > 0")
    out = windows_view(base, d, size, step)     # a view, as PyTorch's unfold
    return reshape(out, (size,)) if input.ndim == 0 else out


# ------------------------------------------------------------------------- flips and rolls
@tensor_method
def flip(input, dims):  # noqa: A002
    """The order of the entries reversed along each of ``dims``."""
    dims = _dims_tuple(dims, input.ndim, "flip")
    if input.ndim == 0 or (type(input._data) is not xp.ndarray and 0 in tuple(input.shape)):
        return copy(input)      # (the standard refuses a reversed slice of an empty axis)
    index = tuple(builtins.slice(None, None, -1) if a in dims else builtins.slice(None)
                  for a in range(input.ndim))
    # a new tensor, as PyTorch's flip (a reversed view would share memory with input: an
    # in-place change of either would show in the other)
    return copy(getitem(input, index))


@tensor_method
def fliplr(input):  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError("fliplr(): Input must be >= 2-d.")
    return flip(input, (1,))


@tensor_method
def flipud(input):  # noqa: A002
    if input.ndim < 1:
        raise RuntimeError("flipud(): Input must be >= 1-d.")
    return flip(input, (0,))


@tensor_method
def roll(input, shifts, dims=None):  # noqa: A002
    """Entries shifted cyclically by ``shifts`` along ``dims`` (flattened when dims is None)."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll(): shifts {shifts} need dims")
        return reshape(roll(reshape(input, (-1,)), shifts, 0), tuple(input.shape))
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(dims) != len(shifts):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims: {len(dims)}")
    out = input
    for s, d in zip(shifts, dims):
        d = _wrap(d, input.ndim, "roll")
        if input.ndim == 0:
            continue
        n = input.shape[d]
        if n:
            out = getitem(out, _along(d, (xp.arange(n) - s) % n))
    # PyTorch rolls by cat: channels-last stays so, anything else comes out row-major
    return layouts.relaid(out, layouts.as_suggested, input._data) if out is not input else out


@tensor_method
def rot90(input, k: int = 1, dims=(0, 1)):  # noqa: A002
    """A quarter turn, k times, in the plane of ``dims`` (from the first towards the second)."""
    dims = tuple(dims)
    if len(dims) != 2 or input.ndim < 2:
        raise RuntimeError(f"rot90(): expected total rotation dims == 2 and total dims >= 2, "
                           f"got dims {dims} for a {input.ndim}-d tensor")
    a, b = _dims_tuple(dims, input.ndim, "rot90")
    k %= 4
    order = list(range(input.ndim))
    order[a], order[b] = order[b], order[a]
    if k == 1:
        return transpose(flip(input, (b,)), order)
    if k == 2:
        return flip(input, (a, b))
    if k == 3:
        return transpose(flip(input, (a,)), order)
    return copy(input)


# ------------------------------------------------------------------------- diagonals
@tensor_method
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):  # noqa: A002
    """The entries (i, i + offset) of the planes (dim1, dim2), as a new last dimension."""
    a, b = _wrap(dim1, input.ndim, "diagonal"), _wrap(dim2, input.ndim, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal(): dim1 and dim2 cannot be identical, got {dim1}, {dim2}")
    return diagonal_view(input, offset, a, b)      # a view, as PyTorch's diagonal


@tensor_method
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):  # noqa: A002
    """Each last-dim vector of input placed on the diagonal ``offset`` of a new square matrix in
    the dims (dim1, dim2) of the output (which has one more dim)."""
    nd = input.ndim + 1
    a, b = _wrap(dim1, nd, "diag_embed"), _wrap(dim2, nd, "diag_embed")
    if a == b:
        raise RuntimeError(f"diag_embed(): dim1 and dim2 cannot be identical, got {dim1}, {dim2}")
    base = reshape(input, (1,)) if input.ndim == 0 else input
    n = base.shape[-1]
    m = n + builtins.abs(offset)
    zeros = xp.zeros(tuple(base.shape[:-1]) + (m, m), dtype=input.dtype)
    if type(input._data) is not xp.ndarray:     # the zeros in the input's library
        zeros = asarray_like(zeros, input._data)
    zeros = Tensor._from_op(zeros, None)
    i = xp.arange(n)
    out = index_put(zeros, (Ellipsis, i - builtins.min(offset, 0), i + builtins.max(offset, 0)),
                    base)
    return movedim(out, (nd - 2, nd - 1), (a, b)).contiguous()    # row-major, as PyTorch's


@tensor_method
def diag(input, diagonal: int = 0):  # noqa: A002
    """A 1-d input → the square matrix with it on diagonal ``diagonal``; a 2-d input → that
    diagonal of it."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:      # (PyTorch's diag copies the diagonal out: a row-major result)
        return globals()["diagonal"](input, diagonal, 0, 1).contiguous()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def _triangle(input, k, lower, op):  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    r, c = input.shape[-2], input.shape[-1]
    mask = xp.tri(r, c, k, dtype=bool) if lower else ~xp.tri(r, c, k - 1, dtype=bool)
    zero = xp.zeros((), dtype=input.dtype)
    if type(input._data) is not xp.ndarray:     # host constants into the input's library
        mask, zero = asarray_like(mask, input._data), asarray_like(zero, input._data)
    return _ew.where(mask, input, Tensor._from_op(zero, None))


@tensor_method(inplace=True)
def tril(input, diagonal: int = 0):  # noqa: A002
    """The lower triangle (j − i ≤ diagonal) of the last two dims; the rest zero."""
    return _triangle(input, diagonal, True, "tril")


@tensor_method(inplace=True)
def triu(input, diagonal: int = 0):  # noqa: A002
    """The upper triangle (j − i ≥ diagonal) of the last two dims; the rest zero."""
    return _triangle(input, diagonal, False, "triu")


# ------------------------------------------------------------------------- moving dims
@tensor_method
def movedim(input, source, destination):  # noqa: A002
    """Dims ``source`` moved to positions ``destination`` (ints or tuples); others keep order."""
    src = _dims_tuple(source, input.ndim, "movedim")
    dst = _dims_tuple(destination, input.ndim, "movedim")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim(): Invalid source or destination dims: source ({source} "
                           f"dims) should contain the same number of dims as destination "
                           f"({destination} dims)")
    if input.ndim == 0:
        return reshape(input, ())
    rest = iter(d for d in range(input.ndim) if d not in src)
    placed = dict(zip(dst, src))
    return transpose(input, [placed[i] if i in placed else next(rest) for i in range(input.ndim)])


moveaxis = movedim
tensor_method(movedim, name="moveaxis")


@tensor_method
def swapdims(input, dim0: int, dim1: int):  # noqa: A002
    order = list(range(input.ndim))
    a, b = _wrap(dim0, input.ndim, "swapdims"), _wrap(dim1, input.ndim, "swapdims")
    if input.ndim == 0:
        return reshape(input, ())
    order[a], order[b] = order[b], order[a]
    return transpose(input, order)


swapaxes = swapdims


@tensor_method
def unflatten(input, dim: int, sizes):  # noqa: A002
    """Dim ``dim`` split into ``sizes`` (one may be −1)."""
    d = _wrap(dim, input.ndim, "unflatten")
    shape = tuple(input.shape)
    return reshape(input, shape[:d] + tuple(sizes) + shape[d + 1:])


def squeeze(input, dim=None, *, axis=None):  # noqa: A002
    """Size-1 dims removed (only those in ``dim``, an int or a tuple, when given)."""
    dim = axis if dim is None else dim
    if dim is not None and input.ndim:
        dim = _dims_tuple(dim, input.ndim, "squeeze")
    return _squeeze(input, dim)


# ------------------------------------------------------------------------- splitting
@tensor_method
def unbind(input, dim: int = 0):  # noqa: A002
    """The slices along ``dim``, as a tuple."""
    d = _wrap(dim, input.ndim, "unbind")
    if input.ndim == 0:
        raise IndexError("unbind(): dimension specified as 0 but tensor has no dimensions")
    return tuple(getitem(input, _along(d, i)) for i in range(input.shape[d]))


def split(tensor, split_size_or_sections, dim: int = 0):
    """Pieces along ``dim`` (a tuple of slices): an int gives pieces of that size (the last may
    be smaller; an empty dim gives one empty piece); a list gives each piece's size."""
    if tensor.ndim == 0:
        raise RuntimeError("split(): expected a tensor with at least 1 dimension")
    d = _wrap(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0 or (step == 0 and n):
            raise RuntimeError(f"split(): split_size can only be 0 if dimension size is 0, and "
                               f"never negative; got {step} for dimension size {n}")
        count = builtins.max(1, -(-n // step)) if step else 1
        sizes = [step] * (count - 1) + [n - step * (count - 1)]
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if builtins.sum(sizes) != n or builtins.any(v < 0 for v in sizes):
            raise RuntimeError(f"split(): split_with_sizes expects split_sizes to sum exactly to "
                               f"{n} (input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    bounds = [0]
    for v in sizes:
        bounds.append(bounds[-1] + v)
    return tuple(getitem(tensor, _along(d, bounds[i], bounds[i + 1])) for i in range(len(sizes)))


def chunk(input, chunks: int, dim: int = 0):  # noqa: A002
    """At most ``chunks`` pieces of size ⌈n/chunks⌉ along ``dim`` (``chunks`` empty pieces when
    the dim is empty), as a tuple."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = _wrap(dim, input.ndim, "chunk")
    n = input.shape[d]
    if n == 0:
        return tuple(getitem(input, _along(d, 0, 0)) for _ in range(chunks))
    return split(input, -(-n // chunks), d)


@tensor_method
def tensor_split(input, indices_or_sections, dim: int = 0):  # noqa: A002
    """Pieces along ``dim``: ``n`` sections (the first size % n one longer) or cut before each of
    the given indices. Always a tuple of views (slices)."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split(): expected at least a 1-dimensional tensor")
    d = _wrap(dim, input.ndim, "tensor_split")
    size = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = ios.item() if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, got "
                               f"{ios}")
        q, r = divmod(size, ios)
        bounds = [i * q + builtins.min(i, r) for i in range(ios + 1)]
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i) if i >= 0 else size + int(i), 0), size)
                        for i in ios] + [size]
    return tuple(getitem(input, _along(d, bounds[i], builtins.max(bounds[i], bounds[i + 1])))
                 for i in range(len(bounds) - 1))


def _nsplit(input, sections, dim, op, min_dims):  # noqa: A002
    if input.ndim < min_dims:
        raise RuntimeError(f"{op}(): requires a tensor with at least {min_dims} dimension(s), "
                           f"but got a tensor with {input.ndim} dimensions!")
    if isinstance(sections, int) and (sections == 0 or input.shape[dim] % sections):
        raise RuntimeError(f"{op}(): attempted to split along dimension {dim}, but the size of "
                           f"the dimension {input.shape[dim]} is not divisible by the "
                           f"split_size {sections}!")
    return tensor_split(input, sections, dim)


@tensor_method
def hsplit(input, sections):  # noqa: A002
    return _nsplit(input, sections, 1 if input.ndim > 1 else 0, "hsplit", 1)


@tensor_method
def vsplit(input, sections):  # noqa: A002
    return _nsplit(input, sections, 0, "vsplit", 2)


@tensor_method
def dsplit(input, sections):  # noqa: A002
    return _nsplit(input, sections, 2, "dsplit", 3)


# ------------------------------------------------------------------------- joining
def _atleast(tensors, n):
    out = []
    for t in tensors:
        s = tuple(t.shape)
        if len(s) >= n:
            out.append(t)
        elif n == 3 and len(s) == 1:
            out.append(reshape(t, (1,) + s + (1,)))
        elif n == 3 and len(s) == 2:
            out.append(reshape(t, s + (1,)))
        else:
            out.append(reshape(t, (1,) * (n - len(s)) + s))
    return out


def _atleast_api(tensors, n):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and not single:
        tensors = tuple(tensors[0])
    out = _atleast(tensors, n)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    return _atleast_api(tensors, 1)


def atleast_2d(*tensors):
    return _atleast_api(tensors, 2)


def atleast_3d(*tensors):
    return _atleast_api(tensors, 3)


@autocast_op("cat")
def concat(tensors, dim: int = 0, *, axis: int | None = None):
    return _concatenate(tensors, axis=dim if axis is None else axis)


concatenate = concat


def hstack(tensors):
    ts = _atleast(tuple(tensors), 1)
    return _concatenate(ts, axis=0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    return _concatenate(_atleast(tuple(tensors), 2), axis=0)


row_stack = vstack


def dstack(tensors):
    return _concatenate(_atleast(tuple(tensors), 3), axis=2)


def column_stack(tensors):
    ts = [reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors]
    return _concatenate(ts, axis=1)


# ------------------------------------------------------------------------- grids, broadcasting
def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids: output k varies along its own dim (``'xy'`` swaps the first two)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid(): indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid(): Expected 0D or 1D tensor in the tensor list but got "
                               f"a {t.ndim}D tensor")
    sizes = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for t, a in zip(tensors, axes):
        shape = [1] * len(tensors)
        shape[a] = t.numel()
        out.append(broadcast_to(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(out)


def broadcast_shapes(*shapes) -> Size:
    try:
        return Size(xp.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s)
                                          for s in shapes]))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes(): shapes {shapes} cannot be broadcast together "
                           "(aligned from the right, each size must match or be 1)") from None


def broadcast_tensors(*tensors):
    shape = tuple(broadcast_shapes(*[t.shape for t in tensors]))
    return tuple(t if tuple(t.shape) == shape else broadcast_to(t, shape) for t in tensors)


def numel(input) -> int:  # noqa: A002
    return input.numel()


def clone(input, *, memory_format=None):  # noqa: A002
    return input.clone(memory_format=memory_format)


__all__ = ["tile", "repeat_interleave", "narrow", "t", "flip", "fliplr", "flipud", "roll",
           "rot90", "diagonal", "diag_embed", "diag", "tril", "triu", "movedim", "moveaxis",
           "swapdims", "swapaxes", "unflatten", "squeeze", "unbind", "split", "chunk",
           "tensor_split", "hsplit",
           "vsplit", "dsplit", "atleast_1d", "atleast_2d", "atleast_3d", "concat", "concatenate",
           "hstack",
           "vstack", "row_stack", "dstack", "column_stack", "meshgrid", "broadcast_shapes",
           "broadcast_tensors", "numel", "clone"]

