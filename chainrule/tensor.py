"""Tensor: an n-dimensional array that remembers how it was computed.

A Tensor wraps a backend array (``._data``, the library's own handle; users see it through
``.numpy()``). When it is the result of a primitive applied to tensors that require gradients, it
also holds the graph node that made it, so ``backward()`` can apply the chain rule from it to every
leaf. Operators and methods are thin: each calls one primitive (or a composite of primitives) from
:mod:`chainrule.ops`.

PyTorch's semantics hold where PyTorch has the name: ``.data`` is a detached Tensor sharing the
memory, ``+=`` and the ``name_`` methods change the tensor in place (with a version counter that
makes backward refuse values changed after they were saved), ``x.max(dim)`` returns
``(values, indices)``, and ``Tensor(2, 3)`` is PyTorch's legacy constructor.
"""
from __future__ import annotations

import math

from . import backend, layouts, tensor_format
from . import device as _device
from . import random as _random
from .autograd.grad_mode import _GradMode
from .autograd.versions import bump as _bump
from .autograd.versions import record_rebind as _record_rebind
from .backend import dtype_kind, ndarray, xp

# The module of primitives (chainrule.ops). It imports this module, so chainrule/__init__.py links
# it here once both are loaded, and makes it the array namespace of Tensors.
ops = None


