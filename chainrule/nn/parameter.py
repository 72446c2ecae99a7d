"""Parameter and Buffer: the tensors a Module registers when they are assigned to it; and the
uninitialized (lazy) ones that the lazy modules hold until their first input gives them a shape
(PyTorch's ``torch.nn.parameter``)."""
from __future__ import annotations

from ..backend import astype, dtype_kind, get_default_dtype, numpy_dtype, xp
from ..tensor import Tensor

_DATA = Tensor._data        # the slot that holds a tensor's array (read past the lazy guard)


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered when assigned to a Module.

    ``nn.Parameter(data, requires_grad=True)``, as PyTorch. The array is shared, not copied.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = []
        if isinstance(data, Tensor):
            data = data._data
        # A tensor's (or array's) dtype is kept, as PyTorch: Parameter(float64 tensor) is float64;
        # only Python data takes the default dtype.
        super().__init__(data, dtype=getattr(data, "dtype", None), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


class Buffer(Tensor):
    """A tensor that is part of a module's state but not learned (PyTorch's ``nn.Buffer``):
    ``self.x = nn.Buffer(tensor, persistent=True)`` registers ``x`` as a buffer, as
    ``self.register_buffer("x", tensor, persistent)`` does; ``persistent=False`` keeps it out of
    ``state_dict()``. The tensor is ``data.detach()`` (the same memory, a leaf that requires grad
    when ``data`` did). Assigning a plain tensor to a buffer's name later keeps the buffer's
    persistence; assigning an ``nn.Buffer`` sets it.

    PyTorch marks a plain ``torch.Tensor`` (``type(b) is torch.Tensor``, ``isinstance(b,
    nn.Buffer)`` through a metaclass); chainrule's tensors have no attribute dictionary to hold
    the mark, so here ``type(b)`` is ``nn.Buffer``, a Tensor subclass: ``isinstance``, the
    ``persistent`` attribute and every operation behave as PyTorch's.
    """

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent: bool = True):
        if data is None:
            data = Tensor._make(xp.empty((0,), dtype=get_default_dtype()))
        plain = data.detach()           # a list or an array raises, as PyTorch's
        self._data = plain._data
        self.grad = None
        self._node = None
        self._retains_grad = False
        self.requires_grad = bool(data.requires_grad)
        self.persistent = persistent


# ------------------------------------------------------------------------------ lazy tensors
_USE_MESSAGE = ("Attempted to use an uninitialized parameter. This error happens when you are "
                "using a `LazyModule` or explicitly manipulating "
                "`chainrule.nn.parameter.{name}` objects. When using LazyModules Call `forward` "
                "with a dummy batch to initialize the parameters before calling chainrule "
                "functions")

SHAPE_MESSAGE = ("Can't access the shape of an uninitialized parameter or buffer. This error "
                 "usually happens in `load_state_dict` when trying to load an uninitialized "
                 "parameter into an initialized one. Call `forward` to initialize the parameters "
                 "before accessing their attributes.")


class UninitializedTensorMixin:
    """A tensor without a shape yet (PyTorch's): it holds an empty placeholder array that gives
    its dtype and device, and ``materialize(shape)`` turns it into a tensor of ``cls_to_become``
    (the same object, so an optimizer built before holds it). Until then any use of its values
    raises ValueError, and its shape RuntimeError; its dtype, device, ``requires_grad`` and
    conversions (``to``, ``double``, …, which return plain empty tensors) may be read, and
    ``Module.to`` converts the placeholder, so the materialized tensor has the module's dtype."""

    __slots__ = ()
    cls_to_become: type = Tensor

    # Every operation reads ``_data``: here it raises, with PyTorch's message.
    @property
    def _data(self):
        raise ValueError(_USE_MESSAGE.format(name=type(self).__name__))

    @_data.setter
    def _data(self, value) -> None:
        _DATA.__set__(self, value)

    def _init_placeholder(self, requires_grad: bool, device, dtype) -> None:
        dtype = get_default_dtype() if dtype is None else numpy_dtype(dtype)
        array = xp.empty((0,), dtype=dtype)
        if device is not None:
            from ..device import check, move

            array = move(array, check(device, type(self).__name__))
        _DATA.__set__(self, array)
        self.grad = None
        self._node = None
        self._retains_grad = False
        self.requires_grad = bool(requires_grad)

    def _plain(self) -> Tensor:
        """The placeholder as a plain (empty) tensor."""
        return Tensor._from_op(_DATA.__get__(self), None)

    def _retarget(self, dtype=None, where=None) -> None:
        """Module.to on the placeholder: move it to ``where``, cast a floating one to ``dtype``."""
        array = _DATA.__get__(self)
        if where is not None:
            from ..device import move

            array = move(array, where)
        if dtype is not None and dtype_kind(array.dtype) == "f":
            array = astype(array, dtype)
        _DATA.__set__(self, array)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor ``shape`` (zero-filled) in its dtype and on its device, or in the
        ``dtype``/on the ``device`` given, and make it a ``cls_to_become``."""
        from ..backend import asarray_like

        like = _DATA.__get__(self)
        dtype = like.dtype if dtype is None else dtype
        array = asarray_like(xp.zeros(tuple(shape), dtype=numpy_dtype(dtype)), like)
        if device is not None:
            from ..device import check, move

            array = move(array, check(device, "materialize"))
        _DATA.__set__(self, array)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(SHAPE_MESSAGE)

    def requires_grad_(self, requires_grad: bool = True):
        raise ValueError(_USE_MESSAGE.format(name=type(self).__name__))

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    # what PyTorch allows on an uninitialized tensor: its facts and conversions
    dtype = property(lambda self: self._plain().dtype)
    device = property(lambda self: self._plain().device)
    ndim = property(lambda self: self._plain().ndim)
    size = property(lambda self: self._plain().size)
    data = property(lambda self: self._plain(), Tensor.data.fset)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = copy = type(self).__new__(type(self))
            copy._init_placeholder(self.requires_grad, None, None)
            _DATA.__set__(copy, _DATA.__get__(self).copy())
            if isinstance(self, Buffer):
                copy.persistent = self.persistent
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (type(self), (self.requires_grad,))


def _allowed(name: str):
    def method(self, *args, **kwargs):
        return getattr(self._plain(), name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``{name}`` of the empty placeholder (allowed before materialization)."
    return method


for _name in ("to", "cpu", "cuda", "half", "float", "double", "char", "short", "int", "long",
              "is_complex", "is_floating_point", "get_device"):
    setattr(UninitializedTensorMixin, _name, _allowed(_name))


def is_lazy(param) -> bool:
    """Whether ``param`` is an UninitializedParameter or an UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (PyTorch's ``nn.UninitializedParameter``), as
    the lazy modules hold until their first input: ``materialize(shape)`` makes it a
    ``Parameter``. ``device``/``dtype``: those of the parameter it becomes."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        self._init_placeholder(requires_grad, device, dtype)


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer whose shape is not known yet (PyTorch's ``nn.UninitializedBuffer``; the running
    statistics of the lazy normalization layers): ``materialize(shape)`` makes it a buffer."""

    __slots__ = ()
    cls_to_become = Buffer

    def __init__(self, requires_grad: bool = False, device=None, dtype=None,
                 persistent: bool = True):
        self._init_placeholder(requires_grad, device, dtype)
        self.persistent = persistent
