r"""Views by explicit geometry (PyTorch's ``as_strided`` family) and storage-level resizing.

A chainrule tensor is a strided NumPy array; its *storage* is the block of memory that the array
(and every view of it) lies in: the array that owns the memory, at the root of the ``.base``
chain. A geometry is a size, a stride (steps in elements, per dim) and a storage offset (in
elements, from the start of the storage): element (i₀, …, iₙ) lies at storage position

    p(i) = storage_offset + Σ_d i_d · stride_d.

- ``x.storage_offset()``: where x's first element lies in its storage; equal to PyTorch's for
  chainrule's views (slices, transpose, narrow, select, diagonal, unfold …).
- ``as_strided(x, size, stride, storage_offset=None)``: the view of x's storage with that
  geometry (offset default: x's own). It is checked to lie within the storage (PyTorch's
  "setStorage: … out of bounds" error) before the view is made, so no memory outside the buffer
  is ever read; writes through it change x, as in PyTorch.
- ``as_strided_scatter(x, src, size, stride, storage_offset=None)``: a copy of x whose storage
  positions of that geometry hold src.
- ``empty_strided`` / ``new_empty_strided``: fresh memory laid out with a given stride.
- ``resize_`` / ``resize_as_``: the tensor becomes the row-major view of ``size`` at its storage
  offset, keeping its storage (a larger size gets a larger storage holding the old bytes).

Arrays of other libraries (CuPy, array_api_strict) expose no storage: there a tensor is taken as
its own row-major storage (offset 0), and the two primitives compute on a NumPy copy and hand
back a new array (the same values; no memory shared with the input).
"""
from __future__ import annotations

import math

from .. import backend as B
from .. import layouts
from ..autograd.function import Function, primitive
from ..autograd.grad_mode import _GradMode
from ..backend import xp
from ..tensor import Tensor, _shape_args, tensor_method
from .indexing import getitem
from .movement import ScatterAdd


# ------------------------------------------------------------------------------ storage geometry
def _host(array, op: str):
    if type(array) is not xp.ndarray:
        raise NotImplementedError(f"{op}: needs the tensor's NumPy memory (strided storage); "
                                  f"arrays of {type(array).__module__} have none")
    return array


def _on_host(forward_or_vjp):
    """Run a NumPy-memory rule on a foreign array (CuPy, array_api_strict) through a row-major
    NumPy copy, and give the result back in the array's library."""
    def run(ctx, first, *rest, **params):
        if type(first) is xp.ndarray or not B.is_foreign_array(first):
            return forward_or_vjp(ctx, first, *rest, **params)
        host = [xp.array(B.to_numpy(a), order="C") if B.is_foreign_array(a) else a
                for a in (first, *rest)]
        out = forward_or_vjp(ctx, *host, **params)
        if isinstance(out, tuple):
            return tuple(None if o is None else B.asarray_like(xp.array(o), first) for o in out)
        return B.asarray_like(xp.array(out), first)
    return staticmethod(run)


def storage_of(array, op: str = "storage") -> tuple:
    """(the storage as a 1-D uint8 array, byte offset of ``array``'s first element in it)."""
    array = _host(array, op)
    root = array
    while True:
        base = root.base
        if not isinstance(base, xp.ndarray):
            # NumPy's own strided views (stride_tricks) hang off a holder whose .base is
            # the array they view
            base = getattr(base, "base", None)
            if not isinstance(base, xp.ndarray):
                break
        root = base
    if root.ndim and (any(s < 0 for s in root.strides) or not _dense(root)):
        raise RuntimeError(f"{op}: this tensor's memory is not one dense block (it is a view of "
                           f"a {type(root.base).__name__}); call .contiguous() first")
    order = sorted(range(root.ndim), key=lambda d: -root.strides[d])
    flat = root.transpose(order).reshape(-1).view(xp.uint8)
    start = flat.__array_interface__["data"][0]
    return flat, array.__array_interface__["data"][0] - start