class Size(tuple):
    """A shape (``torch.Size``): a tuple of ints with ``numel()``."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"

    def __str__(self) -> str:      # in messages: (2, 3), as NumPy's shapes print
        return tuple.__repr__(self)

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


class _Size(int):
    """``t.size`` is the element count (NumPy's ``a.size``); ``t.size()`` and ``t.size(d)`` give
    the shape or one dimension (PyTorch's ``t.size()``)."""

    def __new__(cls, count: int, shape: tuple):
        obj = super().__new__(cls, count)
        obj._shape = shape
        return obj

    def __call__(self, dim: int | None = None):
        return Size(self._shape) if dim is None else self._shape[dim]


# chainrule.compile's tracer sets this to a function told whenever a tensor's value is read as
# Python data (item, bool, tolist, numpy, ...), so that a trace never silently bakes in a value.
_value_read = None
# ... and this to a dict that every tensor made while it traces enters (id -> the tensor, and for
# a copy the array copied): a tensor the tracer then meets without having recorded what made it
# came from an operation that is not a primitive (argmax, a bitwise operation, a copy of a traced
# value), whose value a replay would otherwise reuse.
_made_while_tracing = None
# ... and this to a function told when a recorded in-place operation rebinds a tensor to a new
# value (``Tensor._inplace``), so that the trace follows the tensor to it.
_rebound_while_tracing = None


# How tensors print (PyTorch's text and torch.set_printoptions): chainrule/tensor_format.py.
set_printoptions = tensor_format.set_printoptions


def _check_fits(values, dtype) -> None:
    """PyTorch's check on Python numbers made into an integer tensor: a RuntimeError where a
    value does not fit the dtype. Integers must lie in its range (for an unsigned dtype, within
    ±its maximum: a negative one wraps, as −1 → 255 for uint8); floats (NaN and ±∞ never) must
    lie in it before truncation. (Floating-point and bool dtypes take any value.)"""
    if dtype.kind not in "iu" or values.dtype.kind not in "iuf" or values.size == 0:
        return
    info = xp.iinfo(dtype)
    with xp.errstate(invalid="ignore"):
        if values.dtype.kind == "f":
            bad = ~((values >= info.min) & (values <= info.max))     # NaN fails both
        elif dtype.kind == "u":
            bad = (values > info.max) | (values < -int(info.max))
        else:
            bad = (values < info.min) | (values > info.max)
    if bad.any():
        value = values.reshape(-1)[int(xp.flatnonzero(bad.reshape(-1))[0])]
        raise RuntimeError(f"value cannot be converted to type {dtype} without overflow: "
                           f"{value.item()!r} lies outside {dtype}'s range "
                           f"[{info.min}, {info.max}]")


def check_number_fits(value, dtype):
    """One Python number (not a bool) written into a tensor of ``dtype`` (a fill, a masked
    fill, an item assignment), checked as PyTorch checks it — :func:`_check_fits`, and for a
    floating-point dtype a finite value beyond its largest (an infinity or NaN passes) — and
    returned as a scalar of that dtype (a negative integer wrapped into an unsigned dtype, as
    PyTorch's −1 → 255). Anything else is returned as it is."""
    if isinstance(value, complex) and xp.dtype(backend.numpy_dtype(dtype)).kind != "c":
        raise RuntimeError(f"value cannot be converted to type {xp.dtype(dtype)} without "
                           f"overflow: {value!r} is complex and {xp.dtype(dtype)} holds real "
                           f"numbers")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return value
    dtype = xp.dtype(backend.numpy_dtype(dtype))
    number = xp.asarray(value)
    if dtype.kind == "f" and math.isfinite(value) and abs(value) > float(xp.finfo(dtype).max):
        raise RuntimeError(f"value cannot be converted to type {dtype} without overflow: "
                           f"{value!r} lies beyond {dtype}'s largest value {xp.finfo(dtype).max}")
    _check_fits(number, dtype)
    with xp.errstate(invalid="ignore"):
        return number.astype(dtype)[()]


def _to_array(data, dtype=None):
    """Convert Python numbers, nested lists, arrays or Tensors to a backend array.

    Python floats become the default float dtype (float32), as in PyTorch; NumPy arrays keep
    their dtype unless ``dtype`` says otherwise.
    """
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, ndarray):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if backend.is_foreign_array(data):      # CuPy, array_api_strict: kept in their library
        if dtype is None or backend.numpy_dtype(data.dtype) == backend.numpy_dtype(dtype):
            return data
        return backend.astype(data, backend.numpy_dtype(dtype))
    array = xp.asarray(data)
    if dtype is not None:
        if array.dtype.kind == "c" and xp.dtype(dtype).kind != "c":
            raise TypeError(f"tensor: must be real number, not complex (the data holds complex "
                            f"numbers and dtype={xp.dtype(dtype)} holds real ones)")
        _check_fits(array, xp.dtype(dtype))
        return array.astype(dtype, copy=False)
    if array.dtype.kind in "fc" and not isinstance(data, xp.generic):
        target = (_sequence_float_dtype(data) if isinstance(data, (list, tuple))
                  else backend.get_default_dtype())
        if array.dtype.kind == "c":     # Python complex numbers: the default float's complex
            target = xp.promote_types(target, xp.complex64)
            if isinstance(data, (list, tuple)):
                target = xp.promote_types(target, _sequence_complex_dtype(data))
        if array.dtype != target:
            array = array.astype(target)
    return array


def _sequence_complex_dtype(data):
    """The widest NumPy complex scalar's dtype in a nested list (complex64 when there is none):
    NumPy complex scalars keep their dtype, as NumPy floating scalars do."""
    found, stack = xp.dtype(xp.complex64), [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, xp.complexfloating):
            found = xp.promote_types(found, item.dtype)
    return found


def _sequence_float_dtype(data):
    """PyTorch's floating dtype for a nested list of numbers: NumPy floating scalars keep their
    dtype (promoted together), a Python float counts as the default dtype (float32)."""
    default = backend.get_default_dtype()
    found, stack = None, [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        if isinstance(item, xp.floating):       # before float: NumPy's float64 is a float
            kind = item.dtype
        elif isinstance(item, float):
            kind = default
        else:
            continue
        found = kind if found is None else xp.promote_types(found, kind)
        if found == xp.float64:
            break                                # nothing promotes further
    return found if found is not None else default


def _uint8_like(data, result) -> "Tensor":
    """any/all's result as a Tensor: bool, or uint8 for a uint8 input (PyTorch's rule)."""
    if str(getattr(data, "dtype", "")) == "uint8":
        result = backend.astype(result, data.dtype)
    return Tensor._from_op(result, None)


def _axis(axis, dim):
    return dim if axis is None else axis


class Tensor:
    """An array with an optional gradient: ``Tensor(data, dtype=None, requires_grad=False)``."""

    __slots__ = ("_data", "requires_grad", "grad", "_node", "_retains_grad", "__weakref__")
    __array_ufunc__ = None      # NumPy defers to our reflected operators: array * tensor → Tensor
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, requires_grad: bool = False, device=None):
        """PyTorch's legacy constructor: ``Tensor(2, 3)`` (uninitialised sizes; chainrule fills
        zeros), ``Tensor([1, 2])`` or ``Tensor(array)`` (data in the default float dtype),
        ``Tensor()`` (empty). Prefer :func:`chainrule.tensor`, which keeps integer dtypes."""
        if device is not None:
            _device.check(device, "Tensor")
        dtype = backend.get_default_dtype() if dtype is None else backend.numpy_dtype(dtype)
        if not args:
            array = xp.zeros((0,), dtype=dtype)
        elif all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            array = xp.zeros(args, dtype=dtype)
        elif len(args) == 1 and isinstance(args[0], Size):
            array = xp.zeros(tuple(args[0]), dtype=dtype)
        elif len(args) == 1 and not isinstance(args[0], (int, float, bool, complex)):
            array = _to_array(args[0], dtype)
        else:
            raise TypeError(f"Tensor(): expected sizes (ints) or one sequence of data, got "
                            f"{args!r}; use chainrule.tensor(value) for a 0-d tensor")
        self._data = array
        self.grad = None
        self._node = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, dtype=None, requires_grad: bool = False) -> "Tensor":
        """The library's constructor: numbers and lists take the default float dtype (ints stay
        int64), arrays keep their dtype unless ``dtype`` says otherwise."""
        t = cls.__new__(cls)
        t._data = _to_array(data, None if dtype is None else xp.dtype(dtype))
        t.grad = None
        t._node = None
        t._retains_grad = False
        t.requires_grad = False
        if _made_while_tracing is not None and isinstance(data, (Tensor, ndarray)):
            _made_while_tracing[id(t)] = (t, getattr(data, "_data", data))
        if requires_grad:
            t.requires_grad_(True)
        return t

    @classmethod
    def _from_op(cls, array, node):
        t = cls.__new__(cls)
        t._data = array
        t.grad = None
        t._node = node
        t._retains_grad = False
        t.requires_grad = node is not None
        if _made_while_tracing is not None:
            _made_while_tracing[id(t)] = (t, None)
        return t

    # ----------------------------------------------------------------- the values
    @property
    def data(self) -> "Tensor":
        """The same memory as a Tensor cut from the graph (PyTorch's ``.data``): changing it in
        place changes this tensor without being recorded, as in ``p.data.add_(g, alpha=-lr)``."""
        return Tensor._from_op(self._data, None)

    @data.setter
    def data(self, value) -> None:
        array = value._data if isinstance(value, Tensor) else _to_array(value)
        if not isinstance(array, ndarray) and not backend.is_foreign_array(array):
            raise TypeError(f".data = …: expected a Tensor or an array, got {type(value)}")
        self._data = array

    @property
    def device(self):
        """Where the array lives: the CPU for NumPy arrays, else its device backend's device."""
        return _device.CPU if type(self._data) is ndarray else _device.of_array(self._data)

    @property
    def is_cuda(self) -> bool:
        return type(self._data) is not ndarray and self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return type(self._data) is ndarray or self.device.type == "cpu"

    # ----------------------------------------------------------------- array facts
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self):
        """The NumPy dtype of the data (chainrule's dtypes: ``cr.float32`` is ``numpy.float32``),
        for arrays of other libraries too, so that ``t.dtype == cr.float64`` means the same
        whatever library holds the data."""
        dtype = self._data.dtype
        return dtype if type(self._data) is ndarray else backend.numpy_dtype(dtype)

    @property
    def size(self) -> _Size:
        return _Size(self._data.size, self._data.shape)

    def numel(self) -> int:
        return self._data.size

    def dim(self) -> int:
        return self._data.ndim

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
        if _value_read is not None:
            _value_read(self, "item()")
        if self._data.size != 1:
            raise ValueError(f"item(): only a tensor with one element can be converted to a "
                             f"Python number; this one has shape {self.shape} "
                             f"({self._data.size} elements)")
        return self._host().item()

    def numpy(self) -> ndarray:
        """The underlying array (shared, not copied). Call ``detach()`` first is not needed.
        A tensor on a device (``"cuda"``) raises, as in PyTorch: copy it with ``cpu()``."""
        if _value_read is not None:
            _value_read(self, "numpy()")
        return self._data if type(self._data) is ndarray else self._host(copy_from_device=False)

    def _host(self, copy_from_device: bool = True):
        """The NumPy array of this tensor's values (a device's copied only when allowed)."""
        if type(self._data) is ndarray:
            return self._data
        where = self.device
        if where.type != "cpu" and not copy_from_device:
            raise TypeError(f"can't convert {where} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return backend.to_numpy(self._data)

    def tolist(self):
        if _value_read is not None:
            _value_read(self, "tolist()")
        return self._host().tolist()

    def __array__(self, dtype=None, copy=None):
        if _value_read is not None:
            _value_read(self, "numpy.asarray()")
        array = self._host(copy_from_device=False)
        return array if dtype is None else array.astype(dtype)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor (a single number) is undefined")
        return self._data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._data.size} elements is "
                               "ambiguous; use .any() or .all()")
        if _value_read is not None:
            _value_read(self, "bool() (an `if` or `while` on a tensor)")
        if type(self._data) is not ndarray and self._data.ndim:   # the standard: 0-d only
            return bool(backend.reshape(self._data, ()))
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if dtype_kind(self._data.dtype) not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.item())

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and dtype_kind(self._data.dtype) not in "fc":
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

    def register_hook(self, hook):
        """Call ``hook(grad)`` when backward computes this tensor's gradient; a Tensor it returns
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't "
                               "require gradient")
        from .autograd import hooks

        return hooks.register(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after backward has accumulated this leaf's gradient into
        ``self.grad`` (PyTorch's name; the hook returns None). Returns a handle with
        ``remove()``. DistributedDataParallel uses it to start a bucket's all-reduce as soon
        as its gradients are ready."""
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a "
                               "tensor that doesn't require gradient")
        if self._node is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks "
                               "cannot be registered on non-leaf tensors")
        from .autograd import hooks

        return hooks.register_post_accumulate(self, hook)

    @property
    def retains_grad(self) -> bool:
        return self._node is not None and self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep theirs)."""
        self._retains_grad = True

    def detach(self) -> "Tensor":
        """The same values, cut from the graph (shares the array)."""
        return Tensor._from_op(self._data, None)

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
            if dtype_kind(self._data.dtype) == "c":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs "
                                   f"but got {self.dtype}")
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward: this output has shape {self.shape}; backward() without a gradient "
                    "needs a single-number output such as a loss. Reduce it first (y.sum() or "
                    "y.mean()), or pass gradient= an array of the same shape as the output.")
            g = (xp.ones_like(self._data) if type(self._data) is ndarray
                 else backend.namespace(self._data).ones_like(self._data))
        else:
            g = gradient if create_graph and isinstance(gradient, Tensor) else _to_array(gradient)
            if (dtype_kind(g.dtype) == "c") != (dtype_kind(self._data.dtype) == "c"):
                raise RuntimeError(
                    f"For complex Tensors, both grad_output and output are required to have the "
                    f"same dtype. Mismatch in dtype: grad_output[0] has a dtype of {g.dtype} and "
                    f"output[0] has a dtype of {self.dtype}.")
            if isinstance(g, ndarray):
                g = g.astype(self._data.dtype)  # a private copy: .grad never aliases the caller's
            if tuple(g.shape) != self.shape:
                raise RuntimeError(f"backward: gradient has shape {tuple(g.shape)} but the output "
                                   f"has shape {self.shape}; they must be equal")
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            grads = engine.backward([self], [g], retain_graph, create_graph, inputs)
            for t, gi in zip(inputs, grads):
                if gi is not None and not (t._node is not None and t._retains_grad):
                    # (a retained non-leaf got its .grad from the engine already)
                    t.grad = gi if t.grad is None else t.grad + gi
                    if t._node is None:
                        from .autograd import hooks

                        hooks.run_post(t)
            return
        engine.backward([self], [g], retain_graph, create_graph)

    # ----------------------------------------------------------------- conversion
    def astype(self, dtype) -> "Tensor":
        return ops.astype(self, dtype)

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (its dtype and
        device), with ``non_blocking``/``copy``/``memory_format`` accepted. ``to(None)`` and a
        dtype equal to the current one return this tensor itself, as in PyTorch."""
        fmt = kwargs.pop("memory_format", None)
        dtype, copy, where = _to_arguments("to", args, kwargs)
        out = self if where is None else self._moved(where)
        out = out if dtype is None or \
            backend.numpy_dtype(dtype) == backend.numpy_dtype(out._data.dtype) \
            else ops.astype(out, dtype)
        out = ops.copy(out) if copy and out is self else out
        if fmt is not None and not layouts.is_contiguous_as(out._data, fmt) and \
                fmt is not layouts.preserve_format:
            out = ops.copy(out) if out is self else out
            out._data = layouts.laid_out(out._data, fmt)
        return out

    def _moved(self, where) -> "Tensor":
        """This tensor on device ``where`` (itself when it is there already)."""
        array = _device.move(self._data, where)
        if array is self._data:
            return self
        if self.requires_grad and _GradMode.enabled:
            raise NotImplementedError(
                f"to('{where}'): this tensor requires grad, and moving it between devices "
                "inside a graph is not differentiable in chainrule yet. Move the model "
                "(model.to(device): its parameters move in place) and the data before the "
                "forward, or move a detached copy (x.detach().to(device))")
        return Tensor._make(array)

    def cpu(self, memory_format=None) -> "Tensor":
        return self if type(self._data) is ndarray else self._moved(_device.CPU)

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> "Tensor":
        where = _device.check("cuda" if device is None else device, "cuda()")
        return self._moved(where)

    def pin_memory(self, device=None) -> "Tensor":
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    def type(self, dtype=None, non_blocking: bool = False):
        """Without an argument, PyTorch's type name ('torch.FloatTensor'); with one, a cast."""
        if dtype is None:
            return "torch." + _TYPE_NAMES.get(backend.numpy_dtype(self._data.dtype).name, "Tensor")
        if isinstance(dtype, _LegacyTensorType):
            dtype = dtype.dtype
        if isinstance(dtype, str):
            name = dtype.rpartition(".")[2]
            matches = [k for k, v in _TYPE_NAMES.items() if v == name]
            if not matches:
                raise TypeError(f"type(): unknown tensor type {dtype!r}")
            dtype = xp.dtype(matches[0])
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def float(self) -> "Tensor":
        return self.to(xp.float32)

    def double(self) -> "Tensor":
        return self.to(xp.float64)

    def half(self) -> "Tensor":
        return self.to(xp.float16)

    def long(self) -> "Tensor":
        return self.to(xp.int64)

    def int(self) -> "Tensor":
        return self.to(xp.int32)

    def short(self) -> "Tensor":
        return self.to(xp.int16)

    def char(self) -> "Tensor":
        return self.to(xp.int8)

    def byte(self) -> "Tensor":
        return self.to(xp.uint8)

    def bool(self) -> "Tensor":
        return self.to(xp.bool_)

    def clone(self, memory_format=None) -> "Tensor":
        """A copy; in the same memory order as this tensor (``preserve_format``, the default)
        or in ``memory_format``."""
        out = ops.copy(self)
        if memory_format is None or memory_format is layouts.preserve_format:
            out._data = layouts.like_layout(out._data, self._data)
        else:
            out._data = layouts.laid_out(out._data, memory_format)
        return out

    def contiguous(self, memory_format=None) -> "Tensor":
        """This tensor when its memory is already dense in ``memory_format`` (row-major by
        default; ``chainrule.channels_last``: N×H×W×C order), else a copy laid out so."""
        fmt = layouts.contiguous_format if memory_format is None else memory_format
        if layouts.is_contiguous_as(self._data, fmt):
            return self
        if fmt is layouts.preserve_format:     # (allowed above, where there is nothing to do)
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        out = ops.copy(self)
        out._data = layouts.laid_out(out._data, fmt)
        return out

    def is_contiguous(self, memory_format=None) -> bool:
        fmt = layouts.contiguous_format if memory_format is None else memory_format
        return layouts.is_contiguous_as(self._data, fmt)

    @property
    def layout(self):
        """``chainrule.strided``: every chainrule tensor is a dense strided array."""
        return layouts.strided

    def is_floating_point(self) -> bool:
        return dtype_kind(self._data.dtype) == "f"

    def is_complex(self) -> bool:
        return dtype_kind(self._data.dtype) == "c"

    def element_size(self) -> int:
        return self.itemsize

    @property
    def itemsize(self) -> int:
        if type(self._data) is not ndarray:
            return backend.numpy_dtype(self._data.dtype).itemsize
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        if type(self._data) is not ndarray:
            return self.numel() * self.itemsize
        return self._data.nbytes

    def data_ptr(self) -> int:
        data = self._data
        if type(data) is not ndarray:
            memory = getattr(data, "data", None)
            if hasattr(memory, "ptr"):          # CuPy: the device address
                return int(memory.ptr)
            data = backend.host_layout(data)
        return data.__array_interface__["data"][0]

    def __format__(self, spec: str) -> str:
        """As PyTorch: a 0-d tensor formats as its number (f"{loss:.3f}"); any other tensor as
        its text, with no format spec (one raises TypeError, as ``object.__format__`` does)."""
        if self._data.ndim == 0 and dtype_kind(self._data.dtype) in "biufc":
            if _value_read is not None:
                _value_read(self, "format()")
            return format(self._data.item() if type(self._data) is ndarray
                          else backend.to_numpy(self._data).item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    # ----------------------------------------------------------------- in place (PyTorch's name_)
    def _inplace(self, op, *args, **kwargs) -> "Tensor":
        """Compute ``op(self, *args)`` and write it into this tensor's memory.

        Without autograd involvement this is a plain write (plus a version bump). When the graph is
        being recorded, the new values get a new node whose input is the old value of this tensor
        (a private copy, so the new node's saved values stay correct), and the tensor takes that
        node: gradients flow through the in-place step as through the out-of-place one. A leaf
        that requires grad may not be changed in place while recording (PyTorch's rule).
        """
        record = _GradMode.enabled and (self.requires_grad or _any_requires_grad(args, kwargs))
        if not record:
            ufunc = _FAST_UFUNCS.get(getattr(op, "__name__", None))
            if ufunc is not None and len(args) == 1 and _fast_inplace(self, ufunc, args[0],
                                                                      kwargs):
                return self
            result = op(Tensor._from_op(self._data, None), *args, **kwargs)
            _write(self._data, result._data if isinstance(result, Tensor) else result, op)
            _bump(self._data)
            return self
        node = self._node
        if node is None and self.requires_grad:
            raise RuntimeError(
                f"{_opname(op)}_: a leaf tensor that requires grad (a parameter or an input made "
                "with requires_grad=True) cannot be changed in place while gradients are being "
                "recorded, because its gradient would then refer to values it no longer has. Wrap "
                "the update in `with chainrule.no_grad():` (as optimizers do), or change "
                "`.data` instead.")
        if node is not None and getattr(node.fn, "is_view", False) \
                and _shares_input_memory(self._data, node):
            raise RuntimeError(
                f"{_opname(op)}_: this tensor is a view ({node.fn.name}) of another tensor that "
                "requires grad; changing a view in place while recording is not supported by "
                "chainrule (PyTorch rewrites the base's history). Use .clone() before changing "
                "it, or an out-of-place operation.")
        old = Tensor._from_op(self._data.copy() if type(self._data) is xp.ndarray
                              else backend.copy(self._data), node)
        old.requires_grad = self.requires_grad
        if node is not None:
            _record_rebind(self, old)   # nodes recorded before now consumed the old value
        result = op(old, *args, **kwargs)
        _write(self._data, result._data, op)
        _bump(self._data)
        if result._node is not None:
            self._node = result._node
            self.requires_grad = True
        if _rebound_while_tracing is not None:
            _rebound_while_tracing(self, old, result)
        return self

    def __iadd__(self, other):
        return self._inplace(ops.add, other)

    def __isub__(self, other):
        return self._inplace(ops.subtract, other)

    def __imul__(self, other):
        return self._inplace(ops.multiply, other)

    def __itruediv__(self, other):
        return self._inplace(ops.divide, other)

    def __ipow__(self, other):
        return self._inplace(ops.power, other)

    def __imatmul__(self, other):
        return self._inplace(ops.matmul, other)

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def fill_(self, value) -> "Tensor":
        return self._inplace(_filled, check_number_fits(value, self._data.dtype))

    def copy_(self, src, non_blocking: bool = False) -> "Tensor":
        return self._inplace(_filled, src)

    # The in-place samplers draw as PyTorch does (chainrule/random.py): after manual_seed(s)
    # (or with generator=Generator().manual_seed(s)) they fill in PyTorch's numbers, in the
    # order PyTorch's kernels visit the elements (memory order).
    def _drawn(self, draw) -> "Tensor":
        """Fill with ``draw(shape)`` (a NumPy array), the values laid out in memory order."""
        values = _random.drawn_in_memory_order(backend.host_layout(self._data), draw)
        return self._inplace(_filled, backend.drawn_like(values, self._data, copy=False))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> "Tensor":
        gen, dtype = _random.resolve(generator), self._float_dtype("uniform_")
        if not a <= b:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={a} > to={b}")
        largest = float(xp.finfo(dtype).max)
        for name, bound in (("from", a), ("to", b)):
            if not -largest <= bound <= largest:
                raise RuntimeError(f"uniform_: {name} is out of bounds for {dtype}, got {bound}")
        if b - a > largest:
            raise RuntimeError(f"uniform_ expects to-from <= the largest {dtype}, but found "
                               f"to={b} and from={a}, which result in to-from to exceed it")
        return self._drawn(lambda shape: gen.uniform_(shape, dtype, a, b))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> "Tensor":
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        gen, dtype = _random.resolve(generator), self._float_dtype("normal_")
        dense = self.is_contiguous()
        return self._drawn(lambda shape: gen.normal_(shape, dtype, mean, std, dense))

    def bernoulli_(self, p=0.5, generator=None) -> "Tensor":
        gen = _random.resolve(generator)
        if isinstance(p, Tensor):
            probs = backend.to_numpy(p._data)
            return self._drawn(lambda shape: gen.bernoulli(xp.broadcast_to(
                probs, self._data.shape)).reshape(shape))
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        return self._drawn(lambda shape: gen.bernoulli_(shape, p))

    def exponential_(self, lambd: float = 1.0, generator=None) -> "Tensor":
        gen, dtype = _random.resolve(generator), self._float_dtype("exponential_")
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        return self._drawn(lambda shape: gen.exponential_(shape, dtype, lambd))

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> "Tensor":
        """Cauchy(median, σ) draws, PyTorch's: median + σ·tan(π(u − ½)), u ~ U[0, 1) in
        double (chainrule/random.py)."""
        gen, dtype = _random.resolve(generator), self._float_dtype("cauchy_")
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        return self._drawn(lambda shape: gen.cauchy_(shape, dtype, median, sigma))

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None) -> "Tensor":
        """exp(N(mean, std²)) draws, PyTorch's: one double Box–Muller normal per value (with
        the generator's cached second normal), then exp (chainrule/random.py)."""
        gen, dtype = _random.resolve(generator), self._float_dtype("log_normal_")
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        return self._drawn(lambda shape: gen.log_normal_(shape, dtype, mean, std))

    def geometric_(self, p: float, *, generator=None) -> "Tensor":
        """Geometric(p) draws (trials up to the first success: 1, 2, …), PyTorch's:
        ⌈log u / log(1 − p)⌉, u ~ U[0, 1) in double; any real dtype (chainrule/random.py)."""
        gen, dtype = _random.resolve(generator), backend.numpy_dtype(self._data.dtype)
        if dtype.kind not in "iuf":
            raise NotImplementedError(f"\"geometric_cpu\" not implemented for '{dtype}'")
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        return self._drawn(lambda shape: gen.geometric_(shape, dtype, p))

    def random_(self, low: int = 0, high: int | None = None, generator=None) -> "Tensor":
        """PyTorch's ``random_()`` (the dtype's whole range: [0, 2^mantissa] for a float
        dtype), ``random_(to)`` ([0, to)) and ``random_(from, to)``."""
        gen, dtype = _random.resolve(generator), backend.numpy_dtype(self._data.dtype)
        if high is None:
            low, high = (None, None) if not low else (0, low)
        return self._drawn(lambda shape: gen.random_(shape, dtype, low, high))

    def _float_dtype(self, op: str):
        dtype = backend.numpy_dtype(self._data.dtype)
        if dtype.kind != "f":
            raise NotImplementedError(f"\"{op}\" not implemented for '{dtype}'")
        return dtype

    def detach_(self) -> "Tensor":
        self._node = None
        self.requires_grad = False
        return self

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
        _check_steps(index)
        return ops.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        """``x[index] = value`` in place, with PyTorch's indexing rules. While recording, a tensor
        that is not a leaf gets a node (the old values with the indexed part replaced), so the
        gradient flows to the rest of the old values and to ``value``."""
        _check_steps(index)
        value = check_number_fits(value, self._data.dtype)
        index = ops.torch_index(index)
        record = _GradMode.enabled and (
            self.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
        if not record and type(self._data) is not ndarray \
                and backend.is_foreign_array(self._data):
            # the standard's __setitem__ takes basic indices and one boolean mask only: the
            # general index_put, then one write into this tensor's array
            self._inplace(ops.index_put, index, value)
            return
        if not record:
            if isinstance(index, ops.TwoStepIndex):
                self._data[index.first][index.second] = _data(value)
            else:
                self._data[index] = _data(value)
            _bump(self._data)
            return
        self._inplace(ops.index_put, index, value)

    # comparisons and logic give tensors with no gradient, with PyTorch's type promotion
    def __lt__(self, other):
        return ops.lt(self, other)

    def __le__(self, other):
        return ops.le(self, other)

    def __gt__(self, other):
        return ops.gt(self, other)

    def __ge__(self, other):
        return ops.ge(self, other)

    def __eq__(self, other):
        if not isinstance(other, _COMPARABLE):   # PyTorch: a list, str, None… is just unequal
            return False
        return ops.eq(self, other)

    def __ne__(self, other):
        if not isinstance(other, _COMPARABLE):
            return True
        return ops.ne(self, other)

    def __and__(self, other):
        return ops.bitwise_and(self, other)

    def __or__(self, other):
        return ops.bitwise_or(self, other)

    def __xor__(self, other):
        return ops.bitwise_xor(self, other)

    def __invert__(self):
        return ops.bitwise_not(self)

    def __rand__(self, other):
        return ops.bitwise_and(other, self)

    def __ror__(self, other):
        return ops.bitwise_or(other, self)

    # ----------------------------------------------------------------- methods (NumPy / PyTorch)
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=False, dtype=None):
        return ops.sum(self, _axis(axis, dim), keepdims or keepdim, dtype=dtype)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=False, dtype=None):
        return ops.mean(self, _axis(axis, dim), keepdims or keepdim, dtype=dtype)

    def var(self, axis=None, keepdims=False, *, dim=None, keepdim=False, correction=1,
            unbiased=None, ddof=None):
        return ops.var(self, _axis(axis, dim), keepdims or keepdim, correction=correction,
                       unbiased=unbiased, ddof=ddof)

    def std(self, axis=None, keepdims=False, *, dim=None, keepdim=False, correction=1,
            unbiased=None, ddof=None):
        return ops.std(self, _axis(axis, dim), keepdims or keepdim, correction=correction,
                       unbiased=unbiased, ddof=ddof)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False, *, dim=None, keepdim=False, dtype=None):
        return ops.prod(self, _axis(axis, dim), keepdims or keepdim, dtype=dtype)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.logsumexp(self, _axis(axis, dim), keepdims or keepdim)

    def softmax(self, axis=-1, dtype=None, *, dim=None):
        return ops.softmax(self, _axis(None if dim is not None else axis, dim), dtype)

    def log_softmax(self, axis=-1, dtype=None, *, dim=None):
        return ops.log_softmax(self, _axis(None if dim is not None else axis, dim), dtype)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        axis = _axis(axis, dim)
        if self._data.ndim == 0:
            axis = None
        if type(self._data) is not ndarray and backend.is_foreign_array(self._data):
            ns = backend.namespace(self._data)      # the standard's any: no array method
            return _uint8_like(self._data, ns.any(self._data, axis=axis,
                                                     keepdims=bool(keepdims or keepdim)))
        return _uint8_like(self._data, xp.asarray(self._data.any(axis=axis,
                                                                   keepdims=keepdims or keepdim)))

    def all(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        axis = _axis(axis, dim)
        if self._data.ndim == 0:
            axis = None
        if type(self._data) is not ndarray and backend.is_foreign_array(self._data):
            ns = backend.namespace(self._data)      # the standard's all: no array method
            return _uint8_like(self._data, ns.all(self._data, axis=axis,
                                                     keepdims=bool(keepdims or keepdim)))
        return _uint8_like(self._data, xp.asarray(self._data.all(axis=axis,
                                                                   keepdims=keepdims or keepdim)))

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

    def view(self, *shape):
        """The same memory with another shape (PyTorch's view): raises where the memory layout
        does not allow it (use reshape, which copies then). ``view(dtype)`` reinterprets the
        bytes as another dtype (no gradient)."""
        data = self._data
        if type(data) is not ndarray and not hasattr(data, "view"):
            # the array API standard has neither views nor strides: the layout (and the bytes,
            # for a dtype view) are read from the host (DLPack keeps array_api_strict's strides)
            data = backend.to_numpy(data)
            if len(shape) == 1 and _is_dtype(shape[0]):
                return Tensor._from_op(backend.asarray_like(
                    data.view(backend.numpy_dtype(shape[0])), self._data), None)
        if len(shape) == 1 and _is_dtype(shape[0]):
            return Tensor._from_op(data.view(xp.dtype(shape[0])), None)
        target = _shape_args(shape)
        probe = data.view()
        try:
            probe.shape = target
        except AttributeError:
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (shape "
                f"{self.shape}, strides {data.strides}, asked {target}): at least one "
                "dimension spans across two contiguous subspaces. Use .reshape(...) instead."
            ) from None
        except ValueError:
            return ops.reshape(self, target)        # reshape's error names both shapes
        return ops.reshape(self, target)

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

    def permute(self, *dims, **keyword):
        return ops.permute(self, *dims, **keyword)

    def swapaxes(self, axis1: int, axis2: int):
        return ops.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None, *, dim=None):
        return ops.squeeze(self, _axis(axis, dim))

    def unsqueeze(self, dim: int):
        return ops.expand_dims(self, dim)

    def _reshaped_in_place(self, view, name: str) -> "Tensor":
        """This tensor becomes ``view(self)`` (a view of its own memory with another shape), as
        PyTorch's in-place shape methods (squeeze_, unsqueeze_, t_, transpose_ …): a leaf that
        requires grad refuses, as in PyTorch; a tensor of the graph takes the view's node, whose
        input is a stand-in for this tensor's old shape (the graph keeps its shapes)."""
        if self.requires_grad and self._node is None and _GradMode.enabled:
            raise RuntimeError(f"{name}: a leaf tensor that requires grad cannot be changed in "
                               "place (PyTorch's rule); use the out-of-place method, or "
                               "work under `with chainrule.no_grad():`")
        before = Tensor._from_op(self._data, self._node)
        before.requires_grad = self.requires_grad
        after = view(before)
        self._data, self._node = after._data, after._node
        return self

    def squeeze_(self, dim=None):
        return self._reshaped_in_place(lambda t: t.squeeze(dim=dim), "squeeze_")

    def unsqueeze_(self, dim: int):
        return self._reshaped_in_place(lambda t: t.unsqueeze(dim), "unsqueeze_")

    def t_(self):
        return self._reshaped_in_place(lambda t: t.t(), "t_")

    def transpose_(self, dim0: int, dim1: int):
        return self._reshaped_in_place(lambda t: ops.swapaxes(t, dim0, dim1), "transpose_")

    def swapaxes_(self, axis0: int, axis1: int):
        return self._reshaped_in_place(lambda t: ops.swapaxes(t, axis0, axis1), "swapaxes_")

    swapdims_ = swapaxes_

    def fill_diagonal_(self, fill_value, wrap: bool = False) -> "Tensor":
        """The main diagonal (all indices equal) set to ``fill_value``; a tall 2-d matrix's
        diagonal restarts after every N + 1 rows with ``wrap`` (PyTorch's)."""
        if self.ndim < 2:
            raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got {self.ndim}")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, "
                               f"got shape {tuple(self.shape)}")
        if self.ndim == 2:
            rows, cols = self.shape
            i = xp.arange(rows if wrap and rows > cols else min(rows, cols))
            if wrap and rows > cols:
                keep = i % (cols + 1) < cols
                i = i[keep]
                index = (i, i % (cols + 1))
            else:
                index = (i, i)
        else:
            d = xp.arange(self.shape[0])
            index = (d,) * self.ndim
        self[index] = fill_value
        return self

    def get_device(self) -> int:
        """−1 for a CPU tensor (PyTorch's), else the device's index."""
        index = getattr(self.device, "index", None)
        return -1 if self.device.type == "cpu" else (index or 0)

    def is_inference(self) -> bool:
        return False

    def is_shared(self) -> bool:
        return False

    def share_memory_(self) -> "Tensor":
        """A no-op (PyTorch moves the storage to shared memory for worker processes; chainrule's
        loaders and data-parallel workers pass arrays themselves)."""
        return self

    # Python callables element by element, in place (chainrule/tensor_apply.py: the rules)
    def apply_(self, callable, /) -> "Tensor":
        """``self[i] = callable(self[i])`` for every element, in row-major order (CPU; refused
        when this tensor requires grad, as in PyTorch). Returns this tensor."""
        from . import tensor_apply

        return tensor_apply.apply(self, callable)

    def map_(self, other, callable) -> "Tensor":
        """``self[i] = callable(self[i], other[i])``, ``other`` of this dtype broadcast to this
        shape, element by element in place (PyTorch's). Returns this tensor."""
        from . import tensor_apply

        return tensor_apply.apply(self, callable, "map_", (other,))

    def map2_(self, x, y, callable) -> "Tensor":
        """``self[i] = callable(self[i], x[i], y[i])``, as :meth:`map_` with two tensors."""
        from . import tensor_apply

        return tensor_apply.apply(self, callable, "map2_", (x, y))

    def new(self, *args) -> "Tensor":
        """PyTorch's legacy ``x.new(…)``: sizes (zero-filled) or data, in x's dtype."""
        return Tensor(*args, dtype=self._data.dtype)

    def sum_to_size(self, *size) -> "Tensor":
        """The sum over the dimensions that ``size`` broadcasts (the reverse of expand)."""
        target = _shape_args(size)
        try:
            xp.broadcast_shapes(tuple(target), tuple(self.shape))
            ok = xp.broadcast_shapes(tuple(target), tuple(self.shape)) == tuple(self.shape)
        except ValueError:
            ok = False
        if not ok or len(target) > self.ndim:
            raise RuntimeError(f"sum_to_size: size {tuple(target)} is not expandable to size "
                               f"{tuple(self.shape)}")
        lead = self.ndim - len(target)
        axes = tuple(range(lead)) + tuple(lead + k for k, n in enumerate(target)
                                          if n == 1 and self.shape[lead + k] != 1)
        out = ops.sum(self, axes, keepdims=True) if axes else self
        return ops.reshape(out, tuple(target))

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
        return tensor_format.tensor_repr(self)

    __str__ = __repr__


