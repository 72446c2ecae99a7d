"""Tensor: an n-dimensional array that remembers how it was computed.

A Tensor wraps a backend array (``.data``). When it is the result of a primitive applied to tensors
that require gradients, it also holds the graph node that made it, so ``backward()`` can apply the
chain rule from it to every leaf. Operators and methods are thin: each calls one primitive (or a
composite of primitives) from :mod:`chainrule.ops`.
"""
from __future__ import annotations

from . import backend
from .backend import ndarray, xp

# The module of primitives (chainrule.ops). It imports this module, so chainrule/__init__.py links
# it here once both are loaded, and makes it the array namespace of Tensors.
ops = None


class _Size(int):
    """``t.size`` is the element count (NumPy's ``a.size``); ``t.size()`` and ``t.size(d)`` give
    the shape or one dimension (PyTorch's ``t.size()``)."""

    def __new__(cls, count: int, shape: tuple):
        obj = super().__new__(cls, count)
        obj._shape = shape
        return obj

    def __call__(self, dim: int | None = None):
        return self._shape if dim is None else self._shape[dim]


def _to_array(data, dtype=None):
    """Convert Python numbers, nested lists, arrays or Tensors to a backend array.

    Python floats become the default float dtype (float32), as in PyTorch; NumPy arrays keep
    their dtype unless ``dtype`` says otherwise.
    """
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, ndarray):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    array = xp.asarray(data)
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype.kind == "f" and array.dtype != backend.get_default_dtype():
        if not isinstance(data, xp.generic):
            array = array.astype(backend.get_default_dtype())
    return array


def _axis(axis, dim):
    return dim if axis is None else axis


