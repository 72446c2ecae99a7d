"""Batched tensors: a Tensor that carries a hidden leading batch dimension for one vmap level.

A :class:`BatchedTensor` at level L wraps a *value* whose dimension 0 is L's batch dimension;
the rest of the value's shape is what the function under vmap sees (its *logical* shape). Nested
vmaps nest the wrappers, the innermost vmap (the highest level) outermost: BT(L₂, BT(L₁, p))
with levels L₁ < L₂ holds a plain Tensor p of shape (B₁, B₂, *logical). Levels only grow, so a
wrapper's level is always above the levels of what it wraps.

Everything a primitive computes goes through ``Function.apply``, where vmap's dispatcher
(vmap.py) strips the top level, applies the primitive's batching rule to the values and wraps
the result again. What reads a batched tensor's array directly (``.item()``, ``.numpy()``,
``bool(x)``: data-dependent Python code) raises a clear error instead of seeing the batch.

Helpers move batch dimensions in and out of the logical shape (``to_logical``, ``from_logical``),
which is how grad/vjp/jvp (transforms.py) reach the plain Tensors of the autograd graph.
"""
from __future__ import annotations

from ..tensor import Size, Tensor, _Size


class BatchedTensor(Tensor):
    """A Tensor with a hidden batch dimension (dimension 0 of ``_value``) for vmap level
    ``_level``; shape, ndim, len and size report the per-example (logical) shape."""

    __slots__ = ("_value", "_level")

    def __init__(self, *args, **kwargs):
        raise TypeError("BatchedTensor is made by chainrule.func.vmap, not directly")

    @classmethod
    def wrap(cls, value: Tensor, level: int) -> "BatchedTensor":
        t = cls.__new__(cls)
        t._value = value
        t._level = level
        t.grad = None
        t._node = None
        t._retains_grad = False
        return t

    # ------------------------------------------------------------- what is not allowed
    @property
    def _data(self):
        return _BatchedData(self)

    @_data.setter
    def _data(self, value):
        if isinstance(value, _BatchedData) and value._owner is self:
            return                      # ``t._data += number``: done in place by __iadd__
        raise RuntimeError("vmap: a batched tensor cannot be changed in place (setting .data, "
                           "x[i] = v, x.add_(y)); write the function without in-place updates")

    # ------------------------------------------------------------- the logical view
    @property
    def requires_grad(self) -> bool:
        return self._value.requires_grad

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        raise RuntimeError("vmap: requires_grad cannot be set on a batched tensor; use "
                           "chainrule.func.grad/vjp inside vmap for derivatives")

    @property
    def shape(self) -> Size:
        return Size(tuple(self._value.shape)[1:])

    @property
    def ndim(self) -> int:
        return self._value.ndim - 1

    def dim(self) -> int:
        return self._value.ndim - 1

    @property
    def size(self) -> _Size:
        shape = tuple(self._value.shape)[1:]
        return _Size(Size(shape).numel(), shape)

    def numel(self) -> int:
        return Size(tuple(self._value.shape)[1:]).numel()

    def __len__(self) -> int:
        if self._value.ndim == 1:
            raise TypeError("len() of a 0-d tensor")
        return self._value.shape[1]

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def device(self):
        return self._value.device

    def is_floating_point(self) -> bool:
        return self._value.is_floating_point()

    def is_complex(self) -> bool:
        return self._value.is_complex()

    def backward(self, *args, **kwargs):
        raise RuntimeError("backward() called inside a functorch transform. This is not "
                           "supported, please use chainrule.func.grad or chainrule.func.vjp "
                           "instead or call backward() outside of the transforms.")

    def detach(self) -> "BatchedTensor":
        return BatchedTensor.wrap(self._value.detach(), self._level)

    def view(self, *shape):
        from ..ops import astype, reshape
        from ..tensor import _is_dtype, _shape_args

        if len(shape) == 1 and _is_dtype(shape[0]):
            return astype(self, shape[0])
        return reshape(self, _shape_args(shape))

    def contiguous(self, memory_format=None):
        return self

    def clone(self, memory_format=None):
        from ..ops import copy

        return copy(self)

    def __repr__(self) -> str:
        return (f"BatchedTensor(level={self._level}, batch={self._value.shape[0]}, "
                f"shape={tuple(self.shape)}, dtype={self.dtype})")

    __str__ = __repr__