def _dense(a) -> bool:
    """Whether ``a``'s elements fill one block with no gaps, in some order of its dims."""
    if a.size == 0:
        return True
    expected = a.itemsize
    for d in sorted(range(a.ndim), key=lambda d: a.strides[d]):
        if a.shape[d] != 1:
            if a.strides[d] != expected:
                return False
            expected *= a.shape[d]
    return True


def geometry(array, op: str = "storage") -> tuple:
    """(shape, stride in elements, storage offset in elements) of ``array``."""
    _, offset = storage_of(array, op)
    size = array.itemsize
    return tuple(array.shape), tuple(s // size for s in array.strides), offset // size


def positions(shape, stride, offset: int):
    """The storage position of every element of the geometry (an int64 array of ``shape``)."""
    p = xp.full(tuple(shape), offset, dtype=xp.int64)
    for d, (n, s) in enumerate(zip(shape, stride)):
        view = [1] * len(shape)
        view[d] = n
        p = p + (xp.arange(n, dtype=xp.int64) * s).reshape(view)
    return p


def _check(op: str, size, stride, offset: int, itemsize: int, storage_bytes: int) -> None:
    """PyTorch's checks of a geometry against a storage of ``storage_bytes`` bytes."""
    if len(size) != len(stride):
        raise RuntimeError(f"{op}: mismatch in length of strides and shape (size {list(size)}, "
                           f"stride {list(stride)})")
    if any(n < 0 for n in size):
        raise RuntimeError(f"{op}: sizes must be non-negative, got {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"{op}: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if offset < 0:
        raise RuntimeError(f"{op}: invalid storage offset {offset}")
    if math.prod(size) == 0:
        return
    needed = itemsize * (offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)))
    if needed > storage_bytes:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {itemsize} requiring a storage size of {needed} are out of bounds "
            f"for storage of size {storage_bytes} ({op})")


def _ints(values, what: str, op: str) -> tuple:
    values = _shape_args(tuple(values)) if isinstance(values, (tuple, list)) else (values,)
    try:
        return tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {what} must be a sequence of ints, got {values!r}") from None


def _view(flat, dtype, size, stride, offset: int):
    """The array of that geometry over the storage ``flat`` (bounds already checked)."""
    itemsize = xp.dtype(dtype).itemsize
    if math.prod(size) == 0 and offset * itemsize > flat.size:
        offset = 0          # (an empty view past the storage's end: NumPy needs it inside)
    return xp.ndarray(tuple(size), dtype=dtype, buffer=flat, offset=offset * itemsize,
                      strides=tuple(s * itemsize for s in stride))


def _gather_sum(g, source, target, extent: int, dtype):
    """out[k] = Σ_{j : source_j = target_k} g_j: the sum of g's entries at each storage position,
    read at the positions ``target`` (arrays, or Tensors for a differentiable backward)."""
    if isinstance(g, Tensor):
        buf = ScatterAdd.apply(g.reshape(-1, 1), shape=(extent, 1), index=source.reshape(-1))
        return getitem(buf.reshape(-1), Tensor._make(target))
    flat = g.reshape(-1)
    if xp.dtype(flat.dtype).kind == "c":
        buf = xp.zeros(extent, dtype=flat.dtype)
        xp.add.at(buf, source.reshape(-1), flat)
    else:
        buf = xp.bincount(source.reshape(-1), weights=flat, minlength=extent).astype(dtype)
    return buf[target]