def tensor_method(fn=None, *, name: str | None = None, inplace: bool = False):
    """Make the function ``fn(input, ...)`` also the Tensor method ``input.name(...)``; with
    ``inplace=True`` also ``input.name_(...)``, which writes the result into the tensor (see
    :meth:`Tensor._inplace`). Used by the ops modules, so that each function and its method are
    one definition::

        @tensor_method(inplace=True)
        def clamp(input, min=None, max=None): ...
    """
    def bind(f):
        method = name or f.__name__
        setattr(Tensor, method, f)
        if inplace:
            def in_place(self, *args, **kwargs):
                return self._inplace(f, *args, **kwargs)

            in_place.__name__ = method + "_"
            in_place.__doc__ = f"In-place form of :meth:`{method}` (writes into this tensor)."
            setattr(Tensor, method + "_", in_place)
        return f

    return bind if fn is None else bind(fn)


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _unwrap_index(index):
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    return index


_COMPARABLE = (Tensor, int, float, complex, ndarray, xp.generic)

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


class _LegacyTensorType(type):
    """PyTorch's typed tensor classes (``torch.FloatTensor``, ``torch.LongTensor`` …): calling
    one is the legacy constructor in that dtype, ``FloatTensor(2, 3)`` (sizes; zero-filled) or
    ``LongTensor([1, 2])`` (data, converted as ``.to(dtype)`` would); ``isinstance(x,
    LongTensor)`` asks whether x is a tensor of that dtype; ``x.type(LongTensor)`` casts."""

    def __call__(cls, *args, device=None):
        if len(args) == 1 and isinstance(args[0], Tensor):
            dtype = backend.numpy_dtype(args[0]._data.dtype)
            if dtype != cls.dtype:
                raise TypeError(f"{cls.__name__}(): expected a tensor of dtype {cls.dtype}, got "
                                f"one of dtype {dtype} (PyTorch refuses it too); convert it with "
                                f"x.to({cls.dtype}) or x.type({cls.__name__})")
            return Tensor._from_op(args[0]._data, None)     # the same memory, as PyTorch's
        return Tensor(*args, dtype=cls.dtype, device=device)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'chainrule.{cls.__name__}'>"