class Tensor:
    """An array with an optional gradient: ``Tensor(data, dtype=None, requires_grad=False)``."""

    __slots__ = ("data", "requires_grad", "grad", "_node", "_retains_grad", "__weakref__")
    __array_ufunc__ = None      # NumPy defers to our reflected operators: array * tensor → Tensor
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        self.data = _to_array(data, None if dtype is None else xp.dtype(dtype))
        self.grad = None
        self._node = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, array, node):
        t = cls.__new__(cls)
        t.data = array
        t.grad = None
        t._node = node
        t._retains_grad = False
        t.requires_grad = node is not None
        return t

    # ----------------------------------------------------------------- array facts
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> _Size:
        return _Size(self.data.size, self.data.shape)

    def numel(self) -> int:
        return self.data.size

    def dim(self) -> int:
        return self.data.ndim

    @property
    def T(self) -> "Tensor":
        return ops.transpose(self)

    @property
    def mT(self) -> "Tensor":
        return ops.swapaxes(self, -1, -2)

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        """The primitive that produced this tensor (None for a leaf)."""
        return None if self._node is None else self._node.fn

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): only a tensor with one element can be converted to a Python "
                             f"number; this one has shape {self.shape} ({self.data.size} elements)")
        return self.data.item()

    def numpy(self) -> ndarray:
        """The underlying array (shared, not copied). Call ``detach()`` first is not needed."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor (a single number) is undefined")
        return self.data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is "
                               "ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.item())

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"requires_grad: only floating-point tensors can require gradients, but this "
                f"tensor "
                f"has dtype {self.dtype} (gradients of integers are not defined). Convert it "
                f"first, "
                f"e.g. x = x.float() or chainrule.tensor(values, dtype=chainrule.float32).")
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad_(False) is only possible on a leaf tensor; "
                               "use detach() to cut a computed tensor from the graph")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep theirs)."""
        self._retains_grad = True

    def detach(self) -> "Tensor":
        """The same values, cut from the graph (shares the array)."""
        return Tensor._from_op(self.data, None)

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate ∂self/∂leaf into every leaf's ``.grad`` (the chain rule, in reverse).

        ``gradient`` is ∂L/∂self; it may be left out when self holds a single number (a loss).
        """
        from .autograd import engine

        if retain_graph is None:
            retain_graph = create_graph
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph. Gradients flow only "
                "from results computed from tensors created with requires_grad=True (and not "
                "inside no_grad()).")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: this output has shape {self.shape}; backward() without a gradient "
                    "needs a single-number output such as a loss. Reduce it first (y.sum() or "
                    "y.mean()), or pass gradient= an array of the same shape as the output.")
            g = xp.ones_like(self.data)
        else:
            g = gradient if create_graph and isinstance(gradient, Tensor) else _to_array(gradient)
            if isinstance(g, ndarray):
                g = g.astype(self.data.dtype)  # a private copy: .grad never aliases the caller's
            if tuple(g.shape) != self.shape:
                raise RuntimeError(f"backward: gradient has shape {tuple(g.shape)} but the output "
                                   f"has shape {self.shape}; they must be equal")
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            grads = engine.backward([self], [g], retain_graph, create_graph, inputs)
            for t, gi in zip(inputs, grads):
                if gi is not None:
                    t.grad = gi if t.grad is None else t.grad + gi
            return
        engine.backward([self], [g], retain_graph, create_graph)

    # ----------------------------------------------------------------- conversion
    def astype(self, dtype) -> "Tensor":
        return ops.astype(self, dtype)

    def to(self, dtype) -> "Tensor":
        return ops.astype(self, dtype)

    def float(self) -> "Tensor":
        return ops.astype(self, xp.float32)

    def double(self) -> "Tensor":
        return ops.astype(self, xp.float64)

    def long(self) -> "Tensor":
        return ops.astype(self, xp.int64)

    def clone(self) -> "Tensor":
        return ops.copy(self)

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.subtract(self, other)

    def __rsub__(self, other):
        return ops.subtract(other, self)

    def __mul__(self, other):
        return ops.multiply(self, other)

    def __rmul__(self, other):
        return ops.multiply(other, self)

    def __truediv__(self, other):
        return ops.divide(self, other)

    def __rtruediv__(self, other):
        return ops.divide(other, self)

    def __pow__(self, other):
        return ops.power(self, other)

    def __rpow__(self, other):
        return ops.power(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        from .autograd.grad_mode import is_grad_enabled

        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(
                "item assignment: this tensor requires grad, and changing it in place would make "
                "the recorded derivatives wrong. Assign under `with chainrule.no_grad():`, or "
                "build "
                "a new tensor (chainrule.where, concatenate).")
        self.data[_unwrap_index(index)] = value.data if isinstance(value, Tensor) else value

    # comparisons and logic give tensors with no gradient
    def __lt__(self, other):
        return Tensor._from_op(self.data < _data(other), None)

    def __le__(self, other):
        return Tensor._from_op(self.data <= _data(other), None)

    def __gt__(self, other):
        return Tensor._from_op(self.data > _data(other), None)

    def __ge__(self, other):
        return Tensor._from_op(self.data >= _data(other), None)

    def __eq__(self, other):
        return Tensor._from_op(xp.asarray(self.data == _data(other)), None)

    def __ne__(self, other):
        return Tensor._from_op(xp.asarray(self.data != _data(other)), None)

    def __and__(self, other):
        return Tensor._from_op(self.data & _data(other), None)

    def __or__(self, other):
        return Tensor._from_op(self.data | _data(other), None)

    def __xor__(self, other):
        return Tensor._from_op(self.data ^ _data(other), None)

    def __invert__(self):
        return Tensor._from_op(~self.data, None)

    __rand__ = __and__
    __ror__ = __or__

    # ----------------------------------------------------------------- methods (NumPy / PyTorch)
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.sum(self, _axis(axis, dim), keepdims or keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.mean(self, _axis(axis, dim), keepdims or keepdim)

    def var(self, axis=None, keepdims=False, *, dim=None, keepdim=False, correction=1,
            unbiased=None, ddof=None):
        return ops.var(self, _axis(axis, dim), keepdims or keepdim, correction=correction,
                       unbiased=unbiased, ddof=ddof)

    def std(self, axis=None, keepdims=False, *, dim=None, keepdim=False, correction=1,
            unbiased=None, ddof=None):
        return ops.std(self, _axis(axis, dim), keepdims or keepdim, correction=correction,
                       unbiased=unbiased, ddof=ddof)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.max(self, _axis(axis, dim), keepdims or keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.min(self, _axis(axis, dim), keepdims or keepdim)

    amax = max
    amin = min

    def prod(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.prod(self, _axis(axis, dim), keepdims or keepdim)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.logsumexp(self, _axis(axis, dim), keepdims or keepdim)

    def softmax(self, axis=-1, *, dim=None):
        return ops.softmax(self, _axis(None if dim is not None else axis, dim))

    def log_softmax(self, axis=-1, *, dim=None):
        return ops.log_softmax(self, _axis(None if dim is not None else axis, dim))

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.argmax(self, _axis(axis, dim), keepdims or keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.argmin(self, _axis(axis, dim), keepdims or keepdim)

    def any(self, axis=None, keepdims=False):
        return Tensor._from_op(xp.asarray(self.data.any(axis=axis, keepdims=keepdims)), None)

    def all(self, axis=None, keepdims=False):
        return Tensor._from_op(xp.asarray(self.data.all(axis=axis, keepdims=keepdims)), None)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def relu(self):
        return ops.relu(self)

    def pow(self, exponent):
        return ops.power(self, exponent)

    def clip(self, min=None, max=None):
        return ops.clip(self, min, max)

    clamp = clip

    def reshape(self, *shape):
        return ops.reshape(self, _shape_args(shape))

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return ops.flatten(self, start_dim, end_dim)

    def transpose(self, *axes):
        """NumPy's ``transpose(axes)`` with a full order, or PyTorch's ``transpose(dim0, dim1)``."""
        if len(axes) == 2 and all(isinstance(a, int) for a in axes) and self.ndim != 2:
            return ops.swapaxes(self, *axes)
        if len(axes) == 2 and self.ndim == 2:
            a, b = (x % 2 for x in axes)
            return self if a == b else ops.transpose(self)
        return ops.transpose(self, _shape_args(axes) if axes else None)

    def permute(self, *dims):
        return ops.transpose(self, _shape_args(dims))

    def swapaxes(self, axis1: int, axis2: int):
        return ops.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None, *, dim=None):
        return ops.squeeze(self, _axis(axis, dim))

    def unsqueeze(self, dim: int):
        return ops.expand_dims(self, dim)

    def expand_dims(self, axis):
        return ops.expand_dims(self, axis)

    def broadcast_to(self, *shape):
        return ops.broadcast_to(self, _shape_args(shape))

    def expand(self, *shape):
        """PyTorch's expand: -1 keeps a dimension's size."""
        shape = _shape_args(shape)
        lead = len(shape) - self.ndim
        full = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
        return ops.broadcast_to(self, full)

    def expand_as(self, other):
        return ops.broadcast_to(self, other.shape)

    def split(self, split_size_or_sections, dim: int = 0):
        return ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0):
        return ops.chunk(self, chunks, dim)

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        body = xp.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype not in (backend.get_default_dtype(), xp.int64, xp.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __str__ = __repr__


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _unwrap_index(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index