# ------------------------------------------------------------------------------ as_strided
@primitive
class AsStrided(Function):
    r"""A view of the input's storage with an explicit geometry (PyTorch's ``as_strided``).

    Forward:     y[i] = s[p(i)],  p(i) = offset + Σ_d i_d·stride_d, s the storage of x (x itself
                 lies at positions q(j) in s)
    Derivative:  ∂y[i]/∂x[j] = [p(i) = q(j)] / c(q(j)), c(r) = #{j : q(j) = r}
    VJP:         ∂L/∂x[j] = (Σ_{i : p(i) = q(j)} g[i]) / c(q(j)): g scatter-added into storage
                 positions (overlapping windows add up), read back at x's positions, divided by
                 how many elements of x share a position (1 unless x overlaps itself, as expand)
    Numerics:    exact (a selection); storage positions outside x receive nothing. The view is
                 made only after the geometry is checked against the storage's size.
    """

    name = "as_strided"
    is_view = True
    array_api = True        # other libraries: through a NumPy copy (see the module docstring)
    text = ("y[i] = s[offset + Σ_d i_d·stride_d]  (s: x's storage)",
            "∂L/∂x[j] = Σ_{i : p(i) = q(j)} g[i] / #{j′ : q(j′) = q(j)}")
    latex = (r"y_i = s_{\,o + \sum_d i_d \sigma_d}",
             r"\frac{\partial L}{\partial x_j} = \frac{1}{c_{q(j)}}\sum_{i:\,p(i)=q(j)} g_i")
    explanation = ("Each element of the view is an element of the storage, so its gradient goes "
                   "to whichever element of x lies at that storage position; windows that "
                   "overlap send their gradients to the same element, where they add up.")
    reference = staticmethod(lambda x, size, stride, offset: _reference(x, size, stride, offset))

    @_on_host
    def forward(ctx, x, size, stride, offset):
        flat, _ = storage_of(x, "as_strided")
        _check("as_strided", size, stride, offset, x.itemsize, flat.size)
        ctx.out_geometry = (size, stride, offset)
        ctx.in_geometry = geometry(x, "as_strided")
        return _view(flat, x.dtype, size, stride, offset)

    @_on_host
    def vjp(ctx, g):
        p = positions(*ctx.out_geometry)
        q = positions(*ctx.in_geometry)
        low = min(int(p.min(initial=0)), int(q.min(initial=0)))
        high = max(int(p.max(initial=0)), int(q.max(initial=0))) + 1
        p, q = p - low, q - low
        gx = _gather_sum(g, p, q, high - low, g.dtype)
        count = xp.bincount(q.reshape(-1), minlength=high - low)[q]
        if q.size and count.max() > 1:          # x overlaps itself: share among its copies
            gx = gx / count.astype(gx.dtype)
        return gx


def _reference(x, size, stride, offset):
    """NumPy's as_strided on a contiguous copy (the tests' inputs are fresh arrays)."""
    x = xp.ascontiguousarray(x)
    return xp.lib.stride_tricks.as_strided(x[offset:] if x.ndim == 1 else x.reshape(-1)[offset:],
                                           size, tuple(s * x.itemsize for s in stride))


def _resolve(input, size, stride, storage_offset, op: str):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    size, stride = _ints(size, "size", op), _ints(stride, "stride", op)
    if storage_offset is None:
        storage_offset = (0 if B.is_foreign_array(input._data)
                          else storage_offset_of(input._data, op))
    return size, stride, int(storage_offset)


def storage_offset_of(array, op: str = "storage_offset") -> int:
    _, offset = storage_of(array, op)
    return offset // array.itemsize


@tensor_method
def as_strided(input, size, stride, storage_offset=None):  # noqa: A002
    """The view of ``input``'s storage with ``size``, ``stride`` (in elements) and
    ``storage_offset`` (default: input's own); differentiable (see :class:`AsStrided`)."""
    size, stride, offset = _resolve(input, size, stride, storage_offset, "as_strided")
    return AsStrided.apply(input, size=size, stride=stride, offset=offset)


def as_strided_(self, size, stride, storage_offset=None):
    """In place: this tensor becomes ``self.as_strided(size, stride, storage_offset)`` (a leaf
    that requires grad refuses while recording, as in PyTorch); also ``torch.as_strided_(x, …)``.
    """
    size, stride, offset = _resolve(self, size, stride, storage_offset, "as_strided_")
    return self._reshaped_in_place(
        lambda t: AsStrided.apply(t, size=size, stride=stride, offset=offset), "as_strided_")


Tensor.as_strided_ = as_strided_


@tensor_method
def storage_offset(input) -> int:  # noqa: A002
    """Where this tensor's first element lies in its storage, in elements (PyTorch's)."""
    return storage_offset_of(input._data)