def _legacy_type(name: str, dtype_name: str) -> type:
    return _LegacyTensorType(name, (), {"dtype": xp.dtype(dtype_name), "__module__": __name__,
                                        "__doc__": f"PyTorch's {name}: a {dtype_name} Tensor."})


LEGACY_TYPES = {name: _legacy_type(name, dtype_name) for dtype_name, name in _TYPE_NAMES.items()
                if not name.startswith("Complex")}       # (PyTorch has no ComplexFloatTensor)


def _is_dtype(value) -> bool:
    if isinstance(value, xp.dtype):
        return True
    return isinstance(value, type) and issubclass(value, (xp.generic, float, int, complex))


def _to_arguments(name: str, args, kwargs):
    """(dtype or None, copy, device or None) from the forms of ``Tensor.to``/``Module.to``."""
    dtype = kwargs.pop("dtype", None)
    where = kwargs.pop("device", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"{name}(): unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if a is None:
            continue
        if isinstance(a, Tensor):
            dtype, where = a.dtype, a.device
        elif _is_dtype(a):
            dtype = a
        elif _device.is_device_like(a):
            where = a
        elif isinstance(a, bool):
            continue            # to(dtype, non_blocking) positional flags
        else:
            raise TypeError(f"{name}(): expected a dtype, a device or a tensor, got {a!r}")
    if where is not None:
        where = _device.check(where, name)
    return dtype, copy, where


def _check_steps(index) -> None:
    """PyTorch refuses negative slice steps (``x[::-1]``); use ``flip``."""
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if type(p) is slice and p.step is not None and p.step <= 0:
            raise ValueError(f"step must be greater than zero (index {p}): tensors are indexed "
                             "with positive steps only, as in PyTorch; reverse with .flip(dim)")


_FAST_UFUNCS = {"add": xp.add, "sub": xp.subtract, "subtract": xp.subtract, "mul": xp.multiply,
                "multiply": xp.multiply, "div": xp.true_divide, "divide": xp.true_divide,
                "true_divide": xp.true_divide}


def _fast_inplace(t: Tensor, ufunc, other, kwargs) -> bool:
    """``t ∘= other`` as one NumPy ufunc writing into t's memory, when nothing is recorded and
    the common case holds (a float tensor, an operand of the same or a narrower kind that
    broadcasts to t's shape). Returns False to leave the case to the general path, which gives
    PyTorch's result or error."""
    alpha = kwargs.get("alpha", 1)
    if len(kwargs) > ("alpha" in kwargs):
        return False
    dst = t._data
    if type(dst) is not xp.ndarray or dst.dtype.kind != "f":
        return False            # other array libraries take the general path (no ufunc out=)
    if isinstance(other, Tensor):
        o = other._data
        if o.dtype.kind not in "biuf" or (o.ndim > dst.ndim) or (
                o.shape != dst.shape and xp.broadcast_shapes(o.shape, dst.shape) != dst.shape):
            return False
    elif type(other) in (float, int):
        o = other
    else:
        return False
    if alpha != 1:
        o = o * alpha
    ufunc(dst, o, out=dst, casting="same_kind")
    _bump(dst)
    return True


def _shares_input_memory(data, node) -> bool:
    """Whether ``data``, made by the view primitive of ``node``, shares its input's memory.

    A view primitive returns a copy where no view exists (a reshape of a permuted tensor, as in
    ``pixel_shuffle``): PyTorch's result is then no view either, and may be changed in place.
    Where the node's links to its inputs are gone, any array with a base counts as a view.
    """
    if data.base is None:
        return False
    arrays = [a._data for a in getattr(node, "inputs", ()) if isinstance(a, Tensor)]
    if type(data) is not ndarray or not arrays or any(type(a) is not ndarray for a in arrays):
        return True
    return any(xp.may_share_memory(data, a) for a in arrays)


def _any_requires_grad(args, kwargs) -> bool:
    for a in args:
        if isinstance(a, Tensor) and a.requires_grad:
            return True
    for a in kwargs.values():
        if isinstance(a, Tensor) and a.requires_grad:
            return True
    return False


def _opname(op) -> str:
    name = getattr(op, "__name__", "op")
    return {"_filled": "copy", "subtract": "sub", "multiply": "mul", "divide": "div",
            "power": "pow"}.get(name, name)


def _filled(t, value):
    """``value`` broadcast to t's shape; as an in-place step its gradient goes to ``value`` only."""
    return ops.where(xp.ones(t.shape, dtype=bool), value, t)


def _write(dst, src, op) -> None:
    """Write ``src`` into ``dst`` as PyTorch's in-place ops do: the result's dtype must be castable
    to the tensor's (no float into int, except copy_/fill_), and its shape must not grow it."""
    if type(dst) is not ndarray:
        _write_foreign(dst, src, op)
        return
    src = xp.asarray(src)
    if op is not _filled and _KIND_RANK.get(src.dtype.kind, 9) > _KIND_RANK.get(dst.dtype.kind, 9):
        raise RuntimeError(f"{_opname(op)}_: result type {src.dtype} can't be cast to the "
                           f"desired output type {dst.dtype} of this in-place operation; use the "
                           f"out-of-place form (x = x {_SYMBOLS.get(_opname(op), 'op')} y) or "
                           "convert the tensor first")
    if src.shape != dst.shape:
        try:
            shape = xp.broadcast_shapes(src.shape, dst.shape)
        except ValueError:
            shape = None
        if shape != dst.shape:
            raise RuntimeError(f"{_opname(op)}_: the result has shape {tuple(src.shape)}, which "
                               f"does not fit this tensor's shape {tuple(dst.shape)}; an in-place "
                               "operation cannot change a tensor's shape")
    xp.copyto(dst, src, casting="unsafe")


def _write_foreign(dst, src, op) -> None:
    """:func:`_write` into an array of another library (CuPy, array_api_strict): ``src`` is
    brought into that library (and onto its device), cast, broadcast and assigned."""
    ns = backend.namespace(dst)
    if isinstance(src, Tensor):
        src = src._data
    if type(src) is ndarray or not backend.is_foreign_array(src):
        src = backend.asarray_like(xp.asarray(src), dst)
    kind, target = backend.dtype_kind(src.dtype), backend.dtype_kind(dst.dtype)
    if op is not _filled and _KIND_RANK.get(kind, 9) > _KIND_RANK.get(target, 9):
        raise RuntimeError(f"{_opname(op)}_: result type {src.dtype} can't be cast to the "
                           f"desired output type {dst.dtype} of this in-place operation")
    if tuple(src.shape) != tuple(dst.shape):
        try:
            src = ns.broadcast_to(src, tuple(dst.shape))
        except ValueError:
            raise RuntimeError(f"{_opname(op)}_: the result has shape {tuple(src.shape)}, which "
                               f"does not fit this tensor's shape {tuple(dst.shape)}; an in-place "
                               "operation cannot change a tensor's shape") from None
    dst[...] = backend.astype(src, dst.dtype)


_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