_READ_VALUES = (
    "vmap: an operation read the values of a batched tensor directly. Inside vmap (and the "
    "transforms built on it: jacrev, jacfwd, hessian) data-dependent Python code (.item(), "
    ".numpy(), .tolist(), bool(x), if x > 0, indexing by a batched tensor) and functions that "
    "compute on the array instead of calling primitives are not supported; compute such values "
    "outside vmap")


class _BatchedData:
    """What ``._data`` of a batched tensor gives: its per-example shape and dtype (which code
    outside the primitives may inspect), and a clear error for anything that would read values
    (which would silently see the batch)."""

    __slots__ = ("shape", "ndim", "size", "dtype", "itemsize", "_owner")
    __array_ufunc__ = None

    def __init__(self, t: BatchedTensor):
        self._owner = t
        self.shape = tuple(t.shape)
        self.ndim = len(self.shape)
        self.size = Size(self.shape).numel()
        self.dtype = t._value.dtype
        self.itemsize = getattr(self.dtype, "itemsize", 0)

    def __getattr__(self, name):
        if name.startswith("__"):       # a protocol probe (__array_namespace__ …): not an array
            raise AttributeError(name)
        if name in ("strides", "flags"):    # a memory layout probe: a batched tensor has none
            raise AttributeError(name)      # of its own (code that matches layouts skips it)
        raise RuntimeError(_READ_VALUES + f" (.{name} of the array)")

    def __array__(self, *args, **kwargs):
        raise RuntimeError(_READ_VALUES)

    def _refuse(self, *args, **kwargs):
        raise RuntimeError(_READ_VALUES)

    __bool__ = __len__ = __iter__ = __getitem__ = __float__ = __int__ = __index__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __neg__ = __pow__ = __matmul__ = _refuse
    __hash__ = None

    def __iadd__(self, other):
        """``t._data += number`` (a module's step counter, ``num_batches_tracked``, of an
        ensemble's stacked buffers): every example's entry, in place, as PyTorch does."""
        if isinstance(other, (Tensor, _BatchedData)) or hasattr(other, "shape") and other.shape:
            raise RuntimeError(_READ_VALUES + " (an in-place update by an array)")
        plain, _ = peel(self._owner)
        plain._data += other
        return self


def is_batched_at(x, level: int) -> bool:
    """Whether ``x`` has a batch dimension for ``level`` (anywhere in its wrappers)."""
    while isinstance(x, BatchedTensor):
        if x._level == level:
            return True
        if x._level < level:
            return False
        x = x._value
    return False


def peel(x) -> tuple:
    """(the plain Tensor under all wrappers, the levels of the wrappers, outermost vmap first)."""
    levels = []
    while isinstance(x, BatchedTensor):
        levels.append(x._level)
        x = x._value
    return x, levels[::-1]


def rewrap(x, levels) -> Tensor:
    """``peel``'s inverse: wrap the plain ``x`` (batch dims first, in ``levels``' order)."""
    for level in levels:
        x = BatchedTensor.wrap(x, level)
    return x


def expand_at(x, level: int, size: int) -> Tensor:
    """``x`` (not batched at ``level``) broadcast to batch ``size`` at ``level`` (a view)."""
    from ..ops import broadcast_to, expand_dims

    logical = broadcast_to(expand_dims(x, 0), (size,) + tuple(x.shape))
    return from_logical(logical, level)


def to_logical(x, level: int, size: int) -> Tensor:
    """``x`` with ``level``'s batch dimension moved into its logical shape, in front (x is
    broadcast first if it is not batched at ``level``)."""
    from ..ops import broadcast_to, expand_dims, moveaxis

    if not isinstance(x, BatchedTensor) or x._level < level:
        return broadcast_to(expand_dims(x, 0), (size,) + tuple(x.shape))
    if x._level == level:
        return x._value
    inner = to_logical(x._value, level, size)        # (B_level, B_top, *logical)
    return BatchedTensor.wrap(moveaxis(inner, 1, 0), x._level)


def from_logical(x, level: int) -> Tensor:
    """``to_logical``'s inverse: the logical dimension 0 of ``x`` becomes ``level``'s batch."""
    from ..ops import moveaxis

    if isinstance(x, BatchedTensor) and x._level > level:
        inner = moveaxis(x._value, 1, 0)                # (B_level, B_top, *rest)
        return BatchedTensor.wrap(from_logical(inner, level), x._level)
    return BatchedTensor.wrap(x, level)