# ------------------------------------------------------------------------------ as_strided_scatter
@primitive
class AsStridedScatter(Function):
    r"""A copy of x whose storage positions of a geometry hold src (``as_strided_scatter``).

    Forward:     s′ = s (x's storage) with s′[p(i)] = src[i]; y[j] = s′[q(j)] (x's positions)
    Derivative:  ∂y[j]/∂x[j] = 1 where q(j) is not written, else 0; ∂y[j]/∂src[i] = [p(i) = q(j)]
    VJP:         ∂L/∂x = g · [q(j) ∉ p];  ∂L/∂src[i] = Σ_{j : q(j) = p(i)} g[j]
    Numerics:    exact. Where windows overlap, the last src element written wins in the
                 forward (row-major order, as PyTorch's copy), and each of them gets the
                 gradient of the position (PyTorch's rule).
    """

    name = "as_strided_scatter"
    array_api = True        # other libraries: through a NumPy copy (see the module docstring)
    text = ("y = x with storage positions offset + Σ_d i_d·stride_d set to src[i]",
            "∂L/∂x = g outside those positions (0 inside);  ∂L/∂src[i] = g at position p(i)")
    latex = (r"y = x,\quad s_{p(i)} \leftarrow \mathrm{src}_i",
             r"\frac{\partial L}{\partial x} = g\,[q \notin p],\quad "
             r"\frac{\partial L}{\partial \mathrm{src}_i} = \sum_{j:\,q(j)=p(i)} g_j")
    explanation = ("The copy keeps x's values except where src is written; the written places "
                   "pass their gradient to src, the others to x.")
    reference = staticmethod(lambda x, src, size, stride, offset: _scatter_reference(
        x, src, size, stride, offset))

    @_on_host
    def forward(ctx, x, src, size, stride, offset):
        flat, _ = storage_of(x, "as_strided_scatter")
        _check("as_strided_scatter", size, stride, offset, x.itemsize, flat.size)
        p = positions(size, stride, offset)
        q = positions(*geometry(x, "as_strided_scatter"))
        low = min(int(p.min(initial=0)), int(q.min(initial=0)))
        high = max(int(p.max(initial=0)), int(q.max(initial=0))) + 1
        p, q = p - low, q - low
        buf = xp.zeros(high - low, dtype=x.dtype)
        buf[q] = x
        buf[p.reshape(-1)] = xp.asarray(src).reshape(-1)
        written = xp.zeros(high - low, dtype=bool)
        written[p.reshape(-1)] = True
        ctx.p, ctx.q, ctx.extent = p, q, high - low
        ctx.keep = ~written[q]
        return layouts.like_layout(buf[q], x)

    @_on_host
    def vjp(ctx, g):
        gx = g * ctx.keep.astype(g.dtype) if ctx.needs(0) else None
        gs = _gather_sum(g, ctx.q, ctx.p, ctx.extent, g.dtype) if ctx.needs(1) else None
        return gx, gs


def _scatter_reference(x, src, size, stride, offset):
    flat = xp.array(x, order="C").reshape(-1)
    view = xp.lib.stride_tricks.as_strided(flat[offset:], size,
                                           tuple(s * flat.itemsize for s in stride))
    view[...] = src
    return flat.reshape(x.shape)


@tensor_method
def as_strided_scatter(input, src, size, stride, storage_offset=None):  # noqa: A002
    """A copy of ``input`` with ``src`` written at the storage positions of the geometry
    (``size``, ``stride``, ``storage_offset``; offset default: input's own)."""
    op = "as_strided_scatter"
    size, stride, offset = _resolve(input, size, stride, storage_offset, op)
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}: expected src to be a Tensor, got {type(src).__name__}")
    if tuple(src.shape) != size:
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. "
                           f"src size = {list(src.shape)}, slice size = {list(size)}")
    if input.requires_grad and _GradMode.enabled and not input.is_contiguous():
        raise RuntimeError(f"{op}: as_strided_scatter is currently only supported for "
                           "contiguous inputs when the input requires grad (PyTorch's rule); "
                           "call .contiguous() first")
    if src.dtype != input.dtype:
        src = src.to(input.dtype)
    return AsStridedScatter.apply(input, src, size=size, stride=stride, offset=offset)


# ------------------------------------------------------------------------------ fresh memory
def _storage_elements(size, stride) -> int:
    if math.prod(size) == 0:
        return 0
    return 1 + sum((n - 1) * s for n, s in zip(size, stride))


def empty_strided(size, stride, *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of ``size`` whose memory is laid out with ``stride`` (elements);
    its storage holds exactly the elements that geometry reaches."""
    op = "empty_strided"
    size, stride = _ints(size, "size", op), _ints(stride, "stride", op)
    dtype = B.get_default_dtype() if dtype is None else B.numpy_dtype(dtype)
    _check(op, size, stride, 0, xp.dtype(dtype).itemsize, 1 << 62)
    storage = xp.empty(_storage_elements(size, stride), dtype=dtype)
    out = Tensor._from_op(_view(storage.view(xp.uint8), dtype, size, stride, 0), None)
    return out.requires_grad_(True) if requires_grad else out


def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None,
                      requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """:func:`empty_strided` with this tensor's dtype unless ``dtype`` is given."""
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype,
                         requires_grad=requires_grad)


Tensor.new_empty_strided = new_empty_strided


# ------------------------------------------------------------------------------ resize_
_ORDERS = {"channels_last": (0, 2, 3, 1), "channels_last_3d": (0, 2, 3, 4, 1)}


def _dense_strides(size, memory_format) -> tuple:
    """The strides of a dense ``size`` in ``memory_format`` (row-major by default)."""
    order = tuple(range(len(size)))
    if memory_format is not None and memory_format.name in _ORDERS:
        order = _ORDERS[memory_format.name]
        if len(size) != len(order):
            raise RuntimeError(f"resize_: required rank {len(order)} tensor to use "
                               f"{memory_format.name} format (got size {list(size)})")
    strides, step = [0] * len(size), 1
    for d in reversed(order):
        strides[d] = step
        step *= max(size[d], 1)
    return tuple(strides)


def resize_(self, *sizes, memory_format=None) -> Tensor:
    """This tensor becomes the dense view of ``sizes`` (row-major, or ``memory_format``) at its
    storage offset, in its storage (its own size again, with no memory_format: unchanged): its
    values are the storage's elements from there on. A size
    that needs more than the storage has gets a larger storage that starts with the old bytes
    (the new elements uninitialised). As in PyTorch, a tensor that requires grad refuses.

    Difference: PyTorch grows the storage itself, so other views of it see the new memory;
    chainrule gives this tensor a new, larger block, and other views keep the old one.
    """
    op = "resize_"
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    size = _ints(sizes, "size", op)
    if any(n < 0 for n in size):
        raise RuntimeError(f"{op}: sizes must be non-negative, got {list(size)}")
    if size == tuple(self._data.shape) and memory_format is None:
        return self             # the same size: nothing changes (PyTorch keeps the strides)
    stride = _dense_strides(size, memory_format)
    flat, start = storage_of(self._data, op)
    itemsize = self._data.itemsize
    offset = start // itemsize
    needed = itemsize * (offset + _storage_elements(size, stride))
    if needed > flat.size:
        grown = xp.empty(needed, dtype=xp.uint8)
        grown[: flat.size] = flat
        flat = grown
    self._data = _view(flat, self._data.dtype, size, stride, offset)
    return self


def resize_as_(self, the_template, memory_format=None) -> Tensor:
    """``self.resize_(the_template.shape)`` (also ``torch.resize_as_(input, the_template)``)."""
    if not isinstance(self, Tensor):
        raise TypeError(f"resize_as_(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(self).__name__}")
    return resize_(self, *the_template.shape, memory_format=memory_format)


Tensor.resize_ = resize_
Tensor.resize_as_ = resize_as_
